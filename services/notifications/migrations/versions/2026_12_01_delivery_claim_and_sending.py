"""delivery claim and sending state: a mail is marked before and after its own SMTP transaction

Revision ID: 5e1d0c7a9b21
Revises: 308068afb5fd
Create Date: 2026-12-01 12:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '5e1d0c7a9b21'
down_revision = '308068afb5fd'
branch_labels = None
depends_on = None

QUEUED = "status IN ('pending', 'sending')"


def upgrade() -> None:
    op.add_column('delivery', sa.Column('claim', sa.Uuid(), nullable=True), schema='notifications')
    op.drop_index('ix_delivery_pending', table_name='delivery', schema='notifications')
    op.create_index('ix_delivery_queued', 'delivery', ['next_attempt_at'], schema='notifications',
                    postgresql_where=sa.text(QUEUED))
    op.create_index('ix_delivery_claim', 'delivery', ['claim'], schema='notifications',
                    postgresql_where=sa.text(QUEUED))


def downgrade() -> None:
    op.execute("UPDATE notifications.delivery SET status = 'pending' WHERE status = 'sending'")
    op.drop_index('ix_delivery_claim', table_name='delivery', schema='notifications')
    op.drop_index('ix_delivery_queued', table_name='delivery', schema='notifications')
    op.create_index('ix_delivery_pending', 'delivery', ['next_attempt_at'], schema='notifications',
                    postgresql_where=sa.text("status = 'pending'"))
    op.drop_column('delivery', 'claim', schema='notifications')
