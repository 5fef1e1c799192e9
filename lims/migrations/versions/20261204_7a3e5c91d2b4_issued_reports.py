"""Issued monthly reports: number, version, first issue time, issuer and figures digest.

Revision ID: 7a3e5c91d2b4
Revises: 8e3b6a1f0c25
Create Date: 2026-12-04 17:40:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '7a3e5c91d2b4'
down_revision = "8e3b6a1f0c25"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'issued_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('scope_key', sa.String(length=200), nullable=False),
        sa.Column('scope_name', sa.String(length=200), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('first_issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('issued_by_name', sa.String(length=64), nullable=False),
        sa.Column('figures_digest', sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('monthly')", name=op.f('ck_issued_reports_kind_enum')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_issued_reports_issued_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_reports')),
        sa.UniqueConstraint('kind', 'scope_key', 'period', 'version',
                            name=op.f('uq_issued_reports_kind_scope_key_period_version')),
    )


def downgrade():
    op.drop_table('issued_reports')
