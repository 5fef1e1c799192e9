"""POST /api/v1/batches/<code>/results: judging from the raw signals (domain.md §3)."""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import SHANGHAI, assert_error, audit_entries, batch_by_code, local_iso, parse_api_time


@pytest.fixture
def new_batch(api, world, now):
    def make(food="青菜", tests=("OPC",), site=None, stall=None, quantity_kg=10):
        r = api.register(world.tech, site=(site or world.site_a).code, stall=(stall or world.stall_a1).code, food=food,
                         sampled_at=local_iso(now - timedelta(hours=3)), tests=list(tests), quantity_kg=quantity_kg)
        assert r.status_code == 201, r.get_json()
        return r.get_json()["code"]

    return make


def t_at(now, minutes_ago=60):
    return local_iso(now - timedelta(minutes=minutes_ago))


def only_result(api, user, code):
    results = api.batch(user, code)["results"]
    assert len(results) == 1
    return results[0]


# --- enzyme inhibition --------------------------------------------------------------------------


def test_inhibition_by_value(api, world, now, new_batch):
    code = new_batch()
    r = api.result(world.tech, code, item="OPC", value=63.5, tested_at=t_at(now))
    assert r.status_code == 201, r.get_json()
    res = r.get_json()
    assert res["item"] == "OPC" and res["outcome"] == "positive"
    assert res["computed_value"] == 63.5 and res["cutoff"] == 50
    assert res["disagrees"] is False and res["instrument_outcome"] is None
    assert res["reviewed"] is False and res["version"] == 1 and res["current"] is True

    code2 = new_batch()
    res = api.result(world.tech, code2, item="OPC", value="49.9", tested_at=t_at(now)).get_json()
    assert res["outcome"] == "negative"
    assert api.batch(world.tech, code2)["status"] == "passed"


def test_inhibition_cutoff_is_inclusive_and_method_specific(api, world, now, new_batch):
    code = new_batch()
    assert api.result(world.tech, code, item="OPC", value=50, tested_at=t_at(now)).get_json()["outcome"] == "positive"
    code = new_batch(tests=("OPC-NY",))
    res = api.result(world.tech, code, item="OPC-NY", value=65, tested_at=t_at(now)).get_json()
    assert res["outcome"] == "negative" and res["cutoff"] == 70


