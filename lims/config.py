"""Configuration: defaults here, overridden by ``LIMS_*`` environment variables.

Nothing is read at import time: :func:`load_config` reads the environment when the
application is created, so tests and the CLI can pass their own values.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_REMEMBER_DAYS = 30


class Config:
    """Production defaults. Every key may be set as ``LIMS_<KEY>`` in the environment."""

    DATABASE_URL = None  # default: SQLite in instance/lims.sqlite
    # A PostgreSQL streaming replica that reports, dashboards and exports read (lims.replica);
    # None: they read the primary.
    DATABASE_REPLICA_URL = None
    SECRET_KEY = None  # default: a random key stored in instance/secret_key
    AUDIT_KEY = None  # keys the audit chain; required in production (lims.audit.key)
    AUDIT_KEY_DEV = False  # `make run`: derive a development audit key from SECRET_KEY
    # Seal (chain) new audit entries after a write request at most this often per worker, in
    # seconds; 0 after every one; negative: only `lims tick` / `lims audit seal` (lims.audit.services).
    AUDIT_SEAL_EVERY = 1
    DATA_DIR = None  # default: instance/data
    PDF_FONT = None
    TIMEZONE = "Asia/Shanghai"
    DEFAULT_LOCALE = "zh_CN"
    LOCALES = ("zh_CN", "en")

    # Rules that are configuration, not law (domain.md §6, §7).
    DISPOSAL_DEADLINE_HOURS = 24
    # A positive is shown on public pages once the seller was told, or this many hours after
    # it was found, whichever comes first (lims.rules.publication).
    PUBLIC_POSITIVE_DELAY_HOURS = 24
    TRACEBACK_DAYS = 7
    RATING_RED_POSITIVE_RATE = "5"
    RATING_ORANGE_POSITIVE_RATE = "3"
    RATING_YELLOW_POSITIVE_RATE = "1.5"
    RATING_RED_OVERDUE_HOURS = 48
    BLACKLIST_POSITIVES = 2
    BLACKLIST_DAYS = 90
    BLACKLIST_MIN_RATE = "5"  # percent of the stall's batches tested in those days
    REDLIST_MIN_BATCHES = 20
    REDLIST_BATCH_DAYS = 90
    REDLIST_CLEAN_DAYS = 180
    DASHBOARD_MAX_RANGE_DAYS = 366  # a custom dashboard range; longer: choose a year

    # Imports
    IMPORT_MAX_BYTES = 20 * 1024 * 1024
    IMPORT_MAX_ROWS = 200_000
    # Files from this size on are previewed and imported by a background job (lims.jobs): the
    # request returns at once with a page that shows the rows processed.
    IMPORT_JOB_BYTES = 1024 * 1024
    # Background jobs: auto (PostgreSQL: procrastinate's queue and `lims worker`; SQLite: a
    # thread in the web process; tests: at once after commit), procrastinate, thread or now.
    JOBS_MODE = "auto"

    # Login throttling (lims.accounts.services.authenticate): after LOGIN_MAX_FAILURES failed
    # tries an account waits LOGIN_LOCK_MINUTES, twice as long after each further failure, up to
    # LOGIN_LOCK_MAX_MINUTES; failures are forgotten after LOGIN_WINDOW_MINUTES without one. An
    # address waits LOGIN_LOCK_MINUTES after LOGIN_ADDRESS_MAX_FAILURES failures (0: never).
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = 15
    LOGIN_LOCK_MAX_MINUTES = 24 * 60
    LOGIN_ADDRESS_MAX_FAILURES = 100
    # Reverse proxies (load balancers) in front of the app that set X-Forwarded-For/-Proto;
    # 0 = none: the address that connects is the client.
    TRUSTED_PROXIES = 0
    REMEMBER_DAYS = 14  # "keep me signed in": at most MAX_REMEMBER_DAYS

    # Technicians, reviewers and regulators bound to no station or organisation reach nothing;
    # True: everything (a one-team deployment that has not drawn its tree yet; the tests).
    UNBOUND_STAFF_SEE_ALL = False

    ISSUER_NAME = None  # printed at the top of reports; default: the station's organisation
    DISTRICT_NAME = None  # default: the district most sites are in
    # The monthly report's issuing body and sign-off lines (later: the organisation's record).
    # REPORT_ISSUER default: ISSUER_NAME, else the organisation most testing stations belong to.
    # A name left None prints a blank line to sign by hand; REPORT_SEAL None: "<issuer>（盖章）".
    REPORT_ISSUER = None
    REPORT_SEAL = None
    REPORT_COMPILED_BY = None  # 编制
    REPORT_REVIEWED_BY = None  # 审核
    REPORT_SIGNED_BY = None  # 签发 (an issued report prints the regulator who issued it)
    PUBLIC_BASE_URL = None  # e.g. https://kj.example.gov.cn ; default: the request's host
    COMPLAINT_PHONE = "12315"
    PAGE_CACHE_BYTES = 32 * 1024 * 1024  # rendered public pages kept per worker; 0 turns it off
    PAGE_CACHE_SCOPED = True  # False: every page changes with any change (the design before; bench/cache_bench.py)
    # The second level shared by every worker and server through the database (lims.pagestore):
    # None (auto) = on for PostgreSQL; never used on SQLite. A page missing everywhere is rendered
    # once: the others asking for it wait for it at most PAGE_CACHE_WAIT_SECONDS, then render.
    PAGE_CACHE_SHARED = None
    PAGE_CACHE_WAIT_SECONDS = 5.0

    SMTP_HOST = None
    SMTP_PORT = 25
    SMTP_SENDER = "lims@localhost"

    # Flask / extension settings derived in load_config
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    BOOTSTRAP_SERVE_LOCAL = True
    API_TITLE = "食品快检 LIMS API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    TESTING = False


class TestConfig(Config):
    """Used by the test-suite: a throwaway database unless one is given."""

    TESTING = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SECRET_KEY = "test-secret-key"
    PAGE_CACHE_BYTES = 0  # tests that exercise the cache turn it on
    PAGE_CACHE_SHARED = False  # tests of the shared level (tests/lifecycle/test_shared_page_cache.py) turn it on
    AUDIT_SEAL_EVERY = -1  # tests seal when they mean to
    # Most tests are about one team's work; the scope tests bind everyone and turn this off.
    UNBOUND_STAFF_SEE_ALL = True


_INT_KEYS = {k for k, v in vars(Config).items() if isinstance(v, int) and not isinstance(v, bool)}
_BOOL_KEYS = {k for k, v in vars(Config).items() if isinstance(v, bool)}


def _env_value(key: str, raw: str):
    if key in _BOOL_KEYS:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if key in _INT_KEYS:
        return int(raw)
    return raw


def load_config(base: type[Config] | dict | None, instance_path: str) -> dict:
    """Return the settings for one app: class defaults, then ``LIMS_*`` env, then a dict."""
    overrides: dict = {}
    if isinstance(base, dict):
        overrides = dict(base)
        cls = TestConfig if overrides.get("TESTING") else Config
    else:
        cls = base or Config
    settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    for key in list(settings):
        raw = os.environ.get(f"LIMS_{key}")
        if raw is not None and key not in overrides:
            settings[key] = _env_value(key, raw)
    settings.update(overrides)

    instance = Path(instance_path)
    if not settings["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'lims.sqlite'}"
    if not settings["DATA_DIR"]:
        settings["DATA_DIR"] = str(instance / "data")
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _instance_secret(instance)
    if not 1 <= settings["REMEMBER_DAYS"] <= MAX_REMEMBER_DAYS:
        raise ValueError(f"LIMS_REMEMBER_DAYS must be between 1 and {MAX_REMEMBER_DAYS}")
    shared = settings["PAGE_CACHE_SHARED"]
    if isinstance(shared, str):  # from the environment: on/off, or auto (PostgreSQL only)
        word = shared.strip().lower()
        settings["PAGE_CACHE_SHARED"] = None if word in ("", "auto") else word in {"1", "true", "yes", "on"}
    settings["PAGE_CACHE_WAIT_SECONDS"] = float(settings["PAGE_CACHE_WAIT_SECONDS"])
    if settings["PAGE_CACHE_WAIT_SECONDS"] < 0:
        raise ValueError("LIMS_PAGE_CACHE_WAIT_SECONDS must be 0 or more")
    if settings["TRUSTED_PROXIES"] < 0:
        raise ValueError("LIMS_TRUSTED_PROXIES must be 0 or more")
    settings["REMEMBER_COOKIE_DURATION"] = timedelta(days=settings["REMEMBER_DAYS"])
    settings["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    settings["BABEL_DEFAULT_LOCALE"] = settings["DEFAULT_LOCALE"]
    settings["BABEL_DEFAULT_TIMEZONE"] = settings["TIMEZONE"]
    settings["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    return settings


def _instance_secret(instance: Path) -> str:
    """A development secret kept in instance/ so sessions survive restarts.

    Production sets LIMS_SECRET_KEY (the same value on every app server)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
