"""Keyed seals of audited rows.

Each audited row (results, batches, dispositions, reagent lots — :mod:`lims.audit.state`)
carries ``seal = MAC(LIMS_AUDIT_KEY, canonical text of its audited fields)``: keyed BLAKE2b
(128 bits), a MAC by design and several times cheaper per row here than HMAC-SHA256 through
OpenSSL (12 µs a call on this machine: a million rows would take that long to hash). Whoever can write
the database but does not hold the key cannot change a sealed field and make the seal match.
``verify`` recomputes every seal from the stored values, streaming each table once.

The canonical text is built from values as the driver gives them or as Python holds them —
either gives the same text: numbers at their column's scale, timestamps as naive UTC text with
microseconds, dates in ISO form, booleans as 1/0, NULL as ``\\N``. A row is named by its id, or
— for results, whose importer seals them before their ids are known — by its unique record key
when it has one."""
from __future__ import annotations

import functools

import hashlib
import itertools
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from lims.audit.state import AUDITED
from lims.database import UTCDateTime

NULL = "\\N"
SEP = "\x1f"


def _text(v) -> str:
    if v is None:
        return NULL
    v = str(v)
    if "\\" in v or SEP in v:
        v = v.replace("\\", "\\\\").replace(SEP, "\\x1f")
    return v


def _int(v) -> str:
    if v is None:
        return NULL
    return str(v) if type(v) is int else str(int(v))


def _bool(v) -> str:
    return NULL if v is None else ("1" if v else "0")


def _utc(v) -> str:
    if v is None:
        return NULL
    if type(v) is str:  # SQLite's naive UTC text
        if len(v) == 26 and v[10] == " ":
            return v
        v = datetime.fromisoformat(v)
    elif type(v) is datetime and v.tzinfo is timezone.utc:  # as the parsers and PostgreSQL give it
        return v.isoformat(" ", "microseconds")[:26]
    elif isinstance(v, str):
        v = datetime.fromisoformat(v)
    if v.tzinfo is not None:
        v = v.astimezone(timezone.utc).replace(tzinfo=None)
    return v.isoformat(" ", "microseconds")


def _date(v) -> str:
    if v is None:
        return NULL
    if isinstance(v, datetime):
        v = v.date()
    return v.isoformat() if isinstance(v, date) else str(v)


def _number(scale: int | None):
    quantum = Decimal(1).scaleb(-scale) if scale is not None else None

    memo: dict = {}  # readings repeat: remember the text of each value (bounded)

    def canon(v) -> str:
        if v is None:
            return NULL
        text = memo.get((type(v), v))
        if text is None:
            if len(memo) > 50_000:
                memo.clear()
            text = memo[(type(v), v)] = exact(v)
        return text

    def exact(v) -> str:
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, int):
            return str(v)
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(str(v))
        if quantum is not None:
            d = d.quantize(quantum, rounding=ROUND_HALF_UP)  # as PostgreSQL rounds to the scale
        d = d.normalize()
        return format(d, "f") if d else "0"

    return canon


def canon_of(column_type):
    """The canonical-text function for values of a column of this type."""
    if isinstance(column_type, UTCDateTime) or isinstance(column_type, sa.DateTime):
        return _utc
    if isinstance(column_type, sa.Date):
        return _date
    if isinstance(column_type, sa.Boolean):
        return _bool
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Integer):
        return _number(column_type.scale)
    if isinstance(column_type, sa.Integer):
        return _int
    return _text


def _kg_type():
    from lims.models import DisposalAction

    return DisposalAction.__table__.c.quantity_kg.type


def fields(subject: str) -> list[tuple[str, object]]:
    """(name, canonical-text function) of what a ``subject`` row's seal covers, in order."""
    model, names = AUDITED[subject]
    table = model.__table__
    out = [(n, canon_of(table.c[n].type)) for n in names]
    if subject == "disposition":
        out.append(("kg", canon_of(_kg_type())))
    return out


