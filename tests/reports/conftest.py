"""Fixtures for the report tests (the report package needs no app, no database)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The helpers next to this file are imported by name; make that work in any pytest import mode.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from report_tools import require_wqy_font  # noqa: E402

from reports.fonts import FontInfo, register_cjk_font  # noqa: E402


@pytest.fixture(scope="session")
def cjk_font() -> FontInfo:
    """The embedded WenQuanYi font, registered once (skips/fails when it is not installed)."""
    path = require_wqy_font()
    info = register_cjk_font(str(path))
    assert info.embedded
    return info
