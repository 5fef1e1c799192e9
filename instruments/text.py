"""Reading CSV and tab-separated instrument exports.

The encoding is detected, never asked: a BOM decides (UTF-8, UTF-16); otherwise the bytes
must decode strictly as UTF-8, else strictly as GB18030 (a superset of GBK/GB2312); else the
file is refused as ``undecodable``. Only a character cut off at the very end is forgiven, and
damaged UTF-8 is never reread as GB18030. The whole file is validated before the first row is read,
then decoded lazily, so memory stays flat however long the file is. The header is searched
line by line with each candidate delimiter (comma, tab, semicolon); the delimiter that yields
a header is used for the data. Line endings may be CRLF, LF or CR; row numbers are the line
numbers a text editor shows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

from instruments.base import ParseError
from instruments.columns import HeaderMatch
from instruments.detection import HEADER_SEARCH_ROWS, HeaderSearch
from instruments.formats import InstrumentFormat

DELIMITERS = (",", "\t", ";")
_CHUNK = 1 << 18
_LONGEST_HEADER_LINE = 1 << 16

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(data: bytes) -> tuple[str, int]:
    """Return ``(codec name, number of bytes to read)``; raise ParseError ``undecodable``.

    A file cut off in the middle of its last character is read without that character
    (its last row then shows up as a short row). A file that is evidently UTF-8 but damaged
    further in is refused rather than misread as GB18030.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            length = _decodable_length(data, encoding)
            if length is None:
                raise ParseError("undecodable")
            return encoding, length
    if data.isascii():
        return "utf-8", len(data)
    guess = _utf16_without_bom(data[:4096])
    if guess:
        length = _decodable_length(data, guess)
        if length is not None:
            return guess, length
    failure = _first_failure(data, "utf-8")
    if failure is None:
        return "utf-8", len(data)
    position, cut_off = failure
    if cut_off:
        return "utf-8", position
    if _evidently_utf8(data[:position]):
        raise ParseError("undecodable")
    length = _decodable_length(data, "gb18030")
    if length is None:
        raise ParseError("undecodable")
    return "gb18030", length


def _decodable_length(data: bytes, encoding: str) -> int | None:
    failure = _first_failure(data, encoding)
    if failure is None:
        return len(data)
    position, cut_off = failure
    return position if cut_off else None


def _evidently_utf8(valid_prefix: bytes) -> bool:
    # Three-byte UTF-8 sequences (all of CJK) that decoded cleanly before the damage: a
    # GB18030 file almost never looks like several of them in a row.
    return sum(valid_prefix.count(lead) for lead in _UTF8_CJK_LEADS) >= 4


_UTF8_CJK_LEADS = tuple(bytes([lead]) for lead in range(0xE0, 0xF0))


def _utf16_without_bom(head: bytes) -> str | None:
    # Text in UTF-16 has a NUL byte beside every ASCII character (digits, commas, newlines),
    # always on the same side; CJK characters rarely have one.
    if len(head) < 8:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    enough = max(4, len(head) // 20)
    if odd >= enough and even * 8 <= odd:
        return "utf-16-le"
    if even >= enough and odd * 8 <= even:
        return "utf-16-be"
    return None


def _first_failure(data: bytes, encoding: str) -> tuple[int, bool] | None:
    """Where strict decoding first fails: ``(byte offset, only cut off at the end)``."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start:start + _CHUNK])
        except UnicodeDecodeError as error:
            return start - pending + error.start, False
        except ValueError:
            return start, False
    pending = len(decoder.getstate()[0])
    try:
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, ValueError):
        return len(data) - pending, True
    return None


class TextTable:
    """A text export opened at its header: ``rows`` yields ``(line number, cells)`` after it."""

    excel_epoch = None

    def __init__(
        self,
        encoding: str,
        delimiter: str,
        fmt: InstrumentFormat,
        header: HeaderMatch,
        rows: Iterator[tuple[int, list[str]]],
        stream: io.TextIOWrapper,
    ) -> None:
        self.encoding = encoding
        self.delimiter = delimiter
        self.format = fmt
        self.header = header
        self.rows = rows
        self._stream = stream

    def close(self) -> None:
        """Release the decoder."""
        self._stream.close()


def open_text(data: bytes, search: HeaderSearch) -> TextTable:
    """Decode ``data``, find its header with ``search`` and return the table after it.

    Raises ParseError: ``undecodable``, or the search's failure (``unknown_format``,
    ``no_header``, ``missing_column``).
    """
    encoding, length = detect_encoding(data)
    if length < len(data):
        data = data[:length]
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        found = _find_header(stream, search)
    except BaseException:
        stream.close()
        raise
    fmt, header, delimiter = found
    rows = _data_rows(stream, delimiter, header.row)
    return TextTable(encoding, delimiter, fmt, header, rows, stream)


def _find_header(stream: io.TextIOWrapper, search: HeaderSearch):
    line_number = 0
    searched = 0
    while searched < HEADER_SEARCH_ROWS:
        line = stream.readline()
        if not line:
            break
        line_number += 1
        if not line.strip():
            continue
        searched += 1
        if len(line) > _LONGEST_HEADER_LINE:
            continue
        for delimiter in DELIMITERS:
            if delimiter not in line:
                continue
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            found = search.offer(line_number, cells)
            if found is not None:
                return found[0], found[1], delimiter
    raise search.failure(searched)


def _data_rows(
    stream: io.TextIOWrapper, delimiter: str, header_line: int
) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(stream, delimiter=delimiter)
    last = 0
    try:
        for cells in reader:
            start = header_line + last + 1
            last = reader.line_num
            yield start, cells
    except csv.Error as exc:
        raise ParseError(
            "corrupt_file",
            {"kind": "CSV", "row": header_line + last + 1, "detail": str(exc)},
        ) from None
