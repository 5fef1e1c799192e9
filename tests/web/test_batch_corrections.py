"""Issue 13, "Correcting mistakes": a batch's registration data is corrected with a reason
(audited with old and new values, the row's seal rewritten) until its results are reviewed,
and through a second reviewer afterwards; a batch registered by mistake is voided with a
reason — kept, struck through, counted in no figure, no more results."""
from __future__ import annotations

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.accounts.access import Actor
from lims.audit.services import verify
from lims.batches import changes
from lims.batches.services import BatchInput, register_batch
from lims.database import utcnow
from lims.errors import Conflict, Forbidden, InvalidInput
from lims.i18n import format_local, to_local
from lims.models import AuditEntry, Batch, BatchChange
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result, review
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx, db):
    w = build_world(make_site, make_stall, make_user)
    w.stall_a2 = make_stall(site=w.site_a, code="A-02", operator="赵六")
    w.reviewer2 = make_user("reviewer")
    db.session.commit()
    return w


def _tech(world):
    return Actor(world.users["technician"], "test")


def _fresh_batch(world, db, food="芹菜", value=None, reviewed=False, at=None):
    """A batch at market A, stall A-01; with an OPC result when ``value`` is given."""
    tech = _tech(world)
    at = at or utcnow() - timedelta(hours=2)
    b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food=food, sampled_at=at,
                                        tests=[get_item("OPC")], quantity_kg=Decimal("8.5"),
                                        supplier_name="城郊蔬菜合作社"), now=at)
    if value is not None:
        r = record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=at + timedelta(minutes=20),
                                               value=Decimal(value)), now=at + timedelta(minutes=21))
        if reviewed:
            review(Actor(world.users["reviewer"], "test"), [r], now=at + timedelta(minutes=40))
    db.session.commit()
    return b


def _entries(db, batch, action):
    return db.session.execute(sa.select(AuditEntry).where(AuditEntry.batch_id == batch.id,
                                                          AuditEntry.action == action)
                              .order_by(AuditEntry.seq)).scalars().all()


def _reload(db, batch):
    db.session.expire_all()
    return db.session.get(Batch, batch.id)


# --- correcting before review ----------------------------------------------------------------


def test_a_technician_corrects_the_stall_on_the_page_and_the_trail_keeps_old_and_new(client, world, db):
    b = _fresh_batch(world, db, value="12.0")
    client.login(world.users["technician"])
    page = client.get(f"/batches/{b.code}/correct")
    assert page.status_code == 200 and "A-01" in page.get_data(as_text=True)
    form = {"stall": "A-02", "food": "芹菜", "category": b.category.code, "supplier": "城郊蔬菜合作社", "quantity_kg": "8.5",
            "sampled_at": format_local(b.sampled_at), "reason": "摊位号登记错了", "row_version": str(b.row_version)}
    r = client.post_form(f"/batches/{b.code}/correct", form, csrf_from=f"/batches/{b.code}/correct")
    assert r.status_code == 302, r.get_data(as_text=True)
    b = _reload(db, b)
    assert b.stall_id == world.stall_a2.id and b.quantity_kg == Decimal("8.5")
    [entry] = _entries(db, b, "batch.correct")
    assert entry.before == {"stall": "A-01"} and entry.after == {"stall": "A-02"}  # only what changed
    assert entry.reason == "摊位号登记错了" and entry.user_id == world.users["technician"].id
    assert entry.state["stall_id"] == world.stall_a2.id
    assert verify().ok  # the seal was rewritten by the code that wrote the change
    html = client.get(f"/batches/{b.code}").get_data(as_text=True)
    assert "更正登记信息：档口编号 A-01 → A-02" in html and "摊位号登记错了" in html


