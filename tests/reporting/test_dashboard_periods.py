"""Dashboard periods (issue 12): a month, a quarter, a year or a custom range, beside the
period before and the same period a year earlier; bad periods are refused with a message
(422), never a 500; colours follow the values; the regulator and the market manager."""
from __future__ import annotations

import re
from datetime import date

import pytest

from tests.reporting.world import loc

DEC_4 = loc(2026, 12, 4, 10, 0)
TODAY = date(2026, 12, 4)


def card(html: str, key: str) -> str:
    (block,) = re.findall(rf'<div class="card stat-card[^"]*" data-card="{key}">.*?</div></div>', html, re.S)
    return block


def value(html: str, key: str) -> str:
    return re.search(r'<div class="stat-value">([^<]*)</div>', card(html, key)).group(1)


# --- the periods (pure) ------------------------------------------------------------------


def test_periods_before_and_a_year_earlier():
    from lims.dashboard.periods import Period

    q4 = Period.quarter(2026, 4)
    assert (q4.first, q4.last, q4.key, q4.days) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4", 92)
    assert q4.previous() == Period("quarter", date(2026, 7, 1), date(2026, 9, 30))
    assert Period.quarter(2026, 1).previous() == Period.quarter(2025, 4)
    assert q4.year_before() == Period.quarter(2025, 4)
    assert Period.month(date(2026, 1, 9)).previous() == Period.month(date(2025, 12, 1))
    assert Period.year(2026).previous() == Period.year(2025) == Period.year(2026).year_before()
    r = Period("range", date(2026, 11, 10), date(2026, 11, 19))
    assert r.previous() == Period("range", date(2026, 10, 31), date(2026, 11, 9)) and r.previous().days == 10
    assert Period("range", date(2028, 2, 29), date(2028, 3, 1)).year_before() == \
        Period("range", date(2027, 2, 28), date(2027, 3, 1))
    assert q4.cut(65) == Period("quarter", date(2026, 10, 1), date(2026, 12, 4))
    assert Period.month(date(2026, 2, 1)).months() == [(date(2026, 2, 1), 28, 28)]
    assert Period("range", date(2026, 1, 20), date(2026, 2, 10)).months() == [(date(2026, 1, 1), 12, 31),
                                                                            (date(2026, 2, 1), 10, 28)]


@pytest.mark.parametrize("args, field", [
    ({"period": "month", "month": "0001-05"}, "month"), ({"period": "year", "year": "0001"}, "year"),
    ({"period": "year", "year": "99999"}, "year"), ({"period": "quarter", "quarter": "2026-Q5"}, "quarter"),
    ({"period": "quarter", "quarter": "1999-Q1"}, "quarter"), ({"period": "week"}, "period"),
    ({"period": "range", "from": "2026-11-20", "to": "2026-11-01"}, "to"),
    ({"period": "range", "from": "2001-01-01", "to": "2026-11-01"}, "to"),
    ({"period": "range", "from": "2026-11-01", "to": "2026-12-31"}, "to"),
    ({"period": "range", "from": "0001-01-01", "to": "2026-11-01"}, "from"),
    ({"period": "range", "from": "2026-11-01"}, "to"), ({"from": "yesterday", "to": "2026-11-01"}, "from"),
    ({"period": "month", "month": "2027-01"}, "month"), ({"period": "year", "year": "2027"}, "year"),
    ({"month": "2026-13"}, "month"), ({"month": "nope"}, "month"),
])
def test_bad_periods_are_refused_with_the_field_named(app, args, field):
    from lims.dashboard.periods import parse_period
    from lims.errors import InvalidInput

    with app.test_request_context():
        with pytest.raises(InvalidInput) as exc:
            parse_period(args, TODAY, 366)
    assert field in exc.value.errors and exc.value.message


def test_periods_parsed(app):
    from lims.dashboard.periods import Period, parse_period

    with app.test_request_context():
        assert parse_period({}, TODAY, 366) == Period.month(TODAY)
        assert parse_period({"month": "2026-11"}, TODAY, 366) == Period.month(date(2026, 11, 1))
        assert parse_period({"period": "quarter", "quarter": "2026-q3"}, TODAY, 366) == Period.quarter(2026, 3)
        assert parse_period({"period": "quarter"}, TODAY, 366) == Period.quarter(2026, 4)
        assert parse_period({"period": "year", "year": "2025"}, TODAY, 366) == Period.year(2025)
        assert parse_period({"from": "2026-11-01", "to": "2026-11-15"}, TODAY, 366) == \
            Period("range", date(2026, 11, 1), date(2026, 11, 15))


# --- the figures of a period --------------------------------------------------------------


