"""Fixtures for the instrument parser tests: sample files, and factories that build CSV and
.xlsx variants in memory."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from instruments import parse_file

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "instruments"

#: The moment of import used throughout: the samples were tested on 2026-11-20 (Shanghai).
NOW = dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture
def sample():
    """Return the bytes of a file in tests/data/instruments."""

    def read(name: str) -> bytes:
        return (DATA_DIR / name).read_bytes()

    return read


@pytest.fixture
def parse(now):
    """parse_file with the tests' fixed ``now``."""

    def run(data: bytes, **kwargs):
        kwargs.setdefault("now", now)
        return parse_file(data, **kwargs)

    return run


@pytest.fixture
def make_csv():
    """Build CSV bytes from rows (lists of cells) and raw lines (str)."""

    def make(lines, *, encoding="utf-8", newline="\r\n", delimiter=",", bom=False) -> bytes:
        text_lines = [
            line if isinstance(line, str) else delimiter.join(line) for line in lines
        ]
        text = newline.join(text_lines) + newline
        data = text.encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        return data

    return make


@pytest.fixture
def make_xlsx():
    """Build .xlsx bytes: ``rows`` on a sheet, optional merged title and extra sheets."""

    def make(rows, *, title=None, sheet_title="Sheet1", sheets_before=(), epoch_1904=False,
             number_formats=None) -> bytes:
        workbook = openpyxl.Workbook()
        if epoch_1904:
            workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
        first = workbook.active
        for name, content in sheets_before:
            first.title = name
            for row in content:
                first.append(list(row))
            first = workbook.create_sheet()
        sheet = first
        sheet.title = sheet_title
        if title is not None:
            sheet.append([title])
            width = max((len(row) for row in rows), default=1)
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 2))
        for row in rows:
            sheet.append(list(row))
        for coordinate, number_format in (number_formats or {}).items():
            sheet[coordinate].number_format = number_format
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return make