def mac(key: bytes):
    """A function text → seal under ``key`` (keyed BLAKE2b; the key itself is hashed first,
    so that a key of any length serves)."""
    base = hashlib.blake2b(key=hashlib.blake2b(b"lims-row-seal:" + key).digest(), digest_size=16)

    def seal(text: str) -> str:
        h = base.copy()
        h.update(text.encode("utf-8"))
        return h.hexdigest()

    return seal


def seal_columns(key: bytes, subject: str, columns: dict, n: int) -> list[str]:
    """Seals of ``n`` rows given column-wise: ``columns`` maps each sealed field (and ``id``
    or ``record_key``) to a list (or tuple) of ``n`` values, or to one value shared by every row.

    The canonical text of a column whose rows all hold one value (or nothing) is made once, and
    the texts of consecutive such columns joined once: each row then joins only what varies."""
    parts: list = []  # per field, in order: the canonical texts of the n rows, or one shared text
    for name, f in fields(subject):
        values = columns.get(name)
        if not isinstance(values, (list, tuple)):
            parts.append(f(values))
            continue
        first = values[0] if n else None
        if values.count(first) == n and (first is None or f is not _text or type(first) is str):
            # One value in every row (equal values have equal canonical texts, but for a text
            # column of other types: 1 == 1.0 while their texts differ).
            parts.append(NULL if first is None else f(first))
        else:
            parts.append(_canonical_column(f, values, n))
    segments: list = []  # varying columns, and the shared texts between them joined into one
    for part in parts:
        if isinstance(part, str) and segments and isinstance(segments[-1], str):
            segments[-1] += SEP + part
        else:
            segments.append(part)
    columns_ = [itertools.repeat(p, n) if isinstance(p, str) else p for p in segments]
    keys = columns.get("record_key")
    ids = columns.get("id")
    if not isinstance(keys, (list, tuple)):
        keys = [keys] * n
    if not isinstance(ids, (list, tuple)):
        ids = [ids] * n
    prefix = subject + SEP
    seal = mac(key)
    join = SEP.join
    return [seal(prefix + (("k:" + _text(rkey)) if rkey is not None else f"i:{rid}") + SEP + join(texts))
            for rid, rkey, texts in zip(ids, keys, zip(*columns_))]


def _canonical_column(f, values, n: int) -> list[str]:
    """The canonical texts of a column: made once per distinct value when values repeat (an
    outcome, a cut-off), where equal values are sure to have equal texts — any canonical form
    but a text column's, or a text column holding only text."""
    try:
        distinct = set(values)
    except TypeError:  # pragma: no cover - an unhashable value: made one by one
        distinct = None
    if distinct is not None and len(distinct) * 4 <= n \
            and (f is not _text or all(v is None or type(v) is str for v in distinct)):
        texts = {v: NULL if v is None else f(v) for v in distinct}
        return [texts[v] for v in values]
    return [NULL if v is None else f(v) for v in values]


def digest_of(seals) -> str:
    """One digest of many seals (in row order), for the trail entry that names the rows."""
    h = hashlib.sha256()  # the digest of the seals one after the other, hashed in one go
    h.update("".join([s or NULL for s in seals]).encode("ascii"))
    return h.hexdigest()


# --- reading rows as stored -----------------------------------------------------------------------

@functools.cache
def sealed_select(subject: str) -> sa.Select:
    """SELECT id, record key (results) or NULL, the sealed fields, the stored seal — by id.
    Made once (a statement is immutable: callers add to copies)."""
    from lims.audit.state import _columns

    model, _ = AUDITED[subject]
    cols = _columns(subject)
    rkey = model.record_key if subject == "result" else sa.null()
    return sa.select(cols[0], rkey.label("record_key"), *cols[1:], model.seal).order_by(model.id)


def driver_sql(connection, stmt) -> str:
    """``stmt`` as SQL text for the driver, its constants inlined (no parameters)."""
    return str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))


_CHECKERS: dict = {}  # (key, subject) → checker: made once per process and key


