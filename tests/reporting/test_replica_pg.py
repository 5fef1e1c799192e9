"""Reports and dashboards on a real PostgreSQL streaming replica: the test starts a primary of its
own (``initdb``) and a hot standby cloned from it (``pg_basebackup -R``), each on a free port, and
points ``LIMS_DATABASE_REPLICA_URL`` at the standby.

- reports read the replica (its data, not the primary's: with replay paused, what the primary
  wrote since is not in the report) and print its lag on the as-of line;
- nothing is ever written there (the read session refuses to flush; the standby refuses SQL writes);
- once replay resumes the report catches up, with no lag to speak of.

Needs PostgreSQL's server binaries (``/usr/lib/postgresql/15/bin``, or ``LIMS_PG_BIN``). Run as
root (CI) the servers run as the ``postgres`` OS user — initdb refuses root — in a directory it
owns."""
from __future__ import annotations

import io
import time
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_PASSWORD, Client, make_test_app, migrate_and_load
from tests.pg_cluster import Cluster, missing, wait_caught_up

MONTH = date(2026, 11, 1)
SAMPLED = datetime(2026, 11, 15, 4, 0, tzinfo=timezone.utc)

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def cluster():
    reason = missing()
    if reason:
        pytest.skip(reason)
    c = Cluster()
    try:
        c.start()
        yield c
    finally:
        c.stop()


def on_replica(cluster, sql: str):
    engine = sa.create_engine(cluster.url(cluster.replica_port, "lims_jobs_replica"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).all()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def replica_app(cluster, tmp_path_factory):
    admin = sa.create_engine(cluster.url(cluster.primary_port), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('CREATE DATABASE "lims_jobs_replica"')
    admin.dispose()
    app = make_test_app(cluster.url(cluster.primary_port, "lims_jobs_replica"), tmp_path_factory.mktemp("replica-data"),
                        DATABASE_REPLICA_URL=cluster.url(cluster.replica_port, "lims_jobs_replica"),
                        REPORT_ISSUER="测试区市场监督管理局")
    migrate_and_load(app)
    yield app
    from lims import replica
    from lims.extensions import db

    with app.app_context():
        replica.dispose()
        db.session.remove()
        db.engine.dispose()


def add_batches(app, codes) -> None:
    """Batches sampled in MONTH and not tested: the report counts them (``batches_untested``)."""
    from lims.extensions import db
    from lims.models import Batch, Site

    with app.app_context():
        site = db.session.execute(sa.select(Site).where(Site.code == "RP")).scalar_one_or_none()
        if site is None:
            site = Site(code="RP", name="副本市场", kind="market")
            db.session.add(site)
            db.session.flush()
        db.session.execute(sa.insert(Batch), [
            {"code": code, "site_id": site.id, "food": "青菜", "sampled_at": SAMPLED, "status": "registered",
             "row_version": 1} for code in codes])
        db.session.commit()
        db.session.remove()


def untested_on_report(app, user_id):
    """(batches_untested, the ReplicaRead or None) of the monthly report as the app builds it."""
    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import User
    from lims.replica import read_session
    from lims.reporting.monthly import build_monthly

    with app.test_request_context("/"):
        actor = Actor(user=db.session.get(User, user_id), ip="test")
        with read_session() as source:
            report = build_monthly(actor, MONTH, None, source=source)
        db.session.remove()
    return report.current.batches_untested, source


def workbook_lines(app, user_id) -> list[str]:
    from openpyxl import load_workbook

    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import User
    from lims.reporting.monthly import monthly_xlsx

    with app.test_request_context("/"):
        data = monthly_xlsx(Actor(user=db.session.get(User, user_id), ip="test"), MONTH)
        db.session.remove()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def test_reports_read_the_replica_and_show_its_lag(cluster, replica_app):
    from werkzeug.security import generate_password_hash

    from lims.extensions import db
    from lims.models import Site, User
    from lims.replica import read_session

    app = replica_app
    with app.app_context():
        user = User(username="reg", display_name="监管员", role="admin",
                    password_hash=generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000"))
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    add_batches(app, [f"REP-{n:04d}" for n in range(7)])
    wait_caught_up(cluster)

    # Caught up: the report's figures come from the replica, which is no lag behind.
    untested, source = untested_on_report(app, user_id)
    assert untested == 7 and source is not None and source.lag_seconds <= 1
    with app.test_request_context("/"):
        with read_session():
            server = db.session.execute(sa.text("SELECT inet_server_port(), pg_is_in_recovery()")).one()
            assert tuple(server) == (cluster.replica_port, True)
            # Never written: the session refuses to flush, the standby refuses SQL writes.
            db.session.add(Site(code="NO", name="不应写入", kind="market"))
            with pytest.raises(RuntimeError, match="never writes"):
                db.session.flush()
            db.session.expunge_all()
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                db.session.execute(sa.text("UPDATE sites SET name = 'x'"))
        # The request's own session is back, on the primary.
        assert db.session.execute(sa.text("SELECT pg_is_in_recovery()")).scalar_one() is False
        db.session.remove()

    # Replay paused: the primary moves on, the replica's report does not, and says how far behind.
    on_replica(cluster, "SELECT pg_wal_replay_pause()")
    try:
        add_batches(app, [f"REP-{n:04d}" for n in range(7, 12)])
        time.sleep(2.2)
        untested, source = untested_on_report(app, user_id)
        assert untested == 7 and source.lag_seconds >= 2
        lines = workbook_lines(app, user_id)
        notes = [c for c in lines if "副本延迟" in c]
        assert len(notes) == 1 and notes[0].startswith("数据截至 ") and notes[0].endswith(" 秒）。"), notes
        assert int(notes[0].split("副本延迟 ")[1].split(" ")[0]) >= 2
        with app.app_context():  # the primary has them
            from lims.models import Batch

            assert db.session.execute(sa.select(sa.func.count()).select_from(Batch)).scalar_one() == 12
            db.session.remove()
        # The dashboards say it too.
        client = Client(app.test_client())
        with app.app_context():
            client.login(db.session.get(User, user_id))
            db.session.remove()
        page = client.get("/dashboard")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "data-replica-lag=" in html and "副本延迟" in html
        site_page = client.get("/sites/RP")
        assert site_page.status_code == 200 and "副本延迟" in site_page.get_data(as_text=True)
    finally:
        on_replica(cluster, "SELECT pg_wal_replay_resume()")

    wait_caught_up(cluster)
    untested, source = untested_on_report(app, user_id)
    assert untested == 12 and source.lag_seconds <= 1
