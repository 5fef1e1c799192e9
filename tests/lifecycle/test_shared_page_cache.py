"""The page cache's shared level (lims.pagestore, issue 15): a page rendered by one app process
is served ``shared`` by the others; a page missing everywhere is rendered once for all who ask
at the same time (single flight), and nobody waits for ever; a failing store never fails a
page; a signed-in page is never served to another user; backups leave the rendered pages out.

The shared level is PostgreSQL-only: these tests need LIMS_TEST_DATABASE_URL or
LIMS_TEST_PG_URL naming a PostgreSQL server (they skip without one, and fail under
LIMS_REQUIRE_ALL=1). Two app instances on one committed database stand for two gunicorn
workers (or two servers)."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests import conftest as shared
from tests.conftest import TEST_PASSWORD, Client, make_test_app, migrate_and_load, reset_database

STALL_PAGE = "/public/stalls/sharedstall1"


# --- without PostgreSQL: the settings -----------------------------------------------------------


def test_the_shared_level_is_read_from_the_environment(monkeypatch, tmp_path):
    from lims.config import Config, load_config

    for raw, expected in (("off", False), ("0", False), ("on", True), ("1", True), ("auto", None)):
        monkeypatch.setenv("LIMS_PAGE_CACHE_SHARED", raw)
        monkeypatch.setenv("LIMS_PAGE_CACHE_WAIT_SECONDS", "2.5")
        settings = load_config(Config, str(tmp_path))
        assert settings["PAGE_CACHE_SHARED"] is expected and settings["PAGE_CACHE_WAIT_SECONDS"] == 2.5
    monkeypatch.delenv("LIMS_PAGE_CACHE_SHARED")
    assert load_config(Config, str(tmp_path))["PAGE_CACHE_SHARED"] is None  # default: on for PostgreSQL
    assert load_config({"TESTING": True}, str(tmp_path))["PAGE_CACHE_SHARED"] is False  # the suite: off


def test_the_shared_level_is_never_used_on_sqlite(app, client, page_cache_on, make_stall):
    """Asked for on SQLite, the shared level stays off: each worker's LRU as before."""
    from lims import pagestore

    code = make_stall().public_code
    app.config["PAGE_CACHE_SHARED"] = True
    try:
        with app.app_context():
            assert pagestore.enabled() is (app.config["DATABASE_URL"].startswith("postgresql"))
        if not app.config["DATABASE_URL"].startswith("postgresql"):
            assert [client.get(f"/public/stalls/{code}").headers["X-Page-Cache"] for _ in range(2)] == \
                ["miss", "hit"]
    finally:
        app.config["PAGE_CACHE_SHARED"] = False


# --- on PostgreSQL: two app instances on one database ------------------------------------------


def _pg_base() -> str | None:
    for name in ("LIMS_TEST_DATABASE_URL", "LIMS_TEST_PG_URL"):
        url = os.environ.get(name)
        if url and url.startswith("postgresql"):
            return url
    return None


def _new_database(worker_id: str, name: str) -> str:
    base = _pg_base()
    if base is None:
        pytest.skip("the shared page cache is PostgreSQL-only: set LIMS_TEST_DATABASE_URL or LIMS_TEST_PG_URL")
    url = sa.engine.make_url(base)
    dbname = f"{url.database}_{worker_id}_{name}".lower()[:63]
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    admin.dispose()
    shared._created.append((url, dbname))
    return url.set(database=dbname).render_as_string(hide_password=False)


SETTINGS = {"PAGE_CACHE_BYTES": 1 << 20, "PAGE_CACHE_SHARED": True, "PAGE_CACHE_WAIT_SECONDS": 5.0}


def _close(app) -> None:
    from lims import pagestore
    from lims.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    pagestore.dispose(app)


def pg_test_app(tmp_path_factory, worker_id: str, name: str):
    """An app on a fresh, migrated PostgreSQL database of its own (skipped without one)."""
    url = _new_database(worker_id, name)
    app = make_test_app(url, tmp_path_factory.mktemp(f"{name}-data"))
    reset_database(app)
    migrate_and_load(app)
    return url, app


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory, worker_id):
    url, app = pg_test_app(tmp_path_factory, worker_id, "pagestore")
    _seed(app)
    _close(app)
    return url


