"""The state of audited rows, as the trail snapshots it and as reconciliation reads it back.

Both sides read the row from the database through the same select, so a stored value and its
snapshot compare equal (no Decimal scale or timezone drift between Python and the column)."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from lims.audit.chain import plain
from lims.models import Batch, DisposalAction, Disposition, ReagentLot, Result

# subject_type → (model, the fields that matter). A disposition's "kg" is what its disposal
# actions add up to.
AUDITED = {
    "result": (Result, ("batch_id", "item_id", "version", "current", "outcome", "value", "value_text",
                        "qualitative", "control_delta", "sample_delta", "c_line", "t_line", "tc_ratio",
                        "computed_value", "cutoff", "reagent_lot_id", "tested_at", "reviewed_at",
                        "reviewed_by_id")),
    "batch": (Batch, ("code", "site_id", "stall_id", "food", "quantity_kg", "status", "verdict", "sampled_at")),
    "disposition": (Disposition, ("batch_id", "result_id", "status", "closed_at")),
    "reagent_lot": (ReagentLot, ("item_id", "lot", "expires_on", "mode", "c_min", "a", "b", "active")),
}
TABLES = {model.__tablename__: subject for subject, (model, _) in AUDITED.items()}


def _columns(subject_type: str) -> list:
    model, fields = AUDITED[subject_type]
    columns = [model.id] + [getattr(model, f) for f in fields]
    if subject_type == "disposition":
        kg = (sa.select(sa.func.coalesce(sa.func.sum(DisposalAction.quantity_kg), 0))
              .where(DisposalAction.disposition_id == Disposition.id).scalar_subquery())
        columns.append(kg.label("kg"))
    return columns


def state_select(subject_type: str) -> sa.Select:
    """SELECT id and the audited fields, ordered by id."""
    model, _ = AUDITED[subject_type]
    return sa.select(*_columns(subject_type)).order_by(model.id)


def state_of_row(subject_type: str, row) -> dict:
    """The JSON-safe snapshot of one row of :func:`state_select`."""
    return state_of_mapping(subject_type, row._mapping)


def state_of_mapping(subject_type: str, values) -> dict:
    """The snapshot from a row's values by name (``id``, and ``record_key`` and ``seal`` of
    :func:`lims.audit.seal.sealed_select`, left out)."""
    out = {}
    for name, value in values.items():
        if name in ("id", "record_key", "seal"):
            continue
        if name == "kg":
            value = format(Decimal(str(value or 0)).normalize(), "f")  # 0, 0.0, 0.000 alike
        out[name] = plain(value)
    return out


def states(session, subject_type: str, ids) -> dict:
    """id → snapshot for these rows (rows that do not exist are absent)."""
    model, _ = AUDITED[subject_type]
    ids = sorted(set(ids))
    out = {}
    for start in range(0, len(ids), 900):
        for row in session.execute(state_select(subject_type).where(model.id.in_(ids[start:start + 900]))):
            out[row.id] = state_of_row(subject_type, row)
    return out