def test_a_quarter_is_its_months_and_compares_like_with_like(world, actors, ctx):
    from lims.dashboard.periods import Period
    from lims.dashboard.services import dashboard

    reg = actors["regulator"]
    months = [dashboard(reg, DEC_4, Period.month(date(2026, m, 1))) for m in (10, 11, 12)]
    q4 = dashboard(reg, DEC_4, Period.quarter(2026, 4))
    for attr in ("batches", "tests", "negatives", "positives", "suspects", "invalids"):
        assert getattr(q4.current, attr) == sum(getattr(m.current, attr) for m in months), attr
    assert (q4.current.tests, q4.current.positives) == (227, 12)  # October 5 + November 220 + December 2
    # running: Oct 1 – Dec 4 is 65 days; set beside Jul 1 – Sep 3 and Oct 1 – Dec 4 2025
    assert q4.running and q4.previous_period == Period("quarter", date(2026, 7, 1), date(2026, 9, 3))
    assert q4.last_year_period == Period("quarter", date(2025, 10, 1), date(2025, 12, 4))
    assert q4.rating_month == date(2026, 11, 1)  # the last complete month of a running quarter
    q3 = dashboard(reg, DEC_4, Period.quarter(2026, 3))
    assert not q3.running and q3.previous_period == Period.quarter(2026, 2)
    assert q3.rating_month == date(2026, 9, 1)
    nov = dashboard(reg, DEC_4, Period("range", date(2026, 11, 1), date(2026, 11, 30)))
    assert nov.current == months[1].current and nov.previous_period.first == date(2026, 10, 2)
    year = dashboard(reg, DEC_4, Period.year(2026))
    assert year.current.tests >= q4.current.tests and year.last_year_period.first == date(2025, 1, 1)


def test_the_market_manager_sees_their_own_markets_only(world, actors, ctx):
    from lims.dashboard.periods import Period
    from lims.dashboard.services import dashboard
    from lims.reporting import figures

    q4 = Period.quarter(2026, 4)
    mine = dashboard(actors["manager"], DEC_4, q4)
    everything = dashboard(actors["regulator"], DEC_4, q4)
    scope = figures.scope_for(actors["manager"], None)
    start, _ = figures.month_bounds(date(2026, 10, 1))
    _, end = figures.month_bounds(date(2026, 12, 1))
    rows = figures.breakdown(figures.Scope(None, "", "district"), start, end, "site")
    own = [r for r in rows if r.name in scope.name.split("、")]
    assert own and mine.current.tests == sum(r.tests for r in own) < everything.current.tests
    assert {s.name for s, _r, _w in mine.ratings} <= set(scope.name.split("、"))


def test_colours_follow_the_values(app):
    from decimal import Decimal

    from lims.dashboard.services import card_colours
    from lims.rules.rating import RatingThresholds
    from reports.data import MonthlyFigures

    t = RatingThresholds(orange_positive_rate=Decimal(3), yellow_positive_rate=Decimal("1.5"))

    def fig(batches, negatives, positives, closed=0, overdue=0):
        return MonthlyFigures(batches=batches, tests=negatives + positives, negatives=negatives, positives=positives,
                              dispositions_closed=closed, overdue_dispositions=overdue)

    assert card_colours(fig(0, 0, 0), None, t)["positive_rate"] == "secondary"
    assert card_colours(fig(0, 0, 0), None, t)["disposal_rate"] == "secondary"
    assert card_colours(fig(100, 99, 1, 1), Decimal(100), t)["positive_rate"] == "success"  # 1 %
    assert card_colours(fig(100, 98, 2, 2), Decimal(100), t)["positive_rate"] == "warning"  # 2 %
    assert card_colours(fig(100, 96, 4, 4), Decimal(100), t)["positive_rate"] == "danger"   # 4 %
    assert card_colours(fig(100, 96, 4, 3), None, t)["disposal_rate"] == "warning"
    assert card_colours(fig(100, 96, 4, 3, overdue=1), None, t)["disposal_rate"] == "danger"
    assert card_colours(fig(100, 96, 4, 4), None, t)["disposal_rate"] == "success"
    assert [card_colours(fig(n, n, 0), Decimal(100), t)["batches"] for n in (100, 85, 50)] == \
        ["success", "warning", "danger"]
    assert card_colours(fig(100, 100, 0), None, t)["batches"] == "secondary"


# --- the page -------------------------------------------------------------------------------


