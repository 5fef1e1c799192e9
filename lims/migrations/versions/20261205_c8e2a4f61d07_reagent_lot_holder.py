"""Reagent lots held by a testing organisation: a district's administrator manages the kit
lots of the testing organisations in their part of the tree; a lot held by none is the
deployment's (kept and changed by its administrator, usable everywhere). Existing lots are
held by none, so nothing anyone could do changes.

Revision ID: c8e2a4f61d07
Revises: d8f2a61c3e57
Create Date: 2026-12-05 08:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c8e2a4f61d07'
down_revision = 'd8f2a61c3e57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reagent_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reagent_lots_org_id'), ['org_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reagent_lots_org_id_organisations'), 'organisations',
                                    ['org_id'], ['id'])


def downgrade():
    with op.batch_alter_table('reagent_lots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reagent_lots_org_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reagent_lots_org_id'))
        batch_op.drop_column('org_id')
