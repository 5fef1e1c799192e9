"""The result forms of the batch page, the correction page, the live judgement and the
reviewer's worklist, as a browser posts them (CSRF tokens, prefixed fields, redirects)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, register_batch
from lims.database import utcnow
from lims.i18n import format_local
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


@pytest.fixture
def fresh(world, db):
    """A batch at market A sampled an hour ago, planned for OPC, without results."""
    tech = Actor(world.users["technician"], "test")
    batch = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food="菠菜",
                                            sampled_at=utcnow() - timedelta(hours=1), tests=[get_item("OPC")]))
    db.session.commit()
    return batch


def _results(db, batch):
    from lims.models import Result

    db.session.expire_all()
    return db.session.execute(sa.select(Result).where(Result.batch_id == batch.id).order_by(Result.id)).scalars().all()


def _result_form(value, **extra):
    return {"result-item": "OPC", "result-value": value,
            "result-tested_at": format_local(utcnow() - timedelta(minutes=5)), **extra}


def test_a_negative_typed_on_the_batch_page_is_judged_and_saved(client, world, fresh, db):
    client.login(world.users["technician"])
    r = client.post_form(f"/batches/{fresh.code}/results", _result_form("12.5"), csrf_from=f"/batches/{fresh.code}")
    assert r.status_code in (302, 303)
    [result] = _results(db, fresh)
    assert (result.outcome, result.value, result.cutoff) == ("negative", Decimal("12.5"), Decimal(50))
    assert db.session.get(type(fresh), fresh.id).status == "passed"


def test_a_positive_needs_its_confirmation_box_before_it_is_saved(client, world, fresh, db):
    client.login(world.users["technician"])
    page = f"/batches/{fresh.code}"
    r = client.post_form(f"/batches/{fresh.code}/results", _result_form("63.0"), csrf_from=page)
    assert r.status_code == 422
    assert "阳性：请勾选“确认为阳性”后再次保存。" in r.get_data(as_text=True)
    assert _results(db, fresh) == []
    r = client.post_form(f"/batches/{fresh.code}/results", _result_form("63.0", **{"result-confirm_positive": "y"}),
                         csrf_from=page)
    assert r.status_code in (302, 303)
    [result] = _results(db, fresh)
    batch = db.session.get(type(fresh), fresh.id)
    assert result.outcome == "positive" and batch.status == "stopped" and batch.disposition is not None


def test_an_unreadable_value_is_refused_with_the_form_kept(client, world, fresh, db):
    client.login(world.users["technician"])
    r = client.post_form(f"/batches/{fresh.code}/results", _result_form("abc"), csrf_from=f"/batches/{fresh.code}")
    assert r.status_code == 422
    assert 'value="abc"' in r.get_data(as_text=True)
    assert _results(db, fresh) == []


def test_the_live_judgement_answers_as_the_technician_types(client, world, fresh):
    client.login(world.users["technician"])
    token = client.csrf(f"/batches/{fresh.code}")
    body = {"batch": fresh.code, "item": "OPC", "value": "55", "tested_at": format_local(utcnow())}
    r = client.post("/results/assess", json=body, headers={"X-CSRFToken": token})
    data = r.get_json()
    assert r.status_code == 200 and data["ok"] and data["outcome"] == "positive" and data["label"]
    r = client.post("/results/assess", json=body | {"value": "ND?"}, headers={"X-CSRFToken": token})
    assert r.get_json()["ok"] is False


def _tested(world, fresh, db, value="12.0", by="technician"):
    """A result of ``fresh`` recorded twenty minutes ago (by a technician unless told)."""
    result = record_result(Actor(world.users[by], "test"), fresh, ResultInput(
        item=get_item("OPC"), tested_at=utcnow() - timedelta(minutes=20), value=Decimal(value)))
    db.session.commit()
    return result


def test_a_correction_is_a_new_version_and_a_stale_form_is_409(client, world, fresh, db):
    first = _tested(world, fresh, db)
    client.login(world.users["technician"])
    page = f"/results/{first.id}/correct"
    assert client.get(page).status_code == 200
    form = {"fix-item": "OPC", "fix-value": "14.0", "fix-reason": "读数抄错",
            "fix-tested_at": format_local(first.tested_at), "fix-row_version": str(first.row_version)}
    r = client.post_form(page, form)
    assert r.status_code in (302, 303)
    versions = _results(db, fresh)
    assert [(v.version, v.current, v.value) for v in versions] == [(1, False, Decimal("12.0")),
                                                                  (2, True, Decimal("14.0"))]
    assert versions[1].correction_reason == "读数抄错"
    # The same form again: the version it was made from is no longer current.
    r = client.post_form(page, form)
    assert r.status_code == 409
    assert len(_results(db, fresh)) == 2


def test_a_correction_without_a_reason_is_refused(client, world, fresh, db):
    first = _tested(world, fresh, db)
    client.login(world.users["technician"])
    page = f"/results/{first.id}/correct"
    r = client.post_form(page, {"fix-item": "OPC", "fix-value": "14.0",
                                "fix-tested_at": format_local(first.tested_at)})
    assert r.status_code == 422
    assert len(_results(db, fresh)) == 1


def test_a_reviewer_approves_a_batch_from_its_page(client, world, fresh, db):
    result = _tested(world, fresh, db)
    client.login(world.users["reviewer"])
    r = client.post_form(f"/batches/{fresh.code}/review", {"review-note": "核对无误"}, csrf_from=f"/batches/{fresh.code}")
    assert r.status_code in (302, 303)
    db.session.expire_all()
    reviewed = db.session.get(type(result), result.id)
    assert reviewed.reviewed_by_id == world.users["reviewer"].id and reviewed.review_note == "核对无误"


def test_the_worklist_approves_the_chosen_results(client, world, fresh, db):
    result = _tested(world, fresh, db)
    client.login(world.users["reviewer"])
    html = client.get("/review").get_data(as_text=True)
    assert fresh.code in html
    r = client.post_form("/review", {"review-result_ids": [str(result.id)]}, csrf_from="/review")
    assert r.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(type(result), result.id).reviewed_at is not None
    assert fresh.code not in client.get("/review").get_data(as_text=True)


def test_the_worklist_with_nothing_chosen_changes_nothing(client, world, fresh, db):
    result = _tested(world, fresh, db)
    client.login(world.users["reviewer"])
    r = client.post_form("/review", {}, csrf_from="/review")
    assert r.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(type(result), result.id).reviewed_at is None


def test_nobody_approves_their_own_results_from_the_worklist(client, world, fresh, db):
    # A reviewer who tested the batch himself may not approve it (four eyes).
    result = _tested(world, fresh, db, by="reviewer")
    client.login(world.users["reviewer"])
    r = client.post_form("/review", {"review-result_ids": [str(result.id)]}, csrf_from="/review")
    assert r.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(type(result), result.id).reviewed_at is None
