"""How the busy reads are planned on PostgreSQL (issue 15). psycopg prepares a statement run
five times on a connection; PostgreSQL then keeps one plan for it — unless the LIMIT is a
parameter, when it plans every run afresh (6 ms of planning for a page of batches that runs in
0.4 ms at ten million results). So LIMIT is written into the statement (lims.database)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import local_iso


@pytest.fixture
def listing_statements(db):
    log: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statement = " ".join(statement.split())
        if " FROM batches " in statement and "LIMIT" in statement:
            log.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield log
    sa.event.remove(db.engine, "before_cursor_execute", record)


def test_a_page_of_batches_keeps_one_plan_on_postgresql(api, world, now, db, listing_statements):
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite plans each statement as it comes: there is no plan to keep
    r = api.register(world.tech, site=world.site_a.code, stall=world.stall_a1.code, food="青菜",
                     sampled_at=local_iso(now - timedelta(hours=1)), tests=["OPC"])
    assert r.status_code == 201, r.get_json()
    for _ in range(14):  # psycopg prepares on the 6th run, PostgreSQL weighs a generic plan after 5 more
        listed = api.get("/api/v1/batches", world.regulator, query={"site": world.site_a.code})
        assert listed.status_code == 200 and [b["code"] for b in listed.get_json()] == [r.get_json()["code"]]

    assert listing_statements and all(re.search(r"\bLIMIT 51\b", s) for s in listing_statements), listing_statements
    generic = db.session.execute(sa.text(
        "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements "
        "WHERE statement LIKE '%FROM batches %' AND statement LIKE '%LIMIT 51%'")).scalar()
    assert generic > 0  # before: LIMIT $n, planned afresh every time (0 generic plans)


def test_limit_and_offset_stay_the_numbers_asked_for(db, app):
    """Written into the statement, they still take the value of each call (the compiled
    statement is cached with a placeholder filled in at execution)."""
    from lims.models import TestItem

    codes = db.session.execute(sa.select(TestItem.code).order_by(TestItem.code)).scalars().all()
    assert len(codes) > 4
    for limit, offset in ((1, 0), (3, 1), (2, 2)):
        got = db.session.execute(sa.select(TestItem.code).order_by(TestItem.code).limit(limit).offset(offset)).scalars()
        assert list(got) == codes[offset:offset + limit]
