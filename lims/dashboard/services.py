"""Figures for the dashboard and the site and stall pages (built on ``reporting.figures``)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask_babel import gettext

from lims.accounts.access import Actor
from lims.extensions import db
from lims.i18n import local_day_bounds, local_today, local_zone
from lims.models import Batch, Disposition, Result, Site, Stall, Station, Supplier
from lims.dashboard.periods import Period, chart_step, step_start
from lims.reporting import figures
from lims.reporting.monthly import rating_reason
from lims.rules.rating import RatingThresholds
from reports.data import BarChart, ChartSeries, LineChart
from reports.svg import bar_chart_svg, line_chart_svg


@dataclass
class SupplierAlert:
    supplier: Supplier
    positive_sites: list[str]
    other_batches: int
    other_sites: list[str]
    untested: int


def supplier_alerts(scope: figures.Scope, now: datetime, days: int = 7) -> list[SupplierAlert]:
    """A supplier with a positive at one site and batches at others within ``days``."""
    since = now - timedelta(days=days)
    positive = db.session.execute(
        sa.select(Batch.supplier_id, Batch.site_id).join(Disposition, Disposition.batch_id == Batch.id)
        .where(Batch.supplier_id.is_not(None), Disposition.opened_at >= since, Disposition.status != "released",
               scope.where(Batch.site_id))).all()
    by_supplier: dict[int, set[int]] = defaultdict(set)
    for supplier_id, site_id in positive:
        by_supplier[supplier_id].add(site_id)
    if not by_supplier:
        return []
    names = dict(db.session.execute(sa.select(Site.id, Site.name)).all())
    alerts = []
    for supplier_id, sites in by_supplier.items():
        rows = db.session.execute(
            sa.select(Batch.site_id, Batch.status).where(Batch.supplier_id == supplier_id, Batch.sampled_at >= since,
                                                         Batch.site_id.not_in(sites), scope.where(Batch.site_id))).all()
        if not rows:
            continue
        alerts.append(SupplierAlert(
            supplier=db.session.get(Supplier, supplier_id), positive_sites=sorted(names[s] for s in sites),
            other_batches=len(rows), other_sites=sorted({names[r.site_id] for r in rows}),
            untested=sum(1 for r in rows if r.status in ("registered", "testing"))))
    return sorted(alerts, key=lambda a: (-a.untested, -a.other_batches))


def station_workload(scope: figures.Scope, start: datetime, end: datetime, today_start: datetime):
    key = sa.func.coalesce(Result.station_id, Batch.station_id)
    rows = db.session.execute(
        sa.select(key.label("station"), sa.func.count(Result.id),
                  sa.func.count(Result.id).filter(Result.tested_at >= today_start))
        .join(Batch, Batch.id == Result.batch_id)
        .where(Result.current.is_(True), Result.tested_at >= start, Result.tested_at < end,
               scope.where(Result.site_id), figures.counted())
        .group_by(key)).all()
    names = dict(db.session.execute(sa.select(Station.id, Station.name)).all())
    return sorted(((names.get(s, "—"), month, today) for s, month, today in rows), key=lambda r: -r[1])


@dataclass(frozen=True)
class TrendBar:
    """One bar of the trend chart: the tests and positives of the days from ``first`` to ``last``."""

    first: date
    last: date
    tests: int
    positives: int


def trend(daily, step: str) -> list[TrendBar]:
    """The daily counts gathered into bars of a day, a week or a month (periods.chart_step):
    every day counted in exactly one bar, so the bars add up to the days."""
    bars: dict[date, list] = {}
    if not daily:
        return []
    first = daily[0].day
    for d in daily:
        key = step_start(d.day, step, first)
        bar = bars.setdefault(key, [d.day, 0, 0])
        bar[0] = d.day
        bar[1] += d.tests
        bar[2] += d.positives
    return [TrendBar(key, last, tests, positives) for key, (last, tests, positives) in bars.items()]


def trend_label(bar: TrendBar, step: str) -> str:
    """The x label of a bar: 11-20 for a day, 11-16 (the week's first day) for a week, 2026-11 for a month."""
    return bar.first.strftime("%Y-%m") if step == "month" else bar.first.strftime("%m-%d")


def daily_chart_svg(bars, title: str, tests_label: str, positives_label: str, empty: str, step: str = "day") -> str:
    """The trend chart: tests as a line, positives as bars, one point per day, week or month."""
    chart = LineChart(title=title, categories=tuple(trend_label(b, step) for b in bars),
                      series=(ChartSeries(name=tests_label, values=tuple(b.tests for b in bars)),
                              ChartSeries(name=positives_label, values=tuple(b.positives for b in bars),
                                          right_axis=True, bars=True, colour="#dc2626")),
                      empty_text=empty)
    return line_chart_svg(chart, width=760, height=260)


def bar_svg(title: str, pairs, percent=False, empty="", colours=()) -> str:
    chart = BarChart(title=title, categories=tuple(p[0] for p in pairs), values=tuple(p[1] for p in pairs),
                     horizontal=True, percent=percent, empty_text=empty, colours=tuple(colours))
    return bar_chart_svg(chart, width=460, height=max(160, 28 * len(pairs) + 60))


@dataclass
class Dashboard:
    period: Period
    current: object
    previous: object
    last_year: object  # the same period a year before
    previous_period: Period  # as compared: cut to as many days as have passed while running
    last_year_period: Period
    running: bool  # the period shown holds today (today's line, lists as of today)
    today: object
    rating_month: date  # the five-colour rating is monthly: the period's last (or running) month
    ratings: list
    red: list
    black: list
    alerts: list[SupplierAlert]
    workload: list
    daily: list
    trend_step: str  # how the trend chart is drawn: "day", "week" or "month" (periods.chart_step)
    by_item: list
    by_category: list
    site_months: list  # (site, SiteMonth) of every rated site
    coverage: list  # reports.data.CoverageRow per site, least covered first
    planned: Decimal | None  # batches planned for the days counted (None: no site has a plan)
    colours: dict  # card → Bootstrap colour, from the values
    scope_name: str = ""  # what the dashboard covers: a node of the tree, sites, everything
    org: str | None = None  # the organisation chosen (?org=), None: the user's own part

    @property
    def month(self) -> date:
        return self.period.first


def planned_batches(scope: figures.Scope, period: Period) -> Decimal | None:
    """The sites' monthly plans, pro rata for the days of ``period`` in each month."""
    plans = db.session.execute(sa.select(Site.planned_monthly_batches).where(
        Site.active.is_(True), Site.planned_monthly_batches.is_not(None), scope.where(Site.id))).scalars().all()
    if not plans:
        return None
    per_month = Decimal(sum(plans))
    return sum((per_month * inside / days for _first, inside, days in period.months()), Decimal(0))


def card_colours(current, planned: Decimal | None, t: RatingThresholds) -> dict[str, str]:
    """Each card's colour follows its value: nothing to judge is grey, never green.
    Positive rate (and positives): red above the orange threshold of the five-colour rating,
    amber above the yellow one, green otherwise. Batches (and tests): green at the plan for
    the days counted, amber from 80 % of it, red below. Disposal rate: green when every
    positive is closed, red when one is overdue, amber while the rest are within their
    deadlines. Overdue: red when any."""
    rate = current.positive_rate
    if rate is None:
        positive = "secondary"
    elif rate * 100 > t.orange_positive_rate:
        positive = "danger"
    elif rate * 100 > t.yellow_positive_rate:
        positive = "warning"
    else:
        positive = "success"
    if not planned:
        volume = "secondary"
    elif current.batches >= planned:
        volume = "success"
    elif current.batches >= planned * Decimal("0.8"):
        volume = "warning"
    else:
        volume = "danger"
    disposal = current.disposal_rate
    disposal = ("secondary" if disposal is None else "success" if disposal >= 1 else
                "danger" if current.overdue_dispositions else "warning")
    return {"batches": volume, "tests": volume, "positives": positive, "positive_rate": positive,
            "disposal_rate": disposal, "kg": "secondary",
            "overdue": "danger" if current.overdue_dispositions else "success"}


def dashboard(actor: Actor, now: datetime, period: Period | date | None = None,
              org_code: str | None = None) -> Dashboard:
    """The figures of a period (default: the current month) beside the period before and
    the same period a year earlier — for a running period, the same number of days of each,
    so that like is set beside like. Lists as of the period's last day (today while it
    runs); the five-colour rating of its last month."""
    from lims.errors import InvalidInput

    scope = figures.scope_for(actor, None, org_code)
    today = local_today(now)
    if period is None or isinstance(period, date):
        period = Period.month(period or today)
    if period.first > today:
        raise InvalidInput(gettext("That period has not begun."), {"period": ["not in the future"]})
    running = period.running(today)
    counted = period.cut((today - period.first).days + 1) if running else period
    previous, last_year = period.previous(), period.year_before()
    if running:
        previous, last_year = previous.cut(counted.days), last_year.cut(counted.days)
    start, end = local_day_bounds(counted.first)[0], local_day_bounds(counted.last)[1]

    def bounds(p):
        return local_day_bounds(p.first)[0], local_day_bounds(p.last)[1]

    as_of = counted.last
    # The rating is monthly: the period's last month — its last complete one while a quarter
    # or a year runs (four days of December say little), the running month itself when that
    # is the period, its plan then counted pro rata for the days gone.
    rating_month = counted.last.replace(day=1)
    if running and period.kind != "month" and rating_month > period.first:
        rating_month = (rating_month - timedelta(days=1)).replace(day=1)
    month_start, month_end = figures.month_bounds(rating_month)
    share = None
    if rating_month == today.replace(day=1):
        share = Decimal(today.day) / Decimal(Period.month(today).days)
    day_start, _ = local_day_bounds(today)
    red, black = figures.stall_lists(scope, as_of)
    facts = figures.site_ratings(scope, month_start, month_end, now, black, plan_share=share)
    current = figures.headline(scope, start, end, now)
    planned = planned_batches(scope, counted)
    chart_start = start - timedelta(days=30) if period.kind == "month" else start
    daily = figures.daily(scope, chart_start, end)
    return Dashboard(
        period=period, current=current, previous=figures.headline(scope, *bounds(previous), now),
        last_year=figures.headline(scope, *bounds(last_year), now), previous_period=previous,
        last_year_period=last_year, running=running,
        today=figures.headline(scope, *local_day_bounds(today), now), rating_month=rating_month,
        ratings=[(f.site, f.rating, rating_reason(f.rating)) for f in facts], red=red, black=black,
        alerts=supplier_alerts(scope, now), workload=station_workload(scope, start, end, day_start),
        daily=daily, trend_step=chart_step(len(daily)), by_item=figures.breakdown(scope, start, end, "item"),
        by_category=figures.breakdown(scope, start, end, "category"), site_months=[(f.site, f.month) for f in facts],
        coverage=figures.coverage(scope, start, end), planned=planned,
        colours=card_colours(current, planned, figures.thresholds()), scope_name=scope.name,
        org=org_code.strip().upper() if org_code else None)


def stall_history(stall: Stall, page: int = 1, args: dict | None = None, per_page: int = 30):
    """The stall's batches, newest first, counted and numbered (:mod:`lims.listing`)."""
    from lims.listing import paginate

    stmt = (sa.select(Batch).where(Batch.stall_id == stall.id).order_by(Batch.sampled_at.desc(), Batch.id.desc())
            .options(joinedload(Batch.disposition)))
    return paginate(stmt, page, per_page, args)


def stall_standing(stall: Stall, now: datetime) -> str | None:
    """"red", "black" or None: the stall's place on the lists today."""
    scope = figures.Scope(frozenset({stall.site_id}), stall.site.name, "site")
    red, black = figures.stall_lists(scope, local_today(now))
    if any(s.stall == stall.code for s in black):
        return "black"
    if any(s.stall == stall.code for s in red):
        return "red"
    return None


def local_month_start(now: datetime) -> date:
    return now.astimezone(local_zone()).date().replace(day=1)
