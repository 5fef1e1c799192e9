"""A render cache for the public pages, which many people (shoppers scanning a stall's QR
code, market screens refreshing) ask for and which are the same for all of them.

A page is kept under its address, its language, the audit trail's sequence number and the
current minute. Every change to the data is written in the same transaction as an audit
entry, so a change gives a new sequence number and the next request renders afresh; the
minute bounds what moves with the clock alone (an objection window closing) to a minute.
The sequence number is read from the database on every request, so each worker's cache is
only a shortcut, never a source of truth: several workers or servers stay consistent."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, current_app, request
from flask_babel import get_locale

from lims.database import utcnow
from lims.extensions import db
from lims.models import AuditHead


@dataclass(frozen=True)
class Page:
    body: bytes
    status: int
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


def cached_page(render: Callable[[], Response], max_age: int) -> Response:
    """The page for this request from the cache, or rendered by ``render`` and kept (only
    when it is a 200). Answers 304 to a matching If-None-Match."""
    cache = _cache()
    key = (request.full_path, str(get_locale()), data_version(), int(utcnow().timestamp() // 60))
    page = cache.get(key) if cache else None
    if page is None:
        response = render()
        if response.status_code != 200:
            return response
        response.add_etag()
        page = Page(response.get_data(), response.status_code, response.content_type,
                    response.get_etag()[0])
        if cache:
            cache.put(key, page)
    response = Response(page.body, page.status, content_type=page.content_type)
    response.set_etag(page.etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response.make_conditional(request)
