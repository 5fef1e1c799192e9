"""Values as they go into spreadsheet cells: text made formula-safe, times made naive local."""

from __future__ import annotations

from datetime import datetime

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A cell starting with one of these is run as a formula by Excel, LibreOffice or WPS.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_PREFIX = "'"

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
KG_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as text: characters XML cannot hold removed, and a
    leading "'" added when the text would otherwise start a formula (=, +, -, @, tab, CR)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return TEXT_PREFIX + value
    return value


def excel_datetime(value: datetime | None) -> datetime | None:
    """A datetime for Excel, which has no time zones: the local wall time, tzinfo dropped."""
    if value is None:
        return None
    return value.replace(tzinfo=None, microsecond=0)
