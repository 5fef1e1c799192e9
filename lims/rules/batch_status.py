"""The batch status (interfaces.md): it follows the outcomes as soon as results are recorded.

``registered`` → ``testing`` → ``passed`` | ``retest`` | (positive) the disposition's status:
``stopped`` → ``disputed`` → ``released`` | ``confirmed`` → ``disposed``; a batch registered
by mistake is ``voided`` (kept, counted nowhere) and stays so whatever its results.

The stored status is what the last change wrote; the clock changes it too (a ``stopped`` whose
objection window ran out unused is ``confirmed`` from then on, before anyone touches it).
:func:`effective_status` is the one place that says which status a batch has *now*: every
page, PDF, export, API field and public page shows that one, never the stored column."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

BATCH_STATUSES = ("registered", "testing", "passed", "retest", "stopped", "disputed",
                  "released", "confirmed", "disposed", "voided")
# Not yet tested (the traceback's targets); effective_status never reads them otherwise.
UNTESTED = ("registered", "testing")

# The verdict a status stands for (None while not yet decided).
_VERDICTS = {
    "registered": None, "testing": None, "passed": "negative", "retest": "suspect",
    "stopped": "positive", "disputed": "positive", "released": "negative",
    "confirmed": "positive", "disposed": "positive", "voided": None,
}


def effective_outcomes(results: Iterable[tuple[int, object, int, str]]) -> dict[int, str]:
    """Per item, the outcome of its latest current result.

    ``results`` are ``(item_id, tested_at, id, outcome)`` of current versions; a repeat test
    after a suspect or invalid one supersedes it in effect by being later."""
    latest: dict[int, tuple] = {}
    for item_id, tested_at, rid, outcome in results:
        key = (tested_at, rid)
        if item_id not in latest or key > latest[item_id][0]:
            latest[item_id] = (key, outcome)
    return {item: v[1] for item, v in latest.items()}


def batch_status(planned_items: Iterable[int], outcomes: Mapping[int, str],
                 disposition_status: str | None) -> str:
    """The status of a batch from its planned tests, effective outcomes and disposition.

    A positive opens a disposition, which from then on decides the status: a later rapid
    re-test cannot clear a positive, only a laboratory retest can."""
    if disposition_status is not None:
        return disposition_status
    if not outcomes:
        return "registered"
    values = set(outcomes.values())
    if "positive" in values:
        return "stopped"
    if values & {"suspect", "invalid"}:
        return "retest"
    if set(planned_items) - set(outcomes):
        return "testing"
    return "passed"


def verdict_for(status: str) -> str | None:
    """The batch verdict (negative / positive / suspect) a status stands for."""
    return _VERDICTS[status]


def effective_status(stored: str, objection_deadline: datetime | None, now: datetime) -> str:
    """The status as it stands at ``now``, from the stored status and the disposition's
    objection deadline (None without a disposition or before the seller was told):
    ``stopped`` becomes ``confirmed`` once the objection window has passed unused."""
    if stored == "stopped" and objection_deadline is not None and now > objection_deadline:
        return "confirmed"
    return stored
