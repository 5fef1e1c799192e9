"""After a positive (domain.md §5, §6): notification, the 4-hour objection window, the
laboratory retest, disposal and its deadline — over the API."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.lifecycle.conftest import assert_error, audit_entries, batch_by_code, local_iso, offset_iso, parse_api_time

LAB = "市食品检验检测中心"
LAB_METHOD = "GB/T 21313-2007"  # liquid chromatography–tandem MS: not a rapid method


@pytest.fixture
def positive(world, svc, commit, ctx):
    """A positive clenbuterol batch at site A (10 kg unless told otherwise): its code."""

    def make(quantity_kg=10, site=None, stall=None):
        b = svc.positive(world.tech, site or world.site_a, stall or world.stall_a1, quantity_kg=quantity_kg)
        commit()
        return b.code

    return make


def notify(api, user, code, notified_at, **kw):
    return api.post(f"/api/v1/batches/{code}/notify", user, {"notified_at": notified_at, **kw})


def objection(api, user, code, requested_at, method=LAB_METHOD, lab=LAB, **kw):
    return api.post(f"/api/v1/batches/{code}/objection", user,
                    {"requested_at": requested_at, "lab": lab, "method": method, **kw})


def lab_result(api, user, code, outcome, report_no="JC-2026-0001", **kw):
    return api.post(f"/api/v1/batches/{code}/lab-result", user,
                    {"lab": LAB, "report_no": report_no, "outcome": outcome, **kw})


def disposal(api, user, code, action, kg, done_at, **kw):
    return api.post(f"/api/v1/batches/{code}/disposals", user,
                    {"action": action, "quantity_kg": kg, "done_at": done_at, **kw})


def ago(now, **kw):
    return local_iso(now - timedelta(**kw))


def expired_window(api, world, code, now, hours=5):
    """Notify ``hours`` ago, so that the 4-hour window has passed unused."""
    r = notify(api, world.manager_a, code, ago(now, hours=hours))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# --- notification ------------------------------------------------------------------------------


def test_notify_starts_a_four_hour_window(api, world, now, db, positive):
    code = positive()
    at = (now - timedelta(minutes=10)).replace(microsecond=0)
    r = notify(api, world.manager_a, code, local_iso(at), person="张三")
    assert r.status_code == 200, r.get_json()
    d = r.get_json()["disposition"]
    assert parse_api_time(d["notified_at"]) == at
    assert parse_api_time(d["objection_deadline"]) - parse_api_time(d["notified_at"]) == timedelta(hours=4)
    assert parse_api_time(d["objection_deadline"]) == at + timedelta(hours=4)
    assert d["objection_deadline"].endswith("+08:00")
    assert d["objection_window_open"] is True and d["status"] == "stopped"
    assert parse_api_time(d["disposal_due_at"]) == at + timedelta(hours=4 + 24)
    assert d["overdue"] is False
    assert r.get_json()["status"] == "stopped"
    batch = batch_by_code(db, code)
    assert batch.disposition.notified_by_id == world.manager_a.id and batch.disposition.notified_person == "张三"
    (e,) = audit_entries(db, batch.id, "disposition.notify")
    assert e.user_id == world.manager_a.id and e.ip == "127.0.0.1"
    assert e.after["person"] == "张三"
    assert parse_api_time(e.after["objection_deadline"]) == at + timedelta(hours=4)


def test_notify_with_an_offset_time(api, world, now, positive):
    code = positive()
    at = (now - timedelta(minutes=30)).replace(microsecond=0)
    d = notify(api, world.tech, code, offset_iso(at)).get_json()["disposition"]
    assert parse_api_time(d["objection_deadline"]) == at + timedelta(hours=4)


def test_notify_twice_is_409(api, world, now, positive, db):
    code = positive()
    first = ago(now, minutes=20)
    assert notify(api, world.tech, code, first).status_code == 200
    assert_error(notify(api, world.manager_a, code, ago(now, minutes=5)), 409)
    d = api.batch(world.tech, code)["disposition"]
    assert d["notified_at"].startswith(first[:16])


def test_notify_in_the_future_is_422(api, world, now, positive):
    code = positive()
    assert_error(notify(api, world.tech, code, local_iso(now + timedelta(hours=1))), 422)
    assert api.batch(world.tech, code)["disposition"]["notified_at"] is None


def test_notify_without_a_positive_is_409(api, world, now, svc, ctx, commit):
    b = svc.batch(world.tech, world.site_a, world.stall_a1)
    commit()
    assert_error(notify(api, world.tech, b.code, ago(now, minutes=5)), 409)
    assert_error(notify(api, world.tech, "NOPE-0001", ago(now, minutes=5)), 404)


def test_late_notification_closes_the_window_at_once(api, world, now, positive, db):
    code = positive()
    b = expired_window(api, world, code, now, hours=5)
    assert b["status"] == "confirmed" and b["disposition"]["status"] == "confirmed"
    assert b["disposition"]["objection_window_open"] is False
    batch = batch_by_code(db, code)
    events = [e.action for e in audit_entries(db, batch.id) if not e.action.endswith(".state")]
    assert events[-2:] == ["disposition.notify", "disposition.window_closed"]


# --- objection ----------------------------------------------------------------------------------


def test_objection_inside_the_window_disputes(api, world, now, db, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=3))
    r = objection(api, world.manager_a, code, ago(now, minutes=5), applicant="张三", method="GB/T 21313-2007")
    assert r.status_code == 201, r.get_json()
    b = r.get_json()
    assert b["status"] == "disputed" and b["verdict"] == "positive"
    d = b["disposition"]
    assert d["status"] == "disputed" and d["disposal_due_at"] is None and d["overdue"] is False
    assert d["objection"]["lab"] == LAB and d["objection"]["method"] == "GB/T 21313-2007"
    assert d["objection"]["applicant"] == "张三" and d["objection"]["outcome"] is None
    assert api.batch(world.regulator, code)["status"] == "disputed"
    (e,) = audit_entries(db, batch_by_code(db, code).id, "disposition.objection")
    assert e.before == {"status": "stopped"} and e.after["status"] == "disputed"
    assert e.user_id == world.manager_a.id


def test_objection_at_the_deadline_is_still_in_time(api, world, now, positive):
    code = positive()
    at = (now - timedelta(hours=3, minutes=59)).replace(microsecond=0)
    notify(api, world.tech, code, local_iso(at))
    r = objection(api, world.reviewer, code, local_iso(at + timedelta(hours=4)))
    assert r.status_code == 201, r.get_json()


def test_objection_after_the_deadline_is_409(api, world, now, positive, db):
    code = positive()
    expired_window(api, world, code, now, hours=5)
    err = assert_error(objection(api, world.manager_a, code, ago(now, minutes=5)), 409)
    assert err["message"]
    b = api.batch(world.tech, code)
    assert b["status"] == "confirmed" and b["disposition"]["objection"] is None


def test_objection_requested_after_the_deadline_is_409_even_if_window_not_settled(ctx, db, world, svc, actor_of, now):
    """Service level, with explicit times: notified at T, objection asked at T+4h01."""
    from lims.dispositions import services as dispositions
    from lims.errors import Conflict

    t0 = now - timedelta(hours=6)
    b = svc.positive(world.tech, world.site_a, world.stall_a1, now=t0 - timedelta(minutes=1))
    dispositions.notify(actor_of(world.tech), b, t0, now=t0)
    with pytest.raises(Conflict):
        dispositions.object_to(actor_of(world.reviewer), b, t0 + timedelta(hours=4, minutes=1), LAB, LAB_METHOD,
                               now=t0 + timedelta(hours=4, minutes=1))
    assert b.disposition.status == "stopped" and b.disposition.objection is None


@pytest.mark.parametrize("method", ["KJ 201706", "GB/T 5009.199-2003", "胶体金", "胶体金免疫层析法", "NY/T 448-2001",
                                    "kj201706", "ＫＪ　２０１７０６", "快检", "酶抑制率法", "克伦特罗检测卡",
                                    "依据 KJ 202001", "农业农村部 KJ 201710"])
def test_objection_naming_a_rapid_method_is_422(api, world, now, positive, method):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    assert_error(objection(api, world.manager_a, code, ago(now, minutes=5), method=method), 422, "method")
    assert api.batch(world.tech, code)["status"] == "stopped"


def test_objection_before_notification_is_409(api, world, now, positive):
    code = positive()
    assert_error(objection(api, world.manager_a, code, ago(now, minutes=5)), 409)
    assert api.batch(world.tech, code)["status"] == "stopped"


def test_objection_requested_before_notification_time_is_422(api, world, now, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    assert_error(objection(api, world.manager_a, code, ago(now, hours=2)), 422)


def test_objection_twice_is_409(api, world, now, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    assert objection(api, world.manager_a, code, ago(now, minutes=30)).status_code == 201
    assert_error(objection(api, world.manager_a, code, ago(now, minutes=5)), 409)


def test_objection_missing_fields_is_422(api, world, now, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    r = api.post(f"/api/v1/batches/{code}/objection", world.manager_a, {"requested_at": ago(now, minutes=5)})
    err = assert_error(r, 422)
    assert {"lab", "method"} <= set(err["errors"])


def test_late_recorded_objection_asked_inside_the_window_is_accepted(ctx, db, world, svc, actor_of, now):
    """Recording may come late: asked at T+3h, recorded at T+5h → accepted."""
    from lims.dispositions import services as dispositions

    t0 = now - timedelta(hours=6)
    b = svc.positive(world.tech, world.site_a, world.stall_a1, now=t0 - timedelta(minutes=1))
    dispositions.notify(actor_of(world.tech), b, t0, now=t0)
    dispositions.object_to(actor_of(world.reviewer), b, t0 + timedelta(hours=3), LAB, LAB_METHOD,
                           now=t0 + timedelta(hours=5))
    assert b.disposition.status == "disputed" and b.status == "disputed"


def test_late_recorded_objection_is_accepted_after_a_stop_sale(ctx, db, world, svc, actor_of, now):
    """Writing down the window expiry (here by a stop_sale after the deadline) must not take away an
    objection requested inside the window and recorded late (it used to: 409)."""
    from lims.dispositions import services as dispositions

    t0 = now - timedelta(hours=6)
    b = svc.positive(world.tech, world.site_a, world.stall_a1, now=t0 - timedelta(minutes=1))
    dispositions.notify(actor_of(world.tech), b, t0, now=t0)
    dispositions.add_disposal(actor_of(world.manager_a), b, dispositions.DisposalInput(
        "stop_sale", Decimal(10), t0 + timedelta(hours=4, minutes=30)), now=t0 + timedelta(hours=4, minutes=30))
    assert b.disposition.status == "confirmed"
    dispositions.object_to(actor_of(world.reviewer), b, t0 + timedelta(hours=3), LAB, LAB_METHOD,
                           now=t0 + timedelta(hours=5))
    assert b.disposition.status == "disputed" and b.status == "disputed"


def test_late_recorded_notification_and_objection_over_the_api(api, world, now, positive):
    """A notification recorded late settles the window; an objection asked inside it still counts."""
    code = positive()
    notified = now - timedelta(hours=5)
    assert notify(api, world.manager_a, code, local_iso(notified)).get_json()["status"] == "confirmed"
    r = objection(api, world.manager_a, code, local_iso(notified + timedelta(hours=3)))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "disputed" and r.get_json()["disposition"]["disposal_due_at"] is None
    # but one asked after the deadline is still refused
    code2 = positive()
    notify(api, world.manager_a, code2, local_iso(notified))
    assert_error(objection(api, world.manager_a, code2, local_iso(notified + timedelta(hours=4, minutes=1))), 409)


# --- laboratory result --------------------------------------------------------------------------


def disputed(api, world, now, code):
    notify(api, world.tech, code, ago(now, hours=2))
    r = objection(api, world.manager_a, code, ago(now, hours=1))
    assert r.status_code == 201, r.get_json()


def test_lab_negative_releases(api, world, now, db, positive):
    code = positive()
    disputed(api, world, now, code)
    r = lab_result(api, world.regulator, code, "negative", value=0.1, fee=800)
    assert r.status_code == 201, r.get_json()
    b = r.get_json()
    assert b["status"] == "released" and b["verdict"] == "negative"
    d = b["disposition"]
    assert d["status"] == "released" and d["closed_at"] is not None and d["disposal_due_at"] is None
    assert d["objection"]["outcome"] == "negative" and d["objection"]["report_no"] == "JC-2026-0001"
    assert d["objection"]["fee"] == 800 and d["overdue"] is False
    assert api.batch(world.tech, code)["status"] == "released"
    # nothing more to dispose of
    assert_error(disposal(api, world.manager_a, code, "destroy", 1, ago(now, minutes=1)), 409)
    (e,) = audit_entries(db, batch_by_code(db, code).id, "disposition.lab_result")
    assert e.before == {"status": "disputed"} and e.after["status"] == "released" and e.after["outcome"] == "negative"


def test_lab_positive_confirms_and_starts_the_disposal_clock(api, world, now, positive):
    code = positive()
    disputed(api, world, now, code)
    received = (now - timedelta(minutes=30)).replace(microsecond=0)
    r = lab_result(api, world.manager_a, code, "positive", received_at=local_iso(received))
    assert r.status_code == 201
    b = r.get_json()
    assert b["status"] == "confirmed" and b["verdict"] == "positive"
    assert parse_api_time(b["disposition"]["disposal_due_at"]) == received + timedelta(hours=24)
    # now the food may be destroyed
    assert disposal(api, world.manager_a, code, "destroy", 10, ago(now, minutes=1)).get_json()["status"] == "disposed"


def test_lab_result_without_objection_is_409(api, world, now, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    assert_error(lab_result(api, world.reviewer, code, "negative"), 409)


def test_lab_result_twice_is_409(api, world, now, positive):
    code = positive()
    disputed(api, world, now, code)
    assert lab_result(api, world.reviewer, code, "positive").status_code == 201
    assert_error(lab_result(api, world.reviewer, code, "negative", report_no="JC-2"), 409)
    assert api.batch(world.tech, code)["status"] == "confirmed"


@pytest.mark.parametrize("body,field", [({"outcome": "suspect"}, "outcome"), ({"fee": -5}, "fee"),
                                        ({"report_no": ""}, "report_no")])
def test_lab_result_bad_input_is_422(api, world, now, positive, body, field):
    code = positive()
    disputed(api, world, now, code)
    payload = {"lab": LAB, "report_no": "JC-1", "outcome": "negative", **body}
    assert_error(api.post(f"/api/v1/batches/{code}/lab-result", world.reviewer, payload), 422, field)
    assert api.batch(world.tech, code)["status"] == "disputed"


# --- disposal -----------------------------------------------------------------------------------


def test_destroy_before_notification_is_409(api, world, now, positive):
    code = positive()
    assert_error(disposal(api, world.manager_a, code, "destroy", 10, ago(now, minutes=1)), 409)


@pytest.mark.parametrize("action", ["destroy", "harmless", "return"])
def test_destructive_action_during_the_open_window_is_409(api, world, now, positive, action):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    assert_error(disposal(api, world.manager_a, code, action, 10, ago(now, minutes=1)), 409)
    b = api.batch(world.tech, code)
    assert b["disposition"]["disposals"] == [] and b["status"] == "stopped"


@pytest.mark.parametrize("action", ["destroy", "harmless", "return"])
def test_destructive_action_while_the_objection_is_pending_is_409(api, world, now, positive, action):
    code = positive()
    disputed(api, world, now, code)
    assert_error(disposal(api, world.manager_a, code, action, 10, ago(now, minutes=1)), 409)
    assert api.batch(world.tech, code)["disposition"]["disposals"] == []


def test_stop_sale_and_seal_during_the_window_do_not_close(api, world, now, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    r = disposal(api, world.manager_a, code, "stop_sale", 10, ago(now, minutes=50), place="A-01档口")
    assert r.status_code == 201, r.get_json()
    r = disposal(api, world.manager_a, code, "seal", 10, ago(now, minutes=40), supervisor="市场监管所 刘")
    b = r.get_json()
    assert b["status"] == "stopped" and b["disposition"]["status"] == "stopped"
    assert b["disposition"]["remaining_kg"] == 10
    assert [a["action"] for a in b["disposition"]["disposals"]] == ["stop_sale", "seal"]


def test_disposal_after_the_window_closes_when_the_quantity_is_accounted_for(api, world, now, db, positive):
    code = positive(quantity_kg=10)
    expired_window(api, world, code, now)
    r = disposal(api, world.manager_a, code, "stop_sale", 10, ago(now, minutes=30))
    assert r.get_json()["disposition"]["status"] == "confirmed"
    r = disposal(api, world.manager_a, code, "destroy", 4, ago(now, minutes=20), place="无害化处理场",
                 supervisor="刘监管", note="第一批")
    assert r.status_code == 201, r.get_json()
    b = r.get_json()
    assert b["status"] == "confirmed" and b["disposition"]["remaining_kg"] == 6
    # more than what is left: refused, nothing recorded
    err = assert_error(disposal(api, world.manager_a, code, "destroy", 6.5, ago(now, minutes=10)), 422, "quantity_kg")
    assert err["errors"]["quantity_kg"]
    assert len(api.batch(world.tech, code)["disposition"]["disposals"]) == 2
    r = disposal(api, world.manager_a, code, "destroy", 6, ago(now, minutes=5))
    b = r.get_json()
    assert b["status"] == "disposed" and b["verdict"] == "positive"
    d = b["disposition"]
    assert d["status"] == "disposed" and d["closed_at"] is not None and d["remaining_kg"] == 0
    assert d["overdue"] is False
    assert [(a["action"], a["quantity_kg"]) for a in d["disposals"]] == [("stop_sale", 10), ("destroy", 4),
                                                                           ("destroy", 6)]
    # closed: nothing more
    assert_error(disposal(api, world.manager_a, code, "destroy", 1, ago(now, minutes=1)), 409)
    assert_error(disposal(api, world.manager_a, code, "seal", 1, ago(now, minutes=1)), 409)
    entries = audit_entries(db, batch_by_code(db, code).id, "disposition.disposal")
    assert len(entries) == 3
    assert entries[1].after["supervisor"] == "刘监管" and entries[1].reason == "第一批"
    assert entries[-1].after["status"] == "disposed"


def test_every_terminal_action_counts(api, world, now, positive):
    code = positive(quantity_kg=10)
    expired_window(api, world, code, now)
    for action, kg in (("harmless", 3), ("return", 3), ("recall", 2)):
        assert disposal(api, world.manager_a, code, action, kg, ago(now, minutes=10)).get_json()["status"] == "confirmed"
    b = disposal(api, world.manager_a, code, "destroy", 2, ago(now, minutes=5)).get_json()
    assert b["status"] == "disposed"


def test_stop_sale_and_seal_never_close(api, world, now, positive):
    code = positive(quantity_kg=10)
    expired_window(api, world, code, now)
    disposal(api, world.manager_a, code, "stop_sale", 10, ago(now, minutes=10))
    b = disposal(api, world.manager_a, code, "seal", 10, ago(now, minutes=5)).get_json()
    assert b["status"] == "confirmed" and b["disposition"]["closed_at"] is None
    assert b["disposition"]["remaining_kg"] == 10


def test_unknown_quantity_closes_at_the_first_terminal_action(api, world, now, positive):
    code = positive(quantity_kg=None)
    expired_window(api, world, code, now)
    b = disposal(api, world.manager_a, code, "destroy", 2.5, ago(now, minutes=5)).get_json()
    assert b["status"] == "disposed" and b["disposition"]["remaining_kg"] is None


@pytest.mark.parametrize("body,field", [({"action": "burn"}, "action"), ({"quantity_kg": -1}, "quantity_kg"),
                                        ({"done_at": "tomorrow"}, "done_at")])
def test_disposal_bad_input_is_422(api, world, now, positive, body, field):
    code = positive()
    expired_window(api, world, code, now)
    payload = {"action": "destroy", "quantity_kg": 1, "done_at": ago(now, minutes=1), **body}
    assert_error(api.post(f"/api/v1/batches/{code}/disposals", world.manager_a, payload), 422, field)


def test_disposal_in_the_future_is_422(api, world, now, positive):
    code = positive()
    expired_window(api, world, code, now)
    assert_error(disposal(api, world.manager_a, code, "destroy", 1, local_iso(now + timedelta(hours=1))), 422, "done_at")


def test_disposal_on_a_passed_batch_is_409(api, world, now, svc, ctx, commit):
    b = svc.batch(world.tech, world.site_a, world.stall_a1)
    svc.result(world.tech, b, tc_ratio=Decimal("0.9"))
    commit()
    assert_error(disposal(api, world.manager_a, b.code, "destroy", 1, ago(now, minutes=1)), 409)


def test_recall_waits_for_notification_and_the_window(api, world, now, positive):
    """A recall of the whole quantity would close the disposition: before notification or
    inside the window it would take the seller's objection away, so it is refused."""
    code = positive(quantity_kg=10)
    assert_error(disposal(api, world.manager_a, code, "recall", 10, ago(now, minutes=40)), 409)
    assert notify(api, world.manager_a, code, ago(now, minutes=30)).status_code == 200
    assert_error(disposal(api, world.manager_a, code, "recall", 10, ago(now, minutes=20)), 409)
    assert api.batch(world.tech, code)["disposition"]["status"] == "stopped"
    r = objection(api, world.manager_a, code, ago(now, minutes=5))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "disputed"