def test_dashboard_page_of_a_quarter_a_year_and_a_range(world, actors, client, clock):
    clock(DEC_4)
    client.login(actors["regulator_user"])
    r = client.get("/dashboard?period=quarter&quarter=2026-Q4")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and value(html, "tests") == "227" and "2026-Q4" in html
    assert '<option value="quarter" selected>季度</option>' in html
    assert "2026-Q3" in html and "2025-Q4" in html  # the periods compared, named
    assert "前 65 天" in html  # a running quarter: the same days of each
    html = client.get("/dashboard?period=year&year=2026").get_data(as_text=True)
    assert value(html, "tests") == "228" and "<option selected>2026</option>" in html  # and one test in September
    html = client.get("/dashboard?period=range&from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert value(html, "tests") == "220" and 'value="2026-11-30"' in html
    html = client.get("/dashboard?period=quarter&quarter=2026-Q4&lang=en").get_data(as_text=True)
    assert "Quarter" in html and "the period before" in html and value(html, "tests") == "227"


@pytest.mark.parametrize("query", [
    "period=year&year=0001", "period=month&month=0001-01", "period=range&from=2026-11-20&to=2026-11-01",
    "period=range&from=2000-01-01&to=2026-12-01", "period=range&from=2026-11-01&to=9999-12-31",
    "period=quarter&quarter=Q9", "period=fortnight", "from=2026-11-01", "period=year&year=2999",
])
def test_bad_periods_on_the_page_are_a_clear_422(world, actors, client, clock, query):
    clock(DEC_4)
    client.login(actors["regulator_user"])
    r = client.get(f"/dashboard?{query}")
    html = r.get_data(as_text=True)
    assert r.status_code == 422, (query, r.status_code)
    assert 'class="alert alert-danger"' in html and "重新选择" in html
    assert 'name="period"' in html  # the picker, to choose again
    assert "stat-value" not in html  # no figures for a refused period


def test_a_running_month_is_rated_against_the_plan_so_far(world, actors, ctx):
    """On 4 December a market is not "below plan" for sampling 4 days' worth: the plan of a
    running month counts pro rata (4/31 of it) on the dashboard."""
    from decimal import Decimal

    from lims.dashboard.services import dashboard

    d = dashboard(actors["regulator"], DEC_4)
    checked = [(site.code, rating.params["planned"]) for site, rating, _w in d.ratings
               if rating.reason in ("clean", "below_plan") and site.planned_monthly_batches]
    assert checked
    plans = {site.code: site.planned_monthly_batches for site, _r, _w in d.ratings}
    assert all(planned == int(plans[code] * Decimal(4) / Decimal(31)) for code, planned in checked), checked


# --- the trend chart: days for a month, weeks for a quarter, months for a year -------------------


def test_the_chart_step_follows_the_length():
    from lims.dashboard.periods import chart_step, step_start

    assert [chart_step(n) for n in (1, 31, 61, 62, 63, 92, 190, 191, 365)] == \
        ["day"] * 4 + ["week"] * 3 + ["month"] * 2
    first = date(2026, 10, 1)  # a Thursday
    assert step_start(date(2026, 10, 3), "week", first) == first  # the partial first week
    assert step_start(date(2026, 10, 7), "week", first) == date(2026, 10, 5)  # Monday
    assert step_start(date(2026, 11, 20), "month", first) == date(2026, 11, 1)
    assert step_start(date(2026, 11, 20), "day", first) == date(2026, 11, 20)


def test_a_year_is_charted_by_month_and_a_quarter_by_week_every_day_counted_once():
    from datetime import timedelta

    from lims.dashboard.services import trend
    from lims.reporting.figures import DailyCount

    days = [DailyCount(day=date(2026, 1, 1) + timedelta(days=i), tests=i % 7, positives=i % 2) for i in range(365)]
    months = trend(days, "month")
    assert len(months) == 12 and [b.first.month for b in months] == list(range(1, 13))
    assert months[1].first == date(2026, 2, 1) and months[1].last == date(2026, 2, 28)
    assert sum(b.tests for b in months) == sum(d.tests for d in days)
    assert sum(b.positives for b in months) == sum(d.positives for d in days)
    quarter = [d for d in days if date(2026, 10, 1) <= d.day <= date(2026, 12, 31)]
    weeks = trend(quarter, "week")
    assert weeks[0].first == date(2026, 10, 1) and weeks[0].last == date(2026, 10, 4)  # Thu–Sun
    assert all(b.first.weekday() == 0 for b in weeks[1:]) and len(weeks) == 14
    assert sum(b.tests for b in weeks) == sum(d.tests for d in quarter)
    assert trend(quarter[:5], "day") == [type(weeks[0])(d.day, d.day, d.tests, d.positives) for d in quarter[:5]]


def test_the_dashboard_chart_of_a_year_has_month_bars_and_says_so(world, actors, client, clock):
    clock(DEC_4)
    client.login(actors["regulator_user"])
    html = client.get("/dashboard?period=year&year=2026").get_data(as_text=True)
    chart = re.search(r'<div class="card-body chart">(.*?)</svg>', html, re.S).group(1)
    assert "每月检测项次与阳性数" in chart and "每日" not in chart
    labels = set(re.findall(r">(2026-\d\d)</text>", chart))
    assert labels == {f"2026-{m:02d}" for m in range(1, 13)}  # a running year: January to December so far
    assert not re.search(r">\d\d-\d\d</text>", chart)  # no day labels
    quarter = client.get("/dashboard?period=quarter&quarter=2026-Q3").get_data(as_text=True)
    chart = re.search(r'<div class="card-body chart">(.*?)</svg>', quarter, re.S).group(1)
    assert "每周检测项次与阳性数" in chart and ">07-01</text>" in chart
    month = client.get("/dashboard?period=month&month=2026-11").get_data(as_text=True)
    assert "每日检测项次与阳性数" in month
    english = client.get("/dashboard?period=year&year=2026&lang=en").get_data(as_text=True)
    assert "Monthly tests and positives" in english
