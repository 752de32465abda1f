"""site live indexes: the catalogue page reads its page by name and its counts per municipality from partial
indexes of the live sites, not from every site's record

Revision ID: 5f2a8c7d1e93
Revises: 8d3f1a6c2e47
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '5f2a8c7d1e93'
down_revision = '8d3f1a6c2e47'
branch_labels = None
depends_on = None

# The same predicate as services.matching.orm.LIVE_SITE, written here as it was when this revision was made.
LIVE_SITE = "record <> '{}'::jsonb AND (record ->> 'retired')::boolean IS NOT TRUE"


def upgrade() -> None:
    op.create_index('ix_site_live_by_name', 'site', [sa.text('lower(name)'), 'id'], unique=False,
                    schema='matching', postgresql_where=sa.text(LIVE_SITE))
    op.create_index('ix_site_live_municipality', 'site', ['municipality_code'], unique=False,
                    schema='matching', postgresql_where=sa.text(LIVE_SITE))


def downgrade() -> None:
    op.drop_index('ix_site_live_municipality', table_name='site', schema='matching')
    op.drop_index('ix_site_live_by_name', table_name='site', schema='matching')
