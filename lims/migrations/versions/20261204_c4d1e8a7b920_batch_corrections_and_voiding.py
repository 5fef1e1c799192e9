"""Correcting and voiding batches: a voided batch keeps who voided it, when and why; a change
that needs a reviewer (a correction after review, voiding a batch with results) waits in
batch_changes.

Revision ID: c4d1e8a7b920
Revises: 7a3e5c91d2b4
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa

from lims.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'c4d1e8a7b920'
down_revision = '7a3e5c91d2b4'
branch_labels = None
depends_on = None

_OLD = ('registered', 'testing', 'passed', 'retest', 'stopped', 'disputed', 'released', 'confirmed', 'disposed')
_NEW = _OLD + ('voided',)


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_batches_voided_by_id_users'), 'users', ['voided_by_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_batches_status_enum'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_batches_status_enum'), _in(_NEW))
    op.create_table(
        'batch_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('decision_note', sa.String(length=200), nullable=True),
        sa.CheckConstraint("kind IN ('correct', 'void')", name=op.f('ck_batch_changes_kind_enum')),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_batch_changes_status_enum')),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_batch_changes_batch_id_batches')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_batch_changes_decided_by_id_users')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_batch_changes_requested_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_changes')),
    )
    op.create_index('ix_batch_changes_batch', 'batch_changes', ['batch_id', 'id'], unique=False)
    op.create_index('ix_batch_changes_status', 'batch_changes', ['status', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_batch_changes_status', table_name='batch_changes')
    op.drop_index('ix_batch_changes_batch', table_name='batch_changes')
    op.drop_table('batch_changes')
    op.execute("UPDATE batches SET status = 'registered' WHERE status = 'voided'")
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_batches_status_enum'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_batches_status_enum'), _in(_OLD))
        batch_op.drop_constraint(batch_op.f('fk_batches_voided_by_id_users'), type_='foreignkey')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
