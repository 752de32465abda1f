"""The workbench's own tables, in schema `workbench`: sessions, the audit trail, and the taskforce's case work."""

from sqlalchemy import BigInteger, Column, Date, DateTime, Identity, String, Table, Text, Uuid, func
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
    # Only for a sign-in through the organisation's provider: sent back as id_token_hint when the person signs
    # out, so the provider ends its own session too (OpenID Connect RP-Initiated Logout).
    Column("id_token", Text),
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

# The taskforce's own case work (docs/workbench.md, "Case work"): who owns a case, the notes of contacts, and
# follow-up reminders. Case ids are intake's; nothing here is ever sent to another service or onto Kafka.
case_owner = Table(
    "case_owner", metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("assigned_by", String(64), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

case_note = Table(
    "case_note", metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("contact", String(20), nullable=False),  # company, municipality, province, other
    Column("contact_on", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("edited_at", DateTime(timezone=True)),
)

follow_up = Table(
    "follow_up", metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("due_on", Date, nullable=False, index=True),
    Column("text", String(300), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("done_at", DateTime(timezone=True)),
    Column("done_by", String(64)),
)

# One row per reminder per day it was mailed: its primary key is what makes a second run of the daily job send
# nothing (docs/workbench.md, "Reminder mails").
follow_up_mail = Table(
    "follow_up_mail", metadata,
    Column("follow_up_id", Uuid, primary_key=True),
    Column("mailed_on", Date, primary_key=True),
    Column("recipient", String(64), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
