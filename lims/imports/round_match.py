"""An import started from a round: its unmatched rows offered the round's batches.

A row that names no known batch is matched to a batch of the round with the same stall and
the same food — the n-th such row of a test item to the n-th such batch, in the order the
batches were registered — skipping batches that already take that item from this file."""
from __future__ import annotations

from lims.imports.resolve import key, split_party


def _stall_of(row) -> str | None:
    if row.stall:
        return row.stall.strip().upper()
    return split_party(row.party)[1] if row.party else None


def round_suggestions(rows, batches) -> dict[int, str]:
    """Row number → the code of the round's batch offered for that unmatched row.

    ``rows``: the preview's rows (RowReport); ``batches``: the round's batches in registration
    order (with their stall loaded)."""
    by_place: dict[tuple, list] = {}
    for b in batches:
        if b.stall is not None:
            by_place.setdefault((b.stall.code.upper(), key(b.food)), []).append(b.code)
    taken = {(r.batch, r.item) for r in rows if r.status == "ok" and r.batch}
    out: dict[int, str] = {}
    for row in sorted(rows, key=lambda r: r.row):
        if row.status != "unmatched":
            continue
        stall = _stall_of(row)
        if not stall or not row.food:
            continue
        for code in by_place.get((stall, key(row.food)), []):
            if (code, row.item) not in taken:
                taken.add((code, row.item))
                out[row.row] = code
                break
    return out
