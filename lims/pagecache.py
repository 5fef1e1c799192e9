"""A render cache for pages that many requests ask for unchanged: the public pages (shoppers
scanning a stall's QR code, market screens refreshing) and the busiest signed-in list.

A page is kept under its host and address (a page may carry absolute links for the host it
was asked under), its language, the version of what it shows and the
current minute — and, for a signed-in page, the user, the session's CSRF secret (the page
carries a token for it) and the state of the user's notifications (the bell in the top bar).

The version is per scope, not global: a stall's page shows ``stall:<id>`` and
``siteinfo:<site id>``, a market board ``site:<id>``, the batch list the ``site:`` scopes of the
sites its reader sees; every page also shows ``all`` (reference data such as test item names).
Every change to the data goes through the audit trail (:mod:`lims.audit.services`), which
tells :func:`touch` what it changed (batches, results, dispositions, stalls, sites); when the
transaction commits, one row per scope touched is appended to ``cache_bumps`` in the same
transaction, and a scope's version is its newest row. So a write at one market leaves every
other market's pages cached, and writers only insert (no row they could queue on). The
versions are read from the database on every request, so each worker's cache is only a
shortcut, never a source of truth: several workers or servers stay consistent. The minute
bounds what moves with the clock alone (an objection window closing) to a minute.

Responses carry an ETag (304 when the browser or a proxy has the page) and, for public pages,
``Cache-Control: public, max-age`` a proxy can honour. Behind this worker's LRU, on PostgreSQL,
a second level is shared by every worker and server, and a page missing in both is rendered
once for all who ask at the same time (:mod:`lims.pagestore`). ``X-Page-Cache`` says where the
page came from: ``hit`` (this worker's LRU), ``shared`` (the shared level), ``stale`` (the
minute before's page, while another request renders this minute's) or ``miss`` (rendered)."""
from __future__ import annotations

import functools

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from lims import pagestore
from lims.database import utcnow
from lims.extensions import db
from lims.models import CacheBump, Notification


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    etag: str


class PageCache:
    """A bounded, thread-safe LRU of rendered pages."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: Page) -> None:
        if len(page.body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._pages[key] = page
            self._bytes += len(page.body)
            while self._bytes > self.max_bytes:
                _key, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped.body)


def _cache() -> PageCache | None:
    """This app's cache (None when LIMS_PAGE_CACHE_BYTES is 0)."""
    size = current_app.config["PAGE_CACHE_BYTES"]
    if not size:
        return None
    return current_app.extensions.setdefault("lims.page_cache", PageCache(size))


ANY = ["*"]  # the scopes of a page that shows everything: any change renders it afresh


def reader_scopes():
    """What a signed-in page over the reader's sites shows (the batch list, the dashboard):
    those sites' scopes, or any change at all for a reader who sees everything."""
    from lims.accounts.access import web_actor

    sites = web_actor().site_ids
    # site:<id> alone: every change of a site's own details marks site:<id> too (_scopes_of),
    # and each scope named costs the version an index probe (a city's reader: ~600)
    return [f"site:{i}" for i in sorted(sites)] if sites else ANY


def data_version(scopes=None) -> int:
    """The version of what a page shows: the newest change mark of its scopes (of any scope
    when none are named)."""
    if scopes is None:
        return db.session.execute(sa.select(sa.func.max(CacheBump.id))).scalar() or 0
    names = sorted(set(scopes)) + ["all"]
    return db.session.execute(version_statement(db.session.get_bind().dialect.name), {"scopes": names}).scalar() or 0


