"""The migrations are the schema: upgraded, the database matches the models exactly (no drift
between ``lims/models`` and ``lims/migrations``); downgraded, nothing is left; upgraded again,
it works, audit guards included — on SQLite and on PostgreSQL alike."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import make_test_app, scratch_database

pytestmark = pytest.mark.xdist_group("migrations")


@pytest.fixture
def fresh_app(tmp_path_factory, worker_id):
    app = make_test_app(scratch_database(tmp_path_factory, worker_id, "migrations"),
                        tmp_path_factory.mktemp("migrations-data"))
    yield app
    from lims.extensions import db

    with app.app_context():
        db.engine.dispose()


def _differences(db) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def test_upgrade_gives_the_models_schema_and_downgrade_removes_it(fresh_app):
    from flask_migrate import downgrade, upgrade

    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()
        assert _differences(db) == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"batches", "results", "dispositions", "audit_entries", "imports"} <= tables
        downgrade(revision="base")
        db.engine.dispose()
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _differences(db) == []
        _assert_trail_guarded(db)


def _assert_trail_guarded(db) -> None:
    """The append-only guards came back with the second upgrade."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_entries (seq, at, action, subject_type, subject_id, prev_hash, hash) "
                             "VALUES (1, :at, 'test', 'test', '1', :h, :h)"),
                     {"at": "2026-11-22 00:00:00.000000", "h": "0" * 64})
    with pytest.raises(sa.exc.DatabaseError):
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_entries"))


@pytest.mark.live  # db.session on this test's own database, committing for real
def test_an_existing_chain_is_upgraded_in_place_to_sealed_entries(fresh_app):
    """A trail written by the locking design (each entry's keyed hash over the previous one,
    the head row holding the last) is sealed as it stands by the upgrade: verify passes, and
    entries written afterwards are chained after it by the sealing step."""
    from flask_migrate import downgrade, upgrade

    from lims.accounts.access import Actor
    from lims.audit.chain import GENESIS, entry_hash
    from lims.audit.key import audit_key
    from lims.audit.services import record, seal, verify
    from lims.database import utcnow
    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()  # whatever this worker's scratch database holds: up, then down to nothing (the way down
        downgrade(revision="base")  # passes through this revision's downgrade), then up to before it
        db.engine.dispose()
        upgrade(revision="c4d1e8a7b920")
        key, prev, now = audit_key(), GENESIS, utcnow()
        for seq in range(1, 6):
            content = dict(seq=seq, at=now, user_id=None, actor="old", ip=None, action="test.old",
                           subject_type="test", subject_id=str(seq), batch_id=None, before=None,
                           after={"n": seq}, reason=None)
            h = entry_hash(prev, key=key, row_id=None, state=None, **content)
            db.session.execute(sa.text(
                "INSERT INTO audit_entries (seq, at, actor, action, subject_type, subject_id, after, prev_hash, hash, "
                "keyed) VALUES (:seq, :at, 'old', 'test.old', 'test', :sid, :after, :prev, :h, :keyed)"),
                {"seq": seq, "at": now if db.engine.dialect.name != "sqlite" else now.replace(tzinfo=None),
                 "sid": str(seq), "after": '{"n": %d}' % seq, "prev": prev, "h": h, "keyed": True})
            prev = h
        db.session.execute(sa.text("UPDATE audit_head SET seq = 5, last_hash = :h"), {"h": prev})
        db.session.commit()
        upgrade()
        result = verify()
        assert result.ok and (result.sealed, result.unsealed) == (5, 0), result
        record(Actor(user=None, ip="test"), "test.new", "test", "6")
        db.session.commit()
        result = verify()
        assert result.ok and (result.sealed, result.unsealed) == (5, 1), result
        assert seal() == 1
        db.session.commit()
        result = verify()
        assert result.ok and (result.sealed, result.unsealed) == (6, 0), result
        seq = db.session.execute(sa.text("SELECT seq FROM audit_entries WHERE action = 'test.new'")).scalar()
        assert seq == 6  # numbering goes on after the upgraded chain
        db.session.remove()
