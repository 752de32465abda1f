"""incremental projections: figure deltas per day, amount steps, fact entities and arrival

Figures are no longer folded from every fact on read: `figure_delta` and `amount_step` are maintained in the
same transaction as the facts. After upgrading, `python -m services.reporting rebuild` fills them (and the new
fact columns) from the topics.

Revision ID: 7a1c2e9d4b10
Revises: 64785f69a6a0
Create Date: 2026-12-01 12:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '7a1c2e9d4b10'
down_revision = '64785f69a6a0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('fact', sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True), schema='reporting')
    op.add_column('fact', sa.Column('clamped', sa.Boolean(), server_default=sa.text('false'), nullable=False),
                  schema='reporting')
    op.add_column('fact', sa.Column('case_id', sa.String(length=64), nullable=True), schema='reporting')
    op.add_column('fact', sa.Column('company_ref', sa.String(length=200), nullable=True), schema='reporting')
    op.add_column('fact', sa.Column('lead_id', sa.String(length=64), nullable=True), schema='reporting')
    op.drop_index('ix_fact_topic', table_name='fact', schema='reporting')
    op.create_index('ix_fact_case_id', 'fact', ['case_id'], unique=False, schema='reporting',
                    postgresql_where=sa.text('case_id IS NOT NULL'))
    op.create_index('ix_fact_company_ref', 'fact', ['company_ref'], unique=False, schema='reporting',
                    postgresql_where=sa.text('company_ref IS NOT NULL'))
    op.create_index('ix_fact_lead_id', 'fact', ['lead_id'], unique=False, schema='reporting',
                    postgresql_where=sa.text('lead_id IS NOT NULL'))
    op.create_table('figure_delta',
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('metric', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'bucket', 'metric', 'key', name=op.f('pk_figure_delta')),
    schema='reporting'
    )
    op.create_table('amount_step',
    sa.Column('entity', sa.String(length=80), nullable=False),
    sa.Column('metric', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('entity', 'metric', 'key', 'since', name=op.f('pk_amount_step')),
    schema='reporting'
    )
    op.create_index('ix_amount_step_cell', 'amount_step', ['metric', 'key', sa.text('amount DESC')], unique=False,
                    schema='reporting')
    op.add_column('reported_snapshot', sa.Column('cells', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
                  schema='reporting')


def downgrade() -> None:
    op.drop_column('reported_snapshot', 'cells', schema='reporting')
    op.drop_index('ix_amount_step_cell', table_name='amount_step', schema='reporting')
    op.drop_table('amount_step', schema='reporting')
    op.drop_table('figure_delta', schema='reporting')
    op.drop_index('ix_fact_lead_id', table_name='fact', schema='reporting')
    op.drop_index('ix_fact_company_ref', table_name='fact', schema='reporting')
    op.drop_index('ix_fact_case_id', table_name='fact', schema='reporting')
    op.create_index('ix_fact_topic', 'fact', ['topic'], unique=False, schema='reporting')
    for column in ('lead_id', 'company_ref', 'case_id', 'clamped', 'arrived_at'):
        op.drop_column('fact', column, schema='reporting')
