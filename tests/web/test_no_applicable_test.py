"""A batch that no test applies to is not registered silently: the single form asks for a
confirmation, the round grid and the API refuse it with a clear reason. Eggs (鲜蛋) have the
quick tests markets run on them, so an egg batch gets them by default."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lims.database import utcnow
from lims.i18n import format_local
from tests.web.world import build_world

UNKNOWN = "神秘干货"  # no category, so no test applies


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx, db):
    w = build_world(make_site, make_stall, make_user)
    db.session.commit()
    return w


def _batches(db, food):
    from lims.models import Batch

    db.session.expire_all()
    return db.session.execute(sa.select(Batch).where(Batch.food == food)).scalars().all()


def _form(world, **kw):
    return {"site": world.site_a.code, "stall": world.stall_a.code, "food": UNKNOWN,
            "sampled_at": format_local(utcnow() - timedelta(minutes=30)), **kw}


def test_eggs_get_the_quick_tests_markets_run_on_them(app, ctx):
    from lims.batches.services import default_tests, food_category
    from lims.reference.services import get_item

    category = food_category("鸡蛋")
    assert category is not None and category.code == "EGG"
    assert [i.code for i in default_tests(category)] == ["FQ", "FFC"]
    for code, name in (("FQ", "氟喹诺酮类"), ("FFC", "氟苯尼考"), ("MNZ", "甲硝唑"), ("ENR", "恩诺沙星")):
        item = get_item(code)
        assert item.name == name and "EGG" in [c.code for c in item.categories]
        assert not item.verified  # reference values still to be checked against GB 31650


def test_single_form_asks_for_a_confirmation(client, world, db):
    client.login(world.users["technician"])
    r = client.post_form("/batches/new", _form(world))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "没有适用于该食品的检测项目" in html and 'name="confirm_no_tests"' in html
    assert _batches(db, UNKNOWN) == []
    r = client.post_form("/batches/new", _form(world, confirm_no_tests="y"), csrf_from="/batches/new")
    assert r.status_code == 302
    [batch] = _batches(db, UNKNOWN)
    assert batch.planned_items == []
    r = client.post_form("/batches/new", _form(world, food="鸡蛋"))
    assert r.status_code == 302
    [egg] = _batches(db, "鸡蛋")
    assert [i.code for i in egg.planned_items] == ["FQ", "FFC"]


def test_round_grid_refuses_the_row_and_says_why(client, world, db):
    client.login(world.users["technician"])
    html = client.get(f"/rounds/{world.round_a.id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    r = client.post(f"/rounds/{world.round_a.id}/batches", json={"rows": [
        {"stall": world.stall_a.code, "food": UNKNOWN}, {"stall": world.stall_a.code, "food": "鸭蛋"}]},
        headers={"X-CSRFToken": token})
    assert r.status_code == 200
    refused, saved = r.get_json()["rows"]
    assert refused["ok"] is False and "没有适用于该食品的检测项目" in " ".join(refused["errors"]["tests"])
    assert saved["ok"] is True
    assert _batches(db, UNKNOWN) == [] and len(_batches(db, "鸭蛋")) == 1


def test_api_refuses_a_batch_without_any_test(client, world, db, api_token):
    headers = api_token(world.users["technician"])
    body = {"site": world.site_a.code, "stall": world.stall_a.code, "food": UNKNOWN,
            "sampled_at": (utcnow() - timedelta(minutes=30)).isoformat()}
    r = client.post("/api/v1/batches", json=body, headers=headers)
    assert r.status_code == 422, r.get_data(as_text=True)
    assert "tests" in r.get_json()["errors"]
    assert _batches(db, UNKNOWN) == []
    r = client.post("/api/v1/batches", json={**body, "tests": ["OPC"]}, headers=headers)
    assert r.status_code == 201