@pytest.mark.parametrize("values, reason, field", [
    ({"stall": "Z-99"}, "写错了", "stall"),  # no such stall at this market
    ({"quantity_kg": Decimal("-1")}, "写错了", "quantity_kg"),
    ({"food": ""}, "写错了", "food"),
    ({"sampled_at": utcnow() + timedelta(days=2)}, "写错了", "sampled_at"),
    ({"purchase_date": (utcnow() + timedelta(days=3)).date()}, "写错了", "purchase_date"),
    ({"stall": "A-02"}, "  ", "reason"),
    ({"colour": "red"}, "写错了", "colour"),
])
def test_a_bad_correction_names_the_field_and_changes_nothing(world, db, values, reason, field):
    b = _fresh_batch(world, db)
    seq = db.session.execute(sa.select(sa.func.max(AuditEntry.seq))).scalar()
    with pytest.raises(InvalidInput) as exc:
        changes.correct_batch(_tech(world), b, values, reason)
    assert field in exc.value.errors
    db.session.rollback()
    b = _reload(db, b)
    assert b.stall_id == world.stall_a.id and b.food == "芹菜" and b.quantity_kg == Decimal("8.5")
    assert db.session.execute(sa.select(sa.func.max(AuditEntry.seq))).scalar() == seq


def test_a_correction_that_changes_nothing_is_refused(world, db):
    b = _fresh_batch(world, db)
    with pytest.raises(InvalidInput):
        changes.correct_batch(_tech(world), b, {"stall": "a-01", "food": " 芹菜 ", "quantity_kg": "8.500"}, "没变")


def test_a_refused_correction_page_answers_422_keeps_the_input_and_changes_nothing(client, world, db):
    b = _fresh_batch(world, db)
    client.login(world.users["technician"])
    form = {"stall": "Z-99", "food": "菠菜", "sampled_at": format_local(b.sampled_at), "reason": "写错了"}
    r = client.post_form(f"/batches/{b.code}/correct", form, csrf_from=f"/batches/{b.code}/correct")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Z-99" in html and "菠菜" in html
    assert _reload(db, b).food == "芹菜"


def test_a_correction_made_on_a_stale_page_is_a_conflict(world, db):
    b = _fresh_batch(world, db)
    with pytest.raises(Conflict):
        changes.correct_batch(_tech(world), b, {"food": "菠菜"}, "写错了", expected_version=b.row_version - 1)


# --- after review: four eyes -------------------------------------------------------------------


def test_after_review_a_correction_waits_for_another_reviewer(client, world, db):
    b = _fresh_batch(world, db, value="12.0", reviewed=True)
    out = changes.correct_batch(_tech(world), b, {"food": "菠菜", "quantity_kg": "5"}, "品名登记错了")
    db.session.commit()
    assert not out.applied and out.change.status == "pending"
    b = _reload(db, b)
    assert b.food == "芹菜" and b.quantity_kg == Decimal("8.5")  # nothing changed yet
    [asked] = _entries(db, b, "batch.change_request")
    assert asked.before == {"food": "芹菜", "quantity_kg": "8.500"} and asked.after["food"] == "菠菜"
    # the page shows it waiting, with old and new values, and offers no second change
    client.login(world.users["reviewer"])
    html = client.get(f"/batches/{b.code}").get_data(as_text=True)
    assert "等待审核员" in html and "菠菜" in html and f"/batches/{b.code}/correct" not in html
    with pytest.raises(Conflict):
        changes.correct_batch(_tech(world), b, {"food": "韭菜"}, "又错了")
    db.session.rollback()
    r = client.post_form(f"/batches/changes/{out.change.id}", {"decision": "approve"}, csrf_from=f"/batches/{b.code}")
    assert r.status_code == 303
    b = _reload(db, b)
    assert b.food == "菠菜" and b.quantity_kg == Decimal("5")
    [entry] = _entries(db, b, "batch.correct")
    assert entry.user_id == world.users["reviewer"].id and entry.reason == "品名登记错了"
    assert entry.before == {"food": "芹菜", "quantity_kg": "8.500"}
    assert entry.after["food"] == "菠菜" and entry.after["requested_by"] == world.users["technician"].display_name
    assert verify().ok


