"""Bulk writes at the driver, for the importer's hot path.

SQLAlchemy's per-row statement machinery costs more than the database's own work when
100,000 results are written. Here the values are converted to the driver's form once per
value with the columns' own conversions (a faster equivalent where one is known and
tested), and sent with one ``executemany`` per chunk."""
from __future__ import annotations

import itertools
import operator
import sqlite3
from datetime import datetime, timezone

import sqlalchemy as sa

from lims.audit.seal import seal_columns
from lims.database import UTCDateTime
from lims.extensions import db

# Drivers whose positional marker can be written straight into the SQL text.
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def sqlite_utc_text(value: datetime) -> str:
    """What :class:`UTCDateTime` stores on SQLite (naive UTC text with microseconds),
    computed in one step instead of two conversions."""
    if value.tzinfo is timezone.utc:  # as the parsers give it
        return value.isoformat(" ", "microseconds")[:26]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def utc_from_driver(value) -> datetime | None:
    """A timestamp as the driver returns it (SQLite text, a naive or aware datetime) → aware UTC,
    as :class:`UTCDateTime` gives it."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def driver_converter(column: sa.Column, dialect):
    """The function turning a Python value of ``column`` into the driver's form, or None."""
    if dialect.name == "sqlite":
        if isinstance(column.type, UTCDateTime):
            return sqlite_utc_text
        if isinstance(column.type, sa.Boolean):
            return None  # the driver stores True and False as 1 and 0 itself
    return column.type._cached_bind_processor(dialect)


#: Most rows one multi-row INSERT carries (besides the driver's limit on parameters).
ROWS_PER_INSERT = 1000


def parameter_limit(connection) -> int:
    """How many parameters one statement may carry on this connection: SQLite's own limit
    (32,766 since 3.32; 999 before), PostgreSQL's protocol limit (65,535) with a margin."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        try:
            return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # pragma: no cover - Python < 3.11
            return 999
    if dialect.name == "postgresql":
        return 32_767
    return 999  # pragma: no cover - no other database is configured


class Inserter:
    """``INSERT INTO table (names…)`` of rows already in the driver's form, in ``names`` order:
    many rows a statement (``VALUES (…), (…), …``), which costs the database about half of
    what one ``executemany`` step per row costs (each row a reset, a bind and a step)."""

    def __init__(self, table: sa.Table, names: tuple[str, ...]):
        connection = db.session.connection()
        dialect = connection.dialect
        marker = _MARKERS.get(dialect.paramstyle)
        self.width = len(names)
        if marker is not None:
            self.head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
            self.one = f"({', '.join([marker] * len(names))})"
            self.per_statement = max(1, min(ROWS_PER_INSERT, parameter_limit(connection) // len(names)))
            self.statements: dict[int, str] = {}  # rows in the statement → its text
            self.arrange = None
        else:  # pragma: no cover - no such driver is configured
            self.sql, self.arrange = driver_statement(
                table.insert().values({n: sa.bindparam(n) for n in names}), dialect, names)

    def __call__(self, rows) -> None:
        if not rows:
            return
        connection = db.session.connection()
        if self.arrange is not None:  # pragma: no cover
            connection.exec_driver_sql(self.sql, [self.arrange(r) for r in rows])
            return
        step = self.per_statement
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            sql = self.statements.get(len(part))
            if sql is None:
                sql = self.statements[len(part)] = self.head + ", ".join([self.one] * len(part))
            values = list(itertools.chain.from_iterable(part))
            if len(values) != len(part) * self.width:
                raise ValueError(f"rows of {self.width} values expected")
            connection.exec_driver_sql(sql, tuple(values))


class RowsUpdate:
    """``UPDATE table SET names… = new values [, more] WHERE keys… = given`` for many rows, a
    thousand rows a statement: ``UPDATE table SET … FROM (VALUES (…), …) AS v WHERE …``
    (SQLite from 3.33, PostgreSQL), which costs the database about a third less than one
    ``executemany`` step per row; one executemany where that form is not available. Each row is
    the new values in the order of ``names`` then the keys in the order of ``keys``."""

    def __init__(self, table: sa.Table, names: tuple[str, ...], keys: tuple[str, ...], more: str = ""):
        connection = db.session.connection()
        dialect = connection.dialect
        marker = _MARKERS.get(dialect.paramstyle)
        self.width = len(names) + len(keys)
        v = [f"column{i + 1}" for i in range(self.width)]  # what SQLite and PostgreSQL call VALUES' columns
        sets = ", ".join([f"{n} = v.{v[i]}" for i, n in enumerate(names)] + ([more] if more else []))
        where = " AND ".join(f"{table.name}.{k} = v.{v[len(names) + i]}" for i, k in enumerate(keys))
        self.one_by_one = None
        if dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 33):  # pragma: no cover - no UPDATE … FROM
            self.one_by_one = (f"UPDATE {table.name} SET "
                               + ", ".join([f"{n} = {marker}" for n in names] + ([more] if more else []))
                               + " WHERE " + " AND ".join(f"{k} = {marker}" for k in keys))
            return
        # Written as an UPDATE from its first word: the sqlite3 module counts the rows changed only
        # for a statement that begins with INSERT, UPDATE, DELETE or REPLACE.
        self.head = f"UPDATE {table.name} SET {sets} FROM (VALUES "
        self.one = f"({', '.join([marker] * self.width)})"
        self.tail = f") AS v WHERE {where}"
        self.per_statement = max(1, min(ROWS_PER_INSERT, parameter_limit(connection) // self.width))
        self.statements: dict[int, str] = {}

    def __call__(self, rows) -> int:
        """Update these rows; returns how many rows matched (a row whose keys no longer match —
        changed meanwhile — is not updated)."""
        if not rows:
            return 0
        connection = db.session.connection()
        if self.one_by_one is not None:  # pragma: no cover
            return connection.exec_driver_sql(self.one_by_one, list(rows)).rowcount
        done = 0
        step = self.per_statement
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            sql = self.statements.get(len(part))
            if sql is None:
                sql = self.statements[len(part)] = self.head + ", ".join([self.one] * len(part)) + self.tail
            values = tuple(itertools.chain.from_iterable(part))
            if len(values) != len(part) * self.width:
                raise ValueError(f"rows of {self.width} values expected")
            done += connection.exec_driver_sql(sql, values).rowcount
        return done


def driver_statement(stmt, dialect, names: tuple[str, ...]):
    """``stmt`` compiled once for the driver, and a function turning a sequence of values (in
    the order of ``names``) into the driver's parameters (a tuple or a dict, by paramstyle)."""
    compiled = stmt.compile(dialect=dialect)
    if dialect.positional:
        index = {n: i for i, n in enumerate(names)}
        order = [index[n] for n in compiled.positiontup]
        if len(order) == 1:
            return str(compiled), lambda values: (values[order[0]],)
        return str(compiled), operator.itemgetter(*order)
    return str(compiled), lambda values: dict(zip(names, values))


