"""Header names and their aliases: which column of a file holds which reading field.

Header cells are compared after normalising: NFKC (full-width brackets and letters become
ASCII), no spaces of any width, no ``*`` required-markers, no underscores, case-folded, and
``△`` read as ``Δ``. A trailing unit in brackets is tried both with and without, so ``抑制率(%)``,
``抑制率（%）`` and ``C值(mV)`` match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_UNIT_SUFFIX = re.compile(r"\([^()]*\)$")
_LOOKALIKES = str.maketrans({"△": "Δ", "▵": "Δ", "∆": "Δ", "＊": "*", "_": None})


def header_key(text: str) -> str:
    """Normalise a header cell for alias lookup."""
    key = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    key = "".join(key.split()).strip("*:：").casefold()
    return key


@dataclass(frozen=True, slots=True)
class Column:
    """A reading field and the header names it is found under (the first is the label).

    When two columns of a file name the same field, the one whose name comes earlier in
    ``names`` wins. ``fallback`` names are used only for a column no other field claimed
    (e.g. 检测结果 is the instrument's word when the file also has 抑制率 for the reading).
    """

    field: str
    names: tuple[str, ...]
    fallback: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The canonical header name, used in messages about a missing column."""
        return self.names[0]


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """Where each field sits in one candidate header row."""

    row: int
    cells: tuple[str, ...]
    index: dict[str, int]
    missing: tuple[str, ...]

    @property
    def width(self) -> int:
        """Number of header cells up to the last non-empty one."""
        return len(self.cells)

    @property
    def score(self) -> int:
        """How many known fields the row names."""
        return len(self.index)

    def column_name(self, field: str) -> str | None:
        """The header of ``field`` as written in the file (None when the file lacks it)."""
        position = self.index.get(field)
        return None if position is None else self.cells[position]


class ColumnSet:
    """The columns of one format, with its required ones, matched against header rows."""

    _FALLBACK_RANK = 1000

    def __init__(
        self, columns: tuple[Column, ...], required: tuple[tuple[str, ...], ...]
    ) -> None:
        self.columns = columns
        self.required = required
        self._labels = {column.field: column.label for column in columns}
        self._claims: dict[str, list[tuple[int, str]]] = {}
        for column in columns:
            ranked = [*enumerate(column.names),
                      *((self._FALLBACK_RANK + n, name) for n, name in enumerate(column.fallback))]
            for rank, name in ranked:
                self._claims.setdefault(header_key(name), []).append((rank, column.field))

    def label(self, field: str) -> str:
        """The canonical header name of ``field``."""
        return self._labels[field]

    def claims_of(self, header: str) -> list[tuple[int, str]]:
        """The ``(rank, field)`` pairs a header cell may stand for (empty for unknown columns)."""
        key = header_key(header)
        found = self._claims.get(key)
        if found is None and key.endswith(")"):
            found = self._claims.get(_UNIT_SUFFIX.sub("", key))
        return found or []

    def field_of(self, header: str) -> str | None:
        """The field a header cell names first, or None for an unknown column."""
        claims = self.claims_of(header)
        return min(claims)[1] if claims else None

    def match(self, row: int, cells: list[str]) -> HeaderMatch:
        """Match a candidate header row: each field takes its best-ranked column, each column
        serves one field, and between equally ranked columns the leftmost wins."""
        written = [cell.strip() if isinstance(cell, str) else "" for cell in cells]
        while written and not written[-1]:
            written.pop()
        candidates = sorted(
            (rank, position, field)
            for position, header in enumerate(written)
            if header
            for rank, field in self.claims_of(header)
        )
        index: dict[str, int] = {}
        used: set[int] = set()
        for rank, position, field in candidates:
            if field not in index and position not in used:
                index[field] = position
                used.add(position)
        missing = tuple(
            " / ".join(self.label(f) for f in choice)
            for choice in self.required
            if not any(f in index for f in choice)
        )
        return HeaderMatch(row=row, cells=tuple(written), index=index, missing=missing)
