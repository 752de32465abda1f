"""site catalogue row: the catalogue's numbers of a site computed when it is written, read by one binary COPY

Revision ID: 6e2b9c4d8a13
Revises: 4c7d2e9a1b58
Create Date: 2026-12-01 19:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '6e2b9c4d8a13'
down_revision = '4c7d2e9a1b58'
branch_labels = None
depends_on = None

# services.matching.site_columns.packed_expression() at this revision (a test checks they agree): the catalogue
# columns in site_columns.COLUMNS order, each big-endian (float4send, int4send, int2send). A change of the
# catalogue's columns is a new revision that replaces the function and rewrites the rows.
PACKED = (
    "float4send((coalesce((record->>'floor_space_m2')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'planned_floor_space_m2')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'largest_lot_m2')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'cleanroom_m2')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'grid_mw_available')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'grid_mw_after_reinforcement')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'graduates_mbo')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'graduates_hbo')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'graduates_wo')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'labour_market_tightness')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'housing_pressure')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((record->>'knowledge_distance_km')::float4, 'NaN'))::float4)" ' || '
    "int4send((coalesce((record->>'planned_available_from')::date - DATE '1970-01-01', 2147483647))::int4)" ' || '
    "int4send((coalesce((record->>'available_from')::date - DATE '1970-01-01', -2147483648))::int4)" ' || '
    "int4send((coalesce((record->>'grid_reinforcement_date')::date - DATE '1970-01-01', 2147483647))::int4)" ' || '
    "float4send((coalesce((record->>'cleanroom_iso_class')::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce(((record->>'vibration_free')::boolean)::int::float4, 'NaN'))::float4)" ' || '
    "float4send((coalesce((array_position(ARRAY['1', '2', '3.1', '3.2', '4.1', '4.2', '5', '6']::text[], (record->>'environmental_category_max')) - 1)::float4, 'NaN'))::float4)" ' || '
    "int2send(((CASE (record->>'cleanroom_facility') WHEN 'shared' THEN 1 WHEN 'own' THEN 2 ELSE 0 END))::int2)" ' || '
    "float4send((coalesce((array_position(ARRAY['none', 'pre-congestion', 'congested']::text[], (record->>'grid_congestion')) - 1)::float4, 'NaN'))::float4)" ' || '
    "int2send((coalesce(jsonb_array_length(record->'fieldlabs'), 0))::int2)" ' || '
    "int2send((coalesce(array_position(ARRAY['noord', 'oost', 'zuid', 'west', 'midden']::text[], (record->>'region')), 0) - 1)::int2)" ' || '
    "int2send((((record->'accessibility') ? 'rail')::int * 1 + ((record->'accessibility') ? 'motorway')::int * 2 + ((record->'accessibility') ? 'port')::int * 4 + ((record->'accessibility') ? 'airport')::int * 8 + ((record->'accessibility') ? 'public-transport')::int * 16)::int2)" ' || '
    "int2send((((record->'clusters') ? 'optical-systems-integrated-photonics')::int * 1 + ((record->'clusters') ? 'quantum-technologies')::int * 2 + ((record->'clusters') ? 'process-technology')::int * 4 + ((record->'clusters') ? 'biomolecular-cell-technologies')::int * 8 + ((record->'clusters') ? 'imaging-technologies')::int * 16 + ((record->'clusters') ? 'mechatronics-optomechatronics')::int * 32 + ((record->'clusters') ? 'artificial-intelligence-data-science')::int * 64 + ((record->'clusters') ? 'energy-materials')::int * 128 + ((record->'clusters') ? 'semiconductor-technologies')::int * 256 + ((record->'clusters') ? 'cybersecurity-technologies')::int * 512 + ((record->'clusters') ? 'strategic-pharmaceuticals')::int * 1024 + ((record->'clusters') ? 'strategic-defence')::int * 2048 + ((record->'clusters') ? 'strategic-autonomy')::int * 4096)::int2)" ' || '
    "int2send((coalesce((record->>'retired')::boolean, false)::int)::int2)"
)


def upgrade() -> None:
    op.add_column('site', sa.Column('catalogue_row', sa.LargeBinary(), nullable=True), schema='matching')
    # Each write stamps its transaction (the refresh's change number) and computes the row's numbers, so a load
    # reads fixed-width bytes instead of extracting some thirty fields from every record's JSON. A row without a
    # record (an empty placeholder) has none and is never loaded.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION matching.stamp_site_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_xid := pg_current_xact_id()::text::bigint;
            NEW.catalogue_row := (SELECT CASE WHEN record = '{{}}'::jsonb THEN NULL ELSE {PACKED} END
                                  FROM (SELECT NEW.record AS record) AS site);
            RETURN NEW;
        END $$""")
    op.execute("UPDATE matching.site SET record = record")


def downgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION matching.stamp_site_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_xid := pg_current_xact_id()::text::bigint;
            RETURN NEW;
        END $$""")
    op.drop_column('site', 'catalogue_row', schema='matching')