def test_terminal_action_needs_a_quantity(api, world, now, positive):
    code = positive(quantity_kg=10)
    expired_window(api, world, code, now)
    assert_error(disposal(api, world.manager_a, code, "destroy", 0, ago(now, minutes=5)), 422, "quantity_kg")
    assert api.batch(world.tech, code)["disposition"]["disposals"] == []


def test_no_action_may_cover_more_than_the_batch(api, world, now, positive):
    code = positive(quantity_kg=10)
    notify(api, world.manager_a, code, ago(now, hours=1))
    assert_error(disposal(api, world.manager_a, code, "stop_sale", 999, ago(now, minutes=5)), 422, "quantity_kg")
    assert disposal(api, world.manager_a, code, "stop_sale", 10, ago(now, minutes=5)).status_code == 201


# --- disposal deadline and overdue ---------------------------------------------------------------


def test_overdue_when_the_disposal_deadline_has_passed(api, world, now, positive):
    code = positive()
    notified = (now - timedelta(hours=30)).replace(microsecond=0)  # window closed 26 h ago, due 2 h ago
    b = notify(api, world.manager_a, code, local_iso(notified)).get_json()
    d = b["disposition"]
    assert parse_api_time(d["disposal_due_at"]) == notified + timedelta(hours=28)
    assert d["overdue"] is True and b["status"] == "confirmed"
    # a stop_sale does not end it; destroying everything does
    assert disposal(api, world.manager_a, code, "stop_sale", 10, ago(now, minutes=9)).get_json()["disposition"]["overdue"] is True
    d = disposal(api, world.manager_a, code, "destroy", 10, ago(now, minutes=5)).get_json()["disposition"]
    assert d["overdue"] is False and d["status"] == "disposed"


