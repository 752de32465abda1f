"""case work: owners, notes of contacts, follow-up reminders and their daily mails

Revision ID: 8d3f2b6a4c10
Revises: 5c0a7e1b9d21
Create Date: 2026-12-01 18:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '8d3f2b6a4c10'
down_revision = '5c0a7e1b9d21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_owner',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('assigned_by', sa.String(length=64), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_owner')),
    schema='workbench'
    )
    op.create_index(op.f('ix_workbench_case_owner_owner'), 'case_owner', ['owner'], unique=False, schema='workbench')
    op.create_table('case_note',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('contact', sa.String(length=20), nullable=False),
    sa.Column('contact_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note')),
    schema='workbench'
    )
    op.create_index(op.f('ix_workbench_case_note_case_id'), 'case_note', ['case_id'], unique=False,
                    schema='workbench')
    op.create_table('follow_up',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    schema='workbench'
    )
    op.create_index(op.f('ix_workbench_follow_up_case_id'), 'follow_up', ['case_id'], unique=False,
                    schema='workbench')
    op.create_index(op.f('ix_workbench_follow_up_due_on'), 'follow_up', ['due_on'], unique=False,
                    schema='workbench')
    op.create_table('follow_up_mail',
    sa.Column('follow_up_id', sa.Uuid(), nullable=False),
    sa.Column('mailed_on', sa.Date(), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('follow_up_id', 'mailed_on', name=op.f('pk_follow_up_mail')),
    schema='workbench'
    )


def downgrade() -> None:
    op.drop_table('follow_up_mail', schema='workbench')
    op.drop_index(op.f('ix_workbench_follow_up_due_on'), table_name='follow_up', schema='workbench')
    op.drop_index(op.f('ix_workbench_follow_up_case_id'), table_name='follow_up', schema='workbench')
    op.drop_table('follow_up', schema='workbench')
    op.drop_index(op.f('ix_workbench_case_note_case_id'), table_name='case_note', schema='workbench')
    op.drop_table('case_note', schema='workbench')
    op.drop_index(op.f('ix_workbench_case_owner_owner'), table_name='case_owner', schema='workbench')
    op.drop_table('case_owner', schema='workbench')
