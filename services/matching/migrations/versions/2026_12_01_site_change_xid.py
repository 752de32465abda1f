"""site change xid: the catalogue refresh reads what changed since the last one by transaction number

Revision ID: 4c7d2e9a1b58
Revises: ba62f4967e93
Create Date: 2026-12-01 18:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = '4c7d2e9a1b58'
down_revision = 'ba62f4967e93'
branch_labels = None
depends_on = None

# The transaction that wrote the row (64-bit, never wraps). Not a nextval(): sequence numbers are taken in one
# order and committed in another, so "everything above the last number seen" would skip a slow transaction's
# row for good; with the writing transaction's id, a refresh reads everything at or above the oldest
# transaction still running at the previous refresh (pg_snapshot_xmin), which covers every late commit.
XID = "pg_current_xact_id()::text::bigint"


def upgrade() -> None:
    for table in ('site', 'site_change'):
        # 0 for the rows there now (read by the first full load), then each new write's transaction.
        op.add_column(table, sa.Column('changed_xid', sa.BigInteger(), server_default='0', nullable=False),
                      schema='matching')
        op.alter_column(table, 'changed_xid', server_default=sa.text(XID), schema='matching')
    # An UPDATE does not apply defaults: a trigger stamps every insert and update of a site, from any statement.
    op.execute(f"""
        CREATE FUNCTION matching.stamp_site_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_xid := {XID};
            RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER site_changed_xid BEFORE INSERT OR UPDATE ON matching.site "
               "FOR EACH ROW EXECUTE FUNCTION matching.stamp_site_change()")
    op.create_index('ix_site_changed_xid', 'site', ['changed_xid'], schema='matching')
    op.drop_index('ix_site_change_deleted', table_name='site_change', schema='matching',
                  postgresql_where=sa.text("action = 'deleted'"))
    op.create_index('ix_site_change_deleted', 'site_change', ['changed_xid'], schema='matching',
                    postgresql_where=sa.text("action = 'deleted'"))


def downgrade() -> None:
    op.drop_index('ix_site_change_deleted', table_name='site_change', schema='matching',
                  postgresql_where=sa.text("action = 'deleted'"))
    op.create_index('ix_site_change_deleted', 'site_change', ['changed_at'], schema='matching',
                    postgresql_where=sa.text("action = 'deleted'"))
    op.drop_index('ix_site_changed_xid', table_name='site', schema='matching')
    op.execute("DROP TRIGGER site_changed_xid ON matching.site")
    op.execute("DROP FUNCTION matching.stamp_site_change()")
    for table in ('site', 'site_change'):
        op.drop_column(table, 'changed_xid', schema='matching')
