"""Reading numbers and reading cells as instruments write them.

Numbers may carry a trailing ``%``, full-width digits and signs (``２４．５％``), surrounding
spaces and thousands separators. A reading cell holds a number, a result word (``未检出``,
``阴性``) or an empty-channel marker.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation

from instruments.outcomes import NO_DATA_NUMBER, NO_DATA_WORDS, READING_WORDS, word_key

_MAX_NUMBER_CHARS = 40
# Our own context: conversion errors raise whatever the caller's thread context says.
_to_decimal = Context(prec=64, traps=[InvalidOperation]).create_decimal
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-"})

_NO_DATA_DIGITS = str(NO_DATA_NUMBER)
_DIGITS = "0123456789."

# Kinds of reading cell.
NO_DATA = "no_data"
NUMBER = "number"
WORD = "word"
NOT_A_NUMBER = "not_a_number"


def parse_decimal(text: str) -> Decimal | None:
    """Return the number written in ``text`` (already stripped, not empty), or None.

    Plain decimal notation only: no exponents, NaN or infinity, at most 40 characters.
    """
    if text[-1] == "%":
        text = text[:-1].rstrip()
        if not text:
            return None
    # Fast path: ASCII digits and dots with an optional sign (what instruments write).
    digits = text[1:] if text[0] in "-+" else text
    if not digits.strip(_DIGITS) and len(text) <= _MAX_NUMBER_CHARS:
        try:
            return _to_decimal(text)
        except (InvalidOperation, ValueError):
            return None
    return _parse_decimal_slowly(text)


def _parse_decimal_slowly(text: str) -> Decimal | None:
    text = unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS)
    text = "".join(text.split())
    if text.endswith("%"):
        text = text[:-1]
    if len(text) > _MAX_NUMBER_CHARS:
        return None
    if _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        return _to_decimal(text)
    except (InvalidOperation, ValueError):  # pragma: no cover - the pattern admits only numbers
        return None


def classify_reading(text: str) -> tuple[str, Decimal | None, str | None, str | None]:
    """Classify a reading cell: ``(kind, number, word, qualitative)``.

    ``kind`` is ``no_data`` (blank, ``NA``, ``--``, ``32766`` …), ``number``, ``word`` (a result
    word such as ``未检出``: kept as written with its qualitative meaning) or ``not_a_number``.
    """
    text = text.strip()
    # Fast path: ASCII digits and dots with an optional sign (what instruments write).
    if (
        text
        and not (text[1:] if text[0] in "-+" else text).strip(_DIGITS)
        and text[:5] != _NO_DATA_DIGITS
        and len(text) <= _MAX_NUMBER_CHARS
    ):
        try:
            return (NUMBER, _to_decimal(text), None, None)
        except (InvalidOperation, ValueError):
            pass
    if not text:
        return (NO_DATA, None, None, None)
    number = parse_decimal(text)
    if number is not None:
        if number == NO_DATA_NUMBER:
            return (NO_DATA, None, None, None)
        return (NUMBER, number, None, None)
    key = word_key(text)
    if key in NO_DATA_WORDS:
        return (NO_DATA, None, None, None)
    qualitative = READING_WORDS.get(key)
    if qualitative is not None:
        return (WORD, None, text, qualitative)
    return (NOT_A_NUMBER, None, None, None)
