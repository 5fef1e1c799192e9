"""The importer seals its rows a column at a time (``seal_columns``), taking shortcuts for the
columns whose rows all hold one value; every seal must still be the seal of the row's own
canonical text — the one ``verify`` recomputes from the stored row (``checker``)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from lims.audit.seal import SEP, NULL, checker, fields, mac, seal_columns

KEY = b"a test key for the seals"
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=8))])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
NUMBERS = st.one_of(st.none(), st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1.00004"), 1, 1.0, 0, True]),
                    st.decimals(min_value=-10 ** 6, max_value=10 ** 6, places=4))
VALUES = {  # field → the values a column may hold (equal values of other types on purpose)
    "batch_id": st.one_of(st.just(7), st.integers(1, 10 ** 9)), "item_id": st.sampled_from([1, 2, True]),
    "version": st.just(1), "current": st.sampled_from([True, False, 1, None]),
    "outcome": st.sampled_from(["negative", "positive", "invalid", "a\\b", f"x{SEP}y", ""]),
    "value": NUMBERS, "value_text": st.one_of(st.none(), st.sampled_from(["阴性", "1", "N.D", 1, 1.0, True])),
    "computed_value": NUMBERS, "cutoff": NUMBERS, "tested_at": st.one_of(st.none(), MOMENTS),
    "reviewed_at": st.one_of(st.none(), MOMENTS),
}


def _by_row(columns: dict, n: int) -> list[str]:
    """The definition: each row's canonical text built on its own, field by field."""
    seal = mac(KEY)
    out = []
    for i in range(n):
        def value(name):
            v = columns.get(name)
            return v[i] if isinstance(v, list) else v
        texts = [NULL if value(name) is None else f(value(name)) for name, f in fields("result")]
        rkey = value("record_key")
        ident = f"k:{rkey}" if rkey is not None else f"i:{value('id')}"
        out.append(seal("result" + SEP + ident + SEP + SEP.join(texts)))
    return out


@st.composite
def column_sets(draw):
    n = draw(st.integers(1, 40))
    columns = {}
    for name, values in VALUES.items():
        shape = draw(st.sampled_from(["varying", "one value", "shared", "absent"]))
        if shape == "varying":
            columns[name] = draw(st.lists(values, min_size=n, max_size=n))
        elif shape == "one value":
            columns[name] = [draw(values)] * n
        elif shape == "shared":
            columns[name] = draw(values)
    if draw(st.booleans()):
        columns["record_key"] = [f"key-{i}" for i in range(n)]
    else:
        columns["id"] = list(range(100, 100 + n))
    return columns, n


@settings(max_examples=300, deadline=None)
@given(column_sets())
def test_column_wise_seals_are_the_rows_own_seals(case):
    columns, n = case
    assert seal_columns(KEY, "result", columns, n) == _by_row(columns, n)


def test_a_column_of_equal_values_written_differently_seals_as_each_row_would():
    columns = {"id": [1, 2, 3], "value": [Decimal("1"), Decimal("1.0"), 1], "tested_at": [None] * 3,
               "outcome": ["negative"] * 3, "value_text": [1, 1.0, True]}  # equal, but not the same text
    assert seal_columns(KEY, "result", columns, 3) == _by_row(columns, 3)


def test_a_sealed_row_checks_as_stored():
    """What verify computes from the row as SQLite stores it equals the importer's seal."""
    at = datetime(2026, 11, 20, 1, 2, 3, tzinfo=timezone.utc)
    columns = {"record_key": ["k1"], "batch_id": [5], "item_id": [2], "version": 1, "current": True,
               "outcome": ["negative"], "value": [Decimal("12.4")], "computed_value": [Decimal("12.4")],
               "cutoff": [Decimal("50")], "tested_at": [at]}
    stored = {"batch_id": 5, "item_id": 2, "version": 1, "current": 1, "outcome": "negative", "value": 12.4,
              "computed_value": 12.4, "cutoff": 50.0, "tested_at": "2026-11-20 01:02:03.000000"}
    row = (1, "k1", *[stored.get(name) for name, _ in fields("result")])
    assert seal_columns(KEY, "result", columns, 1) == [checker(KEY, "result")(row)]


def test_rows_named_as_they_stream_are_named_as_held(db, make_user):
    """``name_sealed_rows`` (the importer's: (id, seal) streamed in id order) writes the entries
    ``name_rows`` writes for the same rows and seals, chunk for chunk; rows out of order are refused."""
    import pytest

    from lims.accounts.access import Actor
    from lims.audit.services import name_rows, name_sealed_rows
    from lims.models import AuditEntry

    actor = Actor(user=make_user("technician"), ip="test")
    seals = {i: f"{i:032x}" for i in [*range(3, 9), *range(20, 27)]}
    assert name_rows(actor, "result", list(seals), "result.import", seals=seals, chunk=5) == 3
    assert name_sealed_rows(actor, "result", sorted(seals.items()), "result.import", chunk=5) == 3
    entries = db.session.execute(sa.select(AuditEntry.subject_id, AuditEntry.after)
                                 .where(AuditEntry.action == "result.import").order_by(AuditEntry.seq)).all()
    assert [tuple(e) for e in entries[:3]] == [tuple(e) for e in entries[3:]]
    assert [e.after["ids"] for e in entries[:3]] == [[[3, 7]], [[8, 8], [20, 23]], [[24, 26]]]
    with pytest.raises(ValueError):
        name_sealed_rows(actor, "result", [(5, "a"), (4, "b")], "result.import")
