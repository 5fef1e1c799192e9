"""Reading .xlsx workbooks safely.

Before openpyxl sees the bytes, the zip archive is checked: every member's declared size and
compression ratio must be within :class:`~instruments.base.Limits` (zipfile never inflates a
member past its declared size, so a lying header cannot get further), and encrypted archives
are refused. The workbook is then read with openpyxl in read-only mode, rows fetched lazily
with their number formats, the sheet's declared dimension ignored (a claim of ``A1:XFD1048576``
allocates nothing) and at most a fixed number of columns looked at. Cells are rendered as text,
as the sheet shows them (a percent cell holding 0.552 as ``55.2%``, dates as ISO text), so
every format reads CSV and spreadsheet rows the same way.
"""

from __future__ import annotations

import io
import threading
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice

from instruments.base import Limits, ParseError
from instruments.columns import HeaderMatch
from instruments.detection import HEADER_SEARCH_ROWS, HeaderSearch
from instruments.formats import InstrumentFormat
from instruments.number_formats import EAST_ASIAN_DATE_FORMAT_IDS, percent_sections, percent_text

#: Columns looked at while searching for the header; data rows stop at the header's width.
MAX_COLUMNS = 256
#: Excel's own last row: a row number beyond it is a damaged (or hostile) sheet.
EXCEL_MAX_ROW = 1_048_576
#: Sheets tried for a header when no sheet is named.
MAX_SHEETS = 10
#: Members this small cannot hurt, whatever their compression ratio.
_RATIO_CHECK_FLOOR = 1 << 20
_MAX_MEMBERS = 10_000
_CHUNK_ROWS = 256
_HEADER_SEARCH_PHYSICAL_ROWS = 1_000


def check_archive(data: bytes, limits: Limits) -> None:
    """Refuse a zip that is damaged, encrypted or would expand beyond the limits.

    Only the central directory is read; nothing is inflated. Raises ParseError
    ``corrupt_file``, ``encrypted_file`` or ``zip_bomb``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, KeyError, IndexError, OverflowError) as exc:
        raise ParseError("corrupt_file", {"kind": ".xlsx", "detail": str(exc)}) from None
    if len(members) > _MAX_MEMBERS:
        raise ParseError("zip_bomb", {"member": "(archive)", "size": len(members)})
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise ParseError("encrypted_file")
        size = member.file_size
        total += size
        if size > limits.max_uncompressed_bytes or total > limits.max_uncompressed_bytes:
            raise ParseError("zip_bomb", {"member": member.filename, "size": size})
        if size > _RATIO_CHECK_FLOOR and size > limits.max_compression_ratio * max(
            member.compress_size, 1
        ):
            raise ParseError("zip_bomb", {"member": member.filename, "size": size})
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        raise ParseError("corrupt_file", {"kind": ".xlsx", "detail": "not a workbook"})


def cell_text(value) -> str:
    """Render a cell value as the text a CSV export would hold (dates as ISO text)."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is float:
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            try:
                text = format(Decimal(text), "f")
            except ArithmeticError:  # nan or inf never come from a workbook, but be safe
                return text
        return text
    if kind is datetime:
        return value.isoformat(" ")
    if kind is date or kind is time:
        return value.isoformat()
    if kind is bool:
        return "TRUE" if value else "FALSE"
    return str(value)


class SheetTable:
    """A worksheet opened at its header: ``rows`` yields ``(row number, cells)`` after it."""

    def __init__(self, workbook, sheet_title: str, fmt: InstrumentFormat,
                 header: HeaderMatch, rows: Iterator[tuple[int, list[str]]]) -> None:
        self.sheet = sheet_title
        self.format = fmt
        self.header = header
        self.rows = rows
        self.excel_epoch = getattr(workbook, "epoch", None)
        self._workbook = workbook

    def close(self) -> None:
        """Close the workbook (and its archive)."""
        _quietly(self._workbook.close)


def open_sheet(data: bytes, search: HeaderSearch, limits: Limits, sheet: str | None) -> SheetTable:
    """Check and open the workbook, find the header, and return the table after it.

    The named ``sheet``, or the first sheet; when the first sheet has no header (an
    instructions sheet, say) the following sheets are tried in order.
    """
    check_archive(data, limits)
    workbook = _quietly(
        _load_workbook, data, detail="cannot open workbook"
    )
    try:
        return _open_at_header(workbook, search, sheet)
    except BaseException:
        _quietly(workbook.close)
        raise


def _load_workbook(data: bytes):
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # Why: opening a read-only sheet, openpyxl looks for the dimension the sheet declares, and
    # when there is none it parses the sheet's whole XML to find that out — a second full pass
    # over the data before a row is read (a third of a 20,000-row import). The declared
    # dimension is reset before reading anyway (``reset_dimensions``: a claim of A1:XFD1048576
    # must not matter), so that pass is skipped while the workbook opens.
    with _LOADING:
        sized = ReadOnlyWorksheet._get_size
        ReadOnlyWorksheet._get_size = _unsized
        try:
            return load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False, keep_vba=False
            )
        finally:
            ReadOnlyWorksheet._get_size = sized


def _unsized(worksheet) -> None:
    """A read-only sheet opened without looking for its dimension."""


_LOADING = threading.Lock()


