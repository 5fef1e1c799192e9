"""Use cases after a positive. The state machine and every deadline live in
``lims.rules.disposition``; this module loads, checks, changes and audits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lims.accounts.access import Actor
from lims.audit.services import record
from lims.batches.services import refresh_status
from lims.database import utcnow
from lims.errors import Conflict, InvalidInput
from lims.extensions import db
from lims.messages import disposition_message
from lims.models import Batch, DisposalAction, Disposition, Objection, TestItem
from lims.rules import disposition as rules
from lims.rules.judging import FUTURE_TOLERANCE


def _refused(exc: rules.DispositionRefused, field: str = "_"):
    """A refusal of the state machine as the error the caller sees, with the field it concerns."""
    message = disposition_message(exc.code, exc.params)
    if exc.conflict:
        return Conflict(message)
    return InvalidInput(message, {exc.params.get("field", field): [message]})


def _state(d: Disposition) -> rules.DispositionState:
    pending = d.objection is not None and d.objection.lab_outcome is None
    return rules.DispositionState(d.status, d.notified_at, d.objection_deadline, pending, d.disposal_due_at,
                                  has_objection=d.objection is not None)


def _disposal_hours() -> int:
    return int(current_app.config["DISPOSAL_DEADLINE_HOURS"])


def disposition_for(actor: Actor, batch: Batch, for_update: bool = True) -> Disposition:
    actor.check_site(batch.site_id)
    stmt = sa.select(Disposition).where(Disposition.batch_id == batch.id)
    if for_update:
        stmt = stmt.with_for_update()
    d = db.session.execute(stmt).scalar_one_or_none()
    if d is None:
        raise Conflict(gettext("This batch has no positive result to follow up."))
    return d


def _check_version(d: Disposition, expected_version: int | None) -> None:
    if expected_version is not None and d.row_version != expected_version:
        raise Conflict(gettext("Someone else changed this disposition in the meantime. Reload it and try again."))


def _settle_expiry(actor: Actor, d: Disposition, now: datetime) -> None:
    """Write down that the objection window passed unused (the verdict now stands)."""
    status = rules.effective_status(d.status, d.objection_deadline, now)
    if status != d.status:
        before = d.status
        d.status = status
        record(actor, "disposition.window_closed", "disposition", d.id, batch_id=d.batch_id,
               before={"status": before}, after={"status": status, "deadline": d.objection_deadline},
               at=now)
        refresh_status(d.batch)


def _audit(actor, action, d: Disposition, before: dict, after: dict, now: datetime, reason=None):
    record(actor, action, "disposition", d.id, batch_id=d.batch_id, before=before, after=after, reason=reason,
           at=now)


def notify(actor: Actor, batch: Batch, notified_at: datetime, person: str | None = None,
           expected_version: int | None = None, now: datetime | None = None) -> Disposition:
    """Record when the seller received the result: the 4-hour objection window starts then."""
    actor.require("disposition.notify")
    now = now or utcnow()
    d = disposition_for(actor, batch)
    _check_version(d, expected_version)
    positive_at = d.result.tested_at if d.result is not None else d.opened_at
    try:
        rules.check_notify(_state(d), notified_at, now, positive_at)
    except rules.DispositionRefused as exc:
        raise _refused(exc, "notified_at") from None
    d.notified_at, d.notified_by_id, d.notified_person = notified_at, actor.user_id, (person or None)
    d.objection_deadline = rules.objection_deadline(notified_at)
    d.disposal_due_at = rules.disposal_due(d.objection_deadline, _disposal_hours())
    _audit(actor, "disposition.notify", d, {}, {"notified_at": notified_at, "person": person,
                                                 "objection_deadline": d.objection_deadline}, now)
    _settle_expiry(actor, d, now)
    db.session.flush()
    return d


def _known_rapid_methods() -> list[str]:
    return list(db.session.execute(sa.select(TestItem.method).where(TestItem.method.is_not(None))).scalars())


def object_to(actor: Actor, batch: Batch, requested_at: datetime, lab: str, method: str,
              applicant: str | None = None, expected_version: int | None = None,
              now: datetime | None = None) -> Objection:
    """Record the seller's objection and the laboratory retest it asks for.

    Refused after the deadline (409) and when the method is a rapid one (422)."""
    actor.require("disposition.objection")
    now = now or utcnow()
    d = disposition_for(actor, batch)
    _check_version(d, expected_version)
    if not (lab or "").strip():
        raise InvalidInput(gettext("Name the laboratory."), {"lab": [gettext("Required.")]})
    if not (method or "").strip():
        raise InvalidInput(gettext("Name the retest method."), {"method": [gettext("Required.")]})
    try:
        rules.check_objection(_state(d), requested_at, method, now, _known_rapid_methods())
    except rules.DispositionRefused as exc:
        raise _refused(exc, "method" if exc.code == "objection_rapid_method" else "requested_at") from None
    objection = Objection(disposition_id=d.id, requested_at=requested_at, applicant=applicant or None,
                          lab=lab.strip(), method=method.strip(), recorded_by_id=actor.user_id)
    db.session.add(objection)
    d.objections.append(objection)
    before = d.status
    d.status = "disputed"
    d.disposal_due_at = None  # the clock stops while the laboratory decides
    db.session.flush()
    _audit(actor, "disposition.objection", d, {"status": before},
           {"status": "disputed", "requested_at": requested_at, "lab": lab, "method": method}, now)
    refresh_status(batch)
    return objection


def record_lab_result(actor: Actor, batch: Batch, lab: str, report_no: str, outcome: str,
                      value: Decimal | None = None, unit: str | None = None, fee: Decimal | None = None,
                      received_at: datetime | None = None, expected_version: int | None = None,
                      now: datetime | None = None) -> Disposition:
    """The laboratory result overrides the rapid one: negative releases, positive confirms."""
    actor.require("disposition.lab_result")
    now = now or utcnow()
    d = disposition_for(actor, batch)
    _check_version(d, expected_version)
    if fee is not None and fee < 0:
        raise InvalidInput(gettext("The fee must not be negative."), {"fee": [gettext("Must not be negative.")]})
    if received_at is not None and received_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(gettext("The time is in the future."), {"received_at": [gettext("The time is in the future.")]})
    if not (report_no or "").strip():
        raise InvalidInput(gettext("Enter the laboratory report number."), {"report_no": [gettext("Required.")]})
    try:
        rules.check_lab_result(_state(d))
        status = rules.status_after_lab(outcome)
    except rules.DispositionRefused as exc:
        raise _refused(exc, "outcome") from None
    received_at = received_at or now
    o = d.objection
    o.lab = (lab or o.lab).strip()
    o.lab_report_no, o.lab_outcome, o.lab_value, o.lab_unit, o.fee = report_no.strip(), outcome, value, unit, fee
    o.lab_result_at, o.lab_recorded_by_id = received_at, actor.user_id
    before = d.status
    d.status = status
    if status == "released":
        d.closed_at = now
        d.disposal_due_at = None
    else:
        d.disposal_due_at = rules.disposal_due(received_at, _disposal_hours())
    db.session.flush()
    _audit(actor, "disposition.lab_result", d, {"status": before},
           {"status": status, "lab": o.lab, "report_no": o.lab_report_no, "outcome": outcome, "value": value,
            "fee": fee}, now)
    refresh_status(batch)
    return d


def remaining_kg(batch: Batch, d: Disposition) -> Decimal | None:
    return rules.remaining_quantity(batch.quantity_kg, [(a.action, a.quantity_kg) for a in d.actions])


@dataclass
class DisposalInput:
    action: str
    quantity_kg: Decimal
    done_at: datetime
    place: str | None = None
    method: str | None = None
    done_by: str | None = None
    supervisor: str | None = None
    note: str | None = None


def add_disposal(actor: Actor, batch: Batch, data: DisposalInput, expected_version: int | None = None,
                 now: datetime | None = None) -> DisposalAction:
    """Record a disposal step; the disposition closes when the batch's quantity is accounted for."""
    actor.require("disposition.disposal")
    now = now or utcnow()
    d = disposition_for(actor, batch)
    _check_version(d, expected_version)
    if data.done_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(gettext("The time is in the future."), {"done_at": [gettext("The time is in the future.")]})
    _settle_expiry(actor, d, now)
    try:
        rules.check_disposal(_state(d), data.action, data.quantity_kg, remaining_kg(batch, d), now,
                             batch.quantity_kg)
    except rules.DispositionRefused as exc:
        raise _refused(exc, "action" if exc.code == "bad_action" else "quantity_kg") from None
    action = DisposalAction(disposition_id=d.id, action=data.action, quantity_kg=data.quantity_kg,
                            done_at=data.done_at, place=data.place or None, method=data.method or None,
                            done_by=data.done_by or None, supervisor=data.supervisor or None,
                            note=data.note or None, recorded_by_id=actor.user_id)
    db.session.add(action)
    d.actions.append(action)
    db.session.flush()
    after = {"action": data.action, "quantity_kg": data.quantity_kg, "done_at": data.done_at, "place": data.place,
             "supervisor": data.supervisor, "done_by": data.done_by}
    before_status = d.status
    if rules.is_accounted(batch.quantity_kg, [(a.action, a.quantity_kg) for a in d.actions]):
        d.status, d.closed_at = "disposed", now
        after["status"] = "disposed"
    _audit(actor, "disposition.disposal", d, {"status": before_status}, after, now, reason=data.note)
    refresh_status(batch)
    return action


