"""site change history

Revision ID: 9b1f4c2d7e10
Revises: fc9ee0175af5
Create Date: 2026-12-01 12:50:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '9b1f4c2d7e10'
down_revision = 'fc9ee0175af5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'site_change',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('site_id', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('changed_by', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('municipality_code', sa.String(length=6), nullable=False),
        sa.Column('province', sa.String(length=60), nullable=False),
        sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('reason', sa.String(length=500), server_default='', nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_change')),
        schema='matching',
    )
    op.create_index('ix_site_change_site', 'site_change', ['site_id', 'id'], unique=False, schema='matching')
    op.create_index('ix_site_change_deleted', 'site_change', ['changed_at'], unique=False, schema='matching',
                    postgresql_where=sa.text("action = 'deleted'"))


def downgrade() -> None:
    op.drop_index('ix_site_change_deleted', table_name='site_change', schema='matching',
                  postgresql_where=sa.text("action = 'deleted'"))
    op.drop_index('ix_site_change_site', table_name='site_change', schema='matching')
    op.drop_table('site_change', schema='matching')