def test_not_overdue_before_the_disposal_deadline(api, world, now, positive):
    code = positive()
    d = expired_window(api, world, code, now, hours=5)["disposition"]  # due in 23 h
    assert d["overdue"] is False and d["status"] == "confirmed"


def test_disposal_deadline_hours_come_from_config(api, app, world, now, positive, monkeypatch):
    monkeypatch.setitem(app.config, "DISPOSAL_DEADLINE_HOURS", 48)
    code = positive()
    notified = (now - timedelta(hours=30)).replace(microsecond=0)
    d = notify(api, world.manager_a, code, local_iso(notified)).get_json()["disposition"]
    assert parse_api_time(d["disposal_due_at"]) == notified + timedelta(hours=4 + 48)
    assert d["overdue"] is False


def test_overdue_after_a_lab_confirmation(api, world, now, positive):
    code = positive()
    notify(api, world.tech, code, ago(now, hours=3))
    objection(api, world.manager_a, code, ago(now, hours=2, minutes=30))
    d = lab_result(api, world.regulator, code, "positive", received_at=ago(now, hours=1)).get_json()["disposition"]
    assert d["overdue"] is False
    # a disputed disposition is never overdue (the clock stops while the lab decides)
    code2 = positive()
    d2 = notify(api, world.tech, code2, ago(now, hours=3)).get_json()["disposition"]
    assert d2["disposal_due_at"] is not None
    d2 = objection(api, world.manager_a, code2, ago(now, hours=2, minutes=30)).get_json()["disposition"]
    assert d2["overdue"] is False and d2["disposal_due_at"] is None


