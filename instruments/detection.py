"""Recognising a file: what container it is, where its header row is, which format it has.

The header is the first row (within the first rows of the file) that names the required
columns of some format and enough of its columns overall; when several formats fit, the one
naming most columns wins, then the one whose instrument writes this container.
"""

from __future__ import annotations

from instruments.base import ParseError
from instruments.columns import HeaderMatch
from instruments.formats import InstrumentFormat

#: How many non-blank rows are searched for the header.
HEADER_SEARCH_ROWS = 50

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

TEXT = "text"
XLSX = "xlsx"


def sniff_container(data: bytes, filename: str | None) -> str:
    """Return ``text`` or ``xlsx`` from the file's first bytes.

    Raises ParseError: ``empty_file``; ``legacy_xls`` for an OLE2 (.xls) file;
    ``encrypted_file`` for a password-protected workbook (Excel wraps those in OLE2 too).
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body or body.isspace():
        raise ParseError("empty_file")
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise ParseError("encrypted_file")
        raise ParseError("legacy_xls", {"filename": filename or ""})
    if data.startswith(ZIP_MAGICS):
        return XLSX
    return TEXT


def is_xls_name(filename: str | None) -> bool:
    """True when the file is named like a legacy Excel workbook."""
    return bool(filename) and filename.lower().rstrip().endswith(".xls")


class HeaderSearch:
    """Offer candidate rows one by one; the first complete header of a format is kept."""

    def __init__(self, formats: list[InstrumentFormat], container: str, forced: bool) -> None:
        self.formats = formats
        self.container = container
        self.forced = forced
        self._closest: tuple[InstrumentFormat, HeaderMatch] | None = None

    def offer(self, row: int, cells: list[str]) -> tuple[InstrumentFormat, HeaderMatch] | None:
        """Return (format, header) when ``cells`` is a complete header, else None."""
        if sum(1 for cell in cells if cell and cell.strip()) < 2:
            return None
        best = None
        best_rank = None
        for order, fmt in enumerate(self.formats):
            header = fmt.match_header(row, cells)
            if fmt.accepts(header):
                rank = (header.score, fmt.container == self.container, -order)
                if best_rank is None or rank > best_rank:
                    best, best_rank = (fmt, header), rank
            elif fmt.resembles(header):
                if self._closest is None or header.score > self._closest[1].score:
                    self._closest = (fmt, header)
        return best

    def failure(self, rows_searched: int) -> ParseError:
        """The error to raise when no header was found."""
        if self._closest is not None:
            fmt, header = self._closest
            return ParseError(
                "missing_column",
                {"row": header.row, "column": header.missing[0], "format": fmt.name,
                 "missing": list(header.missing)},
            )
        lines = max(rows_searched, 1)
        if self.forced:
            return ParseError("no_header", {"format": self.formats[0].name, "lines": lines})
        return ParseError("unknown_format", {"lines": lines})