def test_the_reviewer_who_asked_cannot_approve_their_own_request(world, db):
    b = _fresh_batch(world, db, value="12.0", reviewed=True)
    asker = Actor(world.users["reviewer"], "test")
    out = changes.correct_batch(asker, b, {"stall": "A-02"}, "摊位号错了")
    with pytest.raises(Forbidden):
        changes.decide_change(asker, out.change, approve=True)
    assert _reload(db, b).stall_id == world.stall_a.id
    with pytest.raises(Forbidden):  # a technician decides nothing
        changes.decide_change(_tech(world), out.change, approve=True)
    changes.decide_change(Actor(world.reviewer2, "test"), out.change, approve=True)
    assert _reload(db, b).stall_id == world.stall_a2.id


def test_a_rejection_needs_a_reason_and_changes_nothing(client, world, db):
    b = _fresh_batch(world, db, value="12.0", reviewed=True)
    out = changes.correct_batch(_tech(world), b, {"stall": "A-02"}, "摊位号错了")
    db.session.commit()
    client.login(world.users["reviewer"])
    client.post_form(f"/batches/changes/{out.change.id}", {"decision": "reject"}, csrf_from=f"/batches/{b.code}")
    db.session.expire_all()
    assert db.session.get(BatchChange, out.change.id).status == "pending"
    client.post_form(f"/batches/changes/{out.change.id}", {"decision": "reject", "note": "核对过，A-01 没错"},
                     csrf_from=f"/batches/{b.code}")
    db.session.expire_all()
    change = db.session.get(BatchChange, out.change.id)
    assert change.status == "rejected" and change.decision_note == "核对过，A-01 没错"
    assert _reload(db, b).stall_id == world.stall_a.id
    assert [e.reason for e in _entries(db, b, "batch.change_reject")] == ["核对过，A-01 没错"]


def test_the_pending_list_shows_requests_to_reviewers_only(client, world, db):
    b = _fresh_batch(world, db, value="12.0", reviewed=True)
    changes.correct_batch(_tech(world), b, {"stall": "A-02"}, "摊位号错了")
    db.session.commit()
    client.login(world.users["reviewer"])
    html = client.get("/batches/changes").get_data(as_text=True)
    assert b.code in html and "A-01" in html and "A-02" in html


def test_a_technician_has_no_pending_list(client, world):
    client.login(world.users["technician"])
    assert client.get("/batches/changes").status_code == 403


# --- voiding ------------------------------------------------------------------------------------


def test_a_batch_without_results_is_voided_at_once_and_shown_struck_through(client, world, db):
    b = _fresh_batch(world, db)
    client.login(world.users["technician"])
    r = client.post_form(f"/batches/{b.code}/void", {"reason": "重复登记"}, csrf_from=f"/batches/{b.code}/void")
    assert r.status_code == 302
    b = _reload(db, b)
    assert b.status == "voided" and b.void_reason == "重复登记" and b.voided_by_id == world.users["technician"].id
    [entry] = _entries(db, b, "batch.void")
    assert entry.before == {"status": "registered"} and entry.after == {"status": "voided"}
    assert entry.reason == "重复登记" and entry.state["status"] == "voided"
    assert verify().ok
    html = client.get(f"/batches/{b.code}").get_data(as_text=True)
    assert "<del>" in html and "重复登记" in html and "已作废" in html
    assert "保存结果" not in html  # no result can be added
    listing = client.get(f"/batches?q={b.code}").get_data(as_text=True)
    assert "batch-voided" in listing and "重复登记" in listing


def test_a_voided_batch_gets_no_result(world, db):
    b = _fresh_batch(world, db)
    changes.void_batch(_tech(world), b, "重复登记")
    with pytest.raises(Conflict):
        record_result(_tech(world), b, ResultInput(item=get_item("OPC"), tested_at=utcnow(), value=Decimal("5")))
    with pytest.raises(Conflict):
        changes.correct_batch(_tech(world), b, {"food": "菠菜"}, "写错了")
    with pytest.raises(Conflict):
        changes.void_batch(_tech(world), b, "再次")


