"""What every instrument format shares: its columns, how it is recognised, and the walk over
its data rows (blank, summary and repeated header lines ignored; the row limit enforced).

Each format module defines one :class:`InstrumentFormat` subclass whose ``row_reader`` turns
one data row into a Reading, a SkippedRow or a list of RowProblems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from instruments.base import Limits, ParseError, Reading, RowProblem, SkippedRow
from instruments.columns import ColumnSet, HeaderMatch
from instruments.times import TimeReader

RowResult = Reading | SkippedRow | list[RowProblem]
RowReader = Callable[[int, list[str]], RowResult]
Item = Reading | RowProblem | SkippedRow

_SUMMARY = re.compile(
    r"\s*(?:合计|总计|共计|小计|统计|汇总|记录数|共\s*\d+\s*(?:条|个|份|项|行|组|次))"
)
_SUMMARY_FIRST_CHARS = frozenset("合总共小统汇记")
_LABEL_ENDINGS = ("：", ":")
_NOTABLE_ENDS = frozenset("：: \t\u3000")


class InstrumentFormat:
    """One instrument file format: its name, columns and how a data row becomes a reading."""

    #: Public format name, e.g. ``pesticide-csv``.
    name: str = ""
    #: The container the instrument writes (``csv`` or ``xlsx``); breaks ties in detection.
    container: str = "csv"
    #: The columns and the ones a header must have.
    columns: ColumnSet
    #: A header row must name at least this many fields of the format.
    min_fields: int = 3
    #: The reading columns: a row that stops before all of them is cut off, not empty.
    reading_fields: tuple[str, ...] = ("value",)

    def match_header(self, row: int, cells: list[str]) -> HeaderMatch:
        """Match a candidate header row against this format's columns."""
        return self.columns.match(row, cells)

    def accepts(self, header: HeaderMatch) -> bool:
        """True when the row is a complete header of this format."""
        return header.score >= self.min_fields and not header.missing

    def resembles(self, header: HeaderMatch) -> bool:
        """True when the row looks like this format's header, complete or not."""
        return header.score >= self.min_fields

    def row_reader(self, header: HeaderMatch, times: TimeReader) -> RowReader:
        """Return a function reading one data row (cells padded to the header width plus
        one always-empty cell at index ``header.width``, used for absent columns)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<InstrumentFormat {self.name}>"


def positions(header: HeaderMatch, fields: Iterable[str]) -> dict[str, int]:
    """Column index of each field; absent fields point at the always-empty extra cell."""
    return {field: header.index.get(field, header.width) for field in fields}


def is_summary(cells: list[str]) -> bool:
    """True for a summary/footer line such as ``合计：12 条`` or ``共 6 条记录``."""
    for cell in cells:
        text = cell.strip()
        if text:
            return text[0] in _SUMMARY_FIRST_CHARS and _SUMMARY.match(text) is not None
    return False


class RowCounter:
    """How many data rows the walk has examined (exposed on the reading stream)."""

    __slots__ = ("rows_seen",)

    def __init__(self) -> None:
        self.rows_seen = 0


def read_data_rows(
    rows: Iterator[tuple[int, list[str]]],
    header: HeaderMatch,
    read_row: RowReader,
    limits: Limits,
    counter: RowCounter,
    on_exit: Callable[[], None] | None = None,
    reading_fields: tuple[str, ...] = ("value",),
) -> Iterator[Item]:
    """Walk the rows after the header, yielding what each data row produced.

    Ignored without a trace: blank lines, lines with a single filled cell (titles, footers,
    ``共 12 条记录``), summary lines, signature lines (``审核人：…``, no reading) and repeats
    of the header. Raises ParseError
    ``too_many_rows`` past ``limits.max_rows`` data rows. ``on_exit`` runs when the walk
    ends, however it ends. A (CSV) row that stops before the first of ``reading_fields`` is a
    ``short_row`` problem rather than an empty channel.
    """
    reading_index = min(
        (header.index[f] for f in reading_fields if f in header.index), default=header.width
    )
    try:
        yield from _walk(rows, header, read_row, limits, counter, reading_index)
    finally:
        if on_exit is not None:
            on_exit()


def _walk(rows, header, read_row, limits, counter, reading_index):
    width = header.width
    header_cells = list(header.cells)
    # Rows that might be a summary, a signature line or a repeated header start or end with
    # one of these characters; every other row skips those checks.
    notable_starts = _SUMMARY_FIRST_CHARS | {header_cells[0][:1]} - {""}
    max_rows = limits.max_rows
    seen = 0
    for number, cells in rows:
        length = len(cells)
        if length - cells.count("") < 4 and sum(1 for cell in cells if cell.strip()) < 2:
            continue
        first = cells[0]
        if not first or first[0] in notable_starts or first[-1] in _NOTABLE_ENDS:
            if _is_noise(cells, first, reading_index, header_cells):
                continue
        seen += 1
        if seen > max_rows:
            raise ParseError("too_many_rows", {"limit": max_rows})
        counter.rows_seen = seen
        if length != width:
            if length <= reading_index:
                yield RowProblem(number, header.cells[reading_index], "short_row",
                                 {"count": length, "width": width})
                continue
            cells = cells[:width] if length > width else cells + [""] * (width - length)
        cells.append("")
        result = read_row(number, cells)
        if type(result) is list:
            yield from result
        else:
            yield result


def _is_noise(cells: list[str], first: str, reading_index: int, header_cells: list[str]) -> bool:
    """A summary line, a signature line (审核人：… with no reading) or a repeated header."""
    if is_summary(cells):
        return True
    if first.rstrip()[-1:] in _LABEL_ENDINGS and (
        reading_index >= len(cells) or not cells[reading_index].strip()
    ):
        return True
    return [cell.strip() for cell in cells[: len(header_cells)]] == header_cells
