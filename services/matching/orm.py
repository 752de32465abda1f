"""Matching's tables, in schema `matching`."""

from sqlalchemy import Column, DateTime, Float, Integer, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("matching")
outbox, processed_event = plumbing_tables(metadata)

site = Table(
    "site", metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(20), nullable=False),
    Column("province", String(60), nullable=False),
    Column("municipality_code", String(6), nullable=False),
    Column("floor_space_m2", Float, nullable=False),
    Column("grid_mw_available", Float, nullable=False),
    Column("cleanroom_iso_class", Integer),
    Column("clusters", ARRAY(String(60)), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

case_match = Table(
    "case_match", metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("code_name", String(100), nullable=False),
    Column("case_payload", JSONB, nullable=False),
    Column("proposals", JSONB, nullable=False),
    Column("no_proposition", Integer, nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
