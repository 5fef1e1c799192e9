"""Traceback reads the supplier's batches around a date (and where and how each stands) from
the (supplier_id, sampled_at) index alone on PostgreSQL: the index carries id, site_id and status.
A batch page read a heap page per batch of that supplier's fortnight (2,000 of them, 18 ms, at
ten million results with thirty suppliers).

Revision ID: a3f9c2e7d184
Revises: e5a7c3f92b14
Create Date: 2026-12-06 02:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3f9c2e7d184'
down_revision = 'e5a7c3f92b14'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_batches_supplier_sampled", table_name="batches")
        op.create_index("ix_batches_supplier_sampled", "batches", ["supplier_id", "sampled_at"],
                        postgresql_include=["id", "site_id", "status"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_batches_supplier_sampled", table_name="batches")
        op.create_index("ix_batches_supplier_sampled", "batches", ["supplier_id", "sampled_at"])
