"""The three charts of the monthly report, as chart specs (drawn by ``charts`` or ``svg``)."""

from __future__ import annotations

from .data import BarChart, ChartSeries, LineChart, MonthlyReport
from .i18n import labels

POSITIVE_RED = "#c92a2a"


def daily_chart(report: MonthlyReport, lang: str = "zh_CN") -> LineChart:
    """Tests per day (line, left axis) and positives per day (red bars, right axis)."""
    L = labels(lang)
    days = sorted(report.daily, key=lambda d: d.day)
    return LineChart(
        title=L["chart.daily"],
        categories=tuple(d.day.strftime("%m-%d") for d in days),
        series=(
            ChartSeries(name=L["chart.tests"], values=tuple(d.tests for d in days)),
            ChartSeries(name=L["chart.positives"], values=tuple(d.positives for d in days), right_axis=True,
                        bars=True, colour=POSITIVE_RED),
        ),
        y_label=L["chart.tests"],
        y2_label=L["chart.positives"],
        empty_text=L["chart.no_data"],
    )


def site_positive_rate_chart(report: MonthlyReport, lang: str = "zh_CN", top: int = 20) -> BarChart:
    """Positive rate of the ``top`` sites with the highest rate (horizontal bars)."""
    L = labels(lang)
    rated = [row for row in report.by_site if row.positive_rate is not None]
    rated.sort(key=lambda row: (-row.positive_rate, -row.positives, row.name))
    shown = rated[:top]
    return BarChart(
        title=L["chart.site_rate"].format(n=len(shown)) if len(shown) < len(rated) else L["chart.site_rate_all"],
        categories=tuple(row.name for row in shown),
        values=tuple(row.positive_rate for row in shown),
        horizontal=True,
        percent=True,
        empty_text=L["chart.no_data"],
        colour=POSITIVE_RED,
    )


def item_positives_chart(report: MonthlyReport, lang: str = "zh_CN", top: int = 15) -> BarChart:
    """Positives per test item, most first, items without positives left out."""
    L = labels(lang)
    items = sorted((row for row in report.by_item if row.positives > 0), key=lambda r: (-r.positives, r.name))
    shown = items[:top]
    return BarChart(
        title=L["chart.item_positives"],
        categories=tuple(row.name for row in shown),
        values=tuple(row.positives for row in shown),
        horizontal=True,
        empty_text=L["chart.no_positives"],
        colour=POSITIVE_RED,
    )