def checker(key: bytes, subject: str):
    """A function raw row of :func:`sealed_select` → the seal it should carry. Generated once
    per table and key (one expression per field, no loop): the verify of a million rows runs
    it a million times, and every audited write once."""
    found = _CHECKERS.get((key, subject))
    if found is None:
        if len(_CHECKERS) > 64:  # keys only change in tests
            _CHECKERS.clear()
        found = _CHECKERS[(key, subject)] = _make_checker(key, subject)
    return found


def _make_checker(key: bytes, subject: str):
    canon = [f for _, f in fields(subject)]
    names = {f"f{i}": f for i, f in enumerate(canon)}
    parts = " + SEP + ".join(f"(NULL if row[{i + 2}] is None else f{i}(row[{i + 2}]))" for i in range(len(canon)))
    source = (f"def check(row):\n"
              f"    ident = ('k:' + _text(row[1])) if row[1] is not None else 'i:%d' % row[0]\n"
              f"    return seal(prefix + ident + SEP + {parts})\n")
    scope = {**names, "NULL": NULL, "SEP": SEP, "_text": _text, "seal": mac(key), "prefix": subject + SEP}
    exec(compile(source, f"<seal checker for {subject}>", "exec"), scope)  # noqa: S102 (our own text)
    return scope["check"]


_MARK = "-424242"  # a row id no table has: where the ids go in the compiled text
_TEMPLATES: dict = {}


def _in_template(connection, subject: str) -> str:
    """``sealed_select`` for some ids, compiled once per dialect (compiling it for each 900 ids
    cost more than reading the rows)."""
    key = (connection.dialect.name, subject)
    if key not in _TEMPLATES:
        model, _ = AUDITED[subject]
        text = driver_sql(connection, sealed_select(subject).where(model.id.in_([int(_MARK)])))
        assert text.count(_MARK) == 1, text
        _TEMPLATES[key] = text
    return _TEMPLATES[key]


def update_sealed(session, subject: str, names: tuple[str, ...], groups: dict, key: bytes,
                  also: dict | None = None) -> dict:
    """Set fields of rows and their seals in one statement: ``groups`` maps new values of the
    fields ``names`` (a tuple, in that order) to the ids of the rows that take them. The rows
    are read as stored, the new values put in, the seal computed from the result, and
    ``UPDATE … SET fields, seal WHERE id`` run as one executemany per 900 rows. ``also``:
    further SET clauses (SQL expressions, e.g. a version bump). Returns id → the seal stored."""
    model, fields_ = AUDITED[subject]
    position = [fields_.index(n) + 2 for n in names]  # in a row of sealed_select
    connection = session.connection()
    check = checker(key, subject)
    table = model.__table__
    update = table.update().where(table.c.id == sa.bindparam("rid")).values(
        {**{n: sa.bindparam(f"new_{n}") for n in names}, "seal": sa.bindparam("new_seal"), **(also or {})})
    # Compiled once for the driver and run at the driver (SQLAlchemy's per-row parameter
    # processing cost more than the update itself); the values are plain text.
    compiled = update.compile(dialect=connection.dialect)
    sql = str(compiled)
    template = _in_template(connection, subject)
    out = {}
    for new, ids in groups.items():
        given = dict(zip((f"new_{n}" for n in names), new))
        if connection.dialect.positional:
            slots = compiled.positiontup
            order = [slots.index(n) for n in ("rid", "new_seal")]
            fixed = [given.get(n) for n in slots]

            def params_of(rid, seal, fixed=fixed, order=order):
                p = list(fixed)
                p[order[0]], p[order[1]] = rid, seal
                return tuple(p)
        else:
            def params_of(rid, seal, given=given):
                return {"rid": rid, "new_seal": seal, **given}
        ids = sorted(set(ids))
        for start in range(0, len(ids), 900):
            part = ids[start:start + 900]
            params = []
            for row in connection.exec_driver_sql(template.replace(_MARK, ", ".join(str(int(i)) for i in part))):
                row = list(row)
                for i, value in zip(position, new):
                    row[i] = value
                seal = out[row[0]] = check(row)
                params.append(params_of(row[0], seal))
            if len(params) != len(part):
                raise LookupError(f"{subject}: {len(part) - len(params)} of these rows do not exist")
            connection.exec_driver_sql(sql, params)
    return out


