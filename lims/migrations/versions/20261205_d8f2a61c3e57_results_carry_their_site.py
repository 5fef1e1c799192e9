"""Results carry their batch's site (``results.site_id``), indexed with the test time, so that
a period's figures for some sites read those sites' results alone instead of every site's
results of the period joined to their batches.

An existing database is filled in place: each result gets its batch's site. On PostgreSQL
the update writes a new version of every row wherever there is room, which scatters the
results that were in test-time order and leaves the planner reading the whole table for a
month (ten million results: a city's figure went from 0.1 s to 1.5 s); the table is put back
in test-time order (CLUSTER, 36 s at ten million results) and its statistics renewed.

Revision ID: d8f2a61c3e57
Revises: c8e2f4a6b1d3
Create Date: 2026-12-05 08:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd8f2a61c3e57'
down_revision = 'c8e2f4a6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("UPDATE results SET site_id = b.site_id FROM batches b WHERE b.id = results.batch_id")
        op.execute("CLUSTER results USING ix_results_tested")
    else:
        op.execute("UPDATE results SET site_id = (SELECT b.site_id FROM batches b WHERE b.id = results.batch_id)")
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.alter_column('site_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_results_site_id_sites'), 'sites', ['site_id'], ['id'])
        batch_op.create_index('ix_results_site_tested', ['site_id', 'tested_at', 'id'], unique=False)
    if postgresql:
        op.execute("ANALYZE results")


def downgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index('ix_results_site_tested')
        batch_op.drop_constraint(batch_op.f('fk_results_site_id_sites'), type_='foreignkey')
        batch_op.drop_column('site_id')
