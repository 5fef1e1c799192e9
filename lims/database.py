"""Database plumbing shared by every model: the declarative base, column types and
SQLite connection settings.

SQLite is the embedded default, so it is configured for an application server:
WAL journal (readers never block the writer), foreign keys enforced, a busy timeout,
and ``BEGIN IMMEDIATE`` for transactions that intend to write, so two writers queue up
instead of one failing half-way with "database is locked".
"""
from __future__ import annotations

import contextvars
import sqlite3
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.selectable import _OffsetLimitParam  # the LIMIT/OFFSET value (_literal_limit)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text. Naive values are
    refused so that local times never slip in unconverted."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Big surrogate keys for high-volume tables; SQLite needs INTEGER to alias the rowid.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

Quantity = sa.Numeric(12, 3)  # kilograms, never float
Signal = sa.Numeric(14, 4)  # readings and thresholds


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def prefixed(column, prefix: str):
    """``column`` starts with ``prefix``, in a form the database answers from an index
    rather than by reading the whole table (a batch code's day counter at ten million rows).
    SQLite compares text byte-wise, so the prefix is a range of its unique index; PostgreSQL
    matches ``LIKE 'prefix%'`` from a ``varchar_pattern_ops`` index whatever its collation (a
    range would be wrong under a linguistic one, which ignores the dashes)."""
    match = column.startswith(prefix, autoescape=True)
    dialect = db_dialect()
    if dialect == "sqlite" and prefix:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return sa.and_(column >= prefix, column < upper, match)
    return match


def built_on(dialect: str):
    """For Alembic's ``include_object``: a schema item made only on another database (an
    index with ``ddl_if(dialect=…)``, e.g. PostgreSQL's pattern index) is not compared there."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        only = getattr(obj, "_ddl_if", None)
        return only is None or only.dialect is None or only.dialect == dialect
    return include


def db_dialect() -> str:
    from lims.extensions import db

    return db.session.get_bind().dialect.name


def enum_check(column: str, values) -> sa.CheckConstraint:
    """A CHECK constraint keeping a string column to a closed set (portable enums)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_enum")


# --- SQLite connection behaviour -------------------------------------------------

# True while the current unit of work intends to write (POST requests, CLI commands).
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    if mode.lower() not in ("wal", "memory"):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_on_connect(dbapi_connection, connection_record):
    """No JIT compilation: it pays off for analytic queries of many seconds, while ours are
    short and a figure over a city's month spent more compiling (0.1–0.9 s) than running."""
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    dbapi_connection.execute("SET jit = off")
    dbapi_connection.autocommit = autocommit


@compiles(_OffsetLimitParam, "postgresql")
def _literal_limit(element, compiler, **kw):
    """LIMIT and OFFSET written into the statement on PostgreSQL, not sent as parameters.
    psycopg prepares a statement run five times on a connection, and PostgreSQL then plans it
    once for all values (a generic plan) — but not when the LIMIT is a parameter: not knowing
    how many rows are wanted, it estimates the generic plan as reading them all and plans every
    execution afresh. A page of batches with its site, stall, supplier and disposition joined
    spent 6 ms planning a query that runs in 0.4 ms."""
    kw["literal_execute"] = True
    return compiler.visit_bindparam(element, **kw)


def reads_only(session) -> None:
    """A request that only reads runs its statements on PostgreSQL outside a transaction: no
    BEGIN and no COMMIT, two round trips of the few a page or answer takes. What it reads is
    the same — under READ COMMITTED each statement sees what was committed when it started,
    in a transaction or not. A read request that flushes a change anyway is refused
    (:func:`_no_writes_when_reading`): a GET that writes says so (``lims.web.writes_on_get``)
    and gets its transaction. SQLite keeps its transactions (a deferred BEGIN there)."""
    bind = session.get_bind()
    # (a session bound to a connection already in a transaction — the test suite's — keeps it)
    if bind.dialect.name == "postgresql" and isinstance(bind, sa.engine.Engine) and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        session.info[_READS_ONLY] = True


_READS_ONLY = "reads_only"


@event.listens_for(sa.orm.Session, "before_flush")
def _no_writes_when_reading(session, flush_context, instances) -> None:
    if session.info.get(_READS_ONLY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a request that only reads wrote: mark its view with lims.web.writes_on_get")


@event.listens_for(sa.orm.Session, "after_transaction_end")
def _reads_done(session, transaction) -> None:
    if transaction.parent is None:  # its connection goes back to the pool, made transactional again
        session.info.pop(_READS_ONLY, None)


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
