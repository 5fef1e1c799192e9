"""A reviewer may send a result back (rejected): it stays as a reviewed, non-current version.

Revision ID: 8e3b6a1f0c25
Revises: 7a3e9d1c5b20
Create Date: 2026-12-04 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e3b6a1f0c25'
down_revision = "7a3e9d1c5b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rejected', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('rejected')
