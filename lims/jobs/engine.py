"""Where jobs run. ``JOBS_MODE``:

- ``procrastinate`` (the default on PostgreSQL): deferred into procrastinate's queue once the
  creating transaction has committed; ``lims worker`` runs them.
- ``thread`` (the default on SQLite): run in this process by one background thread, in order.
- ``now`` (tests): run at once, still only after the creating transaction has committed.

A task is deferred *after* commit: a worker must never pick up a job whose row it cannot see,
and nothing is deferred for work that was rolled back. Inside a request the web layer calls
``after_commit()``; elsewhere (the command line) the caller commits and then calls it."""
from __future__ import annotations

import asyncio
import logging
import os
import queue as queue_module
import threading
import time

import procrastinate
from flask import current_app, g, has_app_context, has_request_context

log = logging.getLogger(__name__)

#: Attempts of a job before it is left failed; waits between them grow 2 s, 4 s, 8 s, …
MAX_ATTEMPTS = 5
RETRY = procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, exponential_wait=2)
#: A worker whose heartbeat is older than this is dead; its jobs are taken over.
STALLED_AFTER = 30.0
HEARTBEAT = 5.0

#: The queue: one procrastinate App per process, connected on first use to the app's database
#: (``queue_app``). Tasks are registered on it here, so worker and web agree on their names.
queue = procrastinate.App(connector=procrastinate.PsycopgConnector())
QUEUES = {"import.preview": "imports", "import.commit": "imports", "report.monthly": "reports"}


@queue.task(name="lims:run_job", retry=RETRY)
def run_job(job_id: int) -> None:
    """A tracked job (a row in ``jobs``): an import, a report."""
    from lims.jobs.services import execute

    with _context():
        execute(job_id)


@queue.task(name="lims:send_emails", retry=RETRY)
def send_emails() -> None:
    """The notices not yet e-mailed (idempotent: each notice is marked when sent)."""
    from lims.notifications.services import send_pending_emails, unsent_emails

    with _context():
        send_pending_emails()
        left = unsent_emails()
        if left:  # the server refused or was away (or more than one round's worth): again, later
            raise RuntimeError(f"{left} notices not yet e-mailed")


# --- the Flask side -----------------------------------------------------------------

_flask_app = None


def init_app(app) -> None:
    global _flask_app
    _flask_app = app
    app.extensions["lims.jobs"] = {"mode": mode_for(app.config)}


def mode_for(config) -> str:
    chosen = config.get("JOBS_MODE") or "auto"
    if chosen not in ("auto", "procrastinate", "thread", "now"):
        raise ValueError("LIMS_JOBS_MODE must be auto, procrastinate, thread or now")
    if chosen != "auto":
        return chosen
    if config.get("TESTING"):
        return "now"
    return "procrastinate" if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql") else "thread"


def mode() -> str:
    return current_app.extensions["lims.jobs"]["mode"]


class _context:
    """An application context for a task (workers run sync tasks in threads), and the
    session removed afterwards so that nothing leaks from one job into the next."""

    def __enter__(self):
        from flask import current_app

        if has_app_context():
            self.ctx = None
            return
        self.ctx = (_flask_app or current_app).app_context()
        self.ctx.push()

    def __exit__(self, *exc):
        from lims.extensions import db

        if self.ctx is not None:
            db.session.remove()
            self.ctx.pop()


def conninfo(url) -> str:
    """procrastinate's libpq connection string for the app's SQLAlchemy URL."""
    import sqlalchemy as sa

    url = sa.engine.make_url(str(url))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


_connected: dict = {}
_connect_lock = threading.Lock()


def queue_app(app=None):
    """The procrastinate App, connected to this Flask app's PostgreSQL database (once per
    process: a forked web worker connects afresh)."""
    app = app or current_app
    target = (os.getpid(), conninfo(app.config["SQLALCHEMY_DATABASE_URI"]))
    with _connect_lock:
        if _connected.get("target") != target:
            if _connected.get("sync_open"):
                try:
                    queue.close()
                except Exception:  # noqa: BLE001  (a pool inherited from the parent process)
                    pass
            connector = procrastinate.PsycopgConnector(conninfo=target[1], min_size=0, max_size=4)
            queue.connector = queue.job_manager.connector = connector
            _connected.clear()
            _connected["target"] = target
    return queue


def _sync_queue():
    """The App opened for deferring from synchronous code (web requests, the command line)."""
    papp = queue_app()
    with _connect_lock:
        if not _connected.get("sync_open"):
            papp.open()
            _connected["sync_open"] = True
    return papp


# --- deferring after commit ---------------------------------------------------------

def defer_job(job_id: int, kind: str) -> None:
    """Run tracked job ``job_id`` once the current transaction has committed."""
    _pending().append(("run_job", {"job_id": job_id}, QUEUES.get(kind, "default"), f"job-{job_id}"))


def defer_emails() -> None:
    """E-mail the notices once the current transaction has committed (one sender at a time);
    nothing to do when no SMTP server is configured."""
    if not current_app.config.get("SMTP_HOST"):
        return
    if not any(t[0] == "send_emails" for t in _pending()):
        _pending().append(("send_emails", {}, "notices", "send_emails"))


_outside_request = threading.local()  # the command line, a worker's thread


def _pending() -> list:
    if has_request_context():
        if "jobs_pending" not in g:
            g.jobs_pending = []
        return g.jobs_pending
    if not hasattr(_outside_request, "tasks"):
        _outside_request.tasks = []
    return _outside_request.tasks


def discard() -> None:
    """The transaction was rolled back: what it deferred never happens."""
    _pending().clear()


