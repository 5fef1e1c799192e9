"""A generated batch code numbers the day's batches of its site (``<site>-<yymmdd>-<nnn>``):
the codes already taken with that prefix are read from an index, not by reading every batch
(at five million batches the scan cost a quarter of a second a registration)."""
from __future__ import annotations

import sqlalchemy as sa

from lims.database import prefixed
from lims.models import Batch


def _plan(db, stmt) -> str:
    conn = db.session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return " ".join(str(r[-1]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table would be read whole anyway
    return " ".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql)))


def test_the_days_codes_are_read_from_an_index(db):
    plan = _plan(db, sa.select(Batch.code).where(prefixed(Batch.code, "QT01-261205-")))
    assert "INDEX" in plan.upper() and "SCAN batches" not in plan and "Seq Scan" not in plan, plan


def test_prefixed_matches_exactly_the_codes_with_the_prefix(db, world, now, admin_actor):
    from lims.batches.services import next_batch_code

    site = world.site_a
    first = next_batch_code(site, now)
    prefix = first.rsplit("-", 1)[0] + "-"
    table = Batch.__table__
    codes = [f"{prefix}007", f"{prefix}X1", prefix[:-1] + ".001", prefix[:-1] + "0001"]
    for c in codes:
        db.session.execute(table.insert().values(
            code=c, site_id=site.id, stall_id=world.stall_a1.id, food="青菜", sampled_at=now,
            status="registered", created_at=now, row_version=1))
    found = set(db.session.execute(sa.select(Batch.code).where(prefixed(Batch.code, prefix))).scalars())
    assert {f"{prefix}007", f"{prefix}X1"} <= found and not found & {prefix[:-1] + ".001", prefix[:-1] + "0001"}
    assert next_batch_code(site, now) == f"{prefix}008"
    # a LIKE wildcard in a prefix is a character, not a wildcard
    assert not db.session.execute(sa.select(Batch.code).where(prefixed(Batch.code, prefix[:2] + "_"))).all()


def test_postgresql_sessions_run_without_jit(db):
    """Our queries are short: PostgreSQL's JIT compiled a city's figure for longer than it ran
    (lims.database: ``SET jit = off`` on every connection). SQLite has no JIT to turn off."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
