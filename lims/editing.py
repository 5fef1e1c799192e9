"""Creating and changing simple records with uniqueness checks and an audit entry each.

Used by the services of reference data (sites, stalls, stations, items, lots…) so that
every change to them is validated and audited the same way."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask_babel import gettext

from lims.audit.services import record
from lims.errors import Conflict
from lims.extensions import db


def snapshot(obj, fields: Iterable[str]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def check_unique(obj, unique: Sequence[Sequence[str]]) -> None:
    """Raise Conflict (with the field named) when another row has the same unique values."""
    model = type(obj)
    with db.session.no_autoflush:  # the pending change must not be written before it is checked
        _check_unique(model, obj, unique)


def _check_unique(model, obj, unique) -> None:
    for fields in unique:
        cond = [getattr(model, f) == getattr(obj, f) for f in fields]
        if any(getattr(obj, f) is None for f in fields):
            continue
        stmt = sa.select(model.id).where(*cond)
        if obj.id is not None:
            stmt = stmt.where(model.id != obj.id)
        if db.session.execute(stmt.limit(1)).first():
            field = fields[-1]
            raise Conflict(gettext("%(value)s is already in use.", value=getattr(obj, field)),
                           {field: [gettext("Already in use.")]})


def _flush() -> None:
    """Flush; a unique constraint that another request won in the meantime is a 409."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(gettext("This is already in use."), {}) from None


def create(actor, obj, subject_type: str, fields: Iterable[str], unique=()) -> object:
    check_unique(obj, unique)
    db.session.add(obj)
    _flush()
    record(actor, f"{subject_type}.create", subject_type, obj.id, after=snapshot(obj, fields))
    return obj


def update(actor, obj, values: dict, subject_type: str, unique=(), reason: str | None = None) -> object:
    """Apply ``values``; audit only what actually changed (nothing changed, nothing written)."""
    before = snapshot(obj, values)
    for key, value in values.items():
        setattr(obj, key, value)
    changed = {k for k in values if before[k] != getattr(obj, k)}
    if not changed:
        return obj
    check_unique(obj, unique)
    _flush()
    record(actor, f"{subject_type}.update", subject_type, obj.id,
           before={k: before[k] for k in changed}, after={k: getattr(obj, k) for k in changed}, reason=reason)
    return obj
