"""Bulk writes at the driver, for the importer's hot path.

SQLAlchemy's per-row statement machinery costs more than the database's own work when
100,000 results are written. Here the values are converted to the driver's form once per
value with the columns' own conversions (a faster equivalent where one is known and
tested), and sent with one ``executemany`` per chunk."""
from __future__ import annotations

import itertools
import operator
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


class Inserter:
    """``INSERT INTO table (names…)`` of rows already in the driver's form, in ``names`` order."""

    def __init__(self, table: sa.Table, names: tuple[str, ...]):
        dialect = db.session.connection().dialect
        marker = _MARKERS.get(dialect.paramstyle)
        if marker is not None:
            self.sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
            self.arrange = None
        else:  # pragma: no cover - no such driver is configured
            self.sql, self.arrange = driver_statement(
                table.insert().values({n: sa.bindparam(n) for n in names}), dialect, names)

    def __call__(self, rows) -> None:
        if self.arrange is not None:  # pragma: no cover
            rows = [self.arrange(r) for r in rows]
        if rows:
            db.session.connection().exec_driver_sql(self.sql, rows)


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
