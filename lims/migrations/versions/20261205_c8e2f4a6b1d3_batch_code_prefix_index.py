"""The day's batch codes found by prefix from an index on PostgreSQL (varchar_pattern_ops):
registering a batch read the whole batches table to number its code (a quarter of a second at
five million batches).

Revision ID: c8e2f4a6b1d3
Revises: b41c7e2d9a63
Create Date: 2026-12-05 08:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8e2f4a6b1d3'
down_revision = 'b41c7e2d9a63'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_batches_code_pattern", "batches", ["code"],
                        postgresql_ops={"code": "varchar_pattern_ops"})


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_batches_code_pattern", table_name="batches")
