"""The canonical shapes every instrument parser produces, and the one exception it may raise.

A parser turns a file into a stream of :class:`Reading` (one test), :class:`RowProblem` (a row
that could not be read) and :class:`SkippedRow` (an empty channel). Failures of the file as a
whole raise :class:`ParseError`. The registry (``FORMATS``, ``detect_format``, ``iter_file``,
``parse_file``) lives in :mod:`instruments.registry` and is re-exported here.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from instruments.problems import render, template_for


class ParseError(Exception):
    """The file as a whole cannot be read; ``code`` says why, ``message`` says it in English."""

    def __init__(self, code: str, params: dict | None = None) -> None:
        self.code = code
        self.params = dict(params or {})
        self.template = template_for(code)
        self.message = render(self.template, self.params)
        super().__init__(self.message)

    def __reduce__(self):
        return (type(self), (self.code, self.params))


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One canonical test reading, as the instrument (or the person typing) recorded it.

    Nothing here is judged: ``instrument_outcome`` is only the instrument's own word
    normalised; the verdict is computed by the application from the raw signals.
    """

    row: int
    format: str
    sample_code: str | None = None
    food: str | None = None
    tested_party: str | None = None
    site: str | None = None
    stall: str | None = None
    station: str | None = None
    item: str
    method: str | None = None
    cutoff: Decimal | None = None
    value: Decimal | None = None
    value_text: str | None = None
    qualitative: str | None = None
    unit: str | None = None
    control_delta: Decimal | None = None
    sample_delta: Decimal | None = None
    c_line: Decimal | None = None
    t_line: Decimal | None = None
    tc_ratio: Decimal | None = None
    reading_mode: str | None = None
    instrument_word: str | None = None
    instrument_outcome: str | None = None
    tester: str | None = None
    tested_at: datetime
    reagent: str | None = None
    reagent_lot: str | None = None
    instrument: str | None = None
    channel: str | None = None
    category: str | None = None
    supplier: str | None = None
    origin: str | None = None
    quantity_kg: Decimal | None = None
    note: str | None = None

    def record_key(self) -> str:
        """Identify the instrument record: the same test in overlapping exports has the same key.

        Made of the sample code (normalised: NFKC, trimmed, case-folded) or, without a code,
        the tested party and food; the item; the channel; and the test time in UTC ISO form,
        as a JSON list (the stored keys of earlier imports are in this form: it must not change).
        """
        if self.sample_code:  # one code per sample: not worth remembering
            who = '"code", ' + _json_text(self.sample_code)
        else:
            who = f'"party", {_key_json(self.tested_party)}, {_key_json(self.food)}'
        when = self.tested_at.astimezone(timezone.utc).isoformat()
        return f'[{who}, {_key_json(self.item)}, {_key_json(self.channel)}, "{when}"]'


def _key_text(text: str | None) -> str:
    if not text:
        return ""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower
        return " ".join(text.split()).lower()
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _json_text(text: str | None) -> str:
    """The normalised text as a JSON string, exactly as ``json.dumps(…, ensure_ascii=False)``
    writes it (which costs ten times more for the plain text of nearly every cell)."""
    text = _key_text(text)
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


_key_json = functools.lru_cache(maxsize=4096)(_json_text)  # items, channels and parties repeat row after row


# Why: a frozen dataclass sets each of Reading's 34 slots through object.__setattr__, which
# costs ~5 µs per reading — most of the parse time of a 100,000-row file. Parsers fill a
# mutable twin with the identical slot layout and seal it, which retags it as a Reading (same
# memory layout, so Python allows the class change). What comes out is an ordinary, immutable
# Reading, equal to one built with ``Reading(...)``.
def _seal(draft) -> Reading:
    """Turn the filled draft into the immutable Reading (the draft must not be used after)."""
    draft.__class__ = Reading
    return draft


ReadingDraft = dataclasses.make_dataclass(
    "ReadingDraft",
    [(f.name, f.type, field(default=None)) for f in dataclasses.fields(Reading)],
    slots=True,
    eq=False,
    repr=False,
    namespace={"seal": _seal},
)
ReadingDraft.__doc__ = (
    "A Reading under construction (every field None): set its fields, then ``seal()`` it."
)


def build_reading(**fields) -> Reading:
    """Build a Reading from keyword fields (parsers' fast path; equals ``Reading(**fields)``)."""
    return ReadingDraft(**fields).seal()


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that yields no reading, with the column (header as written) and why."""

    row: int
    column: str | None
    code: str
    params: dict = field(default_factory=dict)

    @property
    def template(self) -> str:
        """English message template with ``{row}``, ``{column}`` and parameter placeholders."""
        return template_for(self.code)

    @property
    def message(self) -> str:
        """The English message, e.g. ``Row 7: the test time … is in the future``."""
        return render(self.template, {**self.params, "row": self.row, "column": self.column})


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row deliberately not read; ``reason`` is ``no_data`` for an empty channel."""

    row: int
    reason: str


@dataclass(slots=True)
class ParseResult:
    """Everything a file produced, collected from the stream (see ``parse_file``).

    ``header_row`` is the row (line) number of the header; ``rows_seen`` counts the data rows
    after it that were examined (blank, summary and repeated header lines are not counted).
    """

    format: str
    readings: list[Reading] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    header_row: int = 0
    rows_seen: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep a hostile or oversized file from exhausting memory or time."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: int = 100

