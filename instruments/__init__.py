"""Instrument files → canonical readings.

Pure parsers for the result files quick-test instruments export (CSV and .xlsx). No Flask,
no SQLAlchemy, nothing from ``lims``: bytes in, :class:`Reading` / :class:`RowProblem` /
:class:`SkippedRow` out, :class:`ParseError` for a file that cannot be read at all.
"""

from instruments.base import Limits, ParseError, ParseResult, Reading, RowProblem, SkippedRow
from instruments.registry import FORMATS, ReadingStream, detect_format, iter_file, parse_file

__all__ = [
    "FORMATS",
    "Limits",
    "ParseError",
    "ParseResult",
    "Reading",
    "ReadingStream",
    "RowProblem",
    "SkippedRow",
    "detect_format",
    "iter_file",
    "parse_file",
]
