"""Notifications' tables, in schema `notifications`."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
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
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import service_metadata
from shared.runtime import plumbing_tables

metadata = service_metadata("notifications")
outbox, processed_event = plumbing_tables(metadata)

# One row per mail: recorded with the processed-event mark, rendered and sent later by the mailer.
# status: pending -> sending (committed just before its SMTP transaction) -> sent (committed right after its 250);
# or dead. A row found in `sending` after a crash had an unknown fate: it is sent again, with the same Message-ID.
delivery = Table(
    "delivery", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("case_id", Uuid, nullable=True),  # None for a digest, which covers several cases
    Column("recipient", String(254), nullable=False),
    Column("recipient_code", String(40)),
    Column("template", String(60), nullable=False),
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
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
    # The sender that holds the row until its lease (next_attempt_at) runs out; NULL once it is back in the queue.
    Column("claim", Uuid, nullable=True),
    UniqueConstraint("event_id", "recipient", "template"),
    UniqueConstraint("event_id", "recipient_code", "template", name="uq_delivery_event_recipient_code"),
    Index("ix_delivery_queued", "next_attempt_at", postgresql_where=text("status IN ('pending', 'sending')")),
    Index("ix_delivery_claim", "claim", postgresql_where=text("status IN ('pending', 'sending')")),
    Index("ix_delivery_case_id", "case_id"),
)

# A proposal over a recipient's budget, waiting in that recipient's digest for the period.
digest_item = Table(
    "digest_item", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("delivery_id", BigInteger, ForeignKey(delivery.c.id, ondelete="CASCADE"), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("case_id", Uuid, nullable=False),
    Column("context", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("delivery_id", "event_id"),
    Index("ix_digest_item_case_id", "case_id"),
)

recipient_budget = Table(
    "recipient_budget", metadata,
    Column("recipient_code", String(40), primary_key=True),
    Column("period_start", DateTime(timezone=True), primary_key=True),
    Column("used", Integer, nullable=False),
)

recipient = Table(
    "recipient", metadata,
    Column("code", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("language", String(2), nullable=False),
    Column("province", String(4)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    # 'file' rows follow the directory file at each start; 'api' rows were edited and are left alone.
    Column("source", String(10), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", String(100)),
)

# What notifications knows of a case, from case-opened, lead-updated and consent-granted.
case_profile = Table(
    "case_profile", metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("code_name", String(200)),
    Column("technology_domains", JSONB),
    Column("origin", JSONB),
    Column("demand", JSONB),
    Column("demand_as_of", DateTime(timezone=True)),  # event time of the demand kept: older events lose
    Column("housing_signalled", JSONB),  # the housing demand last signalled, so a repeat is not re-sent
    Column("company_name", String(200)),
    Column("kvk_number", String(8)),
    Column("consent_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

reply = Table(
    "reply", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("recipient_code", String(40), nullable=False),
    Column("site_key", String(100), nullable=False),  # '' when the reply is about the case as a whole
    Column("response", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("via", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("case_id", "recipient_code", "site_key"),
)
