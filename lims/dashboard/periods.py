"""The period a dashboard shows: a month, a quarter, a year or a custom range of days, the
period before it and the same period a year earlier. Pure date arithmetic, plus the parser
of the query string (?period=quarter&quarter=2026-Q4, ?month=2026-11, ?from=…&to=…) that
refuses bad periods with a message saying what is wrong."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import gettext

from lims.errors import InvalidInput
from lims.inputs import EARLIEST_YEAR

KINDS = ("month", "quarter", "year", "range")


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    return _add_months(first, 1) - timedelta(days=1)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter", "year" or "range"
    first: date
    last: date  # inclusive

    @classmethod
    def month(cls, day: date) -> Period:
        first = day.replace(day=1)
        return cls("month", first, _month_end(first))

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        first = date(year, 3 * (q - 1) + 1, 1)
        return cls("quarter", first, _add_months(first, 3) - timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", date(year, 1, 1), date(year, 12, 31))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def key(self) -> str:
        """How the period is written in the address and on the page: 2026-11, 2026-Q4, 2026,
        2026-10-01~2026-11-15."""
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}~{self.last.isoformat()}"

    def previous(self) -> Period:
        """The period just before: the month, quarter or year before; for a range, the range
        of as many days ending the day before it starts."""
        if self.kind == "month":
            return Period.month(self.first - timedelta(days=1))
        if self.kind == "quarter":
            first = _add_months(self.first, -3)
            return Period("quarter", first, self.first - timedelta(days=1))
        if self.kind == "year":
            return Period.year(self.first.year - 1)
        return Period("range", self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def year_before(self) -> Period:
        """The same period a year earlier."""
        if self.kind == "month":
            return Period.month(_year_earlier(self.first))
        return replace(self, first=_year_earlier(self.first), last=_year_earlier(self.last))

    def running(self, today: date) -> bool:
        return self.first <= today <= self.last

    def cut(self, days: int) -> Period:
        """The first ``days`` days of the period (all of it when shorter): what a running
        period is compared with, so that four days are set beside four days."""
        return replace(self, last=min(self.last, self.first + timedelta(days=days - 1)))

    def months(self) -> list[tuple[date, int, int]]:
        """(first of month, days of the period in it, days of the month) for each month touched."""
        out = []
        first = self.first.replace(day=1)
        while first <= self.last:
            end = _month_end(first)
            inside = (min(end, self.last) - max(first, self.first)).days + 1
            out.append((first, inside, end.day))
            first = _add_months(first, 1)
        return out


# A trend chart draws one bar a day up to about two months; longer spans are drawn by week
# (up to about half a year: a quarter) or by month (a year), so that bars stay readable.
DAILY_CHART_MAX_DAYS = 62
WEEKLY_CHART_MAX_DAYS = 190
CHART_STEPS = ("day", "week", "month")


def chart_step(days: int) -> str:
    """How a trend over ``days`` days is charted: "day", "week" or "month"."""
    if days <= DAILY_CHART_MAX_DAYS:
        return "day"
    return "week" if days <= WEEKLY_CHART_MAX_DAYS else "month"


def step_start(day: date, step: str, first: date) -> date:
    """The first day of the bar ``day`` falls in: the day itself, its week's Monday or its
    month's first — never before ``first``, the chart's first day (a partial first bar)."""
    if step == "day":
        return day
    start = day - timedelta(days=day.weekday()) if step == "week" else day.replace(day=1)
    return max(start, first)


def _bad(field: str, message: str):
    return InvalidInput(message, {field: [message]})


def _year_ok(year: int, field: str, today: date) -> int:
    if not EARLIEST_YEAR <= year <= today.year:
        raise _bad(field, gettext("Choose a year between %(first)d and %(last)d.", first=EARLIEST_YEAR,
                                  last=today.year))
    return year


def parse_period(args, today: date, max_days: int) -> Period:
    """The period asked for in ``args`` (a mapping of query parameters), else the current
    month. Refused with a message: an unknown kind, a malformed value, a year outside
    2000 … this year, a period that has not begun, ``from`` after ``to``, a range ending
    after today or longer than ``max_days`` days."""
    kind = (args.get("period") or "").strip()
    if not kind:
        kind = "range" if (args.get("from") or args.get("to")) else "month"
    if kind not in KINDS:
        raise _bad("period", gettext("Choose a month, a quarter, a year or a range of days."))
    if kind == "month":
        raw = (args.get("month") or "").strip()
        if not raw:
            period = Period.month(today)
        else:
            m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
            if not m or not 1 <= int(m.group(2)) <= 12:
                raise _bad("month", gettext("Write the month as 2026-11."))
            period = Period.month(date(_year_ok(int(m.group(1)), "month", today), int(m.group(2)), 1))
    elif kind == "quarter":
        raw = (args.get("quarter") or "").strip().upper()
        if not raw:
            period = Period.quarter(today.year, (today.month - 1) // 3 + 1)
        else:
            m = re.fullmatch(r"(\d{4})-?Q([1-4])", raw)
            if not m:
                raise _bad("quarter", gettext("Write the quarter as 2026-Q4."))
            period = Period.quarter(_year_ok(int(m.group(1)), "quarter", today), int(m.group(2)))
    elif kind == "year":
        raw = (args.get("year") or "").strip()
        if not raw:
            period = Period.year(today.year)
        else:
            if not re.fullmatch(r"\d{4}", raw):
                raise _bad("year", gettext("Write the year as 2026."))
            period = Period.year(_year_ok(int(raw), "year", today))
    else:
        days = {}
        for field in ("from", "to"):
            raw = (args.get(field) or "").strip()
            try:
                days[field] = date.fromisoformat(raw)
            except ValueError:
                raise _bad(field, gettext("Write the dates of the range as 2026-11-20 (both of them).")) from None
            _year_ok(days[field].year, field, today)
        if days["from"] > days["to"]:
            raise _bad("to", gettext("The range ends before it begins: the first day is after the last."))
        if days["to"] > today:
            raise _bad("to", gettext("The range cannot end after today (%(today)s).", today=today.isoformat()))
        period = Period("range", days["from"], days["to"])
        if period.days > max_days:
            raise _bad("to", gettext("A range can be at most %(n)d days long; choose a year instead.", n=max_days))
    if period.first > today:
        raise _bad(kind, gettext("That period has not begun."))
    return period
