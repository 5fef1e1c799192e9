"""What happens after a positive (domain.md §5, §6): the disposition state machine,
the 4-hour objection window, the disposal deadline and the rules of disposal."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from lims.rules.batch_status import effective_status  # the one derivation; the state machine reads it too

DISPOSITION_STATUSES = ("stopped", "disputed", "released", "confirmed", "disposed")
DISPOSAL_ACTIONS = ("stop_sale", "destroy", "harmless", "return", "seal", "recall")
# Actions that take the food out of circulation for good and so account for its quantity.
TERMINAL_ACTIONS = frozenset({"destroy", "harmless", "return", "recall"})
# Actions that must wait until no objection can change the verdict (each of them ends the
# disposition once the quantity is accounted for, which would leave a pending retest nowhere).
DESTRUCTIVE_ACTIONS = frozenset({"destroy", "harmless", "return", "recall"})
OPEN_STATUSES = frozenset({"stopped", "disputed", "confirmed"})

OBJECTION_WINDOW = timedelta(hours=4)  # law: FSL art. 88 ¶2; 农产品质量安全法 art. 51
# The seller must stop selling at once; a positive not told to the seller this long after it
# was found is brought to the market's managers [design].
NOTICE_REMINDER = timedelta(minutes=30)

# Rapid methods may not be used for the retest after an objection.
_RAPID_METHOD_MARKS = ("KJ", "GB/T5009.199", "NY/T448", "快速", "快检", "速测", "胶体金", "酶抑制",
                       "试纸", "试剂盒", "检测卡", "RAPID", "STRIP", "TESTKIT")


_KJ = re.compile(r"(?<![A-Z])KJ\s*\d")  # the SAMR rapid-method series, wherever it is named


class DispositionRefused(Exception):
    """An action the state machine does not allow now. ``code`` → message; ``conflict``
    distinguishes a state/deadline conflict (HTTP 409) from bad input (HTTP 422)."""

    def __init__(self, code: str, conflict: bool = True, **params):
        super().__init__(code)
        self.code = code
        self.conflict = conflict
        self.params = params


def is_rapid_method(method: str, known_rapid_methods=()) -> bool:
    """True when ``method`` names a rapid method (KJ series, GB/T 5009.199, NY/T 448, strips…)."""
    key = unicodedata.normalize("NFKC", method or "").upper().replace(" ", "")
    if not key:
        return False
    if _KJ.search(unicodedata.normalize("NFKC", method).upper()) or any(mark in key for mark in _RAPID_METHOD_MARKS[1:]):
        return True
    known = {unicodedata.normalize("NFKC", m).upper().replace(" ", "") for m in known_rapid_methods if m}
    return any(k and k in key for k in known)


def objection_deadline(notified_at: datetime) -> datetime:
    """The objection window closes 4 hours after the seller received the result."""
    return notified_at + OBJECTION_WINDOW


def disposal_due(decided_at: datetime, hours: int) -> datetime:
    """Disposal is due ``hours`` after the verdict stands (window closed or lab confirmed)."""
    return decided_at + timedelta(hours=hours)


@dataclass(frozen=True)
class DispositionState:
    status: str
    notified_at: datetime | None
    objection_deadline: datetime | None
    objection_pending: bool  # requested and no lab result yet
    disposal_due_at: datetime | None
    has_objection: bool = False  # one objection per positive, pending or decided


def check_notify(state: DispositionState, notified_at: datetime, now: datetime,
                 positive_at: datetime | None = None) -> None:
    """The seller can be told once, and not before the positive result existed (the 4-hour
    window starts when the seller receives the result)."""
    if state.status not in OPEN_STATUSES:
        raise DispositionRefused("disposition_closed")
    if state.notified_at is not None:
        raise DispositionRefused("already_notified", notified_at=state.notified_at)
    if notified_at > now + timedelta(minutes=5):
        raise DispositionRefused("time_in_future", conflict=False)
    if positive_at is not None and notified_at < positive_at:
        raise DispositionRefused("notified_before_result", conflict=False, tested_at=positive_at)


def check_objection(state: DispositionState, requested_at: datetime, method: str, now: datetime,
                    known_rapid_methods=()) -> None:
    """An objection is allowed once, within 4 hours of notification, and not with a rapid method."""
    if is_rapid_method(method, known_rapid_methods):
        raise DispositionRefused("objection_rapid_method", conflict=False, method=method)
    if requested_at > now + timedelta(minutes=5):
        raise DispositionRefused("time_in_future", conflict=False)
    if state.notified_at is None:
        raise DispositionRefused("not_notified")
    # "confirmed" here means only that the window has passed unused: an objection requested
    # inside the window but recorded late still counts.
    if state.status not in ("stopped", "confirmed") or state.objection_pending or state.has_objection:
        raise DispositionRefused("objection_not_open", status=state.status)
    if requested_at < state.notified_at:
        raise DispositionRefused("objection_before_notification", conflict=False)
    # Recording may come late, but the request itself must fall inside the window.
    if requested_at > state.objection_deadline:
        raise DispositionRefused("objection_deadline_passed", deadline=state.objection_deadline)


def status_after_lab(lab_outcome: str) -> str:
    """A lab result overrides the rapid one: negative releases the batch, positive confirms it."""
    if lab_outcome == "negative":
        return "released"
    if lab_outcome == "positive":
        return "confirmed"
    raise DispositionRefused("bad_lab_outcome", conflict=False, outcome=lab_outcome)


def check_lab_result(state: DispositionState) -> None:
    if state.status != "disputed":
        raise DispositionRefused("no_objection_pending", status=state.status)


def check_disposal(state: DispositionState, action: str, quantity_kg: Decimal, remaining_kg: Decimal | None,
                   now: datetime, batch_kg: Decimal | None = None) -> None:
    """Disposal rules: nothing destroyed while an objection is pending or may still be made;
    never more than the batch's remaining quantity; nothing after release or closing."""
    if action not in DISPOSAL_ACTIONS:
        raise DispositionRefused("bad_action", conflict=False, action=action)
    if quantity_kg < 0 or (action in TERMINAL_ACTIONS and quantity_kg == 0):
        raise DispositionRefused("negative_quantity", conflict=False)
    status = effective_status(state.status, state.objection_deadline, now)
    if status in ("released", "disposed"):
        raise DispositionRefused("disposition_closed", status=status)
    if action in DESTRUCTIVE_ACTIONS:
        if state.objection_pending or status == "disputed":
            raise DispositionRefused("objection_pending")
        if state.notified_at is None:
            raise DispositionRefused("destroy_before_notification")
        if status == "stopped":
            raise DispositionRefused("objection_window_open", deadline=state.objection_deadline)
    if action in TERMINAL_ACTIONS and remaining_kg is not None and quantity_kg > remaining_kg:
        raise DispositionRefused("exceeds_remaining", conflict=False, remaining=remaining_kg)
    if batch_kg is not None and quantity_kg > batch_kg:
        raise DispositionRefused("exceeds_remaining", conflict=False, remaining=batch_kg)