def _open_at_header(workbook, search: HeaderSearch, sheet: str | None) -> SheetTable:
    worksheets = _quietly(lambda: list(workbook.worksheets))
    if sheet is not None:
        chosen = [ws for ws in worksheets if ws.title == sheet]
        if not chosen:
            raise ParseError("missing_sheet", {"sheet": sheet})
    else:
        chosen = worksheets[:MAX_SHEETS]
    searched = 0
    for worksheet in chosen:
        _quietly(worksheet.reset_dimensions)
        found, searched_here = _find_header(worksheet, search)
        searched = max(searched, searched_here)
        if found is not None:
            fmt, header = found
            width = max(header.width, 1)
            rows = _sheet_rows(worksheet, header.row + 1, width)
            return SheetTable(workbook, worksheet.title, fmt, header, rows)
    raise search.failure(searched)


def _find_header(worksheet, search: HeaderSearch):
    searched = 0
    for number, cells in _sheet_rows(worksheet, 1, MAX_COLUMNS, _HEADER_SEARCH_PHYSICAL_ROWS):
        searched += 1
        if searched > HEADER_SEARCH_ROWS:
            break
        found = search.offer(number, cells)
        if found is not None:
            return found, searched
    return None, searched


def _sheet_rows(
    worksheet, first_row: int, max_col: int, max_row: int | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows from ``first_row`` on, as text cells, fetched in warning-free chunks.

    Cells are read with their styles (``values_only`` drops them), so that a number is
    rendered as the sheet shows it (see :class:`NumberReaders`)."""
    rows = _parsed_rows(worksheet, first_row, max_row)
    readers = NumberReaders(worksheet)
    reader_of = readers.by_style.get
    while True:
        chunk = _quietly(lambda: list(islice(rows, _CHUNK_ROWS)))
        if not chunk:
            return
        for number, cells in chunk:
            if number > EXCEL_MAX_ROW:
                raise ParseError(
                    "corrupt_file", {"kind": ".xlsx", "detail": "row beyond Excel's last row"})
            texts = [""] * max_col
            blank = True
            for cell in cells:
                column = cell["column"]
                value = cell["value"]
                if value is None or column > max_col:
                    continue
                blank = False
                kind = type(value)
                if kind is str:
                    texts[column - 1] = value
                elif kind is float or kind is int:
                    style = cell["style_id"]
                    read = reader_of(style) or readers.reader_for(style)
                    texts[column - 1] = read(value)
                else:
                    texts[column - 1] = cell_text(value)
            if not blank:
                yield number, texts


def _parsed_rows(worksheet, first_row: int, max_row: int | None):
    """``(row number, cells)`` from ``first_row`` on, each cell as openpyxl's sheet parser
    gives it (a dict of column, value and style id).

    Why not ``iter_rows``: it either drops the style (``values_only``) or wraps every cell in
    a ``ReadOnlyCell`` object, which cost a tenth of a large sheet's reading time; this is the
    loop ``iter_rows`` itself runs, without the objects."""
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = worksheet.parent
    with worksheet._get_source() as source:
        parser = WorkSheetParser(
            source, worksheet._shared_strings, data_only=workbook.data_only, epoch=workbook.epoch,
            date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
        last = first_row - 1
        for number, cells in parser.parse():
            if max_row is not None and number > max_row:
                return
            if number > last:  # as iter_rows: a row numbered again, or out of order, is not read
                last = number
                yield number, cells


class NumberReaders:
    """How a number cell reads, by the cell's style (looked up once a style: a sheet has few).

    A percent format shows the number ×100 (``55.2%`` for 0.552); a built-in East-Asian date
    format shows a serial day number as a date (openpyxl already turns the date formats it
    knows into dates); any other format shows the number as stored."""

    def __init__(self, worksheet) -> None:
        self.worksheet = worksheet
        self.epoch = getattr(worksheet.parent, "epoch", None)
        #: style id → how a number of that style reads (``cell_text`` for most).
        self.by_style: dict = {}

    def reader_for(self, style: int):
        """Work out (once) how numbers of this style read."""
        read = self.by_style[style] = _quietly(self._reader_for, style)
        return read

    def _reader_for(self, style: int):
        from openpyxl.cell.read_only import ReadOnlyCell

        if not 0 <= style < len(self.worksheet.parent._cell_styles):
            return cell_text  # a style the workbook does not have: shown as General
        cell = ReadOnlyCell(self.worksheet, 1, 1, None, "n", style)  # only to ask for its format
        if cell.style_array.numFmtId in EAST_ASIAN_DATE_FORMAT_IDS:
            return self._date_text
        positive, negative, zero = percent_sections(cell.number_format)
        if not (positive or negative or zero):
            return cell_text

        def read(value) -> str:
            shown = positive if value > 0 else negative if value < 0 else zero
            return percent_text(value) if shown else cell_text(value)

        return read

    def _date_text(self, value) -> str:
        from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

        try:
            return cell_text(from_excel(value, self.epoch or CALENDAR_WINDOWS_1900))
        except (ValueError, OverflowError, TypeError):  # not a day Excel can show
            return cell_text(value)


def _quietly(action, *args, detail: str = "cannot read workbook", **kwargs):
    """Run an openpyxl call on untrusted data: its warnings are silenced (they are not the
    user's business) and any failure becomes ParseError ``corrupt_file``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return action(*args, **kwargs)
    except ParseError:
        raise
    except Exception as exc:  # openpyxl raises anything from KeyError to XML errors
        raise ParseError(
            "corrupt_file", {"kind": ".xlsx", "detail": f"{detail}: {type(exc).__name__}"}
        ) from None
