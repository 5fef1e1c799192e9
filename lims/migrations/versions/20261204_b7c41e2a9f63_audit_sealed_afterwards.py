"""Audit entries numbered by a database sequence and chained afterwards by a sealing step.

Writers no longer take the single ``audit_head`` row: each entry gets its number from a
sequence (``audit_entry_seq`` on PostgreSQL; SQLite serialises writers already and numbers
from the highest entry) and carries ``mac``, a keyed seal of its content and number, and
``row_seal``, the audited row's seal after it. The sealing step (``lims audit seal``, ``lims
tick``, and opportunistically after writes) gives entries a chain position ``pos`` and a link
``hash``; ``audit_head`` becomes the sealed head, touched by the sealing step only.

Existing chains are upgraded in place: every entry already written is sealed as it stands
(``pos`` = ``seq``, its hash unchanged), so ``lims audit verify`` passes right after the
upgrade. The append-only guard now lets exactly one UPDATE through: sealing an unsealed entry
(setting ``pos``, ``prev_hash`` and ``hash``, nothing else).

``cache_bumps``: append-only marks of what changed (a stall, a market), for the page cache.

Revision ID: b7c41e2a9f63
Revises: c4d1e8a7b920
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e2a9f63'
down_revision = "c4d1e8a7b920"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit entries are append-only"
# Every column but the three the sealing step sets.
CONTENT = ("id", "seq", "at", "user_id", "actor", "ip", "action", "subject_type", "subject_id", "batch_id",
           "before", "after", "reason", "keyed", "row_id", "state", "mac", "row_seal")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_sqlite_guards():
    op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")


def upgrade():
    op.create_table(
        'cache_bumps',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_bumps')),
    )
    op.create_index('ix_cache_bumps_scope', 'cache_bumps', ['scope', 'id'], unique=False)
    if _sqlite():
        _drop_sqlite_guards()  # the batch copy below would drop them anyway; recreated at the end
    else:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change")
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pos', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_seal', sa.String(length=32), nullable=True))
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entries_pos'), ['pos'])
    op.execute("UPDATE audit_entries SET pos = seq")  # the existing chain, sealed as it stands
    op.create_index('ix_audit_unsealed', 'audit_entries', ['seq'], unique=False,
                    postgresql_where=sa.text("pos IS NULL"), sqlite_where=sa.text("pos IS NULL"))
    if _sqlite():
        unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT)
        op.execute(f"CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
                   f"WHEN NOT (OLD.pos IS NULL AND OLD.hash IS NULL AND NEW.pos IS NOT NULL AND {unchanged}) "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        op.execute(f"CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    else:
        op.execute("CREATE SEQUENCE audit_entry_seq AS bigint")
        op.execute("SELECT setval('audit_entry_seq', (SELECT coalesce(max(seq), 0) + 1 FROM audit_entries), false)")
        op.execute(f"""CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD.pos IS NULL AND OLD.hash IS NULL AND NEW.pos IS NOT NULL
                   AND (to_jsonb(NEW) - 'pos' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'pos' - 'prev_hash' - 'hash')
                THEN
                    RETURN NEW;  -- the sealing step chaining an entry, nothing else
                END IF;
                RAISE EXCEPTION '{APPEND_ONLY}';
            END $$ LANGUAGE plpgsql""")
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change")


def downgrade():
    op.drop_index('ix_cache_bumps_scope', table_name='cache_bumps')
    op.drop_table('cache_bumps')
    if _sqlite():
        _drop_sqlite_guards()
    else:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change")
    op.drop_index('ix_audit_unsealed', table_name='audit_entries')
    # Entries never sealed have no hash in the old sense; the old schema requires one.
    op.execute("UPDATE audit_entries SET prev_hash = coalesce(prev_hash, ''), hash = coalesce(hash, '')")
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entries_pos'), type_='unique')
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('row_seal')
        batch_op.drop_column('mac')
        batch_op.drop_column('pos')
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    else:
        op.execute("DROP SEQUENCE IF EXISTS audit_entry_seq")
        op.execute(f"""CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql""")
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change")
