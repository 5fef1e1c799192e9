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