@functools.cache
def version_statement(dialect: str):
    """The statement :func:`data_version` runs for some scopes (``scopes``, bound when run):
    made once, as it runs for every page kept."""
    if dialect == "postgresql":
        # Each scope's newest mark from the (scope, id) index, one probe a scope. Asked as
        # max(id) WHERE scope = ANY(…), PostgreSQL walked the whole table backwards from the
        # newest id looking for a row of these scopes — all of it for a stall never changed
        # (6.8 ms at 16,000 marks, and growing with the writes between two prunes). One array
        # parameter: a city's reader shows ~600 scopes, and as many parameters cost more than
        # the rest of a cached page together.
        from sqlalchemy.dialects.postgresql import ARRAY

        asked = sa.bindparam("scopes", type_=ARRAY(sa.String))
        scope = sa.func.unnest(asked).table_valued("scope").render_derived(name="asked")
        newest = sa.select(sa.func.max(CacheBump.id)).where(CacheBump.scope == scope.c.scope).scalar_subquery()
        return sa.select(sa.func.max(newest)).select_from(scope)
    return sa.select(sa.func.max(CacheBump.id)).where(CacheBump.scope.in_(sa.bindparam("scopes", expanding=True)))


# --- what a transaction changed ------------------------------------------------------------------

_TOUCHED = "pagecache_touched"  # session.info: kind → set of ids or (first, last) runs
_PLACES = "places"  # in the touched dict: batch id → {(stall_id, site_id)} given by the toucher


def touch(session, kind: str, ids=(), place: tuple | None = None) -> None:
    """Note that this transaction changed rows a page may show: ``kind`` is ``batch``,
    ``result``, ``disposition``, ``stall``, ``site`` (ids, or [first, last] runs of ids) or
    ``all`` (no ids). Resolved to scopes and marked when the transaction commits. ``place``:
    the (stall_id, site_id) of the one batch touched, as the toucher just read it — then no
    query is needed to find it (every change of a batch's place writes its new state)."""
    touched = session.info.setdefault(_TOUCHED, {})
    bucket = touched.setdefault(kind, set())
    for i in ids:
        bucket.add(tuple(i) if isinstance(i, (list, tuple)) else (int(i), int(i)))
    if place is not None and kind == "batch" and len(ids) == 1:
        touched.setdefault(_PLACES, {}).setdefault(int(ids[0]), set()).add(tuple(place))


def _runs(bucket) -> list:
    return sorted(bucket)


def _scopes_of(session, touched: dict) -> set[str]:
    from lims.models import Batch, Disposition, Result, Stall

    scopes: set[str] = set()
    if "all" in touched:
        scopes.add("all")
    places = []  # (stall_id, site_id)

    def collect(stmt, column, runs):
        singles = [first for first, last in runs if first == last]
        for start in range(0, len(singles), 900):
            places.extend(session.execute(stmt.where(column.in_(singles[start:start + 900]))).all())
        for first, last in runs:
            if first != last:
                places.extend(session.execute(stmt.where(column.between(first, last))).all())

    pair = sa.select(Batch.stall_id, Batch.site_id).distinct()
    known = touched.get(_PLACES, {})
    batch_runs = []
    for first, last in _runs(touched.get("batch", ())):
        if first == last and first in known:
            places.extend(known[first])
        else:
            batch_runs.append((first, last))
    collect(pair, Batch.id, batch_runs)
    collect(pair.join(Result, Result.batch_id == Batch.id), Result.id, _runs(touched.get("result", ())))
    collect(pair.join(Disposition, Disposition.batch_id == Batch.id), Disposition.id,
            _runs(touched.get("disposition", ())))
    collect(sa.select(Stall.id, Stall.site_id), Stall.id, _runs(touched.get("stall", ())))
    for stall_id, site_id in places:
        if stall_id is not None:
            scopes.add(f"stall:{stall_id}")
        if site_id is not None:
            scopes.add(f"site:{site_id}")
    for first, last in _runs(touched.get("site", ())):
        for site_id in range(first, last + 1):
            scopes.update((f"site:{site_id}", f"siteinfo:{site_id}"))
    return scopes