def test_inhibition_recomputed_from_signals(api, world, now, new_batch):
    code = new_batch()
    # (0.500 − 0.200) / 0.500 × 100 = 60.0 %
    res = api.result(world.tech, code, item="OPC", signals={"control_delta": 0.5, "sample_delta": 0.2},
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "positive" and res["computed_value"] == 60
    assert res["signals"]["control_delta"] == 0.5 and res["signals"]["sample_delta"] == 0.2
    assert res["disagrees"] is False and res["signal_mismatch"] is False


def test_printed_value_matching_signals_does_not_disagree(api, world, now, new_batch):
    code = new_batch()
    res = api.result(world.tech, code, item="OPC", value=60.4, signals={"control_delta": "0.5", "sample_delta": "0.2"},
                     tested_at=t_at(now)).get_json()
    assert res["disagrees"] is False and res["computed_value"] == 60


def test_printed_value_not_matching_signals_disagrees(api, world, now, new_batch):
    code = new_batch()
    # the instrument printed 30 % but its own signals give 60 %: ours wins, and the reviewer is told
    res = api.result(world.tech, code, item="OPC", value=30, signals={"control_delta": 0.5, "sample_delta": 0.2},
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "positive" and res["computed_value"] == 60
    assert res["disagrees"] is True and res["signal_mismatch"] is True
    assert api.batch(world.tech, code)["results"][0]["disagrees"] is True


def test_invalid_control_makes_the_result_invalid_and_the_batch_retest(api, world, now, new_batch):
    code = new_batch()
    res = api.result(world.tech, code, item="OPC", value=80,
                     signals={"control_delta": 0.25, "sample_delta": 0.05}, tested_at=t_at(now)).get_json()
    assert res["outcome"] == "invalid"
    b = api.batch(world.tech, code)
    assert b["status"] == "retest" and b["disposition"] is None
    # at the limit the control is valid
    code = new_batch()
    res = api.result(world.tech, code, item="OPC", signals={"control_delta": 0.3, "sample_delta": 0.27},
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "negative" and res["computed_value"] == 10


def test_inhibition_above_100_is_invalid(api, world, now, new_batch):
    code = new_batch()
    assert api.result(world.tech, code, item="OPC", value=130, tested_at=t_at(now)).get_json()["outcome"] == "invalid"
    assert api.batch(world.tech, code)["status"] == "retest"


# --- colloidal gold ----------------------------------------------------------------------------


def test_gold_item_defaults_ratio_mode(api, world, now, new_batch):
    code = new_batch(food="猪肉", tests=("CLB",))
    # item default: ratio mode, A 0.5, B 0.8 → T/C 0.7 is suspect
    res = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 70}, tested_at=t_at(now)).get_json()
    assert res["outcome"] == "suspect" and res["computed_value"] == 0.7
    assert api.batch(world.tech, code)["status"] == "retest"


def test_gold_lot_thresholds_override_the_items(api, world, now, new_batch, make_lot, commit):
    lot = make_lot("CLB", lot="KJ-LINE-01", mode="line", c_min=10, a=30, b=60)
    commit()
    # line mode with the lot's A/B: T 70 ≥ B 60 → negative (the item's ratio rule would say suspect)
    code = new_batch(food="猪肉", tests=("CLB",))
    res = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 70}, reagent_lot=lot.lot,
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "negative" and res["computed_value"] == 70 and res["cutoff"] == 60
    assert res["reagent_lot"] == "KJ-LINE-01"
    assert api.batch(world.tech, code)["status"] == "passed"
    # T 45 between A and B → suspect (the item's ratio rule: 0.45 ≤ 0.5 → positive)
    code = new_batch(food="猪肉", tests=("CLB",))
    res = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 45}, reagent_lot=str(lot.id),
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "suspect"
    # T 30 = A → positive; C ≤ C_min → invalid card
    code = new_batch(food="猪肉", tests=("CLB",))
    assert api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 30}, reagent_lot=lot.lot,
                      tested_at=t_at(now)).get_json()["outcome"] == "positive"
    code = new_batch(food="猪肉", tests=("CLB",))
    assert api.result(world.tech, code, item="CLB", signals={"c": 10, "t": 90}, reagent_lot=lot.lot,
                      tested_at=t_at(now)).get_json()["outcome"] == "invalid"


def test_gold_lot_in_ratio_mode_with_own_thresholds(api, world, now, new_batch, make_lot, commit):
    lot = make_lot("CLB", lot="KJ-RATIO-02", mode="ratio", a=0.3, b=0.6)
    commit()
    code = new_batch(food="猪肉", tests=("CLB",))
    # T/C 0.45: the item's rule says positive (≤ 0.5); the lot's says suspect (0.3 < 0.45 < 0.6)
    res = api.result(world.tech, code, item="CLB", value=0.45, reagent_lot=lot.lot, tested_at=t_at(now)).get_json()
    assert res["outcome"] == "suspect"


def test_instrument_word_differing_from_ours_disagrees(api, world, now, new_batch):
    code = new_batch(food="猪肉", tests=("CLB",))
    res = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 20}, instrument_outcome="阴性",
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "positive" and res["instrument_outcome"] == "negative"
    assert res["instrument_word"] == "阴性" and res["disagrees"] is True and res["signal_mismatch"] is False
    code = new_batch(food="猪肉", tests=("CLB",))
    res = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 90}, instrument_outcome="合格",
                     tested_at=t_at(now)).get_json()
    assert res["outcome"] == "negative" and res["instrument_outcome"] == "negative" and res["disagrees"] is False
    code = new_batch()
    res = api.result(world.tech, code, item="OPC", value=20, instrument_outcome="超标", tested_at=t_at(now)).get_json()
    assert res["instrument_outcome"] == "positive" and res["disagrees"] is True


def test_visual_reading_and_not_detected_words(api, world, now, new_batch):
    code = new_batch(food="猪肉", tests=("CLB", "RAC"))
    res = api.result(world.tech, code, item="CLB", qualitative="negative", tested_at=t_at(now)).get_json()
    assert res["outcome"] == "negative" and res["value"] is None
    res = api.result(world.tech, code, item="RAC", value="未检出", tested_at=t_at(now)).get_json()
    # "未检出" stays a qualitative value: never 0
    assert res["outcome"] == "negative" and res["value"] is None and res["value_text"] == "未检出"
    assert api.batch(world.tech, code)["status"] == "passed"