def test_voiding_a_batch_with_results_needs_a_second_reviewer(world, db):
    b = _fresh_batch(world, db, value="12.0")
    out = changes.void_batch(Actor(world.users["reviewer"], "test"), b, "登记错了市场")
    assert not out.applied and _reload(db, b).status != "voided"
    with pytest.raises(Forbidden):
        changes.decide_change(Actor(world.users["reviewer"], "test"), out.change, approve=True)
    changes.decide_change(Actor(world.reviewer2, "test"), out.change, approve=True)
    b = _reload(db, b)
    assert b.status == "voided" and b.void_reason == "登记错了市场"


def test_a_positive_being_followed_up_is_not_voided(world, db):
    with pytest.raises(Conflict):
        changes.void_batch(Actor(world.users["reviewer"], "test"), world.batch_a, "不想要了")
    assert _reload(db, world.batch_a).status != "voided"


def test_a_voided_batch_is_counted_in_no_figure(client, world, db):
    """Monthly figures, ratings, the dashboard's daily counts, the notice board, the stall's
    public page, the results export and the home counts all leave a voided batch out."""
    from lims.home.services import overview
    from lims.public.services import stall_results
    from lims.reporting import figures
    from lims.reporting.board import board_entries
    from lims.reporting.exports import _rows

    now = utcnow()
    at = now - timedelta(hours=3)
    keep = _fresh_batch(world, db, food="菠菜", value="12.0", reviewed=True, at=at)
    gone = _fresh_batch(world, db, food="空心菜", value="15.0", reviewed=True, at=at)
    admin = Actor(world.users["admin"], "test")
    scope = figures.Scope(frozenset({world.site_a.id}), world.site_a.name, "site")
    day = to_local(at + timedelta(minutes=20)).date()  # the day of the tests (after 03:00 Shanghai time: today)
    start, end = figures.month_bounds(day)

    def counts():
        db.session.expire_all()
        head = figures.headline(scope, start, end, now)
        return {
            "batches": head.batches, "tests": head.tests,
            "daily": sum(d.tests for d in figures.daily(scope, start, end)),
            "board": sorted(e.food for e in board_entries(world.site_a, day, now=now)),
            "public": sorted(p.food for p in stall_results(world.stall_a, now, "zh_Hans_CN")),
            "export": sorted(r.food for r in _rows(admin, day, day)),
            "home": overview(admin, now).results_today,
        }

    before = counts()
    assert "空心菜" in before["board"] and "空心菜" in before["public"] and "空心菜" in before["export"]
    out = changes.void_batch(_tech(world), gone, "重复登记")
    changes.decide_change(Actor(world.reviewer2, "test"), out.change, approve=True)
    db.session.commit()
    after = counts()
    assert after["batches"] == before["batches"] - 1 and after["tests"] == before["tests"] - 1
    assert after["daily"] == before["daily"] - 1
    assert "空心菜" not in after["board"] and "菠菜" in after["board"]
    assert "空心菜" not in after["public"] and "菠菜" in after["public"]
    assert "空心菜" not in after["export"] and "菠菜" in after["export"]
    if to_local(at).date() == to_local(now).date():
        assert after["home"] == before["home"] - 1
    # the monthly report page and the dashboard render without it
    client.login(world.users["regulator"])
    assert client.get("/dashboard").status_code == 200
    assert keep.code != gone.code


# --- API ------------------------------------------------------------------------------------------


