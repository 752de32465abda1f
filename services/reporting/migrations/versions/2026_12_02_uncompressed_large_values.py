"""uncompressed large values: the outbox's payloads are stored out of line without pglz compression

A match-proposed event (7.5 KB) and a match's proposals (6 KB) were compressed on every insert: measured on a batch
of 250 (EXPLAIN ANALYZE), the outbox insert took 49 ms compressed and 16 ms not, the matches' 73 ms and 40 ms.
The rows are written once and read a few times (an outbox row once, by the relay); the disk they take is larger
(2-3 times), for a few days (outbox retention) or for the programme's few cases.

Revision ID: 32bead604f4c
Revises: 3f6b8d2a9c41
Create Date: 2026-12-02 21:50:00
"""
from alembic import op

revision = '32bead604f4c'
down_revision = '3f6b8d2a9c41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('ALTER TABLE reporting.outbox ALTER COLUMN payload SET STORAGE EXTERNAL')


def downgrade() -> None:
    op.execute('ALTER TABLE reporting.outbox ALTER COLUMN payload SET STORAGE EXTENDED')
