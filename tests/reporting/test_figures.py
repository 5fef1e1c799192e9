"""Every figure of lims.reporting.figures against the hand-built district of world.py.

The expected numbers are counted from the table in world.py's docstring; nothing here is
computed by the code under test."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.reporting.world import MONTH, NOW, PREVIOUS, loc, utc

D = Decimal


def district(actors=None):
    from lims.reporting import figures

    return figures.Scope(None, "上城区", "district")


def bounds(month):
    from lims.reporting.figures import month_bounds

    return month_bounds(month)


def as_tuple(row):
    return (row.name, row.tests, row.negatives, row.positives, row.suspects, row.invalids, row.batches)


def figures_tuple(f):
    return dict(batches=f.batches, tests=f.tests, negatives=f.negatives, positives=f.positives,
                suspects=f.suspects, invalids=f.invalids, dispositions_closed=f.dispositions_closed,
                kg_disposed=f.kg_disposed, overdue_dispositions=f.overdue_dispositions, closed_late=f.closed_late,
                batches_untested=f.batches_untested, objections=f.objections,
                objections_released=f.objections_released, objections_confirmed=f.objections_confirmed,
                objections_pending=f.objections_pending)


# --- periods ------------------------------------------------------------------------


def test_month_bounds_are_local_months_in_utc(ctx):
    assert bounds(date(2026, 11, 17)) == (utc(2026, 10, 31, 16), utc(2026, 11, 30, 16))
    assert bounds(date(2026, 10, 1)) == (utc(2026, 9, 30, 16), utc(2026, 10, 31, 16))
    assert bounds(date(2026, 12, 1)) == (utc(2026, 11, 30, 16), utc(2026, 12, 31, 16))
    assert bounds(date(2027, 2, 1)) == (utc(2027, 1, 31, 16), utc(2027, 2, 28, 16))


# --- headline -----------------------------------------------------------------------

NOVEMBER = dict(
    batches=218,  # tested in Nov (local), as every breakdown counts them: SA 11 (a1..a10, o3), SB 67, SC 40, SD 70,
    # SE 5, SF 3, SH 20, SI 2
    batches_untested=2,  # sampled in Nov, not tested by its end: x0 (tested Dec 1 00:00:00), e3 (registered)
    tests=220,  # current results tested in Nov: SA 13, SB 67, SC 40, SD 70, SE 5, SF 3, SH 20, SI 2
    negatives=208, positives=10, suspects=1, invalids=1,
    dispositions_closed=6,  # a1 disposed, a2 released, b2, c1, d1, e2 disposed
    # the positives table's column: a1 destroy 15 + harmless 5, b2 8, c1 returned 3, d1 harmless 2, e2 1.5 (not stop_sale)
    kg_disposed=D("34.5"),
    overdue_dispositions=2,  # still open when printed: b1 (14.5 h), h1 (92.5 h)
    closed_late=1,  # b2 closed 5.5 h late
    objections=3, objections_released=1, objections_confirmed=1, objections_pending=1,  # a2, a7, a8
)
OCTOBER = dict(
    batches=5,  # tested in Oct: o1, o2, ob1, ob2, oe1
    batches_untested=1,  # o3, sampled Oct 31 23:10 local, tested in November
    tests=5, negatives=2, positives=2, suspects=1, invalids=0,  # o1+, o2−, ob1−, ob2?, oe1+
    dispositions_closed=2, kg_disposed=D("14"), overdue_dispositions=0, closed_late=0,
    objections=0, objections_released=0, objections_confirmed=0, objections_pending=0,
)


def test_headline_november(world, ctx):
    from lims.reporting.figures import headline

    f = headline(district(), *bounds(MONTH), NOW)
    assert figures_tuple(f) == NOVEMBER
    assert f.conclusive == 218
    assert f.pass_rate == D(208) / D(218)
    assert f.positive_rate == D(10) / D(218)
    assert f.disposal_rate == D("0.6")


def test_headline_previous_month(world, ctx):
    from lims.reporting.figures import headline

    f = headline(district(), *bounds(PREVIOUS), NOW)
    assert figures_tuple(f) == OCTOBER
    assert f.positive_rate == D("0.5") and f.pass_rate == D("0.5") and f.disposal_rate == 1


def test_headline_local_day_boundaries(world, ctx):
    """A result at 2026-10-31 17:00 UTC is Nov 1 01:00 local; 15:59 UTC is still October."""
    from lims.i18n import local_day_bounds
    from lims.reporting.figures import headline

    nov1 = headline(district(), *local_day_bounds(date(2026, 11, 1)), NOW)
    assert (nov1.tests, nov1.negatives, nov1.batches) == (2, 2, 2)  # a4, o3 tested
    oct31 = headline(district(), *local_day_bounds(date(2026, 10, 31)), NOW)
    assert (oct31.tests, oct31.batches, oct31.batches_untested) == (1, 1, 1)  # o2 tested; o3 sampled, not tested
    nov30 = headline(district(), *local_day_bounds(date(2026, 11, 30)), NOW)
    assert (nov30.tests, nov30.positives, nov30.batches, nov30.batches_untested) == (2, 1, 2, 1)  # a10, b1; x0
    dec1 = headline(district(), *local_day_bounds(date(2026, 12, 1)), NOW)
    assert (dec1.tests, dec1.batches, dec1.batches_untested) == (2, 2, 0)  # x0 at 00:00:00 and x1 tested


def test_superseded_versions_never_count(world, db, ctx):
    from lims.reporting.figures import headline

    w = world
    day = (loc(2026, 11, 10), loc(2026, 11, 11))
    f = headline(district(), *day, NOW)
    assert (f.tests, f.negatives, f.positives) == (1, 1, 0)  # a3 v2 only, not its positive v1
    w.results["a3"].current = False  # now neither version is current
    db.session.flush()
    f = headline(district(), *day, NOW)
    assert f.tests == 0


def test_headline_scoped_to_the_market_manager(world, actors, ctx):
    from lims.reporting.figures import headline, scope_for

    scope = scope_for(actors["manager"], None)
    assert scope.site_ids == frozenset({world.sites["SB"].id})
    assert (scope.name, scope.kind) == ("城西农贸市场", "site")
    f = headline(scope, *bounds(MONTH), NOW)
    assert figures_tuple(f) == dict(batches=67, tests=67, negatives=65, positives=2, suspects=0, invalids=0,
                                    dispositions_closed=1, kg_disposed=D("8"), overdue_dispositions=1,
                                    closed_late=1, batches_untested=0,
                                    objections=0, objections_released=0, objections_confirmed=0,
                                    objections_pending=0)
    prev = headline(scope, *bounds(PREVIOUS), NOW)
    assert (prev.batches, prev.tests, prev.negatives, prev.positives, prev.suspects) == (2, 2, 1, 0, 1)


def test_scope_for(world, actors, ctx, db):
    from flask_babel import gettext

    from lims.errors import NotFound
    from lims.reporting.figures import scope_for

    everything = scope_for(actors["regulator"], None)
    assert everything.site_ids is None and everything.kind == "district"
    assert everything.name == "上城区"  # every site names it
    world.sites["SF"].district = "下城区"
    db.session.flush()
    # a second district: the report of everything is no longer named after either of them
    assert scope_for(actors["regulator"], None).name == gettext("All jurisdictions")
    one = scope_for(actors["regulator"], " sa ")
    assert (one.site_ids, one.name, one.kind) == (frozenset({world.sites["SA"].id}), "城东农贸市场", "site")
    assert scope_for(actors["manager"], "sb").site_ids == frozenset({world.sites["SB"].id})
    with pytest.raises(NotFound):
        scope_for(actors["manager"], "SA")  # another market: as if it did not exist
    with pytest.raises(NotFound):
        scope_for(actors["regulator"], "NOPE")


def test_scope_name_from_configuration(world, actors, app, ctx, monkeypatch):
    from lims.reporting.figures import scope_for

    monkeypatch.setitem(app.config, "DISTRICT_NAME", "示范区")
    assert scope_for(actors["admin"], None).name == "示范区"


# --- breakdowns ---------------------------------------------------------------------

BY_SITE = [
    ("城北农贸市场", 70, 69, 1, 0, 0, 70),
    ("城西农贸市场", 67, 65, 2, 0, 0, 67),
    ("城南农贸市场", 40, 39, 1, 0, 0, 40),
    ("镇南农贸市场", 20, 19, 1, 0, 0, 20),
    ("城东农贸市场", 13, 7, 4, 1, 1, 11),  # batches a1..a10 and o3 (a1 has 3 results)
    ("城中超市", 5, 5, 0, 0, 0, 5),
    ("镇东农贸市场", 3, 3, 0, 0, 0, 3),
    ("家宴服务中心", 2, 1, 1, 0, 0, 2),  # e3 is untested
]
BY_CATEGORY = [
    ("蔬菜", 78, 72, 4, 1, 1, 78),  # SA 8 (a4..a10, o3), SB 67, SF 3
    ("水产品", 71, 69, 2, 0, 0, 71),  # SD 70 + e2 (水产品 › 其他水产品)
    ("熟食卤味", 40, 39, 1, 0, 0, 40),  # a level-1 category on its own
    ("干货及调味品", 20, 19, 1, 0, 0, 20),
    ("畜禽肉及副产品", 10, 8, 2, 0, 0, 8),  # a1 ×3, a2, a3 (畜禽副产品), SE 5 鸡爪
    ("—", 1, 1, 0, 0, 0, 1),  # e1 has no category
]
BY_ITEM = [
    ("有机磷和氨基甲酸酯类农药", 75, 72, 2, 0, 1, 75),
    ("恩诺沙星", 71, 70, 1, 0, 0, 71),
    ("亚硝酸盐", 40, 39, 1, 0, 0, 40),
    ("二氧化硫", 20, 19, 1, 0, 0, 20),
    ("过氧化氢", 6, 5, 1, 0, 0, 6),
    ("克伦特罗", 2, 1, 1, 0, 0, 2),  # a1+, a3 v2− (v1+ superseded)
    ("莱克多巴胺", 2, 1, 1, 0, 0, 2),
    ("毒死蜱", 1, 0, 1, 0, 0, 1),
    ("氧乐果", 1, 0, 1, 0, 0, 1),
    ("沙丁胺醇", 1, 1, 0, 0, 0, 1),
    ("腐霉利", 1, 0, 0, 1, 0, 1),
]
BY_STATION = [
    ("快检车1号", 137, 134, 3, 0, 0, 137),  # SB via the batch's station, SD via the result's
    ("—", 70, 67, 3, 0, 0, 70),  # SC 40, SE 5, SF 3, SH 20, SI 2
    ("城东快检室", 13, 7, 4, 1, 1, 11),  # SA: the result's station wins over the batch's (ST2)
]


@pytest.mark.parametrize("by,expected", [("site", BY_SITE), ("category", BY_CATEGORY), ("item", BY_ITEM),
                                         ("station", BY_STATION)])
def test_breakdown(world, ctx, by, expected):
    from lims.reporting.figures import breakdown

    rows = breakdown(district(), *bounds(MONTH), by)
    assert [as_tuple(r) for r in rows] == expected
    assert sum(r.tests for r in rows) == 220


def test_breakdown_rates(world, ctx):
    from lims.reporting.figures import breakdown

    rows = {r.name: r for r in breakdown(district(), *bounds(MONTH), "site")}
    assert rows["城东农贸市场"].positive_rate == D(4) / D(11)  # suspect and invalid excluded
    assert rows["城南农贸市场"].positive_rate == D("0.025")
    assert rows["城中超市"].positive_rate == 0


def test_breakdown_for_the_market_manager(world, actors, ctx):
    from lims.reporting.figures import breakdown, scope_for

    scope = scope_for(actors["manager"], None)
    assert [as_tuple(r) for r in breakdown(scope, *bounds(MONTH), "site")] == [("城西农贸市场", 67, 65, 2, 0, 0, 67)]
    assert [as_tuple(r) for r in breakdown(scope, *bounds(MONTH), "station")] == [("快检车1号", 67, 65, 2, 0, 0, 67)]
    assert [as_tuple(r) for r in breakdown(scope, *bounds(MONTH), "category")] == [("蔬菜", 67, 65, 2, 0, 0, 67)]


def test_breakdown_rejects_unknown_key(world, ctx):
    from lims.reporting.figures import breakdown

    with pytest.raises(ValueError):
        breakdown(district(), *bounds(MONTH), "stall")


# --- positives ----------------------------------------------------------------------

OPC = "有机磷和氨基甲酸酯类农药"
POSITIVES = [
    # local tested_at, site, stall, food, supplier, item, value, value_text, unit, status, kg_disposed, batch
    ((11, 3, 9, 0), "城东农贸市场", "A01", "猪肉", "鑫源肉业", "克伦特罗", D("0.21"), None, "T/C", "disposed", D(20),
     "SA-A1"),
    ((11, 6, 9, 0), "城东农贸市场", "A01", "牛肉", None, "莱克多巴胺", D("0.35"), None, "T/C", "released", D(0), "SA-A2"),
    ((11, 9, 9, 0), "城西农贸市场", "B02", "西红柿", None, OPC, D("55.0"), None, "%", "disposed", D(8), "SB-B2"),
    ((11, 15, 8, 30), "家宴服务中心", None, "凉拌海蜇", None, "过氧化氢", None, "检出", "mg/kg", "disposed", D("1.5"),
     "SI-E2"),
    ((11, 15, 9, 0), "城东农贸市场", "A02", "豇豆", None, "氧乐果", D("0.30"), None, "T/C", "confirmed", D(0), "SA-A7"),
    ((11, 18, 9, 0), "城南农贸市场", "C01", "腊肉", "老字号腊味", "亚硝酸盐", D("45.2"), None, "mg/kg", "disposed", D(3),
     "SC-C1"),
    ((11, 20, 9, 0), "城东农贸市场", "A02", "芹菜", None, "毒死蜱", D("0.40"), None, "T/C", "disputed", D(0), "SA-A8"),
    ((11, 21, 9, 0), "城北农贸市场", "D03", "草鱼", None, "恩诺沙星", D("0.30"), None, "T/C", "disposed", D(2), "SD-D1"),
    ((11, 27, 9, 0), "镇南农贸市场", "H01", "银耳", None, "二氧化硫", D("0.35"), None, "g/kg", "confirmed", D(0),
     "SH-H1"),
    ((11, 30, 15, 0), "城西农贸市场", "B01", "黄瓜", None, OPC, D("71.0"), None, "%", "confirmed", D(0), "SB-B1"),
]


def positive_tuple(p):
    t = p.tested_at
    assert t.utcoffset() == timedelta(hours=8), "positives carry local times"
    return ((t.month, t.day, t.hour, t.minute), p.site, p.stall, p.food, p.supplier, p.item, p.value, p.value_text,
            p.unit, p.disposition_status, p.kg_disposed, p.batch_code)


def test_positives(world, ctx):
    from lims.i18n import to_local
    from lims.reporting.figures import positives

    rows = positives(district(), *bounds(MONTH), NOW, to_local)
    assert [positive_tuple(p) for p in rows] == POSITIVES
    # the enzyme-inhibition reading is the recomputed inhibition, not the instrument's printed 54.8
    assert rows[2].value == D("55.0")
    # only terminal actions count: a1's stop_sale of 20 kg does not add to destroy 15 + harmless 5
    assert rows[0].kg_disposed == D(20)
    assert sum((p.kg_disposed for p in rows), D(0)) == D("34.5")


def test_positives_status_reads_the_window(world, ctx):
    """b1 is stored "stopped"; once its objection window has passed it reads "confirmed";
    before the window closes (19:30 local on Nov 30) it still reads "stopped"."""
    from lims.i18n import to_local
    from lims.reporting.figures import positives

    early = positives(district(), *bounds(MONTH), loc(2026, 11, 30, 19, 0), to_local)
    assert early[-1].batch_code == "SB-B1" and early[-1].disposition_status == "stopped"


def test_positives_for_the_market_manager(world, actors, ctx):
    from lims.i18n import to_local
    from lims.reporting.figures import positives, scope_for

    rows = positives(scope_for(actors["manager"], None), *bounds(MONTH), NOW, to_local)
    assert [p.batch_code for p in rows] == ["SB-B2", "SB-B1"]


# --- daily --------------------------------------------------------------------------

DAILY = {  # local day of November → (tests, positives); every other day is (0, 0)
    1: (2, 0), 3: (3, 1), 6: (1, 1), 9: (1, 1), 10: (1, 0), 12: (2, 0), 15: (3, 2), 16: (35, 0), 17: (30, 0),
    18: (1, 1), 19: (39, 0), 20: (1, 1), 21: (1, 1), 23: (20, 0), 24: (19, 0), 25: (31, 0), 26: (24, 0),
    27: (4, 1), 30: (2, 1),
}


def test_daily_every_local_day(world, ctx):
    from lims.reporting.figures import daily

    rows = daily(district(), *bounds(MONTH))
    assert [r.day for r in rows] == [date(2026, 11, d) for d in range(1, 31)]
    assert [(r.tests, r.positives) for r in rows] == [DAILY.get(d, (0, 0)) for d in range(1, 31)]
    assert sum(r.tests for r in rows) == 220 and sum(r.positives for r in rows) == 10


def test_daily_across_a_month_end(world, ctx):
    from lims.i18n import local_day_bounds
    from lims.reporting.figures import daily

    start, _ = local_day_bounds(date(2026, 10, 30))
    _, end = local_day_bounds(date(2026, 12, 1))
    rows = {r.day: (r.tests, r.positives) for r in daily(district(), start, end)}
    assert len(rows) == 33
    assert rows[date(2026, 10, 30)] == (0, 0)
    assert rows[date(2026, 10, 31)] == (1, 0)  # o2 at 23:59 local
    assert rows[date(2026, 11, 1)] == (2, 0)
    assert rows[date(2026, 12, 1)] == (2, 0)  # x0 at 00:00:00 local, x1


# --- events -------------------------------------------------------------------------


def test_events(world, ctx):
    from lims.reporting.figures import events

    rows = events(district(), *bounds(MONTH))
    assert len(rows) == 1  # 国庆保障 (Oct 1–7) is not in November
    e = rows[0]
    assert (e.name, e.kind, e.starts_on, e.ends_on, e.venue, e.positives, e.people_served) == \
        ("张家婚宴", "banquet", date(2026, 11, 15), None, "张家大院", 1, 200)
    # e1 and e2 were tested; e3 was registered but never tested and does not count (tested batches)
    assert e.batches == 2
    october = events(district(), *bounds(PREVIOUS))
    assert [(r.name, r.ends_on, r.venue, r.batches) for r in october] == [("国庆保障", date(2026, 10, 7), "城东农贸市场", 0)]


def test_events_hidden_from_other_markets(world, actors, ctx):
    from lims.reporting.figures import events, scope_for

    assert events(scope_for(actors["manager"], None), *bounds(MONTH)) == []


# --- red and black lists ------------------------------------------------------------


def listed(s):
    return (s.site, s.stall, s.operator, s.batches_90d, s.positives_90d)


def test_stall_lists(world, ctx):
    from lims.reporting.figures import stall_lists

    red, black = stall_lists(district(), date(2026, 11, 30))
    # D01: 20 batches, no positive; D02 has 19; D03 had a positive
    assert [listed(s) for s in red] == [("城北农贸市场", "D01", "吴九", 20, 0)]
    # A01: o1 (Oct 10) and a1 (Nov 3); a2 was released by the lab and does not count;
    # A02: a7 (lab-confirmed) and a8 (objection pending: not released, so it counts);
    # E01's positive of Sep 1 is exactly 90 days back and outside the window: one positive only
    assert [listed(s) for s in black] == [("城东农贸市场", "A01", "王丽", 3, 2),
                                          ("城东农贸市场", "A02", "欧阳娜娜", 10, 2)]  # a9 is still "testing"


def test_black_list_window_edges(world, ctx):
    from lims.reporting.figures import stall_lists

    # as of Nov 29, E01's Sep 1 positive is 89 days back: with Oct 20 that makes two
    _, black = stall_lists(district(), date(2026, 11, 29))
    assert [listed(s) for s in black] == [("城东农贸市场", "A01", "王丽", 3, 2),
                                          ("城东农贸市场", "A02", "欧阳娜娜", 8, 2),  # a10, x0 are of Nov 30
                                          ("城中超市", "E01", "钱十一", 7, 2)]
    # as of Jan 8 2027, o1 (Oct 10) is 90 days back: A01 keeps only a1
    _, black = stall_lists(district(), date(2027, 1, 8))
    assert [s.stall for s in black] == ["A02"]
    _, black = stall_lists(district(), date(2027, 1, 7))
    assert [s.stall for s in black] == ["A01", "A02"]


def test_red_list_needs_twenty_batches(world, db, ctx):
    from lims.reporting.figures import stall_lists

    w = world
    # one more tested batch for D02 (19 → 20) puts it on the red list
    from tests.reporting.world import Builder

    b = Builder(db, w.users["tech"], w.users["reviewer"])
    extra = b.batch(w.sites["SD"], "鲫鱼", loc(2026, 11, 24, 9), stall=w.stalls["D02"], category="AQU-FWFISH")
    db.session.flush()
    red, _ = stall_lists(district(), date(2026, 11, 30))
    assert [(s.stall, s.batches_90d) for s in red] == [("D01", 20), ("D02", 20)]
    extra.status = "registered"  # not tested yet: does not count
    db.session.flush()
    red, _ = stall_lists(district(), date(2026, 11, 30))
    assert [s.stall for s in red] == ["D01"]


def test_stall_lists_scoped(world, actors, ctx):
    from lims.reporting.figures import scope_for, stall_lists

    assert stall_lists(scope_for(actors["manager"], None), date(2026, 11, 30)) == ([], [])


def test_list_rules_come_from_configuration(world, app, ctx, monkeypatch):
    from lims.reporting.figures import stall_lists

    monkeypatch.setitem(app.config, "REDLIST_MIN_BATCHES", 19)
    monkeypatch.setitem(app.config, "BLACKLIST_POSITIVES", 3)
    red, black = stall_lists(district(), date(2026, 11, 30))
    assert [s.stall for s in red] == ["D01", "D02"]
    assert black == []


# --- five-colour ratings ------------------------------------------------------------

RATINGS = [
    ("SA", "red", "banned_positive"),
    ("SH", "red", "overdue_long"),
    ("SI", "red", "rate_above"),
    ("SB", "orange", "overdue"),
    ("SC", "yellow", "rate_above"),
    ("SD", "blue", "positives_handled"),
    ("SE", "green", "clean"),
    ("SF", None, "below_plan"),
    ("SL", None, "below_plan"),
]  # SJ (inactive) and SK (banquet centre, no plan, nothing sampled) are not rated


def rate_all(scope=None):
    from lims.reporting.figures import site_ratings, stall_lists

    _, black = stall_lists(scope or district(), date(2026, 11, 30))
    return site_ratings(scope or district(), *bounds(MONTH), NOW, black)


def test_site_ratings_colours(world, ctx):
    facts = rate_all()
    assert [(f.site.code, f.rating.colour, f.rating.reason) for f in facts] == RATINGS


def test_site_ratings_params(world, ctx):
    f = {x.site.code: x for x in rate_all()}
    assert f["SA"].rating.params == {"items": ("克伦特罗",)}  # 莱克多巴胺 was released by the lab
    assert f["SA"].month.blacklisted_stalls == ("A01", "A02")
    # a2 (莱克多巴胺+) was released by the lab: for the rating it is the negative it turned out to be
    assert (f["SA"].month.negatives, f["SA"].month.positives, f["SA"].month.batches) == (8, 3, 11)
    assert f["SH"].rating.params == {"hours": D("92.5"), "threshold": 48, "count": 1}
    assert f["SH"].month.positive_rate == D(5)  # exactly 5 %: not above
    assert f["SI"].rating.params == {"rate": D(50), "threshold": D(5)}
    assert f["SB"].rating.params == {"count": 2}
    assert f["SB"].month.max_overdue_hours == D("14.5")
    assert f["SC"].rating.params == {"rate": D("2.5"), "threshold": D("1.5")}
    assert f["SD"].rating.params == {"count": 1}
    assert f["SE"].rating.params == {"batches": 5, "planned": 5}
    assert f["SF"].rating.params == {"batches": 3, "planned": 10}
    assert f["SL"].rating.params == {"batches": 0, "planned": 8}


def test_rating_reasons_carry_the_numbers(world, ctx):
    from lims.reporting.monthly import rating_reason
    from tests.reporting.conftest import states_numbers

    reasons = {f.site.code: rating_reason(f.rating) for f in rate_all()}
    assert "克伦特罗" in reasons["SA"] and "莱克多巴胺" not in reasons["SA"]
    for code, numbers in REASON_NUMBERS.items():
        assert states_numbers(reasons[code], numbers), (code, numbers, reasons[code])
    assert reasons["SF"] != reasons["SE"]


REASON_NUMBERS = {"SH": ("1", "92.5", "48"), "SI": ("50.0%", "5.0%"), "SB": ("2",), "SC": ("2.5%", "1.5%"),
                  "SD": ("1",), "SE": ("5", "5"), "SF": ("3", "10"), "SL": ("0", "8")}


def test_ratings_for_the_market_manager(world, actors, ctx):
    from lims.reporting.figures import scope_for

    facts = rate_all(scope_for(actors["manager"], None))
    assert [(f.site.code, f.rating.colour, f.rating.reason) for f in facts] == [("SB", "orange", "overdue")]


def test_rating_thresholds_come_from_configuration(world, app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "RATING_YELLOW_POSITIVE_RATE", "2.6")  # SC's 2.5 % no longer above
    monkeypatch.setitem(app.config, "RATING_RED_OVERDUE_HOURS", 100)  # SH's 92.5 h no longer red
    monkeypatch.setitem(app.config, "RATING_RED_POSITIVE_RATE", "60")  # SI's 50 % no longer red ...
    got = {f.site.code: (f.rating.colour, f.rating.reason) for f in rate_all()}
    assert got["SC"] == ("blue", "positives_handled")
    assert got["SH"] == ("orange", "rate_above")  # 5 % > 3 %
    assert got["SI"] == ("orange", "rate_above")  # ... but above orange's 3 %
    assert got["SA"] == ("red", "banned_positive")


def test_rating_yellow_for_a_black_listed_stall(world, db, ctx):
    """SD (blue) turns yellow when one of its stalls is black-listed: a second positive at D03."""
    w = world
    from tests.reporting.world import Builder

    b = Builder(db, w.users["tech"], w.users["reviewer"])
    bt = b.batch(w.sites["SD"], "鲈鱼", loc(2026, 10, 5, 8), stall=w.stalls["D03"], category="AQU-FWFISH",
                 status="disposed", verdict="positive")
    r = b.result(bt, "ENR", "positive", loc(2026, 10, 5, 9), tc=D("0.2"))
    b.disposition(bt, r, "disposed", loc(2026, 10, 5, 9, 30), closed_at=loc(2026, 10, 6, 9))
    db.session.flush()
    got = {f.site.code: f for f in rate_all()}
    assert (got["SD"].rating.colour, got["SD"].rating.reason) == ("yellow", "blacklisted_stall")
    assert got["SD"].rating.params == {"stalls": ("D03",)}


def test_an_overdue_disposition_stays_overdue_into_the_next_month(app, db, make_user, ctx, clock):
    """Opened in October, due in October: still open in November (or closed late in
    November) it counts as overdue in November too; one closed in time in October does not,
    nor one released by the laboratory."""
    from lims.reporting import figures
    from tests.reporting.world import Builder

    clock(NOW)
    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("CO", "结转市场", 10)
    stall = b.stall(site, "C1", "钱某")

    def positive(key, day, status, closed_at=None):
        batch = b.batch(site, f"{key}菜", loc(2026, 10, day, 8), stall=stall, status=status, verdict="positive",
                        quantity=D("5"))
        r = b.result(batch, "OPC", "positive", loc(2026, 10, day, 9), computed=D("70"))
        return b.disposition(batch, r, status, loc(2026, 10, day, 9, 30), closed_at=closed_at)

    positive("open", 27, "confirmed")                                   # due Oct 28 13:30, still open
    positive("late", 27, "disposed", closed_at=loc(2026, 11, 3, 10))     # closed in November, late
    positive("ontime", 27, "disposed", closed_at=loc(2026, 10, 28, 10))  # closed in time
    positive("cleared", 27, "released", closed_at=loc(2026, 11, 2, 10))  # laboratory negative
    db.session.flush()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    start, end = figures.month_bounds(MONTH)
    november = figures.headline(scope, start, end, NOW)
    # printed now: one still open and overdue, one closed late (counted apart, not as open)
    assert (november.overdue_dispositions, november.closed_late, november.positives) == (1, 1, 0)
    (rated,) = figures.site_ratings(scope, start, end, NOW, [])
    assert rated.month.overdue == 2 and rated.rating.colour == "red"  # the open one: far beyond 48 h
    october = figures.headline(scope, *figures.month_bounds(PREVIOUS), NOW)
    assert (october.overdue_dispositions, october.closed_late) == (1, 1)  # the same two, in the month they fell due


def test_a_banned_positive_released_by_the_lab_does_not_make_a_market_red(app, db, make_user, ctx, clock):
    """One clean-looking market whose only positive — a β-agonist screening positive — was
    released by the laboratory retest: not red (not by the banned item, not by the rate)."""
    from lims.reporting import figures
    from tests.reporting.world import Builder

    clock(NOW)
    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("RL", "复检放行市场", 10)
    stall = b.stall(site, "R1", "蒋某")
    batch = b.batch(site, "猪肉", loc(2026, 11, 5, 8), stall=stall, category="MEAT-LIVESTOCK", status="released",
                    verdict="negative")
    r = b.result(batch, "RAC", "positive", loc(2026, 11, 5, 9), tc=D("0.2"))
    b.disposition(batch, r, "released", loc(2026, 11, 5, 9, 30), closed_at=loc(2026, 11, 7, 9))
    b.negatives(site, stall, 9, (2026, 11, 6), "OPC", "青菜", "VEG-LEAF", computed=D("10"))
    db.session.flush()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    (rated,) = figures.site_ratings(scope, *bounds(MONTH), NOW, [])
    assert (rated.month.positives, rated.month.negatives) == (0, 10)
    assert rated.rating.colour == "green", rated.rating


def test_coverage_shows_the_stalls_never_tested(app, db, make_user, ctx, clock):
    """Stalls tested ÷ stalls registered (active ones) and the foods tested, per site."""
    from lims.reporting import figures
    from tests.reporting.world import Builder

    clock(NOW)
    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("CV", "覆盖市场", 10)
    s1, s2, _s3 = (b.stall(site, f"V{i}", f"经营户{i}") for i in (1, 2, 3))
    b.stall(site, "V4", "已退租").active = False
    b.negatives(site, s1, 2, (2026, 11, 6), "OPC", "青菜", "VEG-LEAF", first_food="菠菜", computed=D("10"))
    b.negatives(site, s2, 2, (2026, 11, 7), "OPC", "青菜", "VEG-LEAF", computed=D("10"))
    b.negatives(site, s2, 1, (2026, 10, 7), "OPC", "韭菜", "VEG-LEAF", computed=D("10"))  # October
    db.session.flush()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    (row,) = figures.coverage(scope, *bounds(MONTH))
    assert (row.site, row.stalls, row.stalls_tested, row.stalls_untested, row.foods) == ("覆盖市场", 3, 2, 1, 2)
    assert row.rate == D(2) / D(3)


def test_the_black_list_counts_positives_that_stood(app, db, make_user, ctx, clock):
    """Two screening positives in 90 days (of a handful of batches) put a stall on the black
    list only if both stood: one the laboratory retest released does not count, on the list
    nor in the positives it states; once the retest confirms it, the stall is listed."""
    from lims.reporting import figures
    from tests.reporting.world import Builder

    clock(NOW)
    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("BL", "黑榜市场", 10)
    stall = b.stall(site, "K1", "孙某")
    b.negatives(site, stall, 8, (2026, 11, 2), "OPC", "青菜", "VEG-LEAF", computed=D("10"))

    def positive(day, status):
        batch = b.batch(site, "韭菜", loc(2026, 11, day, 8), stall=stall, category="VEG-LEAF", status=status,
                        verdict="positive" if status != "released" else "negative", quantity=D("5"))
        r = b.result(batch, "OPC", "positive", loc(2026, 11, day, 9), computed=D("70"))
        return b.disposition(batch, r, status, loc(2026, 11, day, 9, 30),
                             closed_at=loc(2026, 11, day + 3, 9) if status != "confirmed" else None)

    positive(10, "disposed")
    retested = positive(14, "released")
    db.session.flush()
    scope = figures.Scope(frozenset({site.id}), site.name, "site")
    red, black = figures.stall_lists(scope, date(2026, 11, 30))
    assert black == [] and red == []  # one positive stood: 1 of 10 is not two
    (rated,) = figures.site_ratings(scope, *bounds(MONTH), NOW, black)
    assert rated.rating.reason != "blacklisted_stall"

    retested.status = "confirmed"  # the laboratory confirmed the screening: both stood
    retested.closed_at = None
    db.session.flush()
    _, black = figures.stall_lists(scope, date(2026, 11, 30))
    assert [listed(s) for s in black] == [("黑榜市场", "K1", "孙某", 10, 2)]
