"""Notifications' tables, in schema `notifications`."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("notifications")
outbox, processed_event = plumbing_tables(metadata)

delivery = Table(
    "delivery", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("case_id", Uuid, nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("template", String(60), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_id", "recipient", "template"),
    Index("ix_delivery_pending", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)
