"""Reads that compete with writes: reports, dashboards and exports on a PostgreSQL streaming
replica (``LIMS_DATABASE_REPLICA_URL``).

``read_session()`` is the one door. Inside its block ``db.session`` is a session of its own,
bound to a second engine on the replica, in one read-only REPEATABLE READ transaction (every
query of a report sees the same moment); the request's own session is put back afterwards,
untouched. Writes never go there: that session refuses to flush, and a hot standby refuses
writes anyway. Without a replica configured — or when it cannot be reached, or it cannot say
how far behind it is — the block reads the primary as everything else does.

What the block yields says where the data came from: a ``ReplicaRead`` with the moment the
replica's data hold and its lag (printed on the report: "数据截至 … （副本延迟 N 秒）"), or
None for the primary."""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event, orm

from lims.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicaRead:
    """Data read from the replica: they hold at ``as_of`` (UTC), ``lag_seconds`` behind the
    primary when read."""

    as_of: datetime
    lag_seconds: int


# Where the block being run reads from (nested blocks reuse it).
_current: contextvars.ContextVar = contextvars.ContextVar("lims_replica_read", default=None)
_lock = threading.Lock()

# How far behind the replica is: nothing to replay (it has applied all it received — an idle
# primary sends nothing, so the last replayed transaction's age would be no lag at all) → now;
# otherwise the commit time of the last transaction it replayed (PostgreSQL's own measure,
# now() - pg_last_xact_replay_timestamp()). NULL: it has replayed nothing since it started and
# is behind — its lag is unknown. Not a standby at all (the primary named twice): now.
LAG_SQL = sa.text(
    "SELECT now() AS now, CASE WHEN NOT pg_is_in_recovery() THEN now() "
    "WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
    "THEN now() ELSE pg_last_xact_replay_timestamp() END AS as_of")


def init_app(app) -> None:
    url = app.config.get("DATABASE_REPLICA_URL") or None
    if url and not str(url).startswith("postgresql"):
        raise ValueError("LIMS_DATABASE_REPLICA_URL must name a PostgreSQL streaming replica (postgresql+psycopg://…)")
    app.extensions["lims.replica"] = {"url": url, "engine": None, "pid": None}


def replica_engine():
    """The replica's engine (made on first use in each process), or None when none is set."""
    state = current_app.extensions["lims.replica"]
    if not state["url"]:
        return None
    with _lock:
        if state["engine"] is None or state["pid"] != os.getpid():  # a forked web worker: its own pool
            state["engine"] = sa.create_engine(
                state["url"], pool_pre_ping=True, connect_args={"connect_timeout": 5},
                execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
            state["pid"] = os.getpid()
    return state["engine"]


def dispose() -> None:
    state = current_app.extensions.get("lims.replica") or {}
    if state.get("engine") is not None:
        state["engine"].dispose()
        state["engine"] = None


def _refuse_writes(session, flush_context, instances):
    raise RuntimeError("a read session on the replica never writes")


@contextlib.contextmanager
def read_session():
    """Run the block's reads (``db.session``) on the replica when one is configured; yields
    the ``ReplicaRead`` (or None: the primary). Render inside the block: its objects belong to
    a session closed at its end."""
    if _current.get() is not None:  # already reading from the replica
        yield _current.get()
        return
    engine = replica_engine()
    if engine is None:
        yield None
        return
    session = orm.Session(bind=engine, autoflush=False, expire_on_commit=False)
    event.listen(session, "before_flush", _refuse_writes)
    try:
        row = session.execute(LAG_SQL).one()
    except sa.exc.DBAPIError as exc:
        session.close()
        log.warning("replica unavailable, reading the primary: %s", exc)
        yield None
        return
    if row.as_of is None:
        session.close()
        log.warning("replica's lag unknown (nothing replayed since it started), reading the primary")
        yield None
        return
    source = ReplicaRead(as_of=row.as_of, lag_seconds=max(0, round((row.now - row.as_of).total_seconds())))
    registry = db.session.registry
    saved = registry() if registry.has() else None
    registry.set(session)
    token = _current.set(source)
    try:
        yield source
    finally:
        _current.reset(token)
        session.close()
        if saved is not None:
            registry.set(saved)
        else:
            registry.clear()
