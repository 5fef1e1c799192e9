"""Words shown for the domain's codes, translated (Chinese first)."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lims.i18n import speaking

from lims.rules.status_wording import NOT_NOTIFIED, STATUS_WORDS, public_status

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

# A batch's registration data, as corrections and the trail name them.
BATCH_FIELD_LABELS = {
    "stall": _l("Stall number"), "food": _l("Food"), "category": _l("Food category"), "supplier": _l("Supplier"),
    "origin": _l("Origin"), "purchase_date": _l("Purchase date"), "quantity_kg": _l("Quantity (kg)"),
    "certificate_no": _l("Certificate number"), "sampled_at": _l("Sampled at"), "note": _l("Note"),
}

ORG_KIND_LABELS = {"province": _l("Province"), "city": _l("City"), "district": _l("District"),
                   "office": _l("Supervision office"), "testing": _l("Testing organisation")}
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

# Status words come from the one wording table (lims.rules.status_wording), translated here.
STATUS_LABELS = {code: _l(w.label) for code, w in STATUS_WORDS.items()}
STATUS_MEANINGS = {code: _l(w.meaning) for code, w in STATUS_WORDS.items()}
PUBLIC_STATUS_LABELS = {code: _l(w.public) for code, w in STATUS_WORDS.items()}

# Bootstrap colour per status / outcome.
STATUS_COLOURS = {code: w.colour for code, w in STATUS_WORDS.items()}
OUTCOME_COLOURS = {"negative": "success", "positive": "danger", "suspect": "warning", "invalid": "warning"}

DISPOSAL_ACTION_LABELS = {
    "stop_sale": _l("Off shelf / stop sale"),
    "destroy": _l("Destroy"),
    "harmless": _l("Harmless treatment"),
    "return": _l("Return to supplier"),
    "seal": _l("Seal"),
    "recall": _l("Recall"),
}

# What an open positive needs now (lims.dispositions.services.open_positives groups them so).
POSITIVE_GROUP_LABELS = {
    "notify": _l("Notify the seller"),
    "window": _l("Objection window open"),
    "lab": _l("Laboratory retest pending"),
    "dispose": _l("To dispose of"),
}

DISPOSITION_STATUS_LABELS = {k: STATUS_LABELS[k] for k in ("stopped", "disputed", "released", "confirmed", "disposed")}

RATING_LABELS = {"red": _l("Red"), "orange": _l("Orange"), "yellow": _l("Yellow"), "blue": _l("Blue"),
                 "green": _l("Green")}


def public_wording(outcome: str, status: str | None, lang: str | None = None) -> str:
    """What the public sees for a reviewed result of ``outcome`` in a batch whose status is
    now ``status`` (in ``lang``, else the current locale)."""
    label = PUBLIC_STATUS_LABELS[public_status(outcome, status)]
    if lang is None:
        return str(label)
    with speaking(lang):
        return str(label)


def status_words(lang: str) -> dict[str, str]:
    """The status labels in ``lang``, as plain data for the PDF and spreadsheet renderers."""
    with speaking(lang):
        words = {code: str(label) for code, label in STATUS_LABELS.items()}
        words["not_notified"] = gettext(NOT_NOTIFIED)
        return words


def conclusion_words(lang: str) -> dict[str, str]:
    """The conclusion a printed report states per status of a positive batch, in ``lang``."""
    with speaking(lang):
        return {code: str(_l(w.conclusion)) for code, w in STATUS_WORDS.items() if w.conclusion}


def public_words(lang: str) -> dict[str, str]:
    """The public status wording in ``lang``, as plain data for the notice-board PDF."""
    with speaking(lang):
        return {code: str(label) for code, label in PUBLIC_STATUS_LABELS.items()}
