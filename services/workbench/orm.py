"""The workbench's own tables, in schema `workbench`: sessions and the audit trail (no other service's data)."""

from sqlalchemy import BigInteger, Column, DateTime, Identity, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import service_metadata

metadata = service_metadata("workbench")

# A signed-in browser. The cookie holds a random id; only its SHA-256 is stored, so a copy of this table
# cannot be used to sign in.
web_session = Table(
    "web_session", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("organisation", String(60), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

# Every action a person takes through the workbench (and every refused sign-in), newest last.
audit_entry = Table(
    "audit_entry", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("username", String(64), nullable=False, index=True),
    Column("role", String(20)),
    Column("organisation", String(60)),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("outcome", String(20), nullable=False),
    Column("details", JSONB, nullable=False, server_default="{}"),
)
