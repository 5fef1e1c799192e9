"""How values are printed in every report: times, weights, readings, rates."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

DASH = "—"
_HUNDREDTH = Decimal("0.01")


def datetime_text(value: datetime | None) -> str:
    """A local datetime as ``YYYY-MM-DD HH:MM``; a dash for None."""
    if value is None:
        return DASH
    return value.strftime("%Y-%m-%d %H:%M")


def date_text(value: date | None) -> str:
    """A date as ``YYYY-MM-DD``; a dash for None."""
    if value is None:
        return DASH
    return value.strftime("%Y-%m-%d")


def date_range_text(start: date, end: date | None) -> str:
    """``start`` or ``start ~ end`` (one day when end is None or equal)."""
    if end is None or end == start:
        return date_text(start)
    return f"{date_text(start)} ~ {date_text(end)}"


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month containing ``month``."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


def decimal_text(value: Decimal | int | None, places: int = 2) -> str:
    """A number rounded half-up to ``places`` decimals, trailing zeros dropped; dash for None."""
    if value is None:
        return DASH
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def kg_text(value: Decimal | None) -> str:
    """Kilograms with up to two decimals ("12.5"); dash for None."""
    return decimal_text(value, 2)


def reading_text(value: Decimal | None, value_text: str | None, unit: str | None) -> str:
    """A reading as printed: "12.4 %", "0.6 μg/kg" or the qualitative word ("未检出")."""
    if value is not None:
        number = f"{Decimal(value):f}"
        return f"{number} {unit}" if unit else number
    if value_text:
        return value_text
    return DASH


def rate_text(rate: Decimal | None) -> str:
    """A fraction as a percentage with two decimals ("1.25%"); dash for None."""
    if rate is None:
        return DASH
    percent = (Decimal(rate) * 100).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return f"{percent:f}%"


def count_change_text(current: int | Decimal, previous: int | Decimal | None) -> str:
    """Signed difference of two counts ("+3", "-1.5", "0"); dash when previous is unknown."""
    if previous is None:
        return DASH
    diff = Decimal(current) - Decimal(previous)
    text = decimal_text(diff, 2)
    return f"+{text}" if diff > 0 else text


def rate_change_points(current: Decimal | None, previous: Decimal | None) -> str:
    """Difference of two rates in percentage points ("+0.40"); dash when either is None."""
    if current is None or previous is None:
        return DASH
    diff = ((Decimal(current) - Decimal(previous)) * 100).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    if diff > 0:
        return f"+{diff:f}"
    return "0.00" if diff == 0 else f"{diff:f}"
