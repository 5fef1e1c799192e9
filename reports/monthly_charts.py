"""The three charts of the monthly report, as chart specs (drawn by ``charts`` or ``svg``)."""

from __future__ import annotations

from .data import BarChart, ChartSeries, LineChart, MonthlyReport
from .text import Text

POSITIVE_RED = "#c92a2a"


def daily_chart(report: MonthlyReport, text: Text | None = None) -> LineChart:
    """Tests per day (line, left axis) and positives per day (red bars, right axis)."""
    L = text or Text()
    days = sorted(report.daily, key=lambda d: d.day)
    return LineChart(
        title=L._("Tests and positives per day"),
        categories=tuple(d.day.strftime("%m-%d") for d in days),
        series=(
            ChartSeries(name=L.pgettext("chart", "Tests"), values=tuple(d.tests for d in days)),
            ChartSeries(name=L.pgettext("chart", "Positives"), values=tuple(d.positives for d in days), right_axis=True,
                        bars=True, colour=POSITIVE_RED),
        ),
        y_label=L.pgettext("chart", "Tests"),
        y2_label=L.pgettext("chart", "Positives"),
        empty_text=L._("No data this month"),
    )


def site_positive_rate_chart(report: MonthlyReport, text: Text | None = None, top: int = 20) -> BarChart:
    """Positive rate of the ``top`` sites with the highest rate (horizontal bars)."""
    L = text or Text()
    rated = [row for row in report.by_site if row.positive_rate is not None]
    rated.sort(key=lambda row: (-row.positive_rate, -row.positives, row.name))
    shown = rated[:top]
    return BarChart(
        title=L._("Positive rate by site (top {n})").format(n=len(shown)) if len(shown) < len(rated) else L._("Positive rate by site"),
        categories=tuple(row.name for row in shown),
        values=tuple(row.positive_rate for row in shown),
        horizontal=True,
        percent=True,
        empty_text=L._("No data this month"),
        colour=POSITIVE_RED,
    )


def item_positives_chart(report: MonthlyReport, text: Text | None = None, top: int = 15) -> BarChart:
    """Positives per test item, most first, items without positives left out."""
    L = text or Text()
    items = sorted((row for row in report.by_item if row.positives > 0), key=lambda r: (-r.positives, r.name))
    shown = items[:top]
    return BarChart(
        title=L._("Positives by test item"),
        categories=tuple(row.name for row in shown),
        values=tuple(row.positives for row in shown),
        horizontal=True,
        empty_text=L._("No positives this month"),
        colour=POSITIVE_RED,
    )
