"""Invariants of the monthly figures over randomly generated small districts (hypothesis),
not only the hand-built one of world.py:

- every headline count equals the sum of its breakdowns (by site, category, item, station)
  and of the daily chart; the headline's batches are the breakdowns' batches, and the batches
  sampled but not tested are stated apart (tested + untested = sampled);
- the kilograms of the headline are the kilograms of the positives table (per batch, once);
- overdue cases are open when printed; the ones closed late are counted apart;
- the counts are those of the generated district, counted here from the generator's own plan.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reporting.world import MONTH, NOW, Builder, loc

START = loc(2026, 11, 1)
END = loc(2026, 12, 1)
CATEGORIES = ("VEG-LEAF", "VEG-LEG", "MEAT-LIVESTOCK", None)
TERMINAL = ("destroy", "harmless", "return", "recall")


@dataclass
class ResultPlan:
    outcome: str
    delay_hours: int
    reviewed: bool


@dataclass
class BatchPlan:
    site: int
    stall: int | None
    category: str | None
    station: int | None  # the batch's and its results' station (index), None: none
    sampled_hours: int  # hours after Nov 1 00:00 local (negative: October)
    results: list[ResultPlan]
    disposition: str  # what happens to the first positive: see DISPOSITIONS
    actions: list[tuple[str, Decimal]] = field(default_factory=list)
    notified_after: int = 1
    closed_after: int = 10


DISPOSITIONS = ("not_notified", "stopped", "confirmed", "disposed", "released")

results = st.builds(ResultPlan, outcome=st.sampled_from(("negative", "negative", "negative", "positive", "suspect",
                                                         "invalid")),
                    delay_hours=st.integers(0, 30), reviewed=st.booleans())
kg = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("30"), places=1)
batches = st.builds(
    BatchPlan, site=st.integers(0, 2), stall=st.one_of(st.none(), st.integers(0, 1)),
    category=st.sampled_from(CATEGORIES), station=st.one_of(st.none(), st.integers(0, 1)),
    sampled_hours=st.integers(-60, 30 * 24 - 1), results=st.lists(results, max_size=3),
    disposition=st.sampled_from(DISPOSITIONS),
    actions=st.lists(st.tuples(st.sampled_from((*TERMINAL, "stop_sale")), kg), max_size=2),
    notified_after=st.integers(0, 3), closed_after=st.integers(1, 80))
districts = st.tuples(st.integers(1, 3), st.lists(batches, max_size=18))


def build(db, b: Builder, n_sites: int, plans: list[BatchPlan]):
    """Lay the planned district out in the database; return what the figures must say,
    counted from the plan (reviewed, current results tested in November)."""
    from lims.models import Station

    sites = [b.site(f"Q{i}", f"随机市场{i}", planned=5) for i in range(n_sites)]
    stalls = [[b.stall(s, f"{s.code}-{j}", f"经营户{j}") for j in range(2)] for s in sites]
    stations = [Station(code=f"QS{i}", name=f"随机检测点{i}", kind="room", organisation="随机区市场监督管理局")
                for i in range(2)]
    db.session.add_all(stations)
    expected = dict(tests=0, positives=0, batches=0, untested=0, kg=Decimal(0), overdue_open=0)
    for n, plan in enumerate(plans):
        site = sites[plan.site % n_sites]
        sampled = START + timedelta(hours=plan.sampled_hours)
        station = stations[plan.station] if plan.station is not None else None
        batch = b.batch(site, f"样品{n}", sampled, code=f"QB-{n:04d}", category=plan.category,
                        stall=stalls[plan.site % n_sites][plan.stall] if plan.stall is not None else None,
                        station=station, status="passed", verdict="negative")
        counted, positive_results, first_test = 0, [], None
        for k, r in enumerate(plan.results):
            tested = sampled + timedelta(hours=1 + r.delay_hours, minutes=k)
            first_test = tested if first_test is None else min(first_test, tested)
            reading = dict(computed=Decimal("70") if r.outcome == "positive" else Decimal("10"))
            if r.outcome == "invalid":
                reading = dict(computed=None)
            result = b.result(batch, "OPC", r.outcome, tested, reviewed=r.reviewed, station=station, **reading)
            if START <= tested < END and r.reviewed:
                counted += 1
                expected["tests"] += 1
                if r.outcome == "positive":
                    expected["positives"] += 1
            if r.outcome == "positive":
                positive_results.append((result, START <= tested < END and r.reviewed))
        if counted:
            expected["batches"] += 1
        if START <= sampled < END and (first_test is None or first_test >= END):
            expected["untested"] += 1
        if positive_results:
            result, counts = positive_results[0]
            counts = any(c for _, c in positive_results)
            found = result.tested_at
            notified = None if plan.disposition == "not_notified" else found + timedelta(hours=plan.notified_after)
            closed = None
            if plan.disposition in ("disposed", "released"):
                closed = min(found + timedelta(hours=plan.closed_after), NOW - timedelta(minutes=1))
            status = "stopped" if plan.disposition == "not_notified" else plan.disposition
            d = b.disposition(batch, result, status, notified or found, closed_at=closed,
                              deadline=None if notified is None else "auto",
                              due_at=None if notified is None else "auto")
            d.notified_at = notified
            if plan.disposition == "disposed":
                for action, weight in plan.actions:
                    b.action(d, action, weight, closed)
                    if counts and action in TERMINAL:
                        expected["kg"] += weight
            if plan.disposition in ("stopped", "confirmed") and notified is not None \
                    and NOW > notified + timedelta(hours=28) and d.opened_at < END:
                expected["overdue_open"] += 1
            if plan.disposition == "not_notified":
                expected.setdefault("not_notified", set()).add(batch.code)
    db.session.flush()
    return expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(district=districts)
def test_monthly_figures_agree_with_themselves_and_with_the_district(app, db, make_user, ctx, clock, district):
    from lims.accounts.access import Actor
    from lims.reporting.monthly import build_monthly

    n_sites, plans = district
    clock(NOW)
    nested = db.session.begin_nested()
    try:
        b = Builder(db, make_user("technician"), make_user("reviewer"))
        expected = build(db, b, n_sites, plans)
        regulator = Actor(make_user("regulator"), "test")
        r = build_monthly(regulator, MONTH)
        f = r.current
        # the district as planned
        assert (f.tests, f.positives, f.batches, f.batches_untested) == (
            expected["tests"], expected["positives"], expected["batches"], expected["untested"]), expected
        assert f.kg_disposed == expected["kg"]
        # every headline equals the sum of its breakdowns
        for rows in (r.by_site, r.by_category, r.by_item, r.by_station):
            for attr in ("tests", "negatives", "positives", "suspects", "invalids"):
                assert sum(getattr(x, attr) for x in rows) == getattr(f, attr), (attr, rows)
        for rows in (r.by_site, r.by_category, r.by_station):
            assert sum(x.batches for x in rows) == f.batches, rows
        assert f.tests == f.negatives + f.positives + f.suspects + f.invalids
        assert sum(d.tests for d in r.daily) == f.tests and sum(d.positives for d in r.daily) == f.positives
        # kilograms agree across pages: the positives table, each batch once
        assert len(r.positives) == f.positives
        assert sum({p.batch_code: p.kg_disposed for p in r.positives}.values(), Decimal(0)) == f.kg_disposed
        # open cases are open: an overdue case closed since is counted as closed late, never as open
        assert f.overdue_dispositions == expected["overdue_open"]
        assert f.dispositions_closed <= f.positives
        # a positive whose seller was never told is listed as such, never as within the objection window
        for p in r.positives:
            assert (p.disposition_status == "not_notified") == (p.batch_code in expected.get("not_notified", ())), p
    finally:
        nested.rollback()
