"""The page cache's second level: rendered pages shared by every app process and server
through the database (table ``page_cache``), with single flight.

Lookup order (:func:`lims.pagecache.cached`): this worker's LRU → this store → render. The key
is the page cache's own (address, host, language, data version, minute, viewer), kept as its
SHA-256: a write moves the version in the key, so nothing here is ever invalidated, only
pruned when it is too old to be asked for again (``lims tick``, :func:`prune`).

**Single flight.** A page missing everywhere is rendered by one request: it takes a
transaction-level advisory lock on the key's hash in a short transaction of its own, renders,
stores the page and commits, which releases the lock and shows the page in one step. The other
requests for the same key block on that lock (at most ``PAGE_CACHE_WAIT_SECONDS``, through
PostgreSQL's ``lock_timeout``), then read the stored page. A waiter that finds nothing (the
renderer failed, was not a 200, or its process died — PostgreSQL releases a dead session's
locks) renders under the lock itself; a waiter whose wait ran out renders without it.

**Stale while revalidating.** When only the minute in the key has moved (the same data version:
what changed is what moves with the clock alone, an objection window closing), a request that
has the previous minute's page does not wait for the one rendering this minute's: it is
answered with the previous page at once (``stale``). A page is thus never older than its minute
plus one render, and a dashboard's turn of the minute holds up one request instead of all.

**Connections.** The lock, the lookup and the store use an engine of their own (a small pool
per process), never the request's session: a waiter blocked on the lock holds a connection of
that pool and its request's connection, and the renderer it waits for already holds both of
its own, so no request ever waits for a connection held by a request that waits for it. If
they shared one pool, requests that had taken the pool's last connections for their pages
would each wait for one more to take the lock — none ever free. A checkout from the store's pool
waits at most ``PAGE_CACHE_WAIT_SECONDS`` too. And a failed statement here never aborts the
request's transaction.

**Only a shortcut.** Any database error here is logged and the page is rendered as without
the store: never a 500 because of it. PostgreSQL only (the table is UNLOGGED there and
backups leave its rows out): on SQLite the whole deployment is one file with one writer at a
time, and storing every rendered page would queue behind real writes for no sharing gain —
each worker's LRU does as before."""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lims.database import utcnow
from lims.models import CachedPage

if TYPE_CHECKING:
    from lims.pagecache import Page

log = logging.getLogger(__name__)

KEEP_MINUTES = 5  # a key holds the minute it was made in: older rows are never asked for again
_LOCK_CLASS = 0x50474543  # the first key of the two-key advisory lock: "PGEC" (page cache)
_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out
_table = CachedPage.__table__
_engines_lock = threading.Lock()


def enabled() -> bool:
    """The shared level is on: PAGE_CACHE_SHARED true, or unset (auto), on PostgreSQL."""
    setting = current_app.config.get("PAGE_CACHE_SHARED")
    if setting is False:
        return False
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"


def digest(key: tuple) -> str:
    """The stored key: SHA-256 of the page-cache key (which holds the viewer's CSRF secret on a
    signed-in page — only its hash is stored)."""
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()


def _lock_ids(key: str) -> dict:
    return {"c": _LOCK_CLASS, "k": int.from_bytes(bytes.fromhex(key[:8]), "big", signed=True)}


def _wait() -> float:
    return float(current_app.config.get("PAGE_CACHE_WAIT_SECONDS", 5))


def engine() -> sa.Engine:
    """This process's engine for the store (made on first use in each process: a forked web
    worker gets a pool of its own). Its connections wait for a lock at most
    PAGE_CACHE_WAIT_SECONDS (lock_timeout, set once when they connect), and are not pinged
    when checked out: every page asked costs a round trip less, and a connection found dead
    fails like any error here — the page is rendered without the store."""
    state = current_app.extensions.setdefault("lims.pagestore", {"engine": None, "pid": None})
    with _engines_lock:
        if state["engine"] is None or state["pid"] != os.getpid():
            state["engine"] = sa.create_engine(
                current_app.config["SQLALCHEMY_DATABASE_URI"], pool_size=2, max_overflow=8,
                pool_timeout=max(0.1, _wait()),
                connect_args={"connect_timeout": 5, "options": f"-c lock_timeout={max(1, int(_wait() * 1000))}ms"})
            state["pid"] = os.getpid()
    return state["engine"]


