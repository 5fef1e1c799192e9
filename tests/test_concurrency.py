"""Concurrent writers on a real, committed database (SQLite file or PostgreSQL): nothing is
lost, the second of two editors gets a clear conflict, the audit chain never forks, and
generated batch codes stay unique."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.live import dispose, live_app

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def capp(tmp_path_factory, worker_id):
    app = live_app(tmp_path_factory, worker_id, "concurrency")
    yield app
    dispose(app)


def _setup(app):
    from werkzeug.security import generate_password_hash

    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    with app.app_context():
        n = db.session.execute(sa.select(sa.func.count(Site.id))).scalar_one()
        site = Site(code=f"C{n}", name=f"并发市场{n}", kind="market")
        stall = Stall(site=site, code="A-01", operator="甲", public_code=f"conc{n:06d}")
        users = [User(username=f"c{n}u{i}", display_name=f"用户{i}", role="reviewer",
                      password_hash=generate_password_hash("x" * 10, method="pbkdf2:sha256:1000")) for i in range(4)]
        db.session.add_all([site, stall, *users])
        db.session.flush()
        now = utcnow()
        actor = Actor(users[0], "test")
        batch = register_batch(actor, BatchInput(site=site, stall=stall, food="猪肉", tests=[get_item("CLB")],
                                                 sampled_at=now - timedelta(hours=2)), now=now)
        result = record_result(actor, batch, ResultInput(item=get_item("CLB"), tc_ratio=Decimal("0.9"),
                                                        tested_at=now - timedelta(hours=1)), now=now)
        db.session.commit()
        return site.id, stall.id, [u.id for u in users], batch.id, result.id, result.row_version


def _run_threads(n, target):
    barrier = threading.Barrier(n)
    outcomes, errors = [None] * n, []

    def wrap(i):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = target(i)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return outcomes


def test_two_editors_of_one_result(capp):
    """Both saw version v; exactly one correction lands, the other gets a Conflict."""
    from lims.accounts.access import Actor
    from lims.errors import Conflict
    from lims.extensions import db
    from lims.models import Result, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, correct_result

    _site, _stall, users, batch_id, result_id, version = _setup(capp)

    def edit(i):
        with capp.app_context():
            result = db.session.get(Result, result_id)
            actor = Actor(db.session.get(User, users[i + 1]), "test")
            try:
                correct_result(actor, result, ResultInput(item=get_item("CLB"), tc_ratio=Decimal("0.85"),
                                                          tested_at=result.tested_at), f"typo {i}", version)
                db.session.commit()
                return "saved"
            except Conflict:
                db.session.rollback()
                return "conflict"
            finally:
                db.session.remove()

    outcomes = _run_threads(2, edit)
    assert sorted(outcomes) == ["conflict", "saved"]
    with capp.app_context():
        versions = db.session.execute(sa.select(Result.version, Result.current).where(
            Result.batch_id == batch_id).order_by(Result.version)).all()
        assert [tuple(v) for v in versions] == [(1, False), (2, True)]


def test_many_writers_keep_the_audit_chain_whole_and_codes_unique(capp):
    from lims.accounts.access import Actor
    from lims.audit.services import verify
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Batch, Site, Stall, User
    from lims.reference.services import get_item

    site_id, stall_id, users, _batch, _result, _v = _setup(capp)
    per_thread = 6

    def write(i):
        codes = []
        for _ in range(per_thread):
            with capp.app_context():
                try:
                    actor = Actor(db.session.get(User, users[i]), "test")
                    site = db.session.get(Site, site_id)
                    b = register_batch(actor, BatchInput(site=site, stall=db.session.get(Stall, stall_id), food="青菜",
                                                         tests=[get_item("OPC")],
                                                         sampled_at=utcnow() - timedelta(minutes=5)))
                    db.session.commit()
                    codes.append(b.code)
                finally:
                    db.session.remove()
        return codes

    outcomes = _run_threads(4, write)
    codes = [c for batch in outcomes for c in batch]
    assert len(codes) == 4 * per_thread == len(set(codes))
    with capp.app_context():
        stored = db.session.execute(sa.select(Batch.code).where(Batch.site_id == site_id)).scalars().all()
        assert set(codes) <= set(stored)
        result = verify()
        assert result.ok, result
        db.session.remove()
