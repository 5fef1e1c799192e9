"""Words shown for the domain's codes, translated (Chinese first)."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "reviewer": _l("Reviewer"),
    "technician": _l("Technician"),
    "market_manager": _l("Market manager"),
    "regulator": _l("Regulator"),
}

SITE_KIND_LABELS = {
    "market": _l("Farmers' market"),
    "wholesale": _l("Wholesale market"),
    "supermarket": _l("Supermarket"),
    "canteen": _l("Canteen"),
    "banquet": _l("Rural banquet centre"),
    "event": _l("Event venue"),
    "other": _l("Other"),
}

EVENT_KIND_LABELS = {"banquet": _l("Rural banquet"), "major_event": _l("Major event guarantee")}

STATION_KIND_LABELS = {"room": _l("Quick-test room"), "van": _l("Mobile lab van"), "kit": _l("Field kit")}

PRINCIPLE_LABELS = {
    "enzyme_inhibition": _l("Enzyme inhibition"),
    "colloidal_gold": _l("Colloidal gold"),
    "colorimetric": _l("Colorimetry"),
    "other": _l("Other"),
}

RULE_LABELS = {
    "inhibition": _l("Inhibition rate ≥ cut-off"),
    "gold": _l("Gold card: C line, T line or T/C against A and B"),
    "limit": _l("Concentration against a limit"),
    "presence": _l("Positive when detected"),
}

GOLD_MODE_LABELS = {"line": _l("Line mode (T)"), "ratio": _l("Ratio mode (T/C)")}

OUTCOME_LABELS = {
    "negative": _l("Negative"),
    "positive": _l("Positive"),
    "suspect": _l("Suspect"),
    "invalid": _l("Invalid"),
}

STATUS_LABELS = {
    "registered": _l("Registered"),
    "testing": _l("Testing"),
    "passed": _l("Passed"),
    "retest": _l("Retest"),
    "stopped": _l("Sale stopped"),
    "disputed": _l("Lab retest pending"),
    "released": _l("Released"),
    "confirmed": _l("Positive confirmed"),
    "disposed": _l("Disposed"),
}

STATUS_MEANINGS = {
    "registered": _l("Sampled, no result yet."),
    "testing": _l("Some tests have results, others are still to do."),
    "passed": _l("Every test negative: no problem found in this screening."),
    "retest": _l("A suspect or invalid result: the rapid test must be repeated."),
    "stopped": _l("Positive: sale stopped; the seller may object within 4 hours of notification."),
    "disputed": _l("The seller objected: a laboratory retest (not a rapid method) is pending."),
    "released": _l("The laboratory retest was negative: the batch is released."),
    "confirmed": _l("The positive stands: the batch must be disposed of."),
    "disposed": _l("Disposed: the whole quantity is accounted for."),
}

# Bootstrap colour per status / outcome.
STATUS_COLOURS = {
    "registered": "secondary", "testing": "info", "passed": "success", "retest": "warning",
    "stopped": "danger", "disputed": "warning", "released": "success", "confirmed": "danger",
    "disposed": "dark",
}
OUTCOME_COLOURS = {"negative": "success", "positive": "danger", "suspect": "warning", "invalid": "warning"}

DISPOSAL_ACTION_LABELS = {
    "stop_sale": _l("Off shelf / stop sale"),
    "destroy": _l("Destroy"),
    "harmless": _l("Harmless treatment"),
    "return": _l("Return to supplier"),
    "seal": _l("Seal"),
    "recall": _l("Recall"),
}

DISPOSITION_STATUS_LABELS = {k: STATUS_LABELS[k] for k in ("stopped", "disputed", "released", "confirmed", "disposed")}

RATING_LABELS = {"red": _l("Red"), "orange": _l("Orange"), "yellow": _l("Yellow"), "blue": _l("Blue"),
                 "green": _l("Green")}
