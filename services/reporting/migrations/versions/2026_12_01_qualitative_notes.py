"""qualitative notes and keyed hashes of known company names

The coordinator's notes (learning effects, why companies chose, one coherent ecosystem) with their review, and
the keyed hashes the identity check compares them with. Not projections: a rebuild leaves them alone.

Revision ID: 3f6b8d2a9c41
Revises: b5488f01756e
Create Date: 2026-12-01 13:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '3f6b8d2a9c41'
down_revision = 'b5488f01756e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qualitative_note',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_by', sa.String(length=100), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reviewed_by', sa.String(length=100), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualitative_note')),
    schema='reporting'
    )
    op.create_index('ix_qualitative_note_period', 'qualitative_note', ['period'], unique=False, schema='reporting')
    op.create_table('known_name',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_known_name')),
    schema='reporting'
    )


def downgrade() -> None:
    op.drop_table('known_name', schema='reporting')
    op.drop_index('ix_qualitative_note_period', table_name='qualitative_note', schema='reporting')
    op.drop_table('qualitative_note', schema='reporting')
