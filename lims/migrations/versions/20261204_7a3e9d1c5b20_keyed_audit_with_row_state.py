"""Keyed audit entries carrying the audited row's state; a stored key for report QR codes.

Existing entries stay as they are (keyed = false): the legacy segment, checked with plain
SHA-256; new entries are keyed with LIMS_AUDIT_KEY. Results, batches, dispositions and reagent
lots get a ``seal`` column (HMAC of their audited fields, ``lims.audit.seal``), empty until
``lims audit baseline`` seals the rows that no keyed entry covers yet. The report signing key is generated here, once.

Revision ID: 7a3e9d1c5b20
Revises: f33d8c34bd81
Create Date: 2026-12-04 17:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3e9d1c5b20'
down_revision = "f33d8c34bd81"
branch_labels = None
depends_on = None

SEALED = ('results', 'batches', 'dispositions', 'reagent_lots')


def upgrade():
    # Plain ADD COLUMN (no batch copy): on SQLite a copied table would lose the append-only triggers.
    op.add_column('audit_entries', sa.Column('keyed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('audit_entries', sa.Column('row_id', sa.BigInteger(), nullable=True))
    op.add_column('audit_entries', sa.Column('state', sa.JSON(), nullable=True))
    op.create_index('ix_audit_row', 'audit_entries', ['subject_type', 'row_id', 'seq'], unique=False)
    for name in SEALED:
        op.add_column(name, sa.Column('seal', sa.String(length=32), nullable=True))
    table = op.create_table(
        'report_signing_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_report_signing_key_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_signing_key')),
    )
    op.bulk_insert(table, [{"id": 1, "key": secrets.token_hex(32)}])


def downgrade():
    op.drop_table('report_signing_key')
    op.drop_index('ix_audit_row', table_name='audit_entries')
    for name in SEALED:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {name} DROP COLUMN seal")
        else:
            op.drop_column(name, 'seal')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite ≥ 3.35 drops a column in place (the triggers stay).
        for column in ('state', 'row_id', 'keyed'):
            op.execute(f"ALTER TABLE audit_entries DROP COLUMN {column}")
    else:
        for column in ('state', 'row_id', 'keyed'):
            op.drop_column('audit_entries', column)
