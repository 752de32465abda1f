"""a session signed in through OIDC keeps its ID token, for the provider's sign-out (id_token_hint)

Revision ID: 3b7e9c1d5a42
Revises: 8d3f2b6a4c10
Create Date: 2026-12-02 00:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3b7e9c1d5a42'
down_revision = '8d3f2b6a4c10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('web_session', sa.Column('id_token', sa.Text(), nullable=True), schema='workbench')


def downgrade() -> None:
    op.drop_column('web_session', 'id_token', schema='workbench')
