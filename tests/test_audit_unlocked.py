"""Writers never queue on one row for the audit trail (issue 15): entries are numbered by a
database sequence and chained afterwards by the sealing step, which never holds a writer.
On a real, committed database (SQLite file or PostgreSQL)."""
from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa

from tests.live import dispose, live_app

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def uapp(tmp_path_factory, worker_id):
    """On PostgreSQL: the suite's database, or in the SQLite pass the one LIMS_TEST_PG_URL names
    (CI sets it), since only PostgreSQL has concurrent writers to show."""
    base, pg = os.environ.get("LIMS_TEST_DATABASE_URL", ""), os.environ.get("LIMS_TEST_PG_URL", "")
    swap = not base.startswith("postgresql") and pg.startswith("postgresql")
    if swap:
        os.environ["LIMS_TEST_DATABASE_URL"] = pg
    try:
        app = live_app(tmp_path_factory, worker_id, "unlocked")
    finally:
        if swap:
            os.environ.pop("LIMS_TEST_DATABASE_URL") if not base else os.environ.__setitem__("LIMS_TEST_DATABASE_URL", base)
    yield app
    dispose(app)


def _postgres(app) -> bool:
    from lims.extensions import db

    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _note(i, reason="concurrent"):
    from lims.accounts.access import Actor
    from lims.audit.services import record

    return record(Actor(user=None, ip=f"t{i}"), "test.note", "test", str(i), reason=reason)


def test_two_open_write_transactions_both_write_entries(uapp):
    """Two transactions each write an entry and keep their transaction open until the other
    has written too. With writers queueing on the audit head the second would wait for the
    first's commit — here a lock_timeout of 2 s would fail it and the barrier would break."""
    if not _postgres(uapp):
        pytest.skip("SQLite serialises write transactions by design (one writer at a time)")
    from lims.extensions import db

    barrier = threading.Barrier(2)
    errors, seqs = [], []

    def writer(i):
        with uapp.app_context():
            try:
                db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                seqs.append(_note(i))
                barrier.wait(timeout=10)  # both entries written, neither transaction committed
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
                db.session.rollback()
                barrier.abort()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(set(seqs)) == 2


def test_sealing_neither_waits_for_nor_holds_writers_and_chains_late_entries(uapp):
    """A writer took its number and keeps its transaction open; another writes and commits; the
    sealing step (lock_timeout 2 s) chains what is committed without waiting; the late writer
    commits, and the next sealing chains its lower-numbered entry after the others. Verify
    passes throughout."""
    if not _postgres(uapp):
        pytest.skip("SQLite serialises write transactions by design (one writer at a time)")
    from lims.audit.services import seal, verify
    from lims.extensions import db
    from lims.models import AuditEntry

    late_written, late_go, errors = threading.Event(), threading.Event(), []
    late = {}

    def late_writer():
        with uapp.app_context():
            try:
                late["seq"] = _note(100, "late")
                late_written.set()
                assert late_go.wait(timeout=30)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                late_written.set()

    thread = threading.Thread(target=late_writer)
    thread.start()
    assert late_written.wait(timeout=30)
    with uapp.app_context():
        early = _note(101, "early")
        db.session.commit()
        db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        assert early > late["seq"]
        assert seal() >= 1
        db.session.commit()
        late_go.set()
        thread.join(timeout=30)
        assert not errors, errors
        seal()
        db.session.commit()
        pos = dict(db.session.execute(sa.select(AuditEntry.seq, AuditEntry.pos)
                                      .where(AuditEntry.seq.in_([late["seq"], early]))).all())
        assert None not in pos.values()
        assert pos[late["seq"]] > pos[early]  # chained in the order it became visible
        result = verify()
        assert result.ok and result.unsealed == 0, result


def test_many_writers_at_once_then_sealed_and_verified(uapp):
    from lims.audit.services import seal, verify
    from lims.extensions import db

    errors = []
    barrier = threading.Barrier(8)

    def writer(i):
        with uapp.app_context():
            try:
                barrier.wait(timeout=10)
                for j in range(5):
                    _note(1000 + i * 10 + j)
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with uapp.app_context():
        before = verify()
        assert before.ok and before.unsealed >= 40, before
        seal()
        db.session.commit()
        after = verify()
        assert after.ok and after.unsealed == 0 and after.sealed == before.checked, after