def reseal(session, subject: str, ids, key: bytes, seals: dict | None = None) -> int:
    """Recompute and store the seals of these rows from what is stored (after the code that
    wrote them, in the same transaction). Returns how many seals changed; ``seals``, if given,
    receives id → seal of every row."""
    model, _ = AUDITED[subject]
    ids = sorted(set(ids))
    if not ids:
        return 0
    connection = session.connection()
    check = checker(key, subject)
    table = model.__table__
    update = table.update().where(table.c.id == sa.bindparam("rid")).values(seal=sa.bindparam("new_seal"))
    n = 0
    template = _in_template(connection, subject)
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        changes = []
        sql = template.replace(_MARK, ", ".join(str(int(i)) for i in part))
        for row in connection.exec_driver_sql(sql):  # as stored, as verify reads it
            seal = check(row)
            if seals is not None:
                seals[row[0]] = seal
            if seal != row[-1]:
                changes.append({"rid": row[0], "new_seal": seal})
        if changes:
            connection.execute(update, changes)
            n += len(changes)
    return n


def read_and_reseal(session, subject: str, ids, key: bytes, write=None, later: list | None = None) -> tuple[dict, dict]:
    """:func:`reseal` for a few rows that also gives their states (:func:`lims.audit.state.states`)
    from the same read: (id → state, id → seal). One SELECT through SQLAlchemy (its values
    give the same canonical text as the driver's) and an UPDATE of the seals that changed —
    of all the rows, or of those in ``write`` (a callable: the ids to reseal, given the states).
    With ``later`` (a list) the UPDATE is not run but added to it, as (subject, changes), for
    the caller to run with its own statement (:func:`new_seals`)."""
    from lims.audit.state import state_of_mapping

    ids = sorted(set(ids))
    check = checker(key, subject)
    states, seals, stored = {}, {}, {}
    for start in range(0, len(ids), 900):
        for row in session.execute(_sealed_by_ids(subject), {"ids": ids[start:start + 900]}):
            states[row[0]] = state_of_mapping(subject, row._mapping)
            seals[row[0]] = check(row)
            stored[row[0]] = row[-1]
    chosen = set(write(states)) if write is not None else set(seals)
    changes = [{"rid": rid, "new_seal": seal} for rid, seal in seals.items()
               if rid in chosen and seal != stored[rid]]
    if changes and later is not None:
        later.append((subject, changes))
    elif changes:
        session.connection().execute(_new_seal(subject), changes)
    return states, seals


def new_seals(updates: list) -> list:
    """The UPDATEs of :func:`read_and_reseal`'s ``later`` list, one row each, as CTEs to add to
    another statement (PostgreSQL)."""
    out = []
    for subject, changes in updates:
        table = AUDITED[subject][0].__table__
        for change in changes:
            out.append(table.update().where(table.c.id == change["rid"]).values(seal=change["new_seal"])
                       .cte(f"seal_{len(out)}"))
    return out


def run_new_seals(session, updates: list) -> None:
    """Run the UPDATEs of a ``later`` list by themselves."""
    for subject, changes in updates:
        session.connection().execute(_new_seal(subject), changes)


@functools.cache
def _sealed_by_ids(subject: str) -> sa.Select:
    """:func:`sealed_select` of the rows ``ids`` (bound when run): made once, for every audited write."""
    model, _ = AUDITED[subject]
    return sealed_select(subject).where(model.id.in_(sa.bindparam("ids", expanding=True)))


@functools.cache
def _new_seal(subject: str):
    table = AUDITED[subject][0].__table__
    return table.update().where(table.c.id == sa.bindparam("rid")).values(seal=sa.bindparam("new_seal"))
