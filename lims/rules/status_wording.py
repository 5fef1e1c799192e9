"""The words for each batch status: one table for every door (pages, PDFs, exports, API
labels, public pages).

Plain data, so that rules stay pure: the strings are English message ids, marked with
:func:`N_` for extraction and translated where they are shown (Chinese first). The public
column is the wording a market's customers see; it never misleads — a pass is "本次快检未发现问题"
(no problem found *in this rapid test*, never "safe"), anything not yet settled is "复测中"/"检测中",
and a positive says where its handling stands — in one phrase per status, never repeated by a
second one beside it."""
from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark ``message`` for the translation catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class StatusWords:
    label: str  # badge, list, PDF, export
    meaning: str  # the sentence that explains the label
    public: str  # stall page, notice board, report verification page
    colour: str  # Bootstrap colour of the badge
    # The conclusion a printed report states for a batch in this status (positive path only:
    # the other statuses are concluded from their results).
    conclusion: str | None = None


STATUS_WORDS: dict[str, StatusWords] = {
    "registered": StatusWords(N_("Registered"), N_("Sampled, no result yet."),
                              N_("Being tested"), "secondary"),
    "testing": StatusWords(N_("Testing"), N_("Some tests have results, others are still to do."),
                           N_("Being tested"), "info"),
    "passed": StatusWords(N_("No problem found by the rapid test"),
                          N_("Every test negative: no problem found in this screening."),
                          N_("No problem found in this rapid test"), "success"),
    "retest": StatusWords(N_("Retest"), N_("A suspect or invalid result: the rapid test must be repeated."),
                          N_("Being retested"), "warning"),
    "stopped": StatusWords(N_("Sale stopped"),
                           N_("Positive: sale stopped; the seller may object within 4 hours of notification."),
                           N_("Positive, sale stopped"), "danger",
                           N_("Sale of this batch is stopped. The seller may ask for a laboratory retest within "
                              "4 hours of being told; without one the batch must be disposed of as required.")),
    "disputed": StatusWords(N_("Lab retest pending"),
                            N_("The seller objected: a laboratory retest (not a rapid method) is pending."),
                            N_("Laboratory retest in progress"), "warning",
                            N_("The seller asked for a laboratory retest: sale stays stopped until its result.")),
    "released": StatusWords(N_("Lab retest negative, released"),
                            N_("The laboratory retest was negative: the batch is released."),
                            N_("Rapid test positive, the laboratory retest found no problem"), "success",
                            N_("The laboratory retest found no problem: the batch is released and may be sold "
                               "again; nothing is to be disposed of.")),
    "confirmed": StatusWords(N_("Positive confirmed, to be disposed of"),
                             N_("The positive stands: the batch must be disposed of."),
                             N_("Positive, sale stopped, to be disposed of"), "danger",
                             N_("The positive result stands: sale stays stopped and the batch must be disposed of "
                                "as required.")),
    "disposed": StatusWords(N_("Fully disposed of"), N_("Disposed: the whole quantity is accounted for."),
                            N_("Positive, disposed of as required"), "dark",
                            N_("The batch has been disposed of as required: the whole quantity is accounted for.")),
    "voided": StatusWords(N_("Voided"), N_("Registered by mistake and voided: kept for the record, counted nowhere."),
                          N_("Voided"), "light"),
}


#: How a positive is listed while its seller has not been told yet (its status is "stopped").
NOT_NOTIFIED = N_("Sale stopped, seller not yet told")


def public_status(outcome: str, status: str | None) -> str:
    """Whose public words a reviewed result shows: a negative item reads as a pass, a
    positive one as its batch's (effective) status, anything else as a retest — so that
    nothing unclear is ever shown as a pass."""
    if outcome == "negative":
        return "passed"
    if outcome == "positive":
        return status if status in ("stopped", "disputed", "released", "confirmed", "disposed") else "stopped"
    return "retest"
