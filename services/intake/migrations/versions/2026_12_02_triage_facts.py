"""triage facts: the triage reason as facts beside its English sentence

Revision ID: 9d2e4f6a8c13
Revises: 8a3c5e7f9b21
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '9d2e4f6a8c13'
down_revision = '8a3c5e7f9b21'
branch_labels = None
depends_on = None


# The leads triaged before: their facts read back from the sentence domain.triage wrote (its five forms).
DATE = r"(\d{4}-\d{2}-\d{2})"
BACKFILL = [
    ("triage_reason LIKE 'out of scope: no NTS technology domain%'",
     "jsonb_build_object('code', 'no-domain', 'sector', payload->>'sector')"),
    ("triage_reason = 'out of scope: low-value production'", "jsonb_build_object('code', 'low-value-production')"),
    ("triage_reason = 'out of scope: many negative external effects'",
     "jsonb_build_object('code', 'negative-externalities')"),
    ("triage_reason LIKE 'space first needed by %'",
     "jsonb_build_object('code', 'beyond-horizon', "
     f"'earliest_need', substring(triage_reason from 'needed by {DATE}'), "
     "'horizon_years', substring(triage_reason from 'the (\\d+)-year')::int, "
     f"'horizon', substring(triage_reason from '\\({DATE}\\)'))"),
    ("triage_reason LIKE 'NTS domain;%'",
     "jsonb_build_object('code', 'nts-domain', 'sector', NULL, "
     f"'earliest_need', substring(triage_reason from 'blocked by {DATE}'), "
     "'horizon_years', substring(triage_reason from 'within (\\d+) years')::int)"),
    ("triage_reason LIKE 'strategic autonomy%'",
     f"jsonb_build_object('code', 'strategic-autonomy', 'sector', payload->>'sector', "
     f"'earliest_need', substring(triage_reason from 'blocked by {DATE}'), "
     "'horizon_years', substring(triage_reason from 'within (\\d+) years')::int)"),
]


def upgrade() -> None:
    op.add_column('lead', sa.Column('triage', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
                  schema='intake')
    for where, facts in BACKFILL:
        op.execute(f"UPDATE intake.lead SET triage = {facts} WHERE triage IS NULL AND {where}")


def downgrade() -> None:
    op.drop_column('lead', 'triage', schema='intake')
