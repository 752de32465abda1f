"""Reporting's tables, in schema `reporting`."""

from sqlalchemy import BigInteger, Column, DateTime, String, Table, func

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("reporting")
outbox, processed_event = plumbing_tables(metadata)

event_count = Table(
    "event_count", metadata,
    Column("event_type", String(60), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