def _seed(app) -> None:
    from werkzeug.security import generate_password_hash

    from lims.extensions import db
    from lims.models import Site, Stall, User

    with app.app_context():
        site = Site(code="SPC", name="共享缓存市场", kind="market", district="测试区")
        db.session.add_all([site, Stall(site=site, code="A-01", operator="王某", public_code="sharedstall1")])
        for name, shown in (("reg_one", "监管甲"), ("reg_two", "监管乙")):
            db.session.add(User(username=name, display_name=shown, role="regulator",
                                password_hash=generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")))
        db.session.commit()


@pytest.fixture
def apps(pg_url, tmp_path_factory, monkeypatch):
    """Two app instances (two workers) on one database, the clock held within one minute, the
    store emptied; ``apps.renders`` counts the stall page's renders (``apps.slow``: seconds each)."""
    from lims import pagecache
    from lims.database import utcnow
    from lims.public import views as public_views

    held = utcnow().replace(second=5, microsecond=0)
    monkeypatch.setattr(pagecache, "utcnow", lambda: held)

    class Apps:
        renders = 0
        slow = 0.0
        made: list = []

        def make(self, **overrides):
            app = make_test_app(pg_url, tmp_path_factory.mktemp("pagestore-data"), **{**SETTINGS, **overrides})
            self.made.append(app)
            return app

    state = Apps()
    state.made = []
    real = public_views.render_template
    lock = threading.Lock()

    def counted(*args, **kwargs):
        if args and args[0] == "public/stall.html":
            with lock:
                state.renders += 1
            time.sleep(state.slow)
        return real(*args, **kwargs)

    monkeypatch.setattr(public_views, "render_template", counted)
    state.a, state.b = state.make(), state.make()
    _sql(pg_url, "DELETE FROM page_cache")
    yield state
    for app in state.made:
        _close(app)


def _sql(url: str, statement: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _get(app, path=STALL_PAGE, **kw):
    return Client(app.test_client()).get(path, **kw)


@pytest.mark.live  # committed data, two app instances
def test_a_page_rendered_by_one_worker_is_served_shared_by_another(apps, pg_url):
    first = _get(apps.a)
    assert first.status_code == 200 and first.headers["X-Page-Cache"] == "miss" and apps.renders == 1
    other = _get(apps.b)
    assert other.headers["X-Page-Cache"] == "shared" and other.data == first.data
    assert other.headers["ETag"] == first.headers["ETag"]
    assert _get(apps.b).headers["X-Page-Cache"] == "hit"  # now in worker B's own LRU as well
    assert apps.renders == 1
    (stored,), = _sql(pg_url, "SELECT count(*) FROM page_cache")
    assert stored == 1


@pytest.mark.live  # committed data, two app instances
def test_a_write_at_the_pages_scope_renders_it_afresh_for_every_worker(apps, pg_url):
    from lims.accounts.access import Actor
    from lims.audit.services import record
    from lims.extensions import db
    from lims.models import Stall

    assert "王某" in _get(apps.a).get_data(as_text=True) and _get(apps.b).headers["X-Page-Cache"] == "shared"
    with apps.a.test_request_context("/"):
        stall = db.session.execute(sa.select(Stall).where(Stall.public_code == "sharedstall1")).scalar_one()
        before = stall.operator
        stall.operator = "赵六"
        record(Actor(user=None, ip="test"), "stall.update", "stall", stall.id, after={"operator": "赵六"})
        db.session.commit()
    try:
        again_a, again_b = _get(apps.a), _get(apps.b)
        assert (again_a.headers["X-Page-Cache"], again_b.headers["X-Page-Cache"]) == ("miss", "shared")
        assert "赵某" in again_a.get_data(as_text=True) and again_b.data == again_a.data
        assert apps.renders == 2
    finally:
        _sql(pg_url, "UPDATE stalls SET operator = :o WHERE public_code = 'sharedstall1'", o=before)


def _burst(apps_list, n: int, path=STALL_PAGE) -> list:
    """``n`` requests at once, spread over the given app instances: (status, source, seconds)."""
    start = threading.Barrier(n)
    answers: list = [None] * n

    def ask(i):
        client = Client(apps_list[i % len(apps_list)].test_client())
        start.wait()
        t0 = time.perf_counter()
        r = client.get(path)
        answers[i] = (r.status_code, r.headers.get("X-Page-Cache"), time.perf_counter() - t0)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not t.is_alive() for t in threads), "a request never came back"
    return answers


@pytest.mark.live  # committed data, two app instances
def test_many_asking_at_once_for_a_missing_page_render_it_once(apps):
    apps.slow = 0.6
    answers = _burst([apps.a, apps.b], 10)
    assert [a[0] for a in answers] == [200] * 10
    assert apps.renders == 1
    assert sorted(a[1] for a in answers).count("miss") == 1  # the others: shared (or hit, after it)


@pytest.mark.live  # committed data, two app instances
def test_waiters_never_starve_the_pool_of_connections(apps):
    """The request's pool at two connections and no overflow, twelve requests at once for one
    page: the renderer holds its request's connection and the lock's (from the store's own
    pool), waiters hold theirs and wait for the lock, the rest wait for the request pool — all
    answered, one render. With the lock taken from the request's pool, requests holding its
    last connections would each wait for one more that none of them ever frees."""
    apps.slow = 0.5
    small = apps.make(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "max_overflow": 0, "pool_timeout": 20})
    t0 = time.perf_counter()
    answers = _burst([small], 12)
    assert [a[0] for a in answers] == [200] * 12 and apps.renders == 1
    assert time.perf_counter() - t0 < 10


def _hold_the_pages_lock(pg_url, app, path=STALL_PAGE):
    """Another process's renderer: a connection holding the advisory lock of the page's key."""
    from lims import pagecache, pagestore

    captured = {}
    real_fetch = pagestore.fetch

    def capture(key, render, **_):
        captured["key"] = key
        raise _Captured

    with app.test_request_context(path):
        pagestore.fetch = capture
        try:
            from lims.public.views import stall

            with pytest.raises(_Captured):
                stall(code="sharedstall1")
        finally:
            pagestore.fetch = real_fetch
    assert pagecache  # the key was made by pagecache.cached
    engine = sa.create_engine(pg_url)
    conn = engine.connect()
    conn.begin()
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:c, :k)"), pagestore._lock_ids(pagestore.digest(captured["key"])))
    return engine, conn


