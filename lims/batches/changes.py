"""Correcting and voiding batches (issue 13, "Correcting mistakes").

A batch's registration data (stall, food, category, supplier, origin, purchase date,
quantity, certificate, sampling time, note) is corrected with a reason. Until its results are
reviewed the correction is made at once; afterwards it is a request that a reviewer who did
not ask for it approves or rejects (four-eyes, :mod:`lims.rules.permissions`).

A batch registered by mistake is voided with a reason: it is kept, shown struck through with
the reason, counted in no figure (:func:`lims.reporting.figures.counted`) and gets no result.
Voiding a batch that has results is likewise a request for a reviewer.

Every change writes an audit entry with the old and the new values and the reason;
:func:`lims.audit.services.record` reseals the batch row in the same step."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext

from lims.accounts.access import Actor, scope_to_sites
from lims.audit.chain import plain
from lims.audit.services import record
from lims.database import utcnow
from lims.errors import Conflict, Forbidden, InvalidInput, NotFound
from lims.extensions import db
from lims.i18n import local_today
from lims.models import Batch, BatchChange, Disposition, FoodCategory, Result, Stall
from lims.rules.batch_status import verdict_for
from lims.rules.judging import FUTURE_TOLERANCE

#: The registration data that can be corrected, in the order forms and the trail show them.
CORRECTABLE = ("stall", "food", "category", "supplier", "origin", "purchase_date", "quantity_kg",
               "certificate_no", "sampled_at", "note")
_LENGTHS = {"food": 32, "supplier": 100, "origin": 100, "certificate_no": 64, "note": 200}
REASON_MAX = 200


@dataclass
class ChangeOutcome:
    """What a correction or a void did: applied at once, or waiting for a reviewer."""

    applied: bool
    change: BatchChange | None = None


# --- values ---------------------------------------------------------------------------------


def current_values(batch: Batch) -> dict:
    """The batch's registration data as people know it (stall and category by code, supplier
    by name)."""
    return {
        "stall": batch.stall.code if batch.stall else None, "food": batch.food,
        "category": batch.category.code if batch.category else None,
        "supplier": batch.supplier.name if batch.supplier else None, "origin": batch.origin,
        "purchase_date": batch.purchase_date,
        "quantity_kg": batch.quantity_kg.quantize(Decimal("0.001")) if batch.quantity_kg is not None else None,
        "certificate_no": batch.certificate_no, "sampled_at": batch.sampled_at, "note": batch.note,
    }


def _text(value) -> str | None:
    text = unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""
    return text or None


def _normalise(key: str, value):
    """One value as it is compared and stored; wrong types are the caller's InvalidInput."""
    if key in ("stall", "category"):
        text = _text(value)
        return text.upper() if text else None
    if key in ("food", "supplier", "origin", "certificate_no", "note"):
        return _text(value)
    if key == "quantity_kg":
        if value in (None, ""):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise InvalidInput(gettext("Some of the input is not valid."),
                               {key: [gettext("Not a number.")]}) from None
        if not number.is_finite():
            raise InvalidInput(gettext("Some of the input is not valid."), {key: [gettext("Not a number.")]})
        return number.quantize(Decimal("0.001"))
    if key == "purchase_date":
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(gettext("Some of the input is not valid."), {key: [gettext("Not a date.")]}) from None
    if key == "sampled_at":
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidInput(gettext("Some of the input is not valid."),
                                   {key: [gettext("Not a date and time.")]}) from None
        if not isinstance(value, datetime):
            raise InvalidInput(gettext("Some of the input is not valid."), {key: [gettext("Required.")]})
        return value
    raise InvalidInput(gettext("Some of the input is not valid."), {key: [gettext("This cannot be corrected.")]})


def _same(a, b) -> bool:
    return plain(a) == plain(b)


def _same_minute(typed: datetime, stored: datetime | None) -> bool:
    if stored is None or typed.second or typed.microsecond:
        return False
    return plain(typed) == plain(stored.replace(second=0, microsecond=0))


def wanted_changes(batch: Batch, values: dict) -> dict:
    """Of ``values`` (any of :data:`CORRECTABLE`), those that differ from the batch, normalised."""
    unknown = [k for k in values if k not in CORRECTABLE]
    if unknown:
        raise InvalidInput(gettext("Some of the input is not valid."),
                           {k: [gettext("This cannot be corrected.")] for k in unknown})
    current = current_values(batch)
    out = {}
    for key in CORRECTABLE:
        if key in values:
            new = _normalise(key, values[key])
            if key == "sampled_at" and _same_minute(new, current[key]):
                continue  # a form shows the time to the minute: the same minute is no change
            if not _same(new, current[key]):
                out[key] = new
    return out