def _before_commit(session) -> None:
    """Append the change marks of what this transaction touched (after the audit listener,
    which may add entries of its own)."""
    if session.in_nested_transaction() or not session.info.get(_TOUCHED):
        return
    touched = session.info.pop(_TOUCHED)
    scopes = _scopes_of(session, touched)
    if scopes:
        session.execute(CacheBump.__table__.insert(), [{"scope": s} for s in sorted(scopes)])


def _forget(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)


def install() -> None:
    """Listen to commits (called by the audit module after its own listeners, once)."""
    from sqlalchemy import event, orm

    event.listen(orm.Session, "before_commit", _before_commit)
    event.listen(orm.Session, "after_transaction_end", _forget)


def prune(session) -> int:
    """Drop the change marks that are no longer any scope's newest (``lims tick``)."""
    table = CacheBump.__table__
    newest = sa.select(sa.func.max(table.c.id)).group_by(table.c.scope)
    return session.execute(table.delete().where(table.c.id.not_in(newest))).rowcount or 0


def _viewer() -> tuple:
    """What, besides the data, makes a signed-in page differ from one request to the next.

    The page carries a CSRF token for the session's secret, so the secret is made here when
    the session has none yet (a fresh sign-in): keyed on "no secret", a page kept for an
    earlier session would carry that session's token and every form on it would fail."""
    generate_csrf()
    bell = db.session.execute(
        sa.select(sa.func.count(Notification.id).filter(Notification.read_at.is_(None)), sa.func.max(Notification.id))
        .where(Notification.user_id == current_user.id)).one()
    return current_user.id, session.get("csrf_token"), tuple(bell)


def cached(max_age: int | None = None, scopes: Callable | None = None):
    """Serve the view's page from the cache when nothing it shows can have changed.

    ``max_age`` makes the page publicly cacheable for that many seconds; without it the page
    is signed-in and private (browsers revalidate with its ETag). ``scopes``: a function of
    the view's arguments giving the scopes the page shows (None: not cacheable, e.g. an
    unknown code); without it the page changes with any change at all. Only 200s are kept, and
    a signed-in page is never served from the cache while a flashed message waits to be shown."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            cache = _cache()
            private = max_age is None
            if cache is None or (private and session.get("_flashes")):
                return cache_headers(make_response(view(*args, **kwargs)), max_age)
            shown = scopes(**kwargs) if scopes is not None else None
            if scopes is not None and shown is None:
                return cache_headers(make_response(view(*args, **kwargs)), max_age)
            if not current_app.config.get("PAGE_CACHE_SCOPED", True):
                shown = ANY
            key = (request.host_url, request.full_path, str(get_locale()),
                   data_version(None if shown == ANY else shown), int(utcnow().timestamp() // 60),
                   _viewer() if private else None)
            page, source = cache.get(key), "hit"
            if page is None:
                answered: list[Response] = []

                def render() -> Page | None:
                    response = make_response(view(*args, **kwargs))
                    answered.append(response)
                    if response.status_code != 200:
                        return None
                    response.add_etag()
                    return Page(response.get_data(), response.content_type, response.get_etag()[0])

                page, source = pagestore.fetch(key, render, stale=cache.get(_minute_before(key)))
                if page is None:  # not a 200: answered as it is, kept nowhere
                    return cache_headers(answered[0], max_age)
                if source != "stale":
                    cache.put(key, page)
            response = Response(page.body, 200, content_type=page.content_type)
            response.set_etag(page.etag)
            response.headers["X-Page-Cache"] = source
            return cache_headers(response, max_age)
        return wrapped
    return decorate


def _minute_before(key: tuple) -> tuple:
    """The same page's key a minute earlier (the minute is the key's fifth part)."""
    return key[:4] + (key[4] - 1,) + key[5:]


def cache_headers(response: Response, max_age: int | None) -> Response:
    """Cache-Control and an ETag for a 200, and a 304 when the browser already has it."""
    if response.status_code != 200:
        return response
    if max_age is None:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        response.headers["Vary"] = "Accept-Language, Cookie"
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)