def test_the_api_corrects_with_a_reason_and_voids(client, world, db, api_token):
    b = _fresh_batch(world, db)
    headers = api_token(world.users["technician"])
    r = client.patch(f"/api/v1/batches/{b.code}", json={"stall": "A-02"}, headers=headers)
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/batches/{b.code}", json={"stall": "Z-99", "reason": "错了"}, headers=headers)
    assert r.status_code == 422 and "stall" in str(r.get_json())
    assert _reload(db, b).stall_id == world.stall_a.id
    r = client.patch(f"/api/v1/batches/{b.code}", json={"stall": "A-02", "reason": "摊位号错了"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["stall"] == "A-02"
    r = client.patch(f"/api/v1/batches/{b.code}", json={"food": "菠菜", "reason": "x", "row_version": 1},
                     headers=headers)
    assert r.status_code == 409  # the version read is not the one stored any more
    r = client.post(f"/api/v1/batches/{b.code}/void", json={"reason": "重复登记"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "voided" and r.get_json()["void_reason"] == "重复登记"
    r = client.post(f"/api/v1/batches/{b.code}/results", headers=headers,
                    json={"item": "OPC", "value": 5, "tested_at": format_local(utcnow())})
    assert r.status_code == 409


def test_the_api_sends_a_reviewed_correction_to_a_reviewer(client, world, db, api_token):
    b = _fresh_batch(world, db, value="12.0", reviewed=True)
    tech = api_token(world.users["technician"])
    r = client.patch(f"/api/v1/batches/{b.code}", json={"food": "菠菜", "reason": "品名错了"}, headers=tech)
    assert r.status_code == 202 and r.get_json()["food"] == "芹菜"
    change = r.get_json()["pending_change"]
    assert change["changes"] == {"food": "菠菜"} and change["before"] == {"food": "芹菜"}
    path = f"/api/v1/batches/{b.code}/changes/{change['id']}/decision"
    assert client.post(path, json={"decision": "approve"}, headers=tech).status_code == 403
    rev = api_token(world.reviewer2)
    assert client.post(path, json={"decision": "reject"}, headers=rev).status_code == 422  # needs a note
    r = client.post(path, json={"decision": "approve"}, headers=rev)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert client.get(f"/api/v1/batches/{b.code}", headers=rev).get_json()["food"] == "菠菜"


# --- nothing is issued for a voided batch ---------------------------------------------------------


def test_a_voided_batch_has_no_test_report_label_or_valid_verification(app, client, world, db, api_token):
    """A regulator would not accept a test report of a batch registered by mistake: the web
    page, the API and the CLI refuse it (409 / exit 1) naming when and why it was voided; the
    round's label sheet leaves it out; the report's QR page says the report is withdrawn."""
    from lims.reporting.common import verify_token

    b = _fresh_batch(world, db, food="空心菜", value="12.0", reviewed=True)
    b.round = world.round_a
    db.session.commit()
    client.login(world.users["regulator"])
    assert client.get(f"/batches/{b.code}/report.pdf").status_code == 200  # a normal report before
    before = client.get(f"/public/verify/{b.code}/{verify_token(b.code)}").get_data(as_text=True)
    assert "空心菜" in before and "作废" not in before
    out = changes.void_batch(Actor(world.users["reviewer"], "test"), b, "登记错了市场")
    changes.decide_change(Actor(world.reviewer2, "test"), out.change, approve=True)
    db.session.commit()
    assert _reload(db, b).status == "voided"

    for path in (f"/batches/{b.code}/report.pdf", f"/batches/{b.code}/report.pdf?draft=1"):
        r = client.get(path)
        assert r.status_code == 409 and r.mimetype == "text/html", path
        assert "已作废" in r.get_data(as_text=True) and "登记错了市场" in r.get_data(as_text=True)
    r = client.get(f"/api/v1/batches/{b.code}/report.pdf", headers=api_token(world.users["regulator"]))
    assert r.status_code == 409 and "登记错了市场" in r.get_json()["message"]

    runner = app.test_cli_runner()
    result = runner.invoke(args=["lims", "report", "batch", b.code, "--out", "/dev/null/never.pdf"])
    assert result.exit_code == 1 and "登记错了市场" in result.output, result.output

    labels = client.get(f"/rounds/{world.round_a.id}/labels.pdf")
    assert labels.status_code == 200 and labels.mimetype == "application/pdf"
    printed = subprocess.run(["pdftotext", "-", "-"], input=labels.data, capture_output=True, check=True).stdout
    assert world.batch_a.code.encode() in printed and b.code.encode() not in printed  # the voided one is left out
    assert client.get(f"/rounds/{world.round_a.id}/labels.pdf?code={b.code}").status_code == 409

    page = client.get(f"/public/verify/{b.code}/{verify_token(b.code)}").get_data(as_text=True)
    assert "已作废" in page and "作废" in page and "空心菜" in page  # the food is named in the header
    assert "本次快检未发现问题" not in page and "This test report was issued" not in page
    assert "由本系统出具" not in page
