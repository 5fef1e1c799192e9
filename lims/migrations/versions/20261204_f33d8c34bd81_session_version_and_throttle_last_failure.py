"""Sign-in: a session version per user ("sign out everywhere") and the time of an account's
or address's last failed sign-in (failures are forgotten after a quiet spell).

Revision ID: f33d8c34bd81
Revises: 5c1d2e9a4b70
Create Date: 2026-12-04 16:50:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'f33d8c34bd81'
down_revision = '5c1d2e9a4b70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_column('last_failure_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
