"""Glue and contracts shared by every service: events, settings, logging, database and Kafka helpers."""