def test_item_by_name(api, world, now, new_batch):
    code = new_batch(food="猪肉", tests=("CLB",))
    res = api.result(world.tech, code, item="克伦特罗", value=0.9, tested_at=t_at(now)).get_json()
    assert res["item"] == "CLB" and res["outcome"] == "negative"


# --- refusals ----------------------------------------------------------------------------------


def assert_no_results(db, code):
    from lims.models import Result

    batch = batch_by_code(db, code)
    assert db.session.execute(sa.select(sa.func.count(Result.id)).where(Result.batch_id == batch.id)).scalar() == 0
    assert batch.status == "registered"


@pytest.mark.parametrize("value", ["abc", "1.2.3", "", "NaN"])
def test_value_not_a_number_is_422(api, world, now, new_batch, db, value):
    code = new_batch()
    r = api.result(world.tech, code, item="OPC", value=value, tested_at=t_at(now))
    err = assert_error(r, 422, "value")
    if value == "abc":
        assert "abc" in err["errors"]["value"][0]
    assert_no_results(db, code)


@pytest.mark.parametrize("value", [True, [1], {"v": 1}])
def test_value_of_wrong_json_type_is_422(api, world, now, new_batch, value):
    code = new_batch()
    assert_error(api.result(world.tech, code, item="OPC", value=value, tested_at=t_at(now)), 422, "value")


def test_bad_signal_is_422_naming_it(api, world, now, new_batch):
    code = new_batch()
    assert_error(api.result(world.tech, code, item="OPC", signals={"control_delta": "x", "sample_delta": 0.1},
                            tested_at=t_at(now)), 422, "control_delta")


def test_nothing_to_judge_is_422(api, world, now, new_batch):
    code = new_batch()
    assert_error(api.result(world.tech, code, item="OPC", tested_at=t_at(now)), 422, "value")


def test_unknown_item_is_422(api, world, now, new_batch):
    code = new_batch()
    assert_error(api.result(world.tech, code, item="XYZ", value=1, tested_at=t_at(now)), 422, "item")


def test_bad_qualitative_word_is_422(api, world, now, new_batch):
    code = new_batch()
    assert_error(api.result(world.tech, code, item="OPC", qualitative="maybe", tested_at=t_at(now)), 422, "qualitative")


def test_expired_lot_is_422(api, world, now, new_batch, make_lot, commit, db):
    today = now.astimezone(SHANGHAI).date()
    old = make_lot("CLB", lot="OLD-1", expires_on=today - timedelta(days=1))
    edge = make_lot("CLB", lot="EDGE-1", expires_on=today)
    commit()
    code = new_batch(food="猪肉", tests=("CLB",))
    err = assert_error(api.result(world.tech, code, item="CLB", value=0.9, reagent_lot=old.lot,
                                  tested_at=t_at(now, 5)), 422, "reagent_lot")
    assert (today - timedelta(days=1)).isoformat() in err["errors"]["reagent_lot"][0]
    assert_no_results(db, code)
    # a lot expiring today is still good today
    assert api.result(world.tech, code, item="CLB", value=0.9, reagent_lot=edge.lot,
                      tested_at=t_at(now, 5)).status_code == 201


def test_expiry_is_judged_on_the_local_test_date(api, world, now, make_lot, commit):
    """A lot that expired on day D−1 (local) used at 00:30 local on day D → refused, although
    00:30 local is still day D−1 in UTC."""
    local_now = now.astimezone(SHANGHAI)
    day = local_now.date() if local_now.hour >= 1 else local_now.date() - timedelta(days=1)
    lot = make_lot("CLB", lot="MIDNIGHT", expires_on=day - timedelta(days=1))
    commit()
    at = local_now.replace(year=day.year, month=day.month, day=day.day, hour=0, minute=30, second=0, microsecond=0)
    assert at.astimezone(timezone.utc).date() == day - timedelta(days=1)
    r = api.register(world.tech, site=world.site_a.code, stall=world.stall_a1.code, food="猪肉",
                     sampled_at=(at - timedelta(hours=1)).replace(tzinfo=None).isoformat(), tests=["CLB"])
    code = r.get_json()["code"]
    r = api.result(world.tech, code, item="CLB", value=0.9, reagent_lot=lot.lot,
                   tested_at=at.replace(tzinfo=None).isoformat())
    assert_error(r, 422, "reagent_lot")