class _Captured(Exception):
    pass


@pytest.mark.live  # committed data, two app instances
def test_a_waiter_whose_renderer_died_renders_itself(apps, pg_url):
    engine, holder = _hold_the_pages_lock(pg_url, apps.a)
    pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    answer = {}

    def ask():
        t0 = time.perf_counter()
        r = _get(apps.a)
        answer.update(status=r.status_code, source=r.headers["X-Page-Cache"], seconds=time.perf_counter() - t0)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        time.sleep(0.5)
        assert apps.renders == 0 and asker.is_alive()  # waiting for the renderer
        _sql(pg_url, "SELECT pg_terminate_backend(:p)", p=pid)  # the renderer's process dies: its lock goes
        asker.join(timeout=10)
    finally:
        with contextlib.suppress(sa.exc.DBAPIError):
            holder.close()
        engine.dispose()
    assert answer["status"] == 200 and answer["source"] == "miss" and apps.renders == 1
    assert answer["seconds"] < 4  # it did not wait out the five seconds
    assert _get(apps.b).headers["X-Page-Cache"] == "shared"  # and stored it for the others


@pytest.mark.live  # committed data, two app instances
def test_when_the_minute_turns_the_page_before_is_served_while_another_renders(apps, pg_url, monkeypatch):
    """Only the minute in the key has moved (no write): a worker that has the minute before's
    page answers with it at once (``stale``) instead of waiting while another request renders
    this minute's; the page is never kept under the new minute, and once nobody renders it, it
    is rendered afresh. A dashboard's turn of the minute holds up one request, not all."""
    from lims import pagecache

    first = _get(apps.a)
    assert first.headers["X-Page-Cache"] == "miss" and apps.renders == 1
    later = pagecache.utcnow() + timedelta(minutes=1)
    monkeypatch.setattr(pagecache, "utcnow", lambda: later)
    engine, holder = _hold_the_pages_lock(pg_url, apps.a)  # another worker renders this minute's page
    try:
        t0 = time.perf_counter()
        r = _get(apps.a)
        assert r.status_code == 200 and r.headers["X-Page-Cache"] == "stale" and r.data == first.data
        assert time.perf_counter() - t0 < 2 and apps.renders == 1  # no five-second wait, no render
    finally:
        holder.close()  # the other renderer went away without storing anything
        engine.dispose()
    fresh = _get(apps.a)
    assert fresh.headers["X-Page-Cache"] == "miss" and apps.renders == 2
    assert _get(apps.a).headers["X-Page-Cache"] == "hit" and apps.renders == 2


@pytest.mark.live  # committed data, two app instances
def test_a_waiter_renders_itself_when_the_wait_runs_out(apps, pg_url):
    waiting = apps.make(PAGE_CACHE_WAIT_SECONDS=0.5)
    engine, holder = _hold_the_pages_lock(pg_url, waiting)
    try:
        t0 = time.perf_counter()
        r = _get(waiting)
        took = time.perf_counter() - t0
        assert r.status_code == 200 and r.headers["X-Page-Cache"] == "miss" and apps.renders == 1
        assert 0.4 < took < 3
    finally:
        holder.close()
        engine.dispose()


