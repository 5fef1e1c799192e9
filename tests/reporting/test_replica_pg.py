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
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_PASSWORD, Client, make_test_app, migrate_and_load

pytestmark = pytest.mark.live

PG_BIN = Path(os.environ.get("LIMS_PG_BIN", "/usr/lib/postgresql/15/bin"))
MONTH = date(2026, 11, 1)
SAMPLED = datetime(2026, 11, 15, 4, 0, tzinfo=timezone.utc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A primary and its streaming replica in a temporary directory, stopped and removed at the end."""

    def __init__(self):
        self.as_root = os.geteuid() == 0
        # As root, under /tmp itself: a TMPDIR of root's own may not let the postgres user through.
        self.base = Path(tempfile.mkdtemp(prefix="lims-replica-", dir="/tmp" if self.as_root else None))
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
        self.primary, self.replica = self.base / "primary", self.base / "replica"
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.started: list[Path] = []

    def run(self, *args, timeout=60):
        cmd = [str(PG_BIN / args[0]), *map(str, args[1:])]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.base)
        if done.returncode != 0:
            logs = "".join(p.read_text(errors="replace")[-2000:] for p in self.base.glob("*.log"))
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}{logs}")
        return done.stdout

    def _settings(self, datadir: Path, port: int) -> None:
        with open(datadir / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.base}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                       "full_page_writes = off\nshared_buffers = 32MB\nmax_connections = 30\n")

    def start(self) -> None:
        self.run("initdb", "-D", self.primary, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                 "--no-sync")
        self._settings(self.primary, self.primary_port)
        self.run("pg_ctl", "-D", self.primary, "-l", self.base / "primary.log", "-w", "start")
        self.started.append(self.primary)
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres", "-D", self.replica,
                 "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self._settings(self.replica, self.replica_port)  # the copied file named the primary's port: this one wins
        self.run("pg_ctl", "-D", self.replica, "-l", self.base / "replica.log", "-w", "start")
        self.started.append(self.replica)

    def stop(self) -> None:
        for datadir in reversed(self.started):
            try:
                self.run("pg_ctl", "-D", datadir, "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


def _missing() -> str | None:
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL server binaries not found: {PG_BIN / tool} (set LIMS_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a 'postgres' OS user to run the servers (initdb refuses root)"
        if shutil.which("runuser") is None:
            return "running as root needs runuser (util-linux) to start the servers as postgres"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    c = Cluster()
    try:
        c.start()
        yield c
    finally:
        c.stop()


def wait_caught_up(cluster, timeout=30.0) -> None:
    primary = sa.create_engine(cluster.url(cluster.primary_port))
    replica = sa.create_engine(cluster.url(cluster.replica_port))
    try:
        with primary.connect() as p:
            target = p.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar_one()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with replica.connect() as r:
                if r.execute(sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"), {"t": target}).scalar_one():
                    return
            time.sleep(0.1)
        raise AssertionError("the replica did not catch up")
    finally:
        primary.dispose()
        replica.dispose()


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
            report = build_monthly(actor, MONTH, None, source)
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
