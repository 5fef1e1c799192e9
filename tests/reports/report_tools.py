"""Helpers for the report tests: external tools, the CJK font, reading PDFs back.

A test that needs pdftotext, pdftoppm, pdffonts or the WenQuanYi font is skipped with the
reason when it is missing, unless LIMS_REQUIRE_ALL=1: then it fails, so that a CI machine
that should have everything cannot pass by skipping.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lims.reporting.text import text_for

# The report words as the application hands them to the renderers: the one catalogue's Chinese
# (the web UI's .po/.mo) and English (the msgids themselves). Status words come from the one
# wording table (tests.wording), as the application passes them.
ZH = text_for("zh_CN")
EN = text_for("en")

WQY_ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def require(condition: bool, reason: str) -> None:
    """Skip the calling test unless ``condition`` holds (under LIMS_REQUIRE_ALL=1 the root
    conftest turns that skip into a failure)."""
    if not condition:
        pytest.skip(reason)


def require_tool(name: str) -> str:
    """The path of a command-line tool (poppler-utils), or skip/fail."""
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (apt-get install poppler-utils)")
    return path  # type: ignore[return-value]


def require_wqy_font() -> Path:
    """The WenQuanYi Zen Hei font file, or skip/fail."""
    require(WQY_ZENHEI.is_file(), f"{WQY_ZENHEI} is missing (apt-get install fonts-wqy-zenhei)")
    return WQY_ZENHEI


def _run(tool: str, pdf: bytes, *args: str, tmp: Path) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([require_tool(tool), *args, str(path), "-"], capture_output=True, check=True,
                          timeout=60)
    return done.stdout.decode("utf-8")


def pdf_text(pdf: bytes, tmp: Path, *, raw: bool = False) -> str:
    """The text of a PDF as pdftotext extracts it (a reader's copy-and-paste).

    ``raw`` keeps the drawing order (needed for rotated text such as a watermark)."""
    return _run("pdftotext", pdf, *(["-raw"] if raw else []), "-enc", "UTF-8", tmp=tmp)


def pdf_fonts(pdf: bytes, tmp: Path) -> str:
    """pdffonts' table of the fonts in a PDF."""
    path = tmp / "fonts.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([require_tool("pdffonts"), str(path)], capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def pdf_info(pdf: bytes, tmp: Path) -> dict[str, str]:
    """pdfinfo's fields ("Pages", "Page size", "Title", ...)."""
    path = tmp / "info.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([require_tool("pdfinfo"), str(path)], capture_output=True, check=True, timeout=60)
    fields = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def page_count(pdf: bytes, tmp: Path) -> int:
    """Number of pages (pdfinfo)."""
    return int(pdf_info(pdf, tmp)["Pages"])


def page_size(pdf: bytes, tmp: Path) -> tuple[int, int]:
    """Size of the first page in points, rounded."""
    width, _, height = pdf_info(pdf, tmp)["Page size"].split()[:3]
    return round(float(width)), round(float(height))


def squeeze(text: str) -> str:
    """Text without whitespace (pdftotext may split a table cell over lines)."""
    return "".join(text.split())