def test_overdue_computed_with_explicit_now(ctx, db, world, svc, actor_of, now):
    from lims.batches.queries import batch_state
    from lims.dispositions import services as dispositions

    t0 = now - timedelta(days=3)
    b = svc.positive(world.tech, world.site_a, world.stall_a1, now=t0 - timedelta(minutes=1))
    dispositions.notify(actor_of(world.tech), b, t0, now=t0)
    due = t0 + timedelta(hours=28)
    assert b.disposition.disposal_due_at == due
    assert batch_state(b, t0 + timedelta(hours=3)).window_open is True
    assert batch_state(b, due).overdue is False
    assert batch_state(b, due + timedelta(seconds=1)).overdue is True
    assert batch_state(b, due + timedelta(seconds=1)).status == "confirmed"


# --- regulator ----------------------------------------------------------------------------------


def test_regulator_informed_once(api, world, now, positive, db):
    code = positive()
    at = (now - timedelta(minutes=15)).replace(microsecond=0)
    r = api.post(f"/api/v1/batches/{code}/regulator", world.manager_a, {"informed_at": local_iso(at)})
    assert r.status_code == 200, r.get_json()
    assert parse_api_time(r.get_json()["disposition"]["regulator_informed_at"]) == at
    r = api.post(f"/api/v1/batches/{code}/regulator", world.reviewer, {"informed_at": ago(now, minutes=1)})
    assert_error(r, 409)
    assert parse_api_time(api.batch(world.tech, code)["disposition"]["regulator_informed_at"]) == at
    assert len(audit_entries(db, batch_by_code(db, code).id, "disposition.inform_regulator")) == 1
    assert_error(api.post(f"/api/v1/batches/{code}/regulator", world.tech, {"informed_at": ago(now, minutes=1)}), 403)


