"""initial schema: sessions and the audit trail

Revision ID: 5c0a7e1b9d21
Revises:
Create Date: 2026-12-01 15:40:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '5c0a7e1b9d21'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session')),
    schema='workbench'
    )
    op.create_index(op.f('ix_workbench_web_session_username'), 'web_session', ['username'], unique=False,
                    schema='workbench')
    op.create_table('audit_entry',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('organisation', sa.String(length=60), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=200), server_default='', nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    schema='workbench'
    )
    op.create_index(op.f('ix_workbench_audit_entry_username'), 'audit_entry', ['username'], unique=False,
                    schema='workbench')


def downgrade() -> None:
    op.drop_index(op.f('ix_workbench_audit_entry_username'), table_name='audit_entry', schema='workbench')
    op.drop_table('audit_entry', schema='workbench')
    op.drop_index(op.f('ix_workbench_web_session_username'), table_name='web_session', schema='workbench')
    op.drop_table('web_session', schema='workbench')
