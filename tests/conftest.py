"""Shared fixtures: one migrated database per test session, a transaction per test that
is rolled back afterwards, factories for the things tests need, and a client that can
sign in and post forms with their CSRF token.

Environment:
- LIMS_TEST_DATABASE_URL: run against this database (CI: a scratch PostgreSQL database);
  default a temporary SQLite file.
- LIMS_REQUIRE_ALL=1: a skipped test fails instead (CI: Chromium, PostgreSQL and the CJK
  font must really be used)."""
from __future__ import annotations

import itertools
import os
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

REQUIRE_ALL = os.environ.get("LIMS_REQUIRE_ALL") == "1"
TEST_PASSWORD = "correct horse 42"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under LIMS_REQUIRE_ALL=1 nothing may be skipped: a skip is a missing part in CI."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under LIMS_REQUIRE_ALL=1: {reason}"


def scratch_database(tmp_path_factory, worker_id: str, name: str) -> str:
    """A fresh, empty database for this test worker: a temporary SQLite file, or — when
    LIMS_TEST_DATABASE_URL names a PostgreSQL database — a sibling database created now
    (``<db>_<worker>_<name>``), so that parallel workers never share one."""
    base = os.environ.get("LIMS_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / f'{name}.sqlite'}"
    url = sa.engine.make_url(base)
    if not url.drivername.startswith("postgresql"):
        return base
    dbname = f"{url.database}_{worker_id}_{name}".lower()[:63]
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    admin.dispose()
    _created.append((url, dbname))
    return url.set(database=dbname).render_as_string(hide_password=False)


_created: list = []


def pytest_sessionfinish(session, exitstatus):
    for url, dbname in _created:
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request):
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def make_test_app(database_url: str, data_dir, **overrides):
    from lims import create_app

    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


def migrate_and_load(app) -> None:
    from flask_migrate import upgrade

    from lims.extensions import db
    from lims.reference.loader import load_reference_data

    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
        db.session.remove()


def reset_database(app) -> None:
    """Drop everything (including the audit guards) so a live database starts empty."""
    from flask_migrate import downgrade

    with app.app_context():
        from lims.extensions import db

        insp = sa.inspect(db.engine)
        if "alembic_version" in insp.get_table_names():
            downgrade(revision="base")
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    return scratch_database(tmp_path_factory, worker_id, "main")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = make_test_app(database_url, tmp_path_factory.mktemp("data"))
    reset_database(app)
    migrate_and_load(app)
    yield app
    from lims.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _rollback_after_test(request, app):
    """Each test runs inside a transaction that is rolled back: the app's own commits
    only release savepoints. Tests marked ``live`` use their own database instead."""
    if request.node.get_closest_marker("live"):
        yield
        return
    from flask_sqlalchemy.session import _app_ctx_id

    from lims.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = orm.scoped_session(
            orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False),
            scopefunc=_app_ctx_id)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def db(app):
    from lims.extensions import db

    return db


@pytest.fixture
def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


# --- factories ----------------------------------------------------------------------

_seq = itertools.count(1)


@pytest.fixture
def system_actor():
    from lims.accounts.access import Actor

    return Actor(user=None, ip="test")


@pytest.fixture
def admin_actor(make_user):
    from lims.accounts.access import Actor

    return Actor(user=make_user("admin"), ip="test")


@pytest.fixture
def make_site(app, db):
    from lims.models import Site

    def make(code=None, name=None, kind="market", **kw):
        n = next(_seq)
        site = Site(code=code or f"S{n:03d}", name=name or f"测试市场{n}", kind=kind, district="测试区", **kw)
        db.session.add(site)
        db.session.flush()
        return site

    return make


@pytest.fixture
def make_stall(app, db, make_site):
    from lims.models import Stall

    def make(site=None, code=None, operator="张三", **kw):
        n = next(_seq)
        stall = Stall(site=site or make_site(), code=code or f"A-{n:02d}", operator=operator,
                      public_code=f"pub{n:07d}", **kw)
        db.session.add(stall)
        db.session.flush()
        return stall

    return make


@pytest.fixture
def make_user(app, db):
    from werkzeug.security import generate_password_hash

    from lims.models import User

    def make(role="technician", sites=(), username=None, display_name=None, password=TEST_PASSWORD, **kw):
        n = next(_seq)
        user = User(username=username or f"{role}{n}", display_name=display_name or f"{role} {n}", role=role,
                    password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"), **kw)
        user.sites = list(sites)
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture
def make_lot(app, db):
    from lims.models import ReagentLot
    from lims.reference.services import get_item

    def make(item="CLB", lot=None, expires_on=None, **kw):
        n = next(_seq)
        obj = ReagentLot(item=get_item(item), lot=lot or f"LOT-{n}", expires_on=expires_on or date.today() + timedelta(days=180), **kw)
        db.session.add(obj)
        db.session.flush()
        return obj

    return make


class Client:
    """A test client that signs in and posts forms with their CSRF token.

    Each request runs in a fresh application context, as in production: the test's own
    context (held open by the per-test transaction) must not share ``g`` with requests."""

    def __init__(self, flask_client):
        self.c = flask_client

    def __getattr__(self, name):
        return getattr(self.c, name)

    def open(self, *args, **kwargs):
        with self.c.application.app_context():
            return self.c.open(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)

    def patch(self, *args, **kwargs):
        return self.open(*args, method="PATCH", **kwargs)

    def put(self, *args, **kwargs):
        return self.open(*args, method="PUT", **kwargs)

    def delete(self, *args, **kwargs):
        return self.open(*args, method="DELETE", **kwargs)

    def csrf(self, path="/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, user, password=TEST_PASSWORD):
        token = self.csrf("/login")
        r = self.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        return r

    def post_form(self, path, data=None, csrf_from=None, **kw):
        payload = dict(data or {})
        payload["csrf_token"] = self.csrf(csrf_from or path)
        return self.post(path, data=payload, **kw)


@pytest.fixture
def page_cache_on(app):
    """The page cache (lims.pagecache) on and empty for one test; the others run without it."""
    app.config["PAGE_CACHE_BYTES"] = 1 << 20
    app.extensions.pop("lims.page_cache", None)
    yield
    app.config["PAGE_CACHE_BYTES"] = 0
    app.extensions.pop("lims.page_cache", None)


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def api_token(app, db):
    """A bearer token for a user: ``api_token(user)`` → headers dict."""
    from lims.accounts.access import Actor
    from lims.accounts.services import create_token

    def make(user):
        token = create_token(Actor(user=None, ip="test"), user, "test")
        return {"Authorization": f"Bearer {token}"}

    return make


def D(x) -> Decimal:
    return Decimal(str(x))