def test_regulator_in_the_future_is_422(api, world, now, positive):
    code = positive()
    r = api.post(f"/api/v1/batches/{code}/regulator", world.manager_a, {"informed_at": local_iso(now + timedelta(hours=2))})
    assert_error(r, 422, "informed_at")


# --- who may do what ----------------------------------------------------------------------------

ROLE_USERS = {"technician": "tech", "reviewer": "reviewer", "market_manager": "manager_a", "regulator": "regulator",
              "admin": "admin"}


@pytest.mark.parametrize("role,allowed", [("technician", True), ("reviewer", True), ("market_manager", True),
                                          ("admin", True), ("regulator", False)])
def test_notify_roles(api, world, now, positive, role, allowed):
    code = positive()
    r = notify(api, getattr(world, ROLE_USERS[role]), code, ago(now, minutes=10))
    if allowed:
        assert r.status_code == 200, r.get_json()
    else:
        assert_error(r, 403)
        assert api.batch(world.tech, code)["disposition"]["notified_at"] is None


@pytest.mark.parametrize("role,allowed", [("reviewer", True), ("market_manager", True), ("regulator", True),
                                          ("admin", True), ("technician", False)])
def test_objection_lab_and_disposal_roles(api, world, now, positive, role, allowed):
    user = getattr(world, ROLE_USERS[role])
    # objection and lab result
    code = positive()
    notify(api, world.tech, code, ago(now, hours=1))
    r = objection(api, user, code, ago(now, minutes=30))
    if not allowed:
        assert_error(r, 403)
        assert api.batch(world.tech, code)["status"] == "stopped"
        objection(api, world.reviewer, code, ago(now, minutes=30))
        assert_error(lab_result(api, user, code, "negative"), 403)
        assert api.batch(world.tech, code)["status"] == "disputed"
    else:
        assert r.status_code == 201, r.get_json()
        assert lab_result(api, user, code, "negative").status_code == 201
        assert api.batch(world.tech, code)["status"] == "released"
    # disposal
    code = positive()
    expired_window(api, world, code, now)
    r = disposal(api, user, code, "destroy", 10, ago(now, minutes=5))
    if allowed:
        assert r.status_code == 201 and r.get_json()["status"] == "disposed"
    else:
        assert_error(r, 403)
        assert api.batch(world.tech, code)["disposition"]["disposals"] == []