def dispose(app) -> None:
    """Close this process's store connections (tests, shutdown)."""
    state = app.extensions.get("lims.pagestore") or {}
    if state.get("engine") is not None:
        state["engine"].dispose()
        state["engine"] = None


def _read(conn, key: str) -> Page | None:
    from lims.pagecache import Page

    row = conn.execute(sa.select(_table.c.body, _table.c.content_type, _table.c.etag)
                       .where(_table.c.key == key)).first()
    return Page(bytes(row.body), row.content_type, row.etag) if row is not None else None


def _store(conn, key: str, page: Page) -> None:
    conn.execute(pg_insert(_table).values(key=key, body=page.body, content_type=page.content_type, etag=page.etag,
                                          created_at=utcnow()).on_conflict_do_nothing(index_elements=["key"]))


def _take_lock(conn, key: str, wait: bool) -> bool:
    """The key's lock for this transaction: True once held, False when it is taken and not
    to be ``wait``ed for. Waiting runs out after PAGE_CACHE_WAIT_SECONDS (the connections'
    lock_timeout, :func:`engine`), with an OperationalError."""
    if not wait:
        return bool(conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:c, :k)"), _lock_ids(key)).scalar())
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:c, :k)"), _lock_ids(key))
    return True


class _WaitRanOut(Exception):
    pass


def fetch(key: tuple, render: Callable[[], Page | None], stale: Page | None = None) -> tuple[Page | None, str]:
    """The page under ``key`` from the store, or rendered (once for all who ask at the same
    time) and stored. ``render`` returns the page, or None when it is not to be kept (not a
    200). ``stale``: the same page of the minute before (same data version), served at once
    instead of waiting while another request renders this minute's. Returns the page and
    where it came from: ``shared``, ``stale`` or ``miss`` (rendered here)."""
    if not enabled():
        return render(), "miss"
    stored = digest(key)
    try:
        with engine().connect() as conn:  # one statement, outside a transaction
            page = _read(conn.execution_options(isolation_level="AUTOCOMMIT"), stored)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("shared page cache unavailable, rendering: %s", exc.__class__.__name__, exc_info=exc)
        return render(), "miss"
    if page is not None:
        return page, "shared"
    return _render_once(stored, render, stale)


def _render_once(stored: str, render: Callable[[], Page | None], stale: Page | None = None) -> tuple[Page | None, str]:
    rendered: list = []  # the page, once rendered here
    rendering = False
    try:
        with engine().connect() as conn, conn.begin():
            # Free at once (the usual case): nobody is rendering it — rendered here without
            # reading again (one stored in the instant since the lookup is rendered twice, harmlessly).
            if not _take_lock(conn, stored, wait=False):
                if stale is not None:
                    return stale, "stale"  # another request is rendering this minute's page
                try:
                    _take_lock(conn, stored, wait=True)
                except sa.exc.OperationalError as exc:
                    if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                        raise _WaitRanOut from exc
                    raise
                page = _read(conn, stored)  # stored by the renderer we waited for (its commit released the lock)
                if page is not None:
                    return page, "shared"
            rendering = True
            rendered.append(render())
            rendering = False
            if rendered[0] is not None:
                _store(conn, stored, rendered[0])
    except _WaitRanOut:
        log.info("waited %.1f s for another request to render a page; rendering it here", _wait())
    except sa.exc.SQLAlchemyError as exc:
        if rendering:
            raise  # the view's own failure, not the store's
        log.warning("shared page cache unavailable, rendering: %s", exc.__class__.__name__, exc_info=exc)
    if rendered:
        return rendered[0], "miss"
    return render(), "miss"


def prune(session) -> int:
    """Drop the pages too old to be asked for again (``lims tick``)."""
    done = session.execute(_table.delete().where(_table.c.created_at < utcnow() - timedelta(minutes=KEEP_MINUTES)))
    return done.rowcount or 0
