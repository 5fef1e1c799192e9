"""The registry of instrument formats and the entry points the importer calls.

``iter_file`` checks the file as a whole (size, container, encoding, zip expansion, header)
before returning, raising :class:`~instruments.base.ParseError`; it then streams one item per
data row so memory stays flat on large files. ``parse_file`` collects that stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo

from instruments import analyzer_csv, gold_xlsx, pesticide_csv, template_xlsx
from instruments.base import Limits, ParseError, ParseResult, Reading, RowProblem, SkippedRow
from instruments.detection import (
    HEADER_SEARCH_ROWS, TEXT, XLSX, HeaderSearch, is_xls_name, sniff_container,
)
from instruments.excel import open_sheet
from instruments.formats import InstrumentFormat, RowCounter, read_data_rows
from instruments.text import open_text
from instruments.times import TimeReader, resolve_zone

#: Format name → format. The names are part of the public contract.
FORMATS: dict[str, InstrumentFormat] = {
    fmt.name: fmt
    for fmt in (
        pesticide_csv.FORMAT,
        gold_xlsx.FORMAT,
        analyzer_csv.FORMAT,
        template_xlsx.FORMAT,
    )
}

DEFAULT_LIMITS = Limits()


class ReadingStream:
    """The rows of an opened file, read lazily: iterate it for Reading / RowProblem /
    SkippedRow items in row order. ``header_row`` and (as it advances) ``rows_seen`` describe
    the file; ``close()`` (or exhausting it) releases the workbook or decoder.
    """

    def __init__(self, table, read_row, limits: Limits) -> None:
        self.format: str = table.format.name
        self.header_row: int = table.header.row
        self.header: tuple[str, ...] = table.header.cells
        self.encoding: str | None = getattr(table, "encoding", None)
        self.delimiter: str | None = getattr(table, "delimiter", None)
        self.sheet: str | None = getattr(table, "sheet", None)
        self._table = table
        self._counter = RowCounter()
        self._items = read_data_rows(
            table.rows, table.header, read_row, limits, self._counter,
            on_exit=table.close, reading_fields=table.format.reading_fields,
        )

    @property
    def rows_seen(self) -> int:
        """Data rows examined so far."""
        return self._counter.rows_seen

    def __iter__(self) -> Iterator[Reading | RowProblem | SkippedRow]:
        return self._items

    def __next__(self) -> Reading | RowProblem | SkippedRow:
        return next(self._items)

    def close(self) -> None:
        """Stop reading and release the file's resources."""
        self._items.close()
        self._table.close()

    def __enter__(self) -> ReadingStream:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _open_table(data, *, filename, format, limits, sheet):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be bytes")
    data = bytes(data)
    if len(data) > limits.max_bytes:
        raise ParseError(
            "too_large",
            {"size": len(data), "limit": limits.max_bytes,
             "size_mb": round(len(data) / 1048576, 1),
             "limit_mb": round(limits.max_bytes / 1048576, 1)},
        )
    container = sniff_container(data, filename)
    if format is None:
        formats = list(FORMATS.values())
    elif format in FORMATS:
        formats = [FORMATS[format]]
    else:
        raise ParseError("unknown_format", {"format": format, "lines": HEADER_SEARCH_ROWS})
    search = HeaderSearch(formats, "csv" if container == TEXT else XLSX, forced=format is not None)
    if container == XLSX:
        return open_sheet(data, search, limits, sheet)
    try:
        return open_text(data, search)
    except ParseError as error:
        # Some instrument programs write text or HTML into files named .xls.
        if is_xls_name(filename) and error.code in ("unknown_format", "no_header", "undecodable"):
            raise ParseError("legacy_xls", {"filename": filename}) from None
        raise


def detect_format(
    data: bytes, filename: str | None = None, *, limits: Limits = DEFAULT_LIMITS,
    sheet: str | None = None,
) -> str:
    """Return the format name of ``data`` from its header row.

    Raises ParseError: ``unknown_format`` when no format's header is found, ``legacy_xls``
    for a .xls workbook ("save as .xlsx"), and the other file-level codes (``too_large``,
    ``undecodable``, ``zip_bomb``, ``corrupt_file``, ``empty_file``, ``missing_column`` …).
    """
    table = _open_table(data, filename=filename, format=None, limits=limits, sheet=sheet)
    table.close()
    return table.format.name


def iter_file(
    data: bytes,
    *,
    filename: str | None = None,
    format: str | None = None,
    now: datetime,
    tz: str | tzinfo = "Asia/Shanghai",
    limits: Limits = DEFAULT_LIMITS,
    sheet: str | None = None,
) -> tuple[str, ReadingStream]:
    """Open an instrument file and stream its rows: ``(format name, stream)``.

    ``format`` forces a format (else it is detected from the header); ``sheet`` names the
    worksheet of an .xlsx; ``now`` (timezone-aware) is the moment of import: test times after
    it (plus 5 minutes of clock drift) are ``future_time`` problems; times without a zone are
    local to ``tz``. Every file-level check happens before this returns, raising ParseError;
    afterwards the stream yields Reading / RowProblem / SkippedRow items row by row, and may
    still raise ParseError ``too_many_rows`` (or ``corrupt_file`` for a CSV quote left open).
    Raises ValueError for a naive ``now`` or an unknown ``tz``.
    """
    zone = resolve_zone(tz)
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    table = _open_table(data, filename=filename, format=format, limits=limits, sheet=sheet)
    try:
        epoch = table.excel_epoch
        times = TimeReader(zone, now, **({"excel_epoch": epoch} if epoch else {}))
        read_row = table.format.row_reader(table.header, times)
    except BaseException:
        table.close()
        raise
    return table.format.name, ReadingStream(table, read_row, limits)


def parse_file(
    data: bytes,
    *,
    filename: str | None = None,
    format: str | None = None,
    now: datetime,
    tz: str | tzinfo = "Asia/Shanghai",
    limits: Limits = DEFAULT_LIMITS,
    sheet: str | None = None,
) -> ParseResult:
    """Read a whole instrument file into a :class:`ParseResult` (see ``iter_file``)."""
    name, stream = iter_file(
        data, filename=filename, format=format, now=now, tz=tz, limits=limits, sheet=sheet
    )
    result = ParseResult(format=name, header_row=stream.header_row)
    readings, problems, skipped = result.readings, result.problems, result.skipped
    with stream:
        for item in stream:
            kind = type(item)
            if kind is Reading:
                readings.append(item)
            elif kind is RowProblem:
                problems.append(item)
            else:
                skipped.append(item)
    result.rows_seen = stream.rows_seen
    return result