def test_unknown_lot_or_lot_of_other_item_is_422(api, world, now, new_batch, make_lot, commit):
    mg_lot = make_lot("MG", lot="MG-LOT")
    commit()
    code = new_batch(food="猪肉", tests=("CLB",))
    assert_error(api.result(world.tech, code, item="CLB", value=0.9, reagent_lot="NOPE", tested_at=t_at(now)),
                 422, "reagent_lot")
    assert_error(api.result(world.tech, code, item="CLB", value=0.9, reagent_lot=mg_lot.lot, tested_at=t_at(now)),
                 422, "reagent_lot")


def test_future_tested_at_is_422(api, world, now, new_batch, db):
    code = new_batch()
    assert_error(api.result(world.tech, code, item="OPC", value=10, tested_at=local_iso(now + timedelta(minutes=20))),
                 422, "tested_at")
    assert_error(api.result(world.tech, code, item="OPC", value=10, tested_at="20.11.2026"), 422, "tested_at")
    assert_error(api.result(world.tech, code, item="OPC", value=10), 422, "tested_at")
    assert_no_results(db, code)


def test_tested_before_sampling_is_422(api, world, now, new_batch):
    code = new_batch()  # sampled 3 h ago
    assert_error(api.result(world.tech, code, item="OPC", value=10, tested_at=t_at(now, 5 * 60)), 422, "tested_at")


def test_item_not_for_the_category_needs_confirmation(api, world, now, new_batch, db):
    code = new_batch(food="青菜", tests=("OPC",))
    err = assert_error(api.result(world.tech, code, item="CLB", value=0.9, tested_at=t_at(now)), 422, "item")
    assert "克伦特罗" in err["errors"]["item"][0]
    assert_no_results(db, code)
    r = api.result(world.tech, code, item="CLB", value=0.9, tested_at=t_at(now), confirm_warnings=True)
    assert r.status_code == 201 and r.get_json()["outcome"] == "negative"
    # the confirmed item joins the batch's tests
    b = api.batch(world.tech, code)
    assert b["tests"] == ["OPC", "CLB"] and b["status"] == "testing"


def test_result_on_unknown_batch_is_404(api, world, now):
    assert_error(api.result(world.tech, "NOPE-0000", item="OPC", value=1, tested_at=t_at(now)), 404)


@pytest.mark.parametrize("role", ["market_manager", "regulator"])
def test_result_roles(api, world, now, new_batch, role):
    code = new_batch()
    user = world.manager_a if role == "market_manager" else world.regulator
    assert_error(api.result(user, code, item="OPC", value=1, tested_at=t_at(now)), 403)


# --- status ------------------------------------------------------------------------------------


def test_positive_stops_the_batch_and_opens_a_disposition(api, world, now, new_batch, db):
    from lims.models import Disposition

    code = new_batch(food="猪肉", tests=("CLB", "RAC"))
    res = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 20}, tested_at=t_at(now)).get_json()
    assert res["outcome"] == "positive"
    b = api.batch(world.tech, code)
    assert b["status"] == "stopped" and b["verdict"] == "positive"
    d = b["disposition"]
    assert d["status"] == "stopped" and d["notified_at"] is None and d["objection_deadline"] is None
    assert d["objection_window_open"] is False and d["overdue"] is False and d["disposals"] == []
    assert d["remaining_kg"] == 10
    batch = batch_by_code(db, code)
    disp = db.session.execute(sa.select(Disposition).where(Disposition.batch_id == batch.id)).scalar_one()
    assert disp.status == "stopped" and disp.result_id == res["id"]
    # the batch's status, stopped by the result: written with the result's entry
    assert [e.action for e in audit_entries(db, batch.id)] == ["batch.create", "result.create", "batch.state",
                                                               "disposition.open"]
    # a later negative RAC or a negative repeat of CLB does not clear it: only the laboratory can
    api.result(world.tech, code, item="RAC", value=0.9, tested_at=t_at(now, 30))
    api.result(world.tech, code, item="CLB", value=0.9, tested_at=t_at(now, 20))
    b = api.batch(world.tech, code)
    assert b["status"] == "stopped" and b["verdict"] == "positive"
    assert db.session.execute(sa.select(sa.func.count(Disposition.id)).where(Disposition.batch_id == batch.id)).scalar() == 1