# --- times that cannot be true ---------------------------------------------------------------------


def test_notification_before_the_positive_existed_is_refused(api, world, now, ctx, svc, commit):
    b = svc.batch(world.tech, world.site_a, world.stall_a1, quantity_kg=10, sampled_at=now - timedelta(hours=1))
    svc.result(world.tech, b, tc_ratio=Decimal("0.2"), tested_at=now - timedelta(minutes=30))
    commit()
    r = notify(api, world.manager_a, b.code, ago(now, hours=5))  # 4 h before sampling
    assert_error(r, 422)
    assert api.batch(world.tech, b.code)["status"] == "stopped"


def test_lab_result_received_in_the_future_is_422(api, world, now, positive):
    code = positive()
    disputed(api, world, now, code)
    r = lab_result(api, world.regulator, code, "positive", received_at=local_iso(now + timedelta(days=30)))
    assert_error(r, 422, "received_at")


def test_time_refusals_name_their_field(api, world, now, positive):
    code = positive()
    assert_error(notify(api, world.tech, code, local_iso(now + timedelta(hours=1))), 422, "notified_at")
    notify(api, world.tech, code, ago(now, hours=1))
    assert_error(objection(api, world.manager_a, code, ago(now, hours=2)), 422, "requested_at")
    assert_error(objection(api, world.manager_a, code, local_iso(now + timedelta(hours=1))), 422, "requested_at")


def test_new_positive_after_release_stops_the_batch_again(api, world, now, ctx, svc, commit):
    b = svc.batch(world.tech, world.site_a, world.stall_a1, tests=("CLB", "RAC"), quantity_kg=10,
                  sampled_at=now - timedelta(hours=4))
    svc.result(world.tech, b, item="CLB", tc_ratio=Decimal("0.2"), tested_at=now - timedelta(hours=3, minutes=50))
    commit()
    disputed(api, world, now, b.code)
    assert lab_result(api, world.regulator, b.code, "negative").get_json()["status"] == "released"
    r = api.result(world.tech, b.code, item="RAC", signals={"c": 100, "t": 10}, tested_at=ago(now, minutes=5))
    assert r.status_code == 201 and r.get_json()["outcome"] == "positive"
    got = api.batch(world.tech, b.code)
    assert got["status"] == "stopped" and got["verdict"] == "positive"