def _resolve(batch: Batch, changes: dict, now: datetime) -> dict:
    """Check the corrected values; every problem is named by its field, nothing is changed."""
    errors: dict[str, list] = {}
    resolved: dict = {}
    for key, limit in _LENGTHS.items():
        if key in changes and changes[key] is not None and len(changes[key]) > limit:
            errors[key] = [gettext("At most %(n)d characters.", n=limit)]
    if "food" in changes and not changes["food"]:
        errors["food"] = [gettext("Required.")]
    if "stall" in changes:
        if changes["stall"] is None:
            if batch.event_id is None and batch.site.kind in ("market", "wholesale"):
                errors["stall"] = [gettext("Which stall was the food sampled at?")]
            resolved["stall_id"] = None
        else:
            stall = db.session.execute(sa.select(Stall).where(
                Stall.site_id == batch.site_id, Stall.code == changes["stall"])).scalar_one_or_none()
            if stall is None:
                errors["stall"] = [gettext("%(site)s has no stall %(code)s.", site=batch.site.name,
                                           code=changes["stall"])]
            else:
                resolved["stall_id"] = stall.id
    if "category" in changes:
        if changes["category"] is None:
            resolved["category_id"] = None
        else:
            cat = db.session.execute(sa.select(FoodCategory).where(sa.or_(
                FoodCategory.code == changes["category"], FoodCategory.name == changes["category"]))
            ).scalars().first()
            if cat is None:
                errors["category"] = [gettext("Unknown food category %(name)s.", name=changes["category"])]
            else:
                resolved["category_id"] = cat.id
    if changes.get("quantity_kg") is not None and changes["quantity_kg"] < 0:
        errors["quantity_kg"] = [gettext("Must not be negative.")]
    if changes.get("quantity_kg") is not None and abs(changes["quantity_kg"]) >= Decimal("1e9"):
        errors["quantity_kg"] = [gettext("Too large.")]
    if "sampled_at" in changes:
        at = changes["sampled_at"]
        if at > now + FUTURE_TOLERANCE:
            errors["sampled_at"] = [gettext("The sampling time is in the future.")]
        else:
            first_test = db.session.execute(sa.select(sa.func.min(Result.tested_at)).where(
                Result.batch_id == batch.id, Result.current.is_(True))).scalar()
            if first_test is not None and at > first_test:
                errors["sampled_at"] = [gettext("The sampling time is after the first test of this batch.")]
    if changes.get("purchase_date") is not None and changes["purchase_date"] > local_today(now):
        errors["purchase_date"] = [gettext("The purchase date is in the future.")]
    if errors:
        raise InvalidInput(gettext("Some of the input is not valid."), errors)
    for key in ("food", "origin", "purchase_date", "quantity_kg", "certificate_no", "sampled_at", "note"):
        if key in changes:
            resolved[key] = changes[key]
    return resolved


def _free_text(value) -> str | None:
    """Free text (a reason, a note) as typed: trimmed, Chinese punctuation kept."""
    text = str(value).strip() if value is not None else ""
    return text or None


def _reason(reason: str | None, field_name: str = "reason") -> str:
    text = _free_text(reason)
    if not text:
        raise InvalidInput(gettext("Say why."), {field_name: [gettext("Required.")]})
    if len(text) > REASON_MAX:
        raise InvalidInput(gettext("Some of the input is not valid."),
                           {field_name: [gettext("At most %(n)d characters.", n=REASON_MAX)]})
    return text


# --- state ----------------------------------------------------------------------------------


def is_reviewed(batch: Batch) -> bool:
    """True once any current result of the batch was reviewed: its registration is then signed."""
    return db.session.execute(sa.select(Result.id).where(
        Result.batch_id == batch.id, Result.current.is_(True), Result.reviewed_at.is_not(None)).limit(1)
    ).first() is not None


def has_results(batch: Batch) -> bool:
    return db.session.execute(sa.select(Result.id).where(Result.batch_id == batch.id).limit(1)).first() is not None


