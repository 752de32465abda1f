"""Intake's tables, in schema `intake`."""

from sqlalchemy import Column, DateTime, String, Table, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("intake")
outbox, processed_event = plumbing_tables(metadata)

lead = Table(
    "lead", metadata,
    Column("id", Uuid, primary_key=True),
    Column("organisation", String(60), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("company_ref", String(64), nullable=False, index=True),
    Column("payload", JSONB, nullable=False),
    Column("status", String(20), nullable=False),
    Column("triage_reason", String(300), nullable=False),
    Column("case_id", Uuid),
    Column("source_event_id", Uuid, nullable=False),
    Column("signalled_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("organisation", "reference"),
)
