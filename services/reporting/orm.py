"""Reporting's tables, in schema `reporting`.

`fact` keeps each event (keyed by its id, so a redelivery or a replay changes nothing) with its event time,
arrival time and only the facts reporting needs — never a company's name or KvK number; `case_id` and
`company_ref` name the entities it belongs to. The projections, maintained in the same transaction as the
facts: `figure_delta`, what the facts of each day changed in each cell of the figures (kept at three grains:
half-year, month and day, so that a figure as of any date sums at most 7 + 5 + 31 rows per cell), and
`amount_step`, each case's amount in each amount cell and the days it held (for the largest contributions
disclosure control asks for). `reported_snapshot` keeps the figures as they were reported; it is not a
projection, so a rebuild leaves it alone.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Identity,
    Index,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("reporting")
outbox, processed_event = plumbing_tables(metadata)

fact = Table(
    "fact", metadata,
    # seq keeps the order facts were stored in, for facts of one entity with the same event time.
    Column("seq", BigInteger, Identity(always=False), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("topic", String(60), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("arrived_at", DateTime(timezone=True), nullable=True),  # the Kafka timestamp
    Column("clamped", Boolean, nullable=False, server_default=text("false")),
    Column("case_id", String(64), nullable=True),
    Column("company_ref", String(200), nullable=True),
    Column("lead_id", String(64), nullable=True),
    Index("ix_fact_occurred_at", "occurred_at"),
    Index("ix_fact_case_id", "case_id", postgresql_where=text("case_id IS NOT NULL")),
    Index("ix_fact_company_ref", "company_ref", postgresql_where=text("company_ref IS NOT NULL")),
    Index("ix_fact_lead_id", "lead_id", postgresql_where=text("lead_id IS NOT NULL")),
)

figure_delta = Table(
    "figure_delta", metadata,
    Column("grain", String(1), primary_key=True),  # h(alf-year), m(onth), d(ay)
    Column("bucket", Date, primary_key=True),  # the first day of the half-year or month, or the day
    Column("metric", String(80), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("amount", Float, nullable=False),
)

amount_step = Table(
    "amount_step", metadata,
    Column("entity", String(80), primary_key=True),
    Column("metric", String(80), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("since", Date, primary_key=True),
    Column("until", Date, nullable=True),  # exclusive; None: still holds
    Column("amount", Float, nullable=False),
    Index("ix_amount_step_cell", "metric", "key", text("amount DESC")),
)

reported_snapshot = Table(
    "reported_snapshot", metadata,
    Column("period", String(7), primary_key=True),
    Column("as_of", String(10), nullable=False),
    Column("figures", JSONB, nullable=False),  # as published then
    Column("cells", JSONB, nullable=True),  # the raw sums then: the figures as reported, to set beside corrected
    Column("reported_by", String(100), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Qualitative indicators (services/reporting/qualitative/): what the coordinator writes, reviewed for identities
# before it reaches the ministry. Not projections: a rebuild leaves them alone.
qualitative_note = Table(
    "qualitative_note", metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False),  # learning | why_chose | ecosystem
    Column("period", String(7), nullable=False),  # the half-year it belongs to, e.g. 2026-H2
    Column("case_id", Uuid, nullable=True),  # a note about one case (never shown to the ministry)
    Column("text", Text, nullable=False),
    Column("written_by", String(100), nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reviewed_by", String(100), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),  # None: not (or no longer) reviewed
    Index("ix_qualitative_note_period", "period"),
)

# Keyed hashes of company names, as intake's lead-registered events carry them (never the names): the
# review refuses a note that contains one.
known_name = Table(
    "known_name", metadata,
    Column("digest", String(64), primary_key=True),
)
