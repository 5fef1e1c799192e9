"""Figures for the dashboard and the site and stall pages (built on ``reporting.figures``)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask_babel import gettext

from lims.accounts.access import Actor
from lims.extensions import db
from lims.i18n import local_day_bounds, local_today, local_zone
from lims.models import Batch, Disposition, Result, Site, Stall, Station, Supplier
from lims.reporting import figures
from lims.reporting.monthly import rating_reason
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
        .where(Result.current.is_(True), Result.tested_at >= start, Result.tested_at < end, scope.where(Batch.site_id))
        .group_by(key)).all()
    names = dict(db.session.execute(sa.select(Station.id, Station.name)).all())
    return sorted(((names.get(s, "—"), month, today) for s, month, today in rows), key=lambda r: -r[1])


def daily_chart_svg(daily, title: str, tests_label: str, positives_label: str, empty: str) -> str:
    chart = LineChart(title=title, categories=tuple(d.day.strftime("%m-%d") for d in daily),
                      series=(ChartSeries(name=tests_label, values=tuple(d.tests for d in daily)),
                              ChartSeries(name=positives_label, values=tuple(d.positives for d in daily),
                                          right_axis=True, bars=True, colour="#dc2626")),
                      empty_text=empty)
    return line_chart_svg(chart, width=760, height=260)


def bar_svg(title: str, pairs, percent=False, empty="", colours=()) -> str:
    chart = BarChart(title=title, categories=tuple(p[0] for p in pairs), values=tuple(p[1] for p in pairs),
                     horizontal=True, percent=percent, empty_text=empty, colours=tuple(colours))
    return bar_chart_svg(chart, width=460, height=max(160, 28 * len(pairs) + 60))


@dataclass
class Dashboard:
    month: date
    current: object
    previous: object
    last_year: object  # the same month a year before
    running: bool  # the month shown is the current one (today's line, lists as of today)
    today: object
    ratings: list
    red: list
    black: list
    alerts: list[SupplierAlert]
    workload: list
    daily: list
    by_item: list
    by_category: list
    site_months: list  # (site, SiteMonth) of every rated site
    coverage: list  # reports.data.CoverageRow per site, least covered first


def dashboard(actor: Actor, now: datetime, month: date | None = None) -> Dashboard:
    """The figures of a month (default: the current one) beside the month before and the
    same month a year earlier; the lists as of the month's last day (today for the running
    month). A month after the current one is refused."""
    from lims.errors import InvalidInput

    scope = figures.scope_for(actor, None)
    today = local_today(now)
    month = (month or today).replace(day=1)
    if month > today.replace(day=1):
        raise InvalidInput(gettext("That month has not begun."), {"month": ["not in the future"]})
    running = month == today.replace(day=1)
    start, end = figures.month_bounds(month)
    prev_start, prev_end = figures.month_bounds(month - timedelta(days=1))
    year_start, year_end = figures.month_bounds(month.replace(year=month.year - 1))
    as_of = today if running else (end - timedelta(seconds=1)).astimezone(local_zone()).date()
    day_start, day_end = local_day_bounds(today)
    red, black = figures.stall_lists(scope, as_of)
    facts = figures.site_ratings(scope, start, end, now, black)
    return Dashboard(
        month=month, current=figures.headline(scope, start, end, now),
        previous=figures.headline(scope, prev_start, prev_end, now),
        last_year=figures.headline(scope, year_start, year_end, now), running=running,
        today=figures.headline(scope, day_start, day_end, now),
        ratings=[(f.site, f.rating, rating_reason(f.rating)) for f in facts], red=red, black=black,
        alerts=supplier_alerts(scope, now), workload=station_workload(scope, start, end, day_start),
        daily=figures.daily(scope, start - timedelta(days=30), end), by_item=figures.breakdown(scope, start, end, "item"),
        by_category=figures.breakdown(scope, start, end, "category"), site_months=[(f.site, f.month) for f in facts],
        coverage=figures.coverage(scope, start, end))


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
