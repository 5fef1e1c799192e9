"""The real engine: procrastinate on PostgreSQL, `lims init` creating its tables, `lims worker`
processes, and a worker killed with SIGKILL half-way through an import whose job another worker
then finishes — every row once, nothing lost, nothing doubled.

Needs PostgreSQL: LIMS_TEST_DATABASE_URL when it names one, else LIMS_TEST_PG_URL (CI sets it
for the SQLite run too, so that this never skips there)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import conftest as shared
from tests.conftest import make_test_app, migrate_and_load, reset_database

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


def _pg_base() -> str | None:
    for name in ("LIMS_TEST_DATABASE_URL", "LIMS_TEST_PG_URL"):
        url = os.environ.get(name)
        if url and url.startswith("postgresql"):
            return url
    return None


@pytest.fixture
def pg_app(tmp_path_factory, worker_id):
    base = _pg_base()
    if base is None:
        pytest.skip("needs PostgreSQL: set LIMS_TEST_DATABASE_URL or LIMS_TEST_PG_URL")
    url = sa.engine.make_url(base)
    dbname = f"{url.database}_{worker_id}_jobs".lower()[:63]
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    admin.dispose()
    shared._created.append((url, dbname))
    app = make_test_app(url.set(database=dbname).render_as_string(hide_password=False),
                        tmp_path_factory.mktemp("jobs-data"), JOBS_MODE="procrastinate")
    reset_database(app)
    migrate_and_load(app)
    yield app
    from lims.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


def seed(app, rows: int) -> int:
    """A market, a stall, a technician and ``rows`` batches planned for OPC; the user's id."""
    from werkzeug.security import generate_password_hash

    from lims.extensions import db
    from lims.models import Batch, Site, Stall, User, batch_tests
    from lims.reference.services import get_item

    with app.app_context():
        site = Site(code="KM", name="杀进程市场", kind="market")
        stall = Stall(site=site, code="A-01", operator="甲", public_code="killstall")
        user = User(username="killer", display_name="检测员", role="technician",
                    password_hash=generate_password_hash("x" * 10, method="pbkdf2:sha256:1000"))
        db.session.add_all([site, stall, user])
        db.session.flush()
        db.session.execute(sa.insert(Batch), [
            {"code": f"KILL-{n:06d}", "site_id": site.id, "stall_id": stall.id, "food": "青菜",
             "sampled_at": T0 - timedelta(hours=2), "status": "registered", "row_version": 1} for n in range(rows)])
        opc = get_item("OPC").id
        ids = db.session.execute(sa.select(Batch.id)).scalars().all()
        db.session.execute(batch_tests.insert(), [{"batch_id": i, "item_id": opc} for i in ids])
        db.session.commit()
        return user.id


