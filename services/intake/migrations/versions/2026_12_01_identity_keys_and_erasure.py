"""identity keys and erasure: each case's identity sealing key; when a lead's identity was erased

Revision ID: 8a3c5e7f9b21
Revises: 5e1f3a9b2c47
Create Date: 2026-12-01 22:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '8a3c5e7f9b21'
down_revision = '5e1f3a9b2c47'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('lead', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True), schema='intake')
    op.create_table(
        'identity_key',
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('key_id', sa.Uuid(), nullable=False),
        sa.Column('key', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['intake.case.id']),
        sa.PrimaryKeyConstraint('case_id'),
        sa.UniqueConstraint('key_id'),
        schema='intake',
    )


def downgrade() -> None:
    op.drop_table('identity_key', schema='intake')
    op.drop_column('lead', 'erased_at', schema='intake')