class RowWriter:
    """Rows of Python values for ``columns`` of ``table`` (plus ``constants``, the same for
    every row) converted to the driver's form and inserted with one executemany per call."""

    def __init__(self, table: sa.Table, columns: tuple[str, ...], constants: dict, seal=None):
        """``seal``: (audit key, subject) to seal each row (:mod:`lims.audit.seal`) from its
        Python values, a column at a time, in the same insert."""
        dialect = db.session.connection().dialect
        self.seal, self.names, self.constants = seal, tuple(columns), constants
        self.convert = [(i, f) for i, name in enumerate(columns)
                        if (f := driver_converter(table.c[name], dialect)) is not None]
        constant = []
        for name, value in constants.items():
            f = driver_converter(table.c[name], dialect)
            constant.append(f(value) if f is not None and value is not None else value)
        self.constant = tuple(constant)
        self.insert = Inserter(table, tuple(columns) + tuple(constants) + (("seal",) if seal else ()))

    def write(self, rows) -> None:
        """Converted a column at a time: most signal columns are empty, and a comprehension
        over a column is far cheaper than a loop over each row's converters. The rows are
        sealed from the values in the driver's form — what is stored, as ``verify`` reads it
        back (a UTC time on SQLite is then already its canonical text)."""
        if not rows:
            return
        n = len(rows)
        columns = list(zip(*rows))
        for i, f in self.convert:
            column = columns[i]
            if column.count(None) != n:  # a column left empty in every row stays as it is
                columns[i] = [None if v is None else f(v) for v in column]
        if self.seal is not None:
            seals = seal_columns(self.seal[0], self.seal[1], {**self.constants, **dict(zip(self.names, columns))}, n)
        columns.extend(itertools.repeat(c, n) for c in self.constant)
        if self.seal is not None:
            columns.append(seals)
        self.insert(list(zip(*columns)))


class InList:
    """A statement with ``… IN (values)`` run at the driver (plain rows back, no conversions),
    compiled once per number of values. ``build`` makes the statement from the list's bind
    parameters; ``fixed`` names its other bind parameters, given first on each call."""

    def __init__(self, build, fixed: tuple[str, ...] = ()):
        self.build, self.fixed = build, fixed
        self.statements: dict[int, tuple] = {}

    def __call__(self, values: list, *fixed_values):
        conn = db.session.connection()
        statement = self.statements.get(len(values))
        if statement is None:
            names = tuple(f"v{i}" for i in range(len(values)))
            stmt = self.build([sa.bindparam(n) for n in names])
            statement = self.statements[len(values)] = driver_statement(stmt, conn.dialect, self.fixed + names)
        sql, arrange = statement
        return conn.exec_driver_sql(sql, arrange((*fixed_values, *values)))