def test_status_follows_results(api, world, now, new_batch):
    code = new_batch(food="猪肉", tests=("CLB", "RAC"))
    assert api.batch(world.tech, code)["status"] == "registered"
    api.result(world.tech, code, item="CLB", value=0.9, tested_at=t_at(now))
    b = api.batch(world.tech, code)
    assert b["status"] == "testing" and b["verdict"] is None
    api.result(world.tech, code, item="RAC", value=0.9, tested_at=t_at(now))
    b = api.batch(world.tech, code)
    assert b["status"] == "passed" and b["verdict"] == "negative"


@pytest.mark.parametrize("first", [{"signals": {"c": 100, "t": 65}},            # suspect
                                   {"signals": {"c": 0.05, "t": 0.04}}])          # invalid card (C ≤ C_min 0.1)
def test_repeat_after_suspect_or_invalid_passes(api, world, now, new_batch, first):
    code = new_batch(food="猪肉", tests=("CLB",))
    out = api.result(world.tech, code, item="CLB", tested_at=t_at(now, 50), **first).get_json()["outcome"]
    assert out in ("suspect", "invalid")
    b = api.batch(world.tech, code)
    assert b["status"] == "retest" and b["verdict"] == "suspect"
    api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 95}, tested_at=t_at(now, 20))
    b = api.batch(world.tech, code)
    assert b["status"] == "passed" and b["verdict"] == "negative"
    assert [r["outcome"] for r in b["results"]] == [out, "negative"]  # both kept
    assert b["disposition"] is None


def test_repeat_after_invalid_control_passes(api, world, now, new_batch):
    code = new_batch()
    api.result(world.tech, code, item="OPC", signals={"control_delta": 0.2, "sample_delta": 0.1}, tested_at=t_at(now, 50))
    assert api.batch(world.tech, code)["status"] == "retest"
    api.result(world.tech, code, item="OPC", signals={"control_delta": 0.6, "sample_delta": 0.55}, tested_at=t_at(now, 30))
    assert api.batch(world.tech, code)["status"] == "passed"


def test_repeat_that_is_positive_stops(api, world, now, new_batch):
    code = new_batch(food="猪肉", tests=("CLB",))
    api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 65}, tested_at=t_at(now, 50))
    api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 10}, tested_at=t_at(now, 20))
    b = api.batch(world.tech, code)
    assert b["status"] == "stopped" and b["disposition"]["status"] == "stopped"


def test_result_response_times_are_local_with_offset(api, world, now, new_batch):
    code = new_batch()
    at = (now - timedelta(minutes=61)).replace(microsecond=0)
    res = api.result(world.tech, code, item="OPC", value=10, tested_at=local_iso(at)).get_json()
    assert res["tested_at"].endswith("+08:00") and parse_api_time(res["tested_at"]) == at
    assert res["tester"] == "检测员甲"


def test_result_is_audited_with_actor_ip_and_snapshot(api, world, now, new_batch, db):
    code = new_batch()
    api.result(world.tech, code, item="OPC", value=30, signals={"control_delta": 0.5, "sample_delta": 0.2},
               instrument_outcome="阴性", tested_at=t_at(now))
    batch = batch_by_code(db, code)
    (e,) = audit_entries(db, batch.id, "result.create")
    assert e.user_id == world.tech.id and e.actor == world.tech.username and e.ip == "127.0.0.1"
    assert e.before is None
    a = e.after
    assert a["item"] == "OPC" and a["outcome"] == "positive" and a["version"] == 1
    assert a["instrument_word"] == "阴性" and a["instrument_outcome"] == "negative"
    assert a["disagrees"] is True and a["signal_mismatch"] is True
    assert a["batch_status"] == "stopped"
    assert a["control_delta"] is not None and a["computed_value"] is not None


def test_the_instrument_is_recorded_by_its_serial_and_an_unknown_one_is_422(api, world, now, new_batch, db, commit,
                                                                           admin_actor):
    from lims.reference.services import create_instrument

    create_instrument(admin_actor, serial="NC-2024-0117", model="农残速测仪", maker="某仪器厂", channels=12)
    commit()
    code = new_batch()
    assert_error(api.result(world.tech, code, item="OPC", value=12.0, tested_at=t_at(now), instrument="NC-9999"),
                 422, "instrument")
    r = api.result(world.tech, code, item="OPC", value=12.0, tested_at=t_at(now), instrument=" NC-2024-0117 ")
    assert r.status_code == 201, r.get_json()
    assert only_result(api, world.tech, code)["instrument"] == "NC-2024-0117"
