"""Sentences for the codes the rules return, in the user's language."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l

from lims.formatting import signal_name, with_unit
from lims.i18n import format_local


def _n(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


READING_MESSAGES = {
    "not_a_number": _l("“%(value)s” is not a number."),
    "missing_reading": _l("No reading: enter a value, the raw signals or a visual result."),
    "item_not_configured": _l("This test item has no decision parameters yet; ask an administrator."),
}


def reading_message(code: str, params: dict) -> str:
    template = READING_MESSAGES.get(code)
    if template is None:
        return code
    return str(template) % {k: _n(v) for k, v in params.items()} if params else str(template)


def entry_problem_message(problem, item=None, category=None) -> str:
    code = problem.code
    if code == "tested_in_future":
        return gettext("The test time is in the future.")
    if code == "tested_before_sampling":
        return gettext("The test time is before the sampling time.")
    if code == "reagent_lot_expired":
        return gettext("The reagent lot expired on %(date)s; results made with it are refused.",
                       date=problem.params["expires_on"].isoformat())
    if code == "item_inactive":
        return gettext("This test item is no longer in use.")
    if code == "item_not_for_category":
        return gettext("%(item)s is not usually tested on %(category)s. Confirm to record it anyway.",
                       item=item.name if item else "", category=category.name if category is not None else "")
    return code


def judgement_reason(reason: str | None, result=None, item=None) -> str:
    """Why the outcome is what it is, in a short sentence (e.g. "抑制率 63.5% ≥ 50%")."""
    r = result
    unit = (r.unit if r is not None else None) or (item.unit if item is not None else "") or ""
    value = _n(r.computed_value if r is not None and r.computed_value is not None else (r.value if r else None))
    threshold = _n(r.cutoff) if r is not None else "—"
    texts = {
        "control_below_min": lambda: gettext("Control ΔA0 %(a0)s < %(min)s: invalid run", a0=_n(r.control_delta),
                                             min=threshold),
        "inhibition_out_of_range": lambda: gettext("Inhibition %(v)s%% is above 100%%: invalid", v=value),
        "inhibition_at_or_above_cutoff": lambda: gettext("Inhibition %(v)s%% ≥ %(c)s%%", v=value, c=threshold),
        "inhibition_below_cutoff": lambda: gettext("Inhibition %(v)s%% < %(c)s%%", v=value, c=threshold),
        "c_line_below_min": lambda: gettext("C line %(c)s ≤ %(min)s: invalid card", c=_n(r.c_line), min=threshold),
        "gold_at_or_below_a": lambda: gettext("%(signal)s %(v)s ≤ A %(a)s", signal=_signal(r, item), v=value,
                                              a=threshold),
        "gold_at_or_above_b": lambda: gettext("%(signal)s %(v)s ≥ B %(b)s", signal=_signal(r, item), v=value,
                                              b=threshold),
        "gold_between_a_and_b": lambda: gettext("%(signal)s %(v)s between A and B: repeat", signal=_signal(r, item),
                                                v=value),
        "within_limit": lambda: gettext("%(v)s %(u)s within the limit %(l)s", v=value, u=unit,
                                        l=with_unit(threshold, unit)),
        "exceeds_limit": lambda: gettext("%(v)s %(u)s exceeds the limit %(l)s", v=value, u=unit,
                                         l=with_unit(threshold, unit)),
        "detected": lambda: gettext("Detected"),
        "not_detected": lambda: gettext("Not detected"),
        "visual_reading": lambda: gettext("Visual reading"),
    }
    needs_result = reason not in ("detected", "not_detected", "visual_reading")
    if reason not in texts or (needs_result and r is None):
        return reason or ""
    return texts[reason]()


def _signal(r, item=None) -> str:
    """T/C for a card read as a ratio (whether typed as T/C or as its C and T lines), T in line mode."""
    return signal_name(r, item)


DISPOSITION_MESSAGES = {
    "disposition_closed": _l("This disposition is closed."),
    "already_notified": _l("The seller was already notified."),
    "notified_before_result": _l("The seller cannot have been notified before the result existed (tested at "
                                 "%(tested_at)s)."),
    "time_in_future": _l("The time is in the future."),
    "objection_rapid_method": _l("The retest after an objection must not use a rapid method (%(method)s). "
                                 "Name a laboratory method, e.g. GB 23200.113."),
    "not_notified": _l("Record when the seller was notified first: the 4-hour window starts then."),
    "objection_not_open": _l("No objection can be recorded in this state."),
    "objection_before_notification": _l("An objection cannot come before the notification."),
    "objection_deadline_passed": _l("The objection window closed at %(deadline)s; the objection is refused."),
    "bad_lab_outcome": _l("The laboratory result must be negative or positive."),
    "no_objection_pending": _l("There is no pending objection to record a laboratory result for."),
    "bad_action": _l("Unknown disposal action."),
    "negative_quantity": _l("Enter the kilograms this action covers (more than 0 for a final disposal)."),
    "objection_pending": _l("Nothing may be destroyed while an objection is pending."),
    "destroy_before_notification": _l("Notify the seller before destroying, returning or treating the food."),
    "objection_window_open": _l("The objection window is open until %(deadline)s: stop the sale and seal the "
                                "food now, destroy it after the window closes."),
    "exceeds_remaining": _l("More than the %(remaining)s kg still to be accounted for."),
}


def disposition_message(code: str, params: dict) -> str:
    template = DISPOSITION_MESSAGES.get(code)
    if template is None:
        return code
    values = {}
    for k, v in params.items():
        values[k] = format_local(v) if hasattr(v, "tzinfo") else _n(v)
    return str(template) % values if values else str(template)
