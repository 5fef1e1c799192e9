"""lims.rules.disposition: what happens after a positive (domain.md §5, §6).

The 4-hour objection window runs from ``notified_at``; the retest may not use a rapid method;
a lab result overrides the rapid one; nothing is destroyed while an objection is pending or
may still be made. Deadlines here are written out by hand (notified + 4 h), never computed
with the code under test."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lims.rules.disposition import (
    DISPOSAL_ACTIONS,
    DispositionRefused,
    DispositionState,
    check_disposal,
    check_lab_result,
    check_notify,
    check_objection,
    disposal_due,
    effective_status,
    hours_overdue,
    is_accounted,
    is_overdue,
    is_rapid_method,
    objection_deadline,
    remaining_quantity,
    status_after_lab,
)

PROPERTY = settings(database=None, deadline=None, max_examples=200)

SHANGHAI = timezone(timedelta(hours=8))
NOTIFIED = datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
DEADLINE = datetime(2026, 11, 20, 13, 30, tzinfo=SHANGHAI)  # NOTIFIED + 4 h, written out
SEC = timedelta(seconds=1)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def state(status="stopped", notified=NOTIFIED, pending=False, due=None, objected=None) -> DispositionState:
    deadline = None if notified is None else notified + timedelta(hours=4)
    return DispositionState(status, notified, deadline, pending, due,
                            has_objection=pending if objected is None else objected)


def refused(fn, *args, **kwargs) -> DispositionRefused:
    with pytest.raises(DispositionRefused) as caught:
        fn(*args, **kwargs)
    return caught.value


# --- is_rapid_method ------------------------------------------------------------------------

@pytest.mark.parametrize("method", [
    "KJ 201706", "KJ201706", "kj 201706", "ＫＪ　２０１７０６", "KJ 201905",
    "GB/T 5009.199-2003", "GB/T5009.199", "ＧＢ／Ｔ　５００９．１９９－２００３",
    "NY/T 448", "NY/T 448-2001", "ny/t 448-2001",
    "胶体金", "胶体金免疫层析法", "快速检测", "农药残留快检", "酶抑制法", "农药残留速测卡",
    "rapid test strip", "Rapid Test", "TEST STRIP", "test kit", "克伦特罗检测试剂盒", "检测卡", "试纸条",
], ids=lambda m: m)
def test_rapid_methods(method):
    assert is_rapid_method(method) is True


@pytest.mark.parametrize("method", [
    "GB 23200.113-2018", "GB/T 20769-2008", "GB 5009.33-2016", "液相色谱-质谱法",
    "GB/T 5009.19-2008", "GB 31658.22-2022", "GB/T 21311-2007 液相色谱-串联质谱法", "", None,
], ids=lambda m: repr(m))
def test_laboratory_methods_are_not_rapid(method):
    assert is_rapid_method(method) is False


@pytest.mark.parametrize("method, known, expected", [
    pytest.param("SN/T 9999-2020", ["SN/T 9999"], True, id="known-list-hit"),
    pytest.param("sn/t９９９９－２０２０", ["SN/T 9999"], True, id="known-list-hit-full-width-and-case"),
    pytest.param("SN/T 9999-2020", ["SN/T 1111"], False, id="known-list-miss"),
    pytest.param("GB 23200.113-2018", ["", None], False, id="empty-entries-in-known-list-ignored"),
    pytest.param("GB 23200.113-2018", [], False, id="empty-known-list"),
])
def test_known_rapid_methods(method, known, expected):
    assert is_rapid_method(method, known) is expected


@pytest.mark.parametrize("method", ["《KJ 201706》", "依据KJ 201706", "SAMR KJ 201706"])
def test_kj_method_named_inside_text_is_rapid(method):
    assert is_rapid_method(method) is True


# --- deadlines ------------------------------------------------------------------------------

@pytest.mark.parametrize("notified, deadline", [
    pytest.param(NOTIFIED, DEADLINE, id="morning"),
    pytest.param(datetime(2026, 11, 20, 22, 30, tzinfo=SHANGHAI), datetime(2026, 11, 21, 2, 30, tzinfo=SHANGHAI),
                 id="across-midnight"),
    pytest.param(datetime(2026, 12, 31, 21, 0, 0, 1), datetime(2027, 1, 1, 1, 0, 0, 1), id="naive-new-year"),
])
def test_objection_deadline_is_exactly_four_hours_after_notification(notified, deadline):
    assert objection_deadline(notified) == deadline
    assert objection_deadline(notified) - notified == timedelta(seconds=4 * 3600)


def test_disposal_due():
    assert disposal_due(DEADLINE, 24) == datetime(2026, 11, 21, 13, 30, tzinfo=SHANGHAI)
    assert disposal_due(DEADLINE, 0) == DEADLINE


# --- check_notify ---------------------------------------------------------------------------

@pytest.mark.parametrize("st_, notified_at, now, code, conflict", [
    pytest.param(state(notified=None), NOTIFIED, NOTIFIED, None, None, id="first-notification-ok"),
    pytest.param(state("confirmed", notified=None), NOTIFIED, NOTIFIED, None, None, id="confirmed-unnotified-ok"),
    pytest.param(state(notified=None), NOTIFIED + 5 * MIN, NOTIFIED, None, None, id="within-clock-skew-ok"),
    pytest.param(state(notified=None), NOTIFIED + 5 * MIN + SEC, NOTIFIED, "time_in_future", False,
                 id="future-refused"),
    pytest.param(state(), NOTIFIED + HOUR, NOTIFIED + HOUR, "already_notified", True, id="second-notification-refused"),
    pytest.param(state("released", notified=None), NOTIFIED, NOTIFIED, "disposition_closed", True,
                 id="released-refused"),
    pytest.param(state("disposed", notified=None), NOTIFIED, NOTIFIED, "disposition_closed", True,
                 id="disposed-refused"),
])
def test_check_notify(st_, notified_at, now, code, conflict):
    if code is None:
        assert check_notify(st_, notified_at, now) is None
    else:
        exc = refused(check_notify, st_, notified_at, now)
        assert (exc.code, exc.conflict) == (code, conflict)


# --- check_objection ------------------------------------------------------------------------

LAB = "GB 23200.113-2018"

OBJECTION_CASES = [
    pytest.param(state(), NOTIFIED, LAB, NOTIFIED, None, None, id="at-notification-accepted"),
    pytest.param(state(), NOTIFIED + 2 * HOUR, LAB, NOTIFIED + 2 * HOUR, None, None, id="inside-window-accepted"),
    pytest.param(state(), DEADLINE, LAB, DEADLINE, None, None, id="exactly-at-deadline-accepted"),
    pytest.param(state(), DEADLINE - SEC, LAB, DEADLINE + 3 * HOUR, None, None,
                 id="requested-in-time-recorded-late-accepted"),
    pytest.param(state(), DEADLINE + SEC, LAB, DEADLINE + SEC, "objection_deadline_passed", True,
                 id="one-second-after-deadline-refused-409"),
    pytest.param(state(), DEADLINE + 20 * HOUR, LAB, DEADLINE + 20 * HOUR, "objection_deadline_passed", True,
                 id="next-day-refused-409"),
    pytest.param(state(), NOTIFIED + HOUR, "KJ 201706", NOTIFIED + HOUR, "objection_rapid_method", False,
                 id="rapid-KJ-method-refused-422"),
    pytest.param(state(), NOTIFIED + HOUR, "GB/T 5009.199-2003", NOTIFIED + HOUR, "objection_rapid_method", False,
                 id="rapid-enzyme-method-refused-422"),
    pytest.param(state(), NOTIFIED + HOUR, "胶体金", NOTIFIED + HOUR, "objection_rapid_method", False,
                 id="rapid-gold-method-refused-422"),
    pytest.param(state(notified=None), NOTIFIED, LAB, NOTIFIED, "not_notified", True,
                 id="not-notified-refused"),
    pytest.param(state(), NOTIFIED - SEC, LAB, NOTIFIED + HOUR, "objection_before_notification", False,
                 id="requested-before-notification-refused"),
    pytest.param(state(), NOTIFIED - HOUR, LAB, NOTIFIED - HOUR, "objection_before_notification", False,
                 id="requested-and-recorded-before-notification-refused"),
    pytest.param(state("disputed", pending=True), NOTIFIED + 2 * HOUR, LAB, NOTIFIED + 2 * HOUR,
                 "objection_not_open", True, id="second-objection-refused"),
    pytest.param(state("stopped", pending=True), NOTIFIED + 2 * HOUR, LAB, NOTIFIED + 2 * HOUR,
                 "objection_not_open", True, id="objection-pending-refused"),
    pytest.param(state("confirmed", objected=True), NOTIFIED + HOUR, LAB, NOTIFIED + HOUR, "objection_not_open",
                 True, id="after-lab-confirmed-refused"),
    pytest.param(state("confirmed"), NOTIFIED + HOUR, LAB, NOTIFIED + 5 * HOUR, None, None,
                 id="window-passed-but-requested-inside-recorded-late-accepted"),
    pytest.param(state("released"), NOTIFIED + HOUR, LAB, NOTIFIED + HOUR, "objection_not_open", True,
                 id="after-release-refused"),
    pytest.param(state("disposed"), NOTIFIED + HOUR, LAB, NOTIFIED + HOUR, "objection_not_open", True,
                 id="after-disposal-refused"),
    pytest.param(state(), NOTIFIED + HOUR + 5 * MIN, LAB, NOTIFIED + HOUR, None, None,
                 id="future-within-clock-skew-accepted"),
    pytest.param(state(), NOTIFIED + HOUR + 5 * MIN + SEC, LAB, NOTIFIED + HOUR, "time_in_future", False,
                 id="future-beyond-5-min-refused"),
]


@pytest.mark.parametrize("st_, requested_at, method, now, code, conflict", OBJECTION_CASES)
def test_check_objection(st_, requested_at, method, now, code, conflict):
    if code is None:
        assert check_objection(st_, requested_at, method, now) is None
    else:
        exc = refused(check_objection, st_, requested_at, method, now)
        assert (exc.code, exc.conflict) == (code, conflict)


def test_deadline_refusal_names_the_deadline():
    exc = refused(check_objection, state(), DEADLINE + SEC, LAB, DEADLINE + SEC)
    assert exc.params["deadline"] == DEADLINE


def test_rapid_method_refusal_names_the_method():
    exc = refused(check_objection, state(), NOTIFIED + HOUR, "KJ 201706", NOTIFIED + HOUR)
    assert exc.params["method"] == "KJ 201706"


def test_objection_with_a_method_from_the_known_rapid_list_is_refused():
    assert check_objection(state(), NOTIFIED + HOUR, "SN/T 9999", NOTIFIED + HOUR) is None
    exc = refused(check_objection, state(), NOTIFIED + HOUR, "SN/T 9999", NOTIFIED + HOUR,
                  known_rapid_methods=["SN/T 9999"])
    assert (exc.code, exc.conflict) == ("objection_rapid_method", False)


@PROPERTY
@given(offset=st.integers(min_value=0, max_value=10 * 3600))
def test_property_objection_is_accepted_exactly_within_four_hours(offset):
    requested = NOTIFIED + timedelta(seconds=offset)
    if offset <= 4 * 3600:
        assert check_objection(state(), requested, LAB, requested) is None
    else:
        assert refused(check_objection, state(), requested, LAB, requested).code == "objection_deadline_passed"


# --- effective_status, lab results ----------------------------------------------------------

@pytest.mark.parametrize("status, deadline, now, expected", [
    pytest.param("stopped", DEADLINE, DEADLINE - SEC, "stopped", id="stopped-before-deadline-stays-stopped"),
    pytest.param("stopped", DEADLINE, DEADLINE, "stopped", id="stopped-at-deadline-stays-stopped"),
    pytest.param("stopped", DEADLINE, DEADLINE + SEC, "confirmed", id="stopped-after-deadline-confirmed"),
    pytest.param("stopped", None, DEADLINE + timedelta(days=30), "stopped", id="stopped-never-notified-stays-stopped"),
    pytest.param("disputed", DEADLINE, DEADLINE + HOUR, "disputed", id="disputed-stays-disputed"),
    pytest.param("released", DEADLINE, DEADLINE + HOUR, "released", id="released-stays-released"),
    pytest.param("confirmed", DEADLINE, DEADLINE + HOUR, "confirmed", id="confirmed-stays-confirmed"),
    pytest.param("disposed", DEADLINE, DEADLINE + HOUR, "disposed", id="disposed-stays-disposed"),
])
def test_effective_status(status, deadline, now, expected):
    assert effective_status(status, deadline, now) == expected


@pytest.mark.parametrize("lab_outcome, expected", [
    pytest.param("negative", "released", id="lab-negative-releases"),
    pytest.param("positive", "confirmed", id="lab-positive-confirms"),
])
def test_status_after_lab(lab_outcome, expected):
    assert status_after_lab(lab_outcome) == expected


@pytest.mark.parametrize("lab_outcome", ["suspect", "invalid", "", "阴性", "Negative", None])
def test_status_after_lab_refuses_anything_else(lab_outcome):
    exc = refused(status_after_lab, lab_outcome)
    assert (exc.code, exc.conflict) == ("bad_lab_outcome", False)
    assert exc.params["outcome"] == lab_outcome


@pytest.mark.parametrize("status, allowed", [
    ("disputed", True), ("stopped", False), ("confirmed", False), ("released", False), ("disposed", False),
])
def test_check_lab_result_only_while_disputed(status, allowed):
    st_ = state(status, pending=(status == "disputed"))
    if allowed:
        assert check_lab_result(st_) is None
    else:
        exc = refused(check_lab_result, st_)
        assert (exc.code, exc.conflict) == ("no_objection_pending", True)


# --- check_disposal -------------------------------------------------------------------------

IN_WINDOW = NOTIFIED + HOUR
AFTER_WINDOW = DEADLINE + SEC
TEN = D(10)

DISPOSAL_CASES = [
    # while the objection window is open
    *[pytest.param(state(), action, D(5), TEN, IN_WINDOW, "objection_window_open", True,
                   id=f"{action}-refused-while-window-open") for action in ("destroy", "harmless", "return")],
    *[pytest.param(state(), action, D(5), TEN, DEADLINE, "objection_window_open", True,
                   id=f"{action}-refused-at-the-deadline-itself") for action in ("destroy", "harmless", "return")],
    *[pytest.param(state(), action, D(5), TEN, IN_WINDOW, None, None,
                   id=f"{action}-allowed-in-stopped") for action in ("stop_sale", "seal")],
    # before notification (no window yet)
    *[pytest.param(state(notified=None), action, D(5), TEN, IN_WINDOW, "destroy_before_notification", True,
                   id=f"{action}-refused-before-notification") for action in ("destroy", "harmless", "return")],
    *[pytest.param(state(notified=None), action, D(5), TEN, IN_WINDOW, None, None,
                   id=f"{action}-allowed-before-notification") for action in ("stop_sale", "seal")],
    # while an objection is pending
    *[pytest.param(state("disputed", pending=True), action, D(5), TEN, AFTER_WINDOW, "objection_pending", True,
                   id=f"{action}-refused-while-objection-pending") for action in ("destroy", "harmless", "return")],
    *[pytest.param(state("stopped", pending=True), action, D(5), TEN, IN_WINDOW, "objection_pending", True,
                   id=f"{action}-refused-objection-pending-flag") for action in ("destroy", "harmless", "return")],
    *[pytest.param(state("disputed", pending=True), action, D(5), TEN, AFTER_WINDOW, None, None,
                   id=f"{action}-allowed-while-disputed") for action in ("stop_sale", "seal")],
    # once the verdict stands
    *[pytest.param(state(), action, D(5), TEN, AFTER_WINDOW, None, None,
                   id=f"{action}-allowed-after-window-passed-unused") for action in DISPOSAL_ACTIONS],
    *[pytest.param(state("confirmed"), action, D(5), TEN, IN_WINDOW, None, None,
                   id=f"{action}-allowed-once-confirmed") for action in DISPOSAL_ACTIONS],
    # closed
    *[pytest.param(state("released"), action, D(5), TEN, AFTER_WINDOW, "disposition_closed", True,
                   id=f"{action}-refused-after-release") for action in ("stop_sale", "destroy", "seal")],
    *[pytest.param(state("disposed"), action, D(5), TEN, AFTER_WINDOW, "disposition_closed", True,
                   id=f"{action}-refused-after-disposal") for action in ("stop_sale", "destroy", "recall")],
    # input
    pytest.param(state("confirmed"), "burn", D(5), TEN, AFTER_WINDOW, "bad_action", False, id="unknown-action-422"),
    pytest.param(state("confirmed"), "销毁", D(5), TEN, AFTER_WINDOW, "bad_action", False,
                 id="chinese-label-is-not-an-action-code"),
    pytest.param(state("confirmed"), "destroy", D("-0.1"), TEN, AFTER_WINDOW, "negative_quantity", False,
                 id="negative-quantity-422"),
    # quantity against what remains
    pytest.param(state("confirmed"), "destroy", D("10"), TEN, AFTER_WINDOW, None, None,
                 id="destroy-exactly-the-remaining-allowed"),
    pytest.param(state("confirmed"), "destroy", D("10.001"), TEN, AFTER_WINDOW, "exceeds_remaining", False,
                 id="destroy-more-than-remaining-refused"),
    pytest.param(state("confirmed"), "recall", D("3"), D("2.5"), AFTER_WINDOW, "exceeds_remaining", False,
                 id="recall-more-than-remaining-refused"),
    pytest.param(state("confirmed"), "return", D("0.1"), D("0"), AFTER_WINDOW, "exceeds_remaining", False,
                 id="nothing-left-to-return"),
    pytest.param(state("confirmed"), "destroy", D("500"), None, AFTER_WINDOW, None, None,
                 id="unknown-batch-size-any-quantity"),
]


@pytest.mark.parametrize("st_, action, kg, remaining, now, code, conflict", DISPOSAL_CASES)
def test_check_disposal(st_, action, kg, remaining, now, code, conflict):
    if code is None:
        assert check_disposal(st_, action, kg, remaining, now) is None
    else:
        exc = refused(check_disposal, st_, action, kg, remaining, now)
        assert (exc.code, exc.conflict) == (code, conflict)


def test_window_open_refusal_names_the_deadline():
    exc = refused(check_disposal, state(), "destroy", D(1), TEN, IN_WINDOW)
    assert exc.params["deadline"] == DEADLINE


def test_exceeds_remaining_names_what_remains():
    exc = refused(check_disposal, state("confirmed"), "destroy", D(11), TEN, AFTER_WINDOW)
    assert exc.params["remaining"] == TEN


# --- quantities -----------------------------------------------------------------------------

@pytest.mark.parametrize("batch_kg, actions, remaining", [
    pytest.param(None, [], None, id="unknown-batch-size"),
    pytest.param(None, [("destroy", D(3))], None, id="unknown-batch-size-after-destroy"),
    pytest.param(TEN, [], TEN, id="nothing-done"),
    pytest.param(TEN, [("destroy", D(4))], D(6), id="destroy-4-of-10"),
    pytest.param(TEN, [("stop_sale", TEN), ("seal", TEN)], TEN, id="stop-sale-and-seal-account-for-nothing"),
    pytest.param(TEN, [("destroy", D(4)), ("harmless", D(3)), ("return", D(2)), ("recall", D(1))], D(0),
                 id="every-terminal-action-counts"),
    pytest.param(TEN, [("destroy", D("2.5")), ("stop_sale", TEN)], D("7.5"), id="mixed-terminal-and-not"),
    pytest.param(TEN, [("destroy", D(12))], D(0), id="never-below-zero"),
])
def test_remaining_quantity(batch_kg, actions, remaining):
    assert remaining_quantity(batch_kg, actions) == remaining


@pytest.mark.parametrize("batch_kg, actions, accounted", [
    pytest.param(TEN, [], False, id="nothing-done"),
    pytest.param(TEN, [("stop_sale", TEN)], False, id="stop-sale-is-not-terminal"),
    pytest.param(TEN, [("seal", TEN)], False, id="seal-is-not-terminal"),
    pytest.param(TEN, [("destroy", D("9.999"))], False, id="almost-all-destroyed"),
    pytest.param(TEN, [("destroy", TEN)], True, id="all-destroyed"),
    pytest.param(TEN, [("destroy", D(6)), ("return", D(4))], True, id="destroyed-and-returned"),
    pytest.param(TEN, [("harmless", D(5)), ("recall", D(5))], True, id="harmless-and-recalled"),
    pytest.param(TEN, [("seal", D(10)), ("destroy", D(5))], False, id="seal-does-not-add-up"),
    pytest.param(None, [], False, id="unknown-size-nothing-done"),
    pytest.param(None, [("seal", D(5)), ("stop_sale", D(5))], False, id="unknown-size-only-non-terminal"),
    pytest.param(None, [("destroy", D(1))], True, id="unknown-size-first-terminal-action-closes"),
])
def test_is_accounted(batch_kg, actions, accounted):
    assert is_accounted(batch_kg, actions) is accounted


@PROPERTY
@given(batch=st.decimals(min_value=D("0.1"), max_value=D(1000), places=1),
       actions=st.lists(st.tuples(st.sampled_from(DISPOSAL_ACTIONS),
                                  st.decimals(min_value=D(0), max_value=D(500), places=1)), max_size=6))
def test_property_accounted_exactly_when_nothing_remains(batch, actions):
    remaining = remaining_quantity(batch, actions)
    assert D(0) <= remaining <= batch
    assert is_accounted(batch, actions) == (remaining == 0)


@pytest.mark.parametrize("status, due, now, overdue", [
    pytest.param("confirmed", DEADLINE, DEADLINE, False, id="confirmed-at-due-time-not-overdue"),
    pytest.param("confirmed", DEADLINE, DEADLINE + SEC, True, id="confirmed-past-due-overdue"),
    pytest.param("stopped", DEADLINE, DEADLINE + SEC, True, id="stopped-past-due-overdue"),
    pytest.param("disputed", DEADLINE, DEADLINE + timedelta(days=5), False, id="disputed-clock-stopped"),
    pytest.param("released", DEADLINE, DEADLINE + timedelta(days=5), False, id="released-never-overdue"),
    pytest.param("disposed", DEADLINE, DEADLINE + timedelta(days=5), False, id="disposed-never-overdue"),
    pytest.param("confirmed", None, DEADLINE + timedelta(days=5), False, id="no-due-date-not-overdue"),
])
def test_is_overdue(status, due, now, overdue):
    assert is_overdue(status, due, now) is overdue


DUE = datetime(2026, 11, 21, 13, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("status,closed_at,now,expected", [
    ("disposed", DUE, DUE + timedelta(days=3), None),                       # closed on the second
    ("disposed", DUE + SEC, DUE + timedelta(days=3), D("0.0")),              # one second late
    ("disposed", DUE + timedelta(hours=5, minutes=30), DUE + timedelta(days=3), D("5.5")),
    ("confirmed", None, DUE + timedelta(hours=54, minutes=30), D("54.5")),  # open: late as of now
    ("stopped", None, DUE, None),                                           # not yet past
    ("disputed", None, DUE + timedelta(hours=2), D("2.0")),
    ("released", DUE + timedelta(days=2), DUE + timedelta(days=3), None),   # laboratory negative
])
def test_hours_overdue(status, closed_at, now, expected):
    assert hours_overdue(status, DUE, closed_at, now) == expected


def test_hours_overdue_without_a_deadline():
    assert hours_overdue("stopped", None, None, DUE + timedelta(days=9)) is None
