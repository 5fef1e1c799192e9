"""Fixtures for the reporting tests: the hand-built district (``world``), a frozen clock,
actors of each kind and PDF/XLSX readers."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from tests.reporting.world import NOW, build_world
from tests.reports.report_tools import require

# Modules that read the clock when building a report or a public page.
CLOCKED_MODULES = ("lims.reporting.monthly", "lims.reporting.exports", "lims.reporting.batch",
                   "lims.reporting.board", "lims.public.views", "lims.reporting.views",
                   "lims.pagecache", "lims.dashboard.views")


@pytest.fixture
def clock(monkeypatch):
    """Freeze "now" for the report builders; ``clock(dt)`` moves it."""
    import importlib

    def set_now(value):
        for name in CLOCKED_MODULES:
            monkeypatch.setattr(importlib.import_module(name), "utcnow", lambda: value)
        return value

    set_now(NOW)
    return set_now


@pytest.fixture
def world(app, db, make_user, clock):
    return build_world(db, make_user)


@pytest.fixture
def actors(world, make_user):
    from lims.accounts.access import Actor

    manager = make_user("market_manager", sites=[world.sites["SB"]], display_name="城西市场管理员")
    regulator = make_user("regulator", display_name="监管员丙")
    admin = make_user("admin", display_name="管理员")
    return {"manager": Actor(manager, "test"), "regulator": Actor(regulator, "test"), "admin": Actor(admin, "test"),
            "manager_user": manager, "regulator_user": regulator, "admin_user": admin}


@pytest.fixture
def pdftext(tmp_path):
    """``pdftext(pdf_bytes)`` → the text pdftotext extracts (UTF-8; ``layout`` keeps columns,
    ``raw`` keeps drawing order, needed for the rotated draft watermark)."""

    def run(pdf: bytes, layout: bool = False, raw: bool = False) -> str:
        tool = shutil.which("pdftotext")
        require(tool is not None, "pdftotext is not installed (apt-get install poppler-utils)")
        assert pdf.startswith(b"%PDF"), pdf[:40]
        path = tmp_path / "doc.pdf"
        path.write_bytes(pdf)
        args = [tool, *(["-layout"] if layout else []), *(["-raw"] if raw else []), "-enc", "UTF-8", str(path), "-"]
        return subprocess.run(args, capture_output=True, check=True, timeout=120).stdout.decode("utf-8")

    return run


def workbook(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def sheet_rows(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def numbers_in(text: str) -> list[str]:
    """The numbers a sentence states, in any language ("2.5%", "92.5", "48")."""
    import re

    return re.findall(r"\d+(?:\.\d+)?%?", text)


def states_numbers(text: str, expected) -> bool:
    """True when ``text`` states every number of ``expected`` (as often as listed), whatever
    the word order of the language it is written in."""
    from collections import Counter

    return not Counter(expected) - Counter(numbers_in(text))
