"""origin progress at join: what of its case's progress a joining lead's ROM does not see

Revision ID: 5e1f3a9b2c47
Revises: c1d0f2cc8bd6
Create Date: 2026-12-01 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5e1f3a9b2c47'
down_revision = 'c1d0f2cc8bd6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('lead_origin', sa.Column('revision_at_join', sa.Integer(), server_default='0', nullable=False),
                  schema='intake')
    op.add_column('lead_origin', sa.Column('closed_at_join', sa.Boolean(), server_default='false', nullable=False),
                  schema='intake')


def downgrade() -> None:
    op.drop_column('lead_origin', 'closed_at_join', schema='intake')
    op.drop_column('lead_origin', 'revision_at_join', schema='intake')