def after_commit() -> None:
    """Hand what the committed transaction deferred to the queue (or run it here)."""
    pending = list(_pending())
    _pending().clear()
    for name, kwargs, queue_name, lock in pending:
        how = mode()
        if how == "procrastinate":
            task = _sync_queue().tasks[f"lims:{name}"]
            try:
                task.configure(queue=queue_name, lock=lock, queueing_lock=lock).defer(**kwargs)
            except procrastinate.exceptions.AlreadyEnqueued:
                pass  # the same job is already waiting: it will do this too
            except Exception:  # noqa: BLE001  (the request's work is committed; a worker requeues it)
                log.exception("could not queue %s %s; a worker will pick it up from the jobs table", name, kwargs)
        elif how == "thread":
            _runner().put((name, kwargs))
        else:
            run_inline(name, kwargs)


def run_inline(name: str, kwargs: dict) -> None:
    """Run a task here, retrying with the same backoff as the queue (``now`` and ``thread``)."""
    func = {"run_job": run_job, "send_emails": send_emails}[name]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            func(**kwargs)  # a procrastinate Task called directly runs its function
            return
        except Exception:  # noqa: BLE001  (any failure is retried, then logged)
            log.exception("job %s %s failed (attempt %d of %d)", name, kwargs, attempt, MAX_ATTEMPTS)
            if attempt == MAX_ATTEMPTS or mode() == "now":
                return
            time.sleep(RETRY.exponential_wait ** attempt)


class _Runner(threading.Thread):
    def __init__(self, app):
        super().__init__(name="lims-jobs", daemon=True)
        self.app = app
        self.queue: queue_module.Queue = queue_module.Queue()

    def put(self, item) -> None:
        self.queue.put(item)

    def run(self) -> None:
        while True:
            name, kwargs = self.queue.get()
            with self.app.app_context():
                try:
                    run_inline(name, kwargs)
                except Exception:  # noqa: BLE001  (the thread must outlive any job)
                    log.exception("job %s failed", name)


_runner_lock = threading.Lock()


def _runner() -> _Runner:
    state = current_app.extensions["lims.jobs"]
    with _runner_lock:
        runner = state.get("runner")
        if runner is None or not runner.is_alive():
            runner = state["runner"] = _Runner(current_app._get_current_object())
            runner.start()
    return runner


# --- the queue's schema and the worker (PostgreSQL) ---------------------------------

def schema_present(app=None) -> bool:
    import sqlalchemy as sa

    from lims.extensions import db

    return "procrastinate_jobs" in sa.inspect(db.engine).get_table_names()


def apply_schema(app=None) -> bool:
    """Create procrastinate's tables on PostgreSQL unless they exist (``lims init`` calls it);
    True when it created them."""
    from lims.extensions import db

    if db.engine.dialect.name != "postgresql" or schema_present():
        return False
    schema = procrastinate.schema.SchemaManager.get_schema()
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute(schema)
        raw.commit()
    finally:
        raw.close()
    return True


def run_worker(*, concurrency: int = 1, queues=None, stalled_after: float = STALLED_AFTER,
               heartbeat: float = HEARTBEAT, once: bool = False) -> None:
    """Run a procrastinate worker until stopped (or, ``once``, until the queue is empty).
    Every few seconds it puts back the jobs of workers that stopped beating — killed mid-job —
    so that they are run again (each job is idempotent)."""
    app = current_app._get_current_object()
    asyncio.run(_work(queue_app(), app, concurrency, queues, stalled_after, heartbeat, once))


async def _work(papp, app, concurrency, queues, stalled_after, heartbeat, once) -> None:
    _connected.pop("sync_open", None)  # opening it asynchronously closes the synchronous pool
    async with papp.open_async():
        # Jobs (in the worker's threads) defer through this pool too: an import's e-mails.
        _connected["sync_open"] = True
        await _retry_stalled(papp, stalled_after)
        await _requeue_orphans(papp, app)
        worker = asyncio.ensure_future(papp.run_worker_async(
            concurrency=concurrency, queues=queues, wait=not once, update_heartbeat_interval=heartbeat,
            stalled_worker_timeout=stalled_after, install_signal_handlers=not once))
        while not worker.done():
            await asyncio.wait([worker], timeout=heartbeat)
            if not worker.done():
                await _retry_stalled(papp, stalled_after)
                await _requeue_orphans(papp, app)
        _connected.pop("sync_open", None)
        worker.result()


#: A job row still ``queued`` this long after it was made was never handed to the queue (the
#: database was away at that moment): a worker hands it over.
ORPHAN_AFTER = 60.0


def _orphans(app) -> list[tuple[int, str]]:
    from datetime import timedelta

    import sqlalchemy as sa

    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Job

    with app.app_context():
        rows = db.session.execute(sa.select(Job.id, Job.kind).where(
            Job.status == "queued", Job.created_at < utcnow() - timedelta(seconds=ORPHAN_AFTER))
            .order_by(Job.id).limit(500)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


async def _requeue_orphans(papp, app) -> None:
    for job_id, kind in await asyncio.to_thread(_orphans, app):
        lock = f"job-{job_id}"
        try:
            await papp.tasks["lims:run_job"].configure(queue=QUEUES.get(kind, "default"), lock=lock,
                                                       queueing_lock=lock).defer_async(job_id=job_id)
            log.warning("job %s was never queued: queued now", job_id)
        except procrastinate.exceptions.AlreadyEnqueued:
            pass


async def _retry_stalled(papp, stalled_after: float) -> None:
    for job in await papp.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        log.warning("job %s of a stopped worker: run again", job.id)
        await papp.job_manager.retry_job(job)