def pending_change(batch: Batch) -> BatchChange | None:
    return db.session.execute(sa.select(BatchChange).where(
        BatchChange.batch_id == batch.id, BatchChange.status == "pending")).scalars().first()


def changes_of(batch: Batch) -> list[BatchChange]:
    return list(db.session.execute(sa.select(BatchChange).where(BatchChange.batch_id == batch.id)
                                   .order_by(BatchChange.id.desc())).scalars())


def refuse_voided(batch: Batch) -> None:
    """Nothing is recorded on a voided batch (results, follow-up, corrections)."""
    if batch.status == "voided":
        raise Conflict(gettext("Batch %(code)s was voided: nothing more can be recorded on it.", code=batch.code))


def _open_follow_up(batch: Batch) -> bool:
    status = db.session.execute(sa.select(Disposition.status).where(Disposition.batch_id == batch.id)).scalar()
    return status is not None and status != "released"


def _check_editable(actor: Actor, batch: Batch, expected_version: int | None) -> None:
    actor.check_site(batch.site_id)
    refuse_voided(batch)
    if expected_version is not None and batch.row_version != expected_version:
        raise Conflict(gettext("Someone else changed this batch in the meantime. Reload it and try again."))
    if pending_change(batch) is not None:
        raise Conflict(gettext("A change of this batch is waiting for a reviewer: it must be decided first."))


# --- correcting -----------------------------------------------------------------------------


def _apply_correction(actor: Actor, batch: Batch, changes: dict, reason: str, now: datetime,
                      request: BatchChange | None = None) -> None:
    from lims.sites.services import find_or_create_supplier

    resolved = _resolve(batch, changes, now)
    before_values = current_values(batch)
    if "supplier" in changes:
        supplier = find_or_create_supplier(actor, changes["supplier"])
        resolved["supplier_id"] = supplier.id if supplier else None
    for column, value in resolved.items():
        setattr(batch, column, value)
    db.session.flush()
    db.session.refresh(batch)
    after_values = current_values(batch)
    keys = [k for k in CORRECTABLE if k in changes]
    extra = {}
    if request is not None:
        extra = {"request": request.id, "requested_by": request.requested_by.display_name
                 if request.requested_by else None}
    record(actor, "batch.correct", "batch", batch.code, batch_id=batch.id,
           before={k: before_values[k] for k in keys}, after={**{k: after_values[k] for k in keys}, **extra},
           reason=reason, at=now)


def correct_batch(actor: Actor, batch: Batch, values: dict, reason: str | None,
                  expected_version: int | None = None, now: datetime | None = None) -> ChangeOutcome:
    """Correct the registration data: at once until the results are reviewed, afterwards as a
    request for a reviewer. Nothing changes on bad input; an unchanged form is refused too."""
    actor.require("batch.correct")
    now = now or utcnow()
    _check_editable(actor, batch, expected_version)
    reason = _reason(reason)
    changes = wanted_changes(batch, values)
    if not changes:
        raise InvalidInput(gettext("Nothing was changed: correct at least one value."), {})
    _resolve(batch, changes, now)  # refuse bad values now, not when a reviewer approves
    if not is_reviewed(batch):
        _apply_correction(actor, batch, changes, reason, now)
        return ChangeOutcome(True)
    current = current_values(batch)
    change = BatchChange(batch_id=batch.id, kind="correct", changes=plain(changes),
                         before=plain({k: current[k] for k in changes}), reason=reason,
                         requested_by_id=actor.user_id, requested_at=now, status="pending")
    db.session.add(change)
    db.session.flush()
    record(actor, "batch.change_request", "batch", batch.code, batch_id=batch.id,
           before=change.before, after={"kind": "correct", "request": change.id, **change.changes},
           reason=reason, at=now)
    return ChangeOutcome(False, change)


# --- voiding --------------------------------------------------------------------------------


def _apply_void(actor: Actor, batch: Batch, reason: str, now: datetime, request: BatchChange | None = None) -> None:
    before = batch.status
    batch.status, batch.verdict = "voided", verdict_for("voided")
    batch.voided_at, batch.voided_by_id, batch.void_reason = now, actor.user_id, reason
    extra = {}
    if request is not None:
        extra = {"request": request.id, "requested_by": request.requested_by.display_name
                 if request.requested_by else None}
    record(actor, "batch.void", "batch", batch.code, batch_id=batch.id, before={"status": before},
           after={"status": "voided", **extra}, reason=reason, at=now)


