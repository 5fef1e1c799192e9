"""What a spreadsheet's number format does to the number a cell holds.

A cell holds a number and a format; the sheet shows the number through the format. Two
formats change what the number *means* to a reader: a percent format (``0.00%``) shows 0.552
as 55.20 %, and a date format shows a serial day number as a date. The rest (decimals shown,
thousands separators, units in quotes, ``"-"`` for zero in accounting formats) change only
the look, and the number is read at the precision the cell stores: a rounded figure could
cross a cut-off that the stored one does not.

Excel, WPS and LibreOffice store a typed "55.2%" as 0.552 with a percent format. Excel and
WPS in Chinese store dates typed as ``2026年11月20日`` with the built-in format ids 27–36 and
50–58, which they never write out (openpyxl does not know them as dates).
"""

from __future__ import annotations

import re
from decimal import Decimal

#: The built-in number formats of the Chinese (and other East-Asian) editions that show a
#: date or a time. They are implied by their id alone: the file holds no format code for them.
EAST_ASIAN_DATE_FORMAT_IDS = frozenset(range(27, 37)) | frozenset(range(50, 59))

# Parts of a format code that are shown as written, never as the number: "quoted text",
# \x escapes, [colours, conditions, locales], _x (a space as wide as x) and *x (fill with x).
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')

#: How a number in a given format reads.
PLAIN = "plain"
PERCENT = "percent"


def sections(format_code: str) -> list[str]:
    """The format's sections (positive; negative; zero; text) with their literal text removed."""
    return _LITERALS.sub("", format_code or "").split(";")


def percent_sections(format_code: str) -> tuple[bool, bool, bool]:
    """Whether a positive, a negative and a zero number are shown ×100 (with ``%``).

    A negative number uses the second section when there is one, zero the third."""
    parts = ["%" in part for part in sections(format_code)]
    positive = parts[0]
    negative = parts[1] if len(parts) > 1 else positive
    zero = parts[2] if len(parts) > 2 else positive
    return positive, negative, zero


def percent_text(value: int | float) -> str:
    """The number a percent-formatted cell shows, without float noise: 0.552 → ``55.2%``."""
    number = Decimal(value) if type(value) is int else Decimal(repr(value))
    shown = number.scaleb(2).normalize()
    return format(shown, "f") + "%"
