"""Matching's tables, in schema `matching`."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("matching")
outbox, processed_event = plumbing_tables(metadata)
CHANGED_XID = text("pg_current_xact_id()::text::bigint")  # the writing transaction's id (64-bit, never wraps)

# A site in the catalogue: stored (a row without `record` is a placeholder) and not retired.
LIVE_SITE = "record <> '{}'::jsonb AND (record ->> 'retired')::boolean IS NOT TRUE"

# A few columns for queries; `record` is the full validated Site (services.matching.domain.Site).
site = Table(
    "site", metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(20), nullable=False),
    Column("province", String(60), nullable=False),
    Column("municipality_code", String(6), nullable=False),
    Column("floor_space_m2", Float, nullable=False),
    Column("grid_mw_available", Float),
    Column("cleanroom_iso_class", Integer),
    Column("clusters", ARRAY(String(60)), nullable=False),
    Column("record", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("source", String(200), nullable=False, server_default="reference"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The transaction that last wrote the row (set by a trigger on every insert and update): the catalogue refresh
    # reads the rows written since its previous one by this, not by time (see supply.py and the migration).
    Column("changed_xid", BigInteger, nullable=False, server_default=CHANGED_XID),
    # The catalogue's numbers of the site, computed from `record` by the same trigger (site_columns.COLUMNS).
    Column("catalogue_row", LargeBinary),
    Index("ix_site_changed_xid", "changed_xid"),
    # The workbench's catalogue page (repository.catalogue_page): its page of live sites by name read in index
    # order (no sort of the whole catalogue), and the live sites counted per municipality from a small index
    # rather than by reading every site's record.
    Index("ix_site_live_by_name", func.lower(text("name")), "id", postgresql_where=text(LIVE_SITE)),
    Index("ix_site_live_municipality", "municipality_code", postgresql_where=text(LIVE_SITE)),
)

# Every change to a site (API, import, event, reference seed), kept after the site is retired or deleted: who, when,
# what (field -> before/after). The owners at the time are kept so that a deleted site's history stays readable to
# them; a deletion is also how other matching processes learn to drop the site from memory (see supply.py).
site_change = Table(
    "site_change", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("site_id", String(100), nullable=False),
    Column("action", String(12), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("role", String(20)),
    Column("source", String(200), nullable=False),
    Column("municipality_code", String(6), nullable=False),
    Column("province", String(60), nullable=False),
    Column("changes", JSONB, nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("changed_xid", BigInteger, nullable=False, server_default=CHANGED_XID),
    Index("ix_site_change_site", "site_id", "id"),
    Index("ix_site_change_deleted", "changed_xid", postgresql_where=text("action = 'deleted'")),
)

case_match = Table(
    "case_match", metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("code_name", String(100), nullable=False),
    Column("case_payload", JSONB, nullable=False),
    # case_payload, proposals and near_misses: STORAGE EXTERNAL (migration "uncompressed large values"), out of
    # line without pglz, which was nearly half of a batch's insert.
    Column("proposals", JSONB, nullable=False),
    Column("no_proposition", Integer, nullable=False),
    Column("near_misses", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("blocking", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("blocking_details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("blocking_facts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # the same, as facts
    # What a changed site must beat to enter this match (domain.Cutoffs); lets re-matching skip cases.
    Column("cutoffs", JSONB),
    Column("revision", Integer, nullable=False, server_default="1"),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("outcome", String(20)),
    Column("proposed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_case_match_open", "status", postgresql_where=text("status = 'open'")),
)

# A lead-updated that arrived before its case-opened (different topics, no order between them): applied when
# the case opens, so the newer demand is not lost.
pending_update = Table(
    "pending_update", metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("changes", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

proposal_decision = Table(
    "proposal_decision", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("site_id", String(100), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