def inform_regulator(actor: Actor, batch: Batch, informed_at: datetime, now: datetime | None = None) -> Disposition:
    """Record when the county regulator was told of the positive (FSL art. 64)."""
    actor.require("disposition.inform_regulator")
    now = now or utcnow()
    d = disposition_for(actor, batch)
    if informed_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(gettext("The time is in the future."), {"informed_at": [gettext("The time is in the future.")]})
    if d.regulator_informed_at is not None:
        raise Conflict(gettext("The regulator was already informed."))
    d.regulator_informed_at = informed_at
    _audit(actor, "disposition.inform_regulator", d, {}, {"regulator_informed_at": informed_at}, now)
    db.session.flush()
    return d


POSITIVE_GROUPS = ("notify", "window", "lab", "dispose")
# Where the groups are shown side by side, each shows its most urgent entries and links to the
# whole group, paged (/positives?group=).
POSITIVES_PREVIEW = 10


def open_positives(actor: Actor, now: datetime, site_id: int | None = None) -> tuple[dict[str, list[Batch]], dict]:
    """Open positives grouped by what they need now: the seller notified, the objection
    window watched, the laboratory result recorded, the food disposed of (overdue first);
    only those of market ``site_id`` when given."""
    from sqlalchemy.orm import joinedload

    from lims.accounts.access import scope_to_sites
    from lims.batches.queries import batch_state

    stmt = scope_to_sites(
        sa.select(Batch).join(Disposition, Disposition.batch_id == Batch.id)
        .where(Disposition.status.in_(rules.OPEN_STATUSES))
        .options(joinedload(Batch.site), joinedload(Batch.stall), joinedload(Batch.disposition))
        .order_by(Disposition.opened_at), Batch.site_id, actor)
    if site_id is not None:
        stmt = stmt.where(Batch.site_id == site_id)
    open_batches = db.session.execute(stmt).unique().scalars().all()
    states = {b.id: batch_state(b, now) for b in open_batches}
    groups = {
        "notify": [b for b in open_batches if states[b.id].awaiting_notification],
        "window": [b for b in open_batches if states[b.id].window_open],
        "lab": [b for b in open_batches if states[b.id].status == "disputed"],
        "dispose": [b for b in open_batches if states[b.id].status == "confirmed"],
    }
    groups["dispose"].sort(key=lambda b: (not states[b.id].overdue, states[b.id].disposal_due_at or now))
    return groups, states