def remaining_quantity(batch_kg: Decimal | None, actions: list[tuple[str, Decimal]]) -> Decimal | None:
    """Kilograms not yet accounted for by terminal actions (None when the batch size is unknown)."""
    if batch_kg is None:
        return None
    done = sum((kg for action, kg in actions if action in TERMINAL_ACTIONS), Decimal(0))
    return max(batch_kg - done, Decimal(0))


def is_accounted(batch_kg: Decimal | None, actions: list[tuple[str, Decimal]]) -> bool:
    """The disposition closes when the batch's whole quantity is accounted for; when the
    quantity was never recorded, the first terminal action accounts for the batch."""
    terminal = [kg for action, kg in actions if action in TERMINAL_ACTIONS]
    if not terminal:
        return False
    if batch_kg is None:
        return True
    return sum(terminal, Decimal(0)) >= batch_kg


def hours_overdue(status: str, disposal_due_at: datetime | None, closed_at: datetime | None,
                  now: datetime) -> Decimal | None:
    """How many hours (one decimal) a disposition was or is past its disposal deadline: a
    disposed one by when it closed, an open one by now; None when in time, not yet due, or
    released by the laboratory. ``status`` is the effective status."""
    if disposal_due_at is None or status == "released":
        return None
    finished = closed_at if status == "disposed" else now
    if finished <= disposal_due_at:
        return None
    return Decimal((finished - disposal_due_at).total_seconds() / 3600).quantize(Decimal("0.1"))


def is_overdue(status: str, disposal_due_at: datetime | None, now: datetime) -> bool:
    """Open and past its disposal deadline."""
    return status in OPEN_STATUSES and status != "disputed" and disposal_due_at is not None \
        and now > disposal_due_at


def awaits_notice_too_long(status: str, notified_at: datetime | None, opened_at: datetime, now: datetime) -> bool:
    """A stopped batch whose seller has not been told ``NOTICE_REMINDER`` after the positive."""
    return status == "stopped" and notified_at is None and now - opened_at >= NOTICE_REMINDER
