"""case match blocking facts: what blocked each region as facts, beside the sentences, for clients that word them

Revision ID: 8d3f1a6c2e47
Revises: 6e2b9c4d8a13
Create Date: 2026-12-01 23:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = '8d3f1a6c2e47'
down_revision = '6e2b9c4d8a13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Matches stored before have none: clients fall back to the constraint names in `blocking`.
    op.add_column('case_match', sa.Column('blocking_facts', JSONB(), server_default=sa.text("'{}'::jsonb"),
                                          nullable=False), schema='matching')


def downgrade() -> None:
    op.drop_column('case_match', 'blocking_facts', schema='matching')
