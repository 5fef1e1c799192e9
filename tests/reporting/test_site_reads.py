"""A period's figures of some sites read those sites' results alone (issue 15): the results
are chosen by their own site and test time (``ix_results_site_tested``), not the period's
results of every site joined to their batches to learn the site."""
from __future__ import annotations

import sqlalchemy as sa

from tests.reporting.world import MONTH


def _plan(db, stmt) -> str:
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        return "\n".join(str(r[-1]) for r in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    db.session.execute(sa.text("ANALYZE results"))  # the planner's statistics of this test's rows
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # so few rows: judge the index choice
    return "\n".join(db.session.execute(sa.text("EXPLAIN " + sql)).scalars())


def test_a_market_month_reads_its_results_by_their_site(world, db, ctx):
    from lims.models import Result
    from lims.reporting import figures

    start, end = figures.month_bounds(MONTH)
    site = world.sites["SA"]
    scope = figures.Scope(frozenset({site.id}), site.name, "site", key=site.code)
    plan = _plan(db, figures._results(scope, start, end).add_columns(sa.func.count(Result.id)))
    assert "ix_results_site_tested" in plan, plan
    # … and what it reads is that market's: the headline of one site is that site's row of all.
    everything = figures.headline_by_site(figures.Scope(None, "all", "district"), start, end, end)
    assert figures.headline(scope, start, end, end) == everything[site.id]
    assert everything[site.id].tests > 0
