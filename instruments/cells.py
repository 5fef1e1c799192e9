"""Reading one cell of a data row into a reading field.

Each reader returns the field's value and, when the cell cannot be read, appends a
:class:`RowProblem` naming the row and the column as written in the file. Cells are text:
CSV cells as written, spreadsheet cells rendered by :mod:`instruments.excel`.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal

from instruments.base import RowProblem
from instruments.outcomes import outcome_of
from instruments.times import TimeReader
from instruments.values import parse_decimal


def code_cell(raw: str) -> str | None:
    """A sample code: trimmed; full-width letters and digits typed by an IME made ASCII."""
    code = raw.strip()
    if not code:
        return None
    if not code.isascii():
        code = unicodedata.normalize("NFKC", code).strip()
    return code


def required_text_cell(
    raw: str, row: int, column: str | None, problems: list[RowProblem]
) -> str | None:
    """Text that must be present; a blank cell is a ``missing_value`` problem."""
    text = raw.strip()
    if not text:
        problems.append(RowProblem(row, column, "missing_value", {}))
        return None
    return text


def number_cell(
    raw: str, row: int, column: str | None, problems: list[RowProblem]
) -> Decimal | None:
    """An optional number; text that is not a number is a ``not_a_number`` problem."""
    text = raw.strip()
    if not text:
        return None
    number = parse_decimal(text)
    if number is None:
        problems.append(RowProblem(row, column, "not_a_number", {"value": text}))
    return number


def time_cell(
    raw: str, times: TimeReader, row: int, column: str | None, problems: list[RowProblem]
) -> datetime | None:
    """The required test time in UTC; blank, unreadable and future times are problems."""
    when = times.read(raw)
    if type(when) is str:
        problems.append(time_problem(row, column, when, raw))
        return None
    return when


def time_problem(row: int, column: str | None, code: str, raw: str) -> RowProblem:
    """The problem for a time cell that :meth:`TimeReader.read` refused with ``code``."""
    return RowProblem(row, column, code, {"value": raw.strip()} if raw.strip() else {})


def word_cell(
    raw: str, row: int, column: str | None, problems: list[RowProblem]
) -> tuple[str | None, str | None]:
    """An optional verdict word: ``(word as written, outcome)``; unknown words are problems."""
    word = raw.strip()
    if not word:
        return None, None
    outcome = outcome_of(word)
    if outcome is None:
        problems.append(RowProblem(row, column, "unknown_word", {"value": word}))
    return word, outcome
