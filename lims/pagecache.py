"""A render cache for pages that many requests ask for unchanged: the public pages (shoppers
scanning a stall's QR code, market screens refreshing) and the busiest signed-in list.

A page is kept under its address, its language, the audit trail's sequence number and the
current minute — and, for a signed-in page, the user, the session's CSRF secret (the page
carries a token for it) and the state of the user's notifications (the bell in the top bar).
Every change to the data is written in the same transaction as an audit entry, so a change
gives a new sequence number and the next request renders afresh; the minute bounds what
moves with the clock alone (an objection window closing) to a minute. The sequence number is
read from the database on every request, so each worker's cache is only a shortcut, never a
source of truth: several workers or servers stay consistent."""
from __future__ import annotations

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

from lims.database import utcnow
from lims.extensions import db
from lims.models import AuditHead, Notification


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


def data_version() -> int:
    """The audit trail's sequence number: it moves with every change to the data."""
    return db.session.execute(sa.select(AuditHead.seq).where(AuditHead.id == 1)).scalar() or 0


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


def cached(max_age: int | None = None):
    """Serve the view's page from the cache when nothing it shows can have changed.

    ``max_age`` makes the page publicly cacheable for that many seconds; without it the page
    is signed-in and private (browsers revalidate with its ETag). Only 200s are kept, and a
    signed-in page is never served from the cache while a flashed message waits to be shown."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            cache = _cache()
            private = max_age is None
            if cache is None or (private and session.get("_flashes")):
                return cache_headers(make_response(view(*args, **kwargs)), max_age)
            key = (request.full_path, str(get_locale()), data_version(), int(utcnow().timestamp() // 60),
                   _viewer() if private else None)
            page = cache.get(key)
            if page is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return cache_headers(response, max_age)
                response.add_etag()
                page = Page(response.get_data(), response.content_type, response.get_etag()[0])
                cache.put(key, page)
            response = Response(page.body, 200, content_type=page.content_type)
            response.set_etag(page.etag)
            return cache_headers(response, max_age)
        return wrapped
    return decorate


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
