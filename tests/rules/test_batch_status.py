"""lims.rules.batch_status: a batch's status follows its outcomes (interfaces.md)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lims.rules.batch_status import BATCH_STATUSES, batch_status, effective_outcomes, verdict_for

# interfaces.md, "Batch status values", written out, and the one issue 13 added (interfaces.md
# allows adding values): ``voided``, a batch registered by mistake.
INTERFACE_STATUSES = {"registered", "testing", "passed", "retest", "stopped", "disputed", "released",
                      "confirmed", "disposed", "voided"}
DISPOSITION_STATUSES = ("stopped", "disputed", "released", "confirmed", "disposed")

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
MIN = timedelta(minutes=1)


def test_the_statuses_are_those_of_interfaces_md():
    assert set(BATCH_STATUSES) == INTERFACE_STATUSES
    assert len(BATCH_STATUSES) == len(INTERFACE_STATUSES)


STATUS_CASES = [
    pytest.param([1, 2], {}, None, "registered", id="nothing-tested-registered"),
    pytest.param([], {}, None, "registered", id="no-plan-nothing-tested-registered"),
    pytest.param([1, 2], {1: "negative"}, None, "testing", id="one-of-two-negative-testing"),
    pytest.param([1, 2, 3], {1: "negative", 3: "negative"}, None, "testing", id="middle-item-missing-testing"),
    pytest.param([1, 2], {1: "negative", 2: "negative"}, None, "passed", id="all-negative-passed"),
    pytest.param([1], {1: "negative", 9: "negative"}, None, "passed", id="extra-unplanned-test-negative-passed"),
    pytest.param([], {1: "negative"}, None, "passed", id="unplanned-only-negative-passed"),
    pytest.param([1], {1: "suspect"}, None, "retest", id="suspect-retest"),
    pytest.param([1], {1: "invalid"}, None, "retest", id="invalid-retest-never-passed"),
    pytest.param([1, 2], {1: "suspect"}, None, "retest", id="suspect-beats-still-testing"),
    pytest.param([1, 2], {1: "negative", 2: "invalid"}, None, "retest", id="invalid-beats-negative"),
    pytest.param([1, 2], {1: "positive"}, None, "stopped", id="positive-without-disposition-stopped"),
    pytest.param([1, 2], {1: "positive", 2: "suspect"}, None, "stopped", id="positive-beats-suspect"),
    pytest.param([1, 2], {1: "positive", 2: "negative"}, None, "stopped", id="positive-beats-negative"),
    # the disposition decides once it exists
    *[pytest.param([1], {1: "positive"}, d, d, id=f"disposition-{d}-decides") for d in DISPOSITION_STATUSES],
    pytest.param([1], {1: "negative"}, "confirmed", "confirmed", id="later-rapid-negative-cannot-clear-confirmed"),
    pytest.param([1], {1: "negative"}, "stopped", "stopped", id="later-rapid-negative-cannot-clear-stopped"),
    pytest.param([1, 2], {1: "positive"}, "released", "released", id="lab-negative-releases-although-untested-item"),
    pytest.param([1, 2], {}, "disposed", "disposed", id="disposition-even-without-outcomes"),
]


@pytest.mark.parametrize("planned, outcomes, disposition, expected", STATUS_CASES)
def test_batch_status(planned, outcomes, disposition, expected):
    assert batch_status(planned, outcomes, disposition) == expected


def test_every_interface_status_is_reachable():
    """From the outcomes, every status but ``voided``, which only a person sets (voiding a
    batch registered by mistake, lims.batches.changes)."""
    reached = {batch_status(p.values[0], p.values[1], p.values[2]) for p in STATUS_CASES}
    assert reached == INTERFACE_STATUSES - {"voided"}


def test_batch_status_accepts_iterators():
    assert batch_status(iter([1, 2]), {1: "negative", 2: "negative"}, None) == "passed"
    assert batch_status((i for i in [1, 2]), {1: "negative"}, None) == "testing"


# --- effective_outcomes ---------------------------------------------------------------------

@pytest.mark.parametrize("results, expected", [
    pytest.param([], {}, id="no-results"),
    pytest.param([(1, T0, 10, "suspect"), (1, T0 + 20 * MIN, 11, "negative")], {1: "negative"},
                 id="repeat-negative-after-suspect-wins"),
    pytest.param([(1, T0 + 20 * MIN, 11, "negative"), (1, T0, 10, "suspect")], {1: "negative"},
                 id="order-of-rows-does-not-matter"),
    pytest.param([(1, T0, 10, "invalid"), (1, T0 + MIN, 11, "positive")], {1: "positive"},
                 id="repeat-positive-after-invalid-wins"),
    pytest.param([(1, T0 + MIN, 10, "suspect"), (1, T0, 11, "negative")], {1: "suspect"},
                 id="later-tested-at-wins-over-higher-id"),
    pytest.param([(1, T0, 12, "negative"), (1, T0, 11, "suspect")], {1: "negative"},
                 id="same-time-higher-id-wins"),
    pytest.param([(1, T0, 11, "suspect"), (1, T0, 12, "negative")], {1: "negative"},
                 id="same-time-higher-id-wins-listed-last"),
    pytest.param([(1, T0, 10, "suspect"), (2, T0 + MIN, 11, "negative"), (1, T0 + 2 * MIN, 12, "negative"),
                  (2, T0 + 3 * MIN, 13, "invalid")], {1: "negative", 2: "invalid"},
                 id="items-are-independent"),
])
def test_effective_outcomes(results, expected):
    assert effective_outcomes(results) == expected


@pytest.mark.parametrize("results, planned, expected", [
    pytest.param([(1, T0, 10, "suspect"), (1, T0 + 20 * MIN, 11, "negative")], [1], "passed",
                 id="suspect-then-repeat-negative-passed"),
    pytest.param([(1, T0, 10, "invalid"), (1, T0 + 20 * MIN, 11, "negative"), (2, T0, 12, "negative")], [1, 2],
                 "passed", id="invalid-then-repeat-negative-passed"),
    pytest.param([(1, T0, 10, "negative"), (1, T0 + 20 * MIN, 11, "suspect")], [1], "retest",
                 id="negative-then-suspect-retest"),
    pytest.param([(1, T0, 10, "suspect"), (1, T0 + 20 * MIN, 11, "suspect")], [1], "retest",
                 id="suspect-twice-retest"),
])
def test_status_from_effective_outcomes(results, planned, expected):
    assert batch_status(planned, effective_outcomes(results), None) == expected


# --- verdict_for ----------------------------------------------------------------------------

@pytest.mark.parametrize("status, verdict", [
    ("registered", None), ("testing", None), ("passed", "negative"), ("retest", "suspect"),
    ("stopped", "positive"), ("disputed", "positive"), ("released", "negative"), ("confirmed", "positive"),
    ("disposed", "positive"), ("voided", None),
])
def test_verdict_for(status, verdict):
    assert verdict_for(status) == verdict


def test_verdict_for_covers_every_status():
    for status in INTERFACE_STATUSES:
        verdict_for(status)  # raises KeyError when a status has no verdict


def test_no_status_stands_for_a_pass_of_invalid_results():
    # an invalid result is "复测中" (retest), never shown as a pass
    assert verdict_for(batch_status([1], {1: "invalid"}, None)) == "suspect"


# --- the status as it stands now, and its one wording table --------------------------------

def test_the_clock_turns_an_unused_window_into_confirmed():
    from lims.rules.batch_status import effective_status

    deadline = T0 + timedelta(hours=4)
    assert effective_status("stopped", None, T0 + timedelta(days=3)) == "stopped"  # seller not told yet
    assert effective_status("stopped", deadline, deadline) == "stopped"
    assert effective_status("stopped", deadline, deadline + MIN) == "confirmed"
    for status in set(BATCH_STATUSES) - {"stopped"}:
        assert effective_status(status, deadline, deadline + MIN) == status


def test_every_status_has_one_set_of_words():
    from lims.rules.status_wording import STATUS_WORDS

    assert list(STATUS_WORDS) == list(BATCH_STATUSES)
    for words in STATUS_WORDS.values():
        assert words.label and words.meaning and words.public and words.colour
    # The public never reads "safe"; a pass is "no problem found in this rapid test".
    assert all("safe" not in w.public.lower() for w in STATUS_WORDS.values())
    assert STATUS_WORDS["passed"].public == "No problem found in this rapid test"


@pytest.mark.parametrize(("outcome", "status", "shown"), [
    ("negative", None, "passed"), ("negative", "stopped", "passed"),
    ("positive", None, "stopped"), ("positive", "passed", "stopped"), ("positive", "confirmed", "confirmed"),
    ("positive", "released", "released"), ("positive", "disposed", "disposed"),
    ("suspect", None, "retest"), ("invalid", "passed", "retest"), ("brand-new", None, "retest"),
])
def test_public_words_follow_outcome_and_status(outcome, status, shown):
    from lims.rules.status_wording import public_status

    assert public_status(outcome, status) == shown
