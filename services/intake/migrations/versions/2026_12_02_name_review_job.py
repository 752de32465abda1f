"""look-alike names checked by a job: in which order each lead's name was compared with the others

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
    op.add_column('lead', sa.Column('names_checked', sa.BigInteger(), nullable=True), schema='intake')
    # The leads before this were compared as they were registered: checked, in the order they came.
    op.execute("UPDATE intake.lead SET names_checked = n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id)"
               " AS n FROM intake.lead) AS ordered WHERE lead.id = ordered.id")
    op.create_index('ix_lead_names_unchecked', 'lead', ['created_at', 'id'], unique=False, schema='intake',
                    postgresql_where=sa.text('names_checked IS NULL'))
    op.create_index('ix_lead_names_checked', 'lead', ['names_checked'], unique=True, schema='intake',
                    postgresql_where=sa.text('names_checked IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_lead_names_checked', table_name='lead', schema='intake')
    op.drop_index('ix_lead_names_unchecked', table_name='lead', schema='intake')
    op.drop_column('lead', 'names_checked', schema='intake')