def pesticide_csv(rows: int, positives=()) -> bytes:
    lines = ["通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间"]
    for n in range(rows):
        value = (n * 37) % 600 / 10 if n % 67 == 0 else (n * 37) % 450 / 10
        value = 62.3 if n in positives else value
        at = (T0 + timedelta(seconds=n)).astimezone(timezone(timedelta(hours=8)))
        lines.append(f"{n % 12 + 1},KILL-{n:06d},青菜,杀进程市场 A-01,农药残留,{value:.1f},%,GB/T 5009.199-2003,50,"
                     f"{'不合格' if value >= 50 else '合格'},王丽,{at:%Y-%m-%d %H:%M:%S}")
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def start_worker(app, *args, **env_extra) -> subprocess.Popen:
    """``lims worker`` in a process of its own; its output goes to a file (a pipe nobody reads
    would fill up and stop it)."""
    log = Path(app.config["DATA_DIR"]) / f"worker-{time.monotonic_ns()}.log"
    env = dict(os.environ, LIMS_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], LIMS_DATA_DIR=app.config["DATA_DIR"],
               LIMS_SECRET_KEY="worker-test", LIMS_AUDIT_KEY_DEV="1", LIMS_JOBS_MODE="procrastinate",
               LIMS_UNBOUND_STAFF_SEE_ALL="1")  # a one-team world: its technician is bound to no station
    env.update(env_extra)
    env.pop("LIMS_TEST_DATABASE_URL", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lims", "worker", *args], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log
    return proc


def job_row(app, job_id):
    from lims.extensions import db
    from lims.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        out = (job.status, job.rows_done, job.attempts, job.error)
        db.session.remove()
        return out


def counts(app) -> tuple[int, int]:
    from lims.extensions import db
    from lims.models import Import, Result

    with app.app_context():
        out = (db.session.execute(sa.select(sa.func.count()).select_from(Import)).scalar_one(),
               db.session.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one())
        db.session.remove()
        return out


def wait_for(predicate, timeout: float, what: str, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited ({proc.returncode}) before {what}: "
                                 f"{proc.log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.log.read_text(errors="replace")


def test_lims_init_creates_the_queue_tables_once(pg_app):
    from lims.jobs import engine

    runner = pg_app.test_cli_runner()
    with pg_app.app_context():
        assert not engine.schema_present()
        first = runner.invoke(args=["lims", "init"])
        assert first.exit_code == 0, first.output
        assert "job queue (procrastinate) tables created" in first.output
        assert engine.schema_present()
        again = runner.invoke(args=["lims", "init"])  # idempotent
        assert again.exit_code == 0 and "procrastinate" not in again.output


def test_worker_killed_mid_import_is_finished_by_another(pg_app):
    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.imports.services import ImportOptions
    from lims.jobs import engine, services
    from lims.models import User

    rows = 30_000
    user_id = seed(pg_app, rows)
    with pg_app.app_context():
        assert engine.apply_schema() is True
        actor = Actor(user=db.session.get(User, user_id), ip="test")
        job = services.start_import(actor, pesticide_csv(rows), ImportOptions(filename="kill.csv", source="web"),
                                    rows_total=rows)
        job_id = job.id
        db.session.commit()
        engine.after_commit()  # into procrastinate's queue
        db.session.remove()
    assert job_row(pg_app, job_id)[0] == "queued"

    first = start_worker(pg_app, "--stalled-after", "3")
    try:
        # Progress is visible while the import's own transaction is still open.
        wait_for(lambda: job_row(pg_app, job_id)[1] >= 2000, 240, "the first rows processed", first)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        stop(first)
    status, done, attempts, _ = job_row(pg_app, job_id)
    assert status == "running" and 0 < done < rows and attempts == 1
    assert counts(pg_app) == (0, 0)  # the killed transaction left nothing

    second = start_worker(pg_app, "--stalled-after", "3")
    try:
        wait_for(lambda: job_row(pg_app, job_id)[0] == "done", 300, "the job taken over and finished", second)
        assert counts(pg_app) == (1, rows)
        status, done, attempts, error = job_row(pg_app, job_id)
        assert (status, done, attempts, error) == ("done", rows, 2, None)

        # Run again through the queue (a retry of a finished job): nothing changes.
        with pg_app.app_context():
            again = engine._sync_queue().tasks["lims:run_job"].configure(queue="imports").defer(job_id=job_id)
            wait_for(lambda: _succeeded(pg_app, again), 120, "the repeated job", second)
        assert counts(pg_app) == (1, rows)
        assert job_row(pg_app, job_id)[2] == 2
    finally:
        log = stop(second)
    assert "of a stopped worker: run again" in log


def _succeeded(app, procrastinate_id) -> bool:
    from lims.extensions import db

    with app.app_context():
        status = db.session.execute(sa.text("SELECT status FROM procrastinate_jobs WHERE id = :i"),
                                    {"i": procrastinate_id}).scalar_one()
        db.session.remove()
    return status == "succeeded"


def test_a_job_never_handed_to_the_queue_is_picked_up_by_a_worker(pg_app):
    """The request committed its job row but could not reach the queue: a worker finds the row
    and runs the job (`lims worker --once` runs what is waiting, then stops)."""
    from lims.accounts.access import Actor
    from lims.database import utcnow
    from lims.extensions import db
    from lims.imports.services import ImportOptions
    from lims.jobs import engine, services
    from lims.models import Job, User

    rows = 50
    user_id = seed(pg_app, rows)
    with pg_app.app_context():
        engine.apply_schema()
        regulator = User(username="reg", display_name="监管", role="regulator", email="reg@example.org",
                         password_hash="x")
        db.session.add(regulator)
        job = services.start_import(Actor(user=db.session.get(User, user_id), ip="test"),
                                    pesticide_csv(rows, positives={7}), ImportOptions(filename="orphan.csv", source="web"))
        engine.discard()  # as if the queue had been away
        job.created_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        job_id = job.id
        fresh = services.start_import(Actor(user=db.session.get(User, user_id), ip="test"), b"too new to touch",
                                      ImportOptions(filename="new.csv", source="web"))
        engine.discard()
        db.session.commit()
        fresh_id = fresh.id
        assert db.session.execute(sa.text("SELECT count(*) FROM procrastinate_jobs")).scalar_one() == 0
        db.session.remove()
    # An SMTP server that refuses: the positive's e-mail job is queued from inside the worker.
    worker = start_worker(pg_app, "--once", LIMS_SMTP_HOST="127.0.0.1", LIMS_SMTP_PORT="1")
    try:
        assert worker.wait(timeout=240) == 0, worker.log.read_text(errors="replace")[-3000:]
    finally:
        log = stop(worker)
    assert job_row(pg_app, job_id)[:2] == ("done", rows), log[-3000:]
    assert counts(pg_app) == (1, rows)
    assert job_row(pg_app, fresh_id)[0] == "queued"  # a minute may not have passed: perhaps still on its way
    assert "was never queued: queued now" in log
    with pg_app.app_context():
        assert db.session.get(Job, job_id).attempts == 1
        tasks = db.session.execute(sa.text("SELECT task_name FROM procrastinate_jobs ORDER BY id")).scalars().all()
        assert tasks == ["lims:run_job", "lims:send_emails"], tasks
