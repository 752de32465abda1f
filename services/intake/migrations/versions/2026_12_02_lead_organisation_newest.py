"""lead organisation newest: a ROM's own leads a page at a time, newest first, from an index

Revision ID: 2c6d9e1f4a70
Revises: 9d2e4f6a8c13
Create Date: 2026-12-02 01:15:00
"""
from alembic import op
import sqlalchemy as sa

revision = '2c6d9e1f4a70'
down_revision = '9d2e4f6a8c13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_lead_organisation_newest', 'lead', ['organisation', sa.text('created_at DESC'), 'id'],
                    unique=False, schema='intake')


def downgrade() -> None:
    op.drop_index('ix_lead_organisation_newest', table_name='lead', schema='intake')
