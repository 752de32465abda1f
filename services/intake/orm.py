"""Intake's tables, in schema `intake`."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
)
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
    # The reason as facts (domain.Triage.facts); NULL for leads triaged before they were kept.
    Column("triage", JSONB(none_as_null=True)),
    Column("case_id", Uuid),
    Column("source_event_id", Uuid, nullable=False),
    Column("signalled_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Company name reduced for fuzzy matching (trigram index); never leaves intake.
    Column("name_key", String(200)),
    Column("eligible", Boolean),
    # Time of the newest event applied: an older one arriving late must not undo a newer update.
    Column("changed_at", DateTime(timezone=True)),
    Column("version", BigInteger, nullable=False, server_default="1"),
    # Set when the company's identity was erased on request: name and KvK number are gone from the payload.
    Column("erased_at", DateTime(timezone=True)),
    # The order in which the look-alike job compared names (look_alikes.py): each with the lower ones; NULL: waiting.
    Column("names_checked", BigInteger),
    UniqueConstraint("organisation", "reference"),
    # GiST, not GIN: nearest-name search (ORDER BY <-> LIMIT) stays fast when many names share a word.
    Index("ix_lead_name_key_gist", "name_key", postgresql_using="gist", postgresql_ops={"name_key": "gist_trgm_ops"}),
)
# A ROM's own leads, newest first, a page at a time (repository.leads_of: the workbench's "Mijn leads"): read in
# index order, so a page costs its 100 rows however many leads the ROM has signalled.
Index("ix_lead_organisation_newest", lead.c.organisation, lead.c.created_at.desc(), lead.c.id)
# The look-alike job's queue: the leads whose name waits to be compared, oldest first.
Index("ix_lead_names_unchecked", lead.c.created_at, lead.c.id, postgresql_where=lead.c.names_checked.is_(None))
Index("ix_lead_names_checked", lead.c.names_checked, unique=True, postgresql_where=lead.c.names_checked.is_not(None))

# One case per company: the keyed KvK hash is unique, so a second ROM's lead joins instead of opening another.
case = Table(
    "case", metadata,
    Column("id", Uuid, primary_key=True),
    Column("company_ref", String(64), nullable=False, unique=True),
    Column("code_name", String(60), nullable=False),
    Column("opened_by_lead_id", Uuid, ForeignKey("lead.id"), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("consent_granted_at", DateTime(timezone=True)),
    # The case's progress as other services report it, so a ROM can see where its lead stands.
    Column("match_revision", Integer),
    Column("sites_proposed", Integer),
    Column("no_proposition", Boolean),
    Column("proposed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("outcome", String(20)),
)

# Every organisation that signalled the company of a case, with its own reference.
lead_origin = Table(
    "lead_origin", metadata,
    Column("case_id", Uuid, ForeignKey("case.id"), primary_key=True),
    Column("lead_id", Uuid, ForeignKey("lead.id"), primary_key=True),
    Column("organisation", String(60), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The case's match revision and whether it was closed when this lead joined: its ROM sees only the progress
    # made since, exactly as if the lead had opened the case then (it must not learn the case existed before).
    Column("revision_at_join", Integer, nullable=False, server_default="0"),
    Column("closed_at_join", Boolean, nullable=False, server_default="false"),
)

# Leads whose company names look alike but whose KvK numbers differ: flagged for a person, never merged.
name_review = Table(
    "name_review", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("lead_id", Uuid, ForeignKey("lead.id"), nullable=False, index=True),
    Column("similar_lead_id", Uuid, ForeignKey("lead.id"), nullable=False),
    Column("similarity", Float, nullable=False),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_by", String(100)),
    Column("decided_at", DateTime(timezone=True)),
    Column("note", String(500)),
    UniqueConstraint("lead_id", "similar_lead_id"),
)

# Who changed what and when, for every change to a lead.
lead_audit = Table(
    "lead_audit", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("lead_id", Uuid, ForeignKey("lead.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("action", String(30), nullable=False),
    Column("event_id", Uuid),
    Column("changes", JSONB, nullable=False),
)

# The key that seals a case's company identity in consent-granted (shared/sealing.py). Erasure sets `key` to NULL:
# every copy of the event in Kafka is unreadable from then on.
identity_key = Table(
    "identity_key", metadata,
    Column("case_id", Uuid, ForeignKey("case.id"), primary_key=True),
    Column("key_id", Uuid, nullable=False, unique=True),
    Column("key", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("erased_at", DateTime(timezone=True)),
)