def void_batch(actor: Actor, batch: Batch, reason: str | None, expected_version: int | None = None,
               now: datetime | None = None) -> ChangeOutcome:
    """Void a batch registered by mistake: at once while it has no result, otherwise as a
    request for a reviewer. A positive still being followed up is not voided: its results are
    corrected first (which withdraws the stop of sale) or it goes through the laboratory."""
    actor.require("batch.void")
    now = now or utcnow()
    _check_editable(actor, batch, expected_version)
    reason = _reason(reason)
    if _open_follow_up(batch):
        raise Conflict(gettext("This batch has a positive being followed up: it cannot be voided. Correct the "
                               "result if it was wrong."))
    if not has_results(batch):
        _apply_void(actor, batch, reason, now)
        return ChangeOutcome(True)
    change = BatchChange(batch_id=batch.id, kind="void", changes={"status": "voided"},
                         before={"status": batch.status}, reason=reason, requested_by_id=actor.user_id,
                         requested_at=now, status="pending")
    db.session.add(change)
    db.session.flush()
    record(actor, "batch.change_request", "batch", batch.code, batch_id=batch.id, before=change.before,
           after={"kind": "void", "request": change.id, "status": "voided"}, reason=reason, at=now)
    return ChangeOutcome(False, change)


# --- deciding a request ---------------------------------------------------------------------


def get_change(actor: Actor, change_id: int, for_update: bool = False) -> BatchChange:
    stmt = sa.select(BatchChange).where(BatchChange.id == change_id)
    if for_update:
        stmt = stmt.with_for_update()
    change = db.session.execute(stmt).scalar_one_or_none()
    if change is None or not actor.may_see_site(change.batch.site_id):
        raise NotFound(gettext("Not found."))
    return change


def may_decide(actor: Actor, change: BatchChange) -> bool:
    return actor.may_act_on("batch.change_review", (change.requested_by_id,))


def decide_change(actor: Actor, change: BatchChange, approve: bool, note: str | None = None,
                  now: datetime | None = None) -> BatchChange:
    """Approve (the change is made, audited under the approver with the requester named) or
    reject (a reason is required) a pending request; never one's own."""
    actor.require("batch.change_review")
    batch = change.batch
    actor.check_site(batch.site_id)
    if not may_decide(actor, change):
        raise Forbidden(gettext("You cannot decide your own request: another reviewer must."))
    if change.status != "pending":
        raise Conflict(gettext("This request was already decided."))
    now = now or utcnow()
    note = _free_text(note)
    if note is not None and len(note) > REASON_MAX:
        raise InvalidInput(gettext("Some of the input is not valid."),
                           {"note": [gettext("At most %(n)d characters.", n=REASON_MAX)]})
    if not approve:
        if not note:
            raise InvalidInput(gettext("Say why the request is rejected."), {"note": [gettext("Required.")]})
        change.status, change.decided_by_id, change.decided_at, change.decision_note = "rejected", actor.user_id, now, note
        db.session.flush()
        record(actor, "batch.change_reject", "batch", batch.code, batch_id=batch.id,
               after={"kind": change.kind, "request": change.id}, reason=note, at=now)
        return change
    refuse_voided(batch)
    if change.kind == "void":
        if _open_follow_up(batch):
            raise Conflict(gettext("This batch has a positive being followed up: it cannot be voided. Correct the "
                                   "result if it was wrong."))
        change.status, change.decided_by_id, change.decided_at, change.decision_note = "approved", actor.user_id, now, note
        db.session.flush()
        _apply_void(actor, batch, change.reason, now, request=change)
    else:
        wanted = {k: _normalise(k, v) for k, v in (change.changes or {}).items()}
        change.status, change.decided_by_id, change.decided_at, change.decision_note = "approved", actor.user_id, now, note
        db.session.flush()
        _apply_correction(actor, batch, wanted, change.reason, now, request=change)
    return change


def pending_changes(actor: Actor, limit: int = 200) -> list[BatchChange]:
    """The requests waiting for a reviewer, oldest first, within the actor's sites."""
    stmt = scope_to_sites(sa.select(BatchChange).join(Batch, Batch.id == BatchChange.batch_id)
                          .where(BatchChange.status == "pending"), Batch.site_id, actor)
    return list(db.session.execute(stmt.order_by(BatchChange.id).limit(limit)).scalars())
