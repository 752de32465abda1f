"""outbox rows that cannot be published are parked after a few attempts; published rows expire

Revision ID: f33fcbaf5206
Revises: 5e1d0c7a9b21
Create Date: 2026-12-01 12:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'f33fcbaf5206'
down_revision = '5e1d0c7a9b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('outbox', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False), schema='notifications')
    op.add_column('outbox', sa.Column('last_error', sa.String(length=1000), nullable=True), schema='notifications')
    op.add_column('outbox', sa.Column('parked_at', sa.DateTime(timezone=True), nullable=True), schema='notifications')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', schema='notifications',
                  postgresql_where=sa.text('published_at IS NULL'))
    op.create_index('ix_outbox_pending', 'outbox', ['seq'], unique=False, schema='notifications',
                    postgresql_where=sa.text('published_at IS NULL AND parked_at IS NULL'))
    op.create_index('ix_outbox_parked', 'outbox', ['seq'], unique=False, schema='notifications',
                    postgresql_where=sa.text('parked_at IS NOT NULL'))
    op.create_index('ix_outbox_published_at', 'outbox', ['published_at'], unique=False, schema='notifications',
                    postgresql_where=sa.text('published_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_outbox_published_at', table_name='outbox', schema='notifications',
                  postgresql_where=sa.text('published_at IS NOT NULL'))
    op.drop_index('ix_outbox_parked', table_name='outbox', schema='notifications',
                  postgresql_where=sa.text('parked_at IS NOT NULL'))
    op.drop_index('ix_outbox_pending', table_name='outbox', schema='notifications',
                  postgresql_where=sa.text('published_at IS NULL AND parked_at IS NULL'))
    op.create_index('ix_outbox_unpublished', 'outbox', ['seq'], unique=False, schema='notifications',
                    postgresql_where=sa.text('published_at IS NULL'))
    op.drop_column('outbox', 'parked_at', schema='notifications')
    op.drop_column('outbox', 'last_error', schema='notifications')
    op.drop_column('outbox', 'attempts', schema='notifications')
