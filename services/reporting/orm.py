"""Reporting's tables, in schema `reporting`.

`fact` is the projection every figure is computed from: one row per event (keyed by its id, so a redelivery
or a replay changes nothing), with the event time and only the facts reporting needs — never a company's
name or KvK number. "As of" a date is then a filter on `occurred_at`. `reported_snapshot` keeps the
figures as they were reported; it is not a projection, so a rebuild leaves it alone.
"""

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("reporting")
outbox, processed_event = plumbing_tables(metadata)

fact = Table(
    "fact", metadata,
    # seq orders events with the same time and gives a cheap "has anything changed" watermark.
    Column("seq", BigInteger, Identity(always=False), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("topic", String(60), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_fact_occurred_at", "occurred_at"),
    Index("ix_fact_topic", "topic"),
)

reported_snapshot = Table(
    "reported_snapshot", metadata,
    Column("period", String(7), primary_key=True),
    Column("as_of", String(10), nullable=False),
    Column("figures", JSONB, nullable=False),
    Column("reported_by", String(100), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
