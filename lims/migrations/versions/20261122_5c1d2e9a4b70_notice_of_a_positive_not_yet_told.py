"""A notice kind for a positive whose seller has not been told yet (not_notified).

Revision ID: 5c1d2e9a4b70
Revises: ef63a7865b8e
Create Date: 2026-11-22 12:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1d2e9a4b70'
down_revision = 'ef63a7865b8e'
branch_labels = None
depends_on = None

BEFORE = ("positive", "window_closing", "overdue", "supplier_alert")
AFTER = BEFORE + ("not_notified",)


def _kinds(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _replace_check(kinds) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind_enum'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind_enum'), _kinds(kinds))


def upgrade():
    _replace_check(AFTER)


def downgrade():
    op.execute(sa.text("DELETE FROM notifications WHERE kind = 'not_notified'"))
    _replace_check(BEFORE)
