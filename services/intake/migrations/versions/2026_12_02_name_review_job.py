"""look-alike names checked by a job: when each lead's name was last compared with the others

Revision ID: 6f4a2b8d1e35
Revises: 2c6d9e1f4a70
Create Date: 2026-12-02 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '6f4a2b8d1e35'
down_revision = '2c6d9e1f4a70'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('lead', sa.Column('names_checked_at', sa.DateTime(timezone=True), nullable=True), schema='intake')
    # The leads before this were compared as they were registered.
    op.execute("UPDATE intake.lead SET names_checked_at = created_at")
    op.create_index('ix_lead_names_unchecked', 'lead', ['created_at', 'id'], unique=False, schema='intake',
                    postgresql_where=sa.text('names_checked_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_lead_names_unchecked', table_name='lead', schema='intake')
    op.drop_column('lead', 'names_checked_at', schema='intake')