@pytest.mark.live  # committed data, two app instances
def test_a_failing_store_never_fails_a_page(apps, pg_url, monkeypatch, caplog):
    from lims import pagestore

    _sql(pg_url, "ALTER TABLE page_cache RENAME TO page_cache_away")
    try:
        with caplog.at_level(logging.WARNING, logger="lims.pagestore"):
            r = _get(apps.a)
        assert r.status_code == 200 and r.headers["X-Page-Cache"] == "miss" and apps.renders == 1
        assert "shared page cache unavailable" in caplog.text
        assert _get(apps.b).status_code == 200 and apps.renders == 2
    finally:
        _sql(pg_url, "ALTER TABLE page_cache_away RENAME TO page_cache")

    def broken(conn, key, page):
        raise sa.exc.OperationalError("INSERT", {}, Exception("the server went away"))

    monkeypatch.setattr(pagestore, "_store", broken)  # the lookups work, storing fails
    third = apps.make()
    with pytest.MonkeyPatch.context() as mp:
        from lims import pagecache
        from lims.database import utcnow

        later = utcnow().replace(second=5, microsecond=0) + timedelta(minutes=3)
        mp.setattr(pagecache, "utcnow", lambda: later)
        r = _get(third)
    assert r.status_code == 200 and r.headers["X-Page-Cache"] == "miss" and apps.renders == 3  # rendered once


@pytest.mark.live  # committed data, two app instances
def test_a_signed_in_page_is_never_served_to_another_user(apps):
    """The user, the session's CSRF secret and the bell stay in the key: the same session on
    another worker gets its own page from the shared level, another user never does."""
    one_a = Client(apps.a.test_client())
    one_a.login(_user("reg_one"))
    page = one_a.get("/batches")
    assert page.status_code == 200 and page.headers["X-Page-Cache"] == "miss"
    assert "监管甲" in page.get_data(as_text=True)
    one_b = Client(apps.b.test_client())  # the same browser, its next request served by worker B
    one_b.set_cookie("session", one_a.get_cookie("session").value)
    same = one_b.get("/batches")
    assert same.headers["X-Page-Cache"] == "shared" and same.data == page.data
    two_b = Client(apps.b.test_client())
    two_b.login(_user("reg_two"))
    theirs = two_b.get("/batches")
    html = theirs.get_data(as_text=True)
    assert theirs.headers["X-Page-Cache"] == "miss" and "监管乙" in html and "监管甲" not in html
    another_session = Client(apps.b.test_client())  # reg_one signed in again elsewhere: another CSRF secret
    another_session.login(_user("reg_one"))
    assert another_session.get("/batches").headers["X-Page-Cache"] == "miss"


def _user(username):
    return SimpleNamespace(username=username)


@pytest.mark.live  # committed data, two app instances
def test_the_key_holds_the_host(apps):
    """The same address asked under two host names is two pages: a page may carry absolute
    links for its host (none of the cached pages does today: their bodies are the same)."""
    first = _get(apps.a, base_url="http://kj.example.gov.cn")
    other = _get(apps.b, base_url="http://lims.internal:8000")
    assert (first.headers["X-Page-Cache"], other.headers["X-Page-Cache"]) == ("miss", "miss")
    assert apps.renders == 2
    assert first.data == other.data  # what was checked: today's cached pages carry no host


@pytest.mark.live  # committed data, two app instances
def test_tick_prunes_old_pages_and_backups_leave_them_out(apps, pg_url, tmp_path, worker_id):
    from lims.backup import restore_backup, write_backup
    from lims.database import utcnow

    _get(apps.a)
    _sql(pg_url, "INSERT INTO page_cache (key, body, content_type, etag, created_at) "
                 "VALUES ('old', 'x', 'text/html', 'e', :at)", at=utcnow() - timedelta(minutes=30))
    with apps.a.app_context():
        archive = str(tmp_path / "backup.tar.gz")
        write_backup(archive)
    target = make_test_app(_new_database(worker_id, "pagestore_restore"), tmp_path / "restored")
    try:
        with target.app_context():
            restore_backup(archive)
            from lims.extensions import db

            assert db.session.execute(sa.text("SELECT count(*) FROM page_cache")).scalar() == 0
            assert db.session.execute(sa.text("SELECT count(*) FROM stalls")).scalar() == 1
            db.session.remove()
    finally:
        _close(target)
    assert _sql(pg_url, "SELECT relpersistence FROM pg_class WHERE relname = 'page_cache'") == [("u",)]

    result = apps.a.test_cli_runner().invoke(args=["lims", "tick"])
    assert result.exit_code == 0, result.output
    assert _sql(pg_url, "SELECT count(*) FROM page_cache WHERE key = 'old'") == [(0,)]
    assert _sql(pg_url, "SELECT count(*) FROM page_cache") == [(1,)]  # this minute's page stays
