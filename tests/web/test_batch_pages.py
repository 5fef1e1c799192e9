"""Registering one batch on its form page, and the batch list's filters, as a browser posts
and asks for them."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lims.database import utcnow
from lims.i18n import format_local
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx, db):
    w = build_world(make_site, make_stall, make_user)
    db.session.commit()
    return w


def _batch(db, food):
    from lims.models import Batch

    db.session.expire_all()
    return db.session.execute(sa.select(Batch).where(Batch.food == food)).scalars().all()


def _form(world, **kw):
    return {"site": world.site_a.code, "stall": world.stall_a.code, "food": "芹菜", "supplier": "城郊蔬菜合作社",
            "origin": "杭州萧山", "quantity_kg": "8.5", "sampled_at": format_local(utcnow() - timedelta(minutes=30)),
            "tests": ["OPC"], **kw}


def test_a_technician_registers_a_batch_on_its_form(client, world, db):
    client.login(world.users["technician"])
    assert client.get("/batches/new").status_code == 200
    r = client.post_form("/batches/new", _form(world))
    assert r.status_code == 302
    [batch] = _batch(db, "芹菜")
    assert r.headers["Location"].endswith(f"/batches/{batch.code}")
    assert batch.site_id == world.site_a.id and batch.stall_id == world.stall_a.id
    assert [i.code for i in batch.planned_items] == ["OPC"] and str(batch.quantity_kg) == "8.500"
    assert batch.supplier.name == "城郊蔬菜合作社" and batch.status == "registered"


@pytest.mark.parametrize("change, message", [
    ({"stall": "Z-99"}, "Z-99"),  # no such stall at the market
    ({"sampled_at": "明天早上"}, "2026-11-20 09:31"),  # the form a time is typed in
    ({"food": ""}, None),
    ({"code": "??"}, None),
])
def test_a_refused_form_says_why_keeps_what_was_typed_and_saves_nothing(client, world, db, change, message):
    client.login(world.users["technician"])
    r = client.post_form("/batches/new", _form(world, **change))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "城郊蔬菜合作社" in html  # what was typed is still there
    if message:
        assert message in html
    assert _batch(db, "芹菜") == []


@pytest.mark.parametrize("query", ["status=lost", "outcome=maybe", "from=yesterday", "site=abc", "item=1x"])
def test_the_batch_list_refuses_a_filter_it_cannot_read(client, world, query):
    client.login(world.users["technician"])
    assert client.get(f"/batches?{query}").status_code == 400


def test_the_batch_list_filters_by_status_and_stays_within_a_managers_market(client, world, app):
    from tests.conftest import Client

    # Market A's positive was told to its seller hours ago: stored as "stopped", it stands as
    # "confirmed" once the objection window has passed, and is listed as such. Market B's
    # positive was never told: it is still "stopped".
    assert world.batch_a.status == world.batch_b.status == "stopped"
    regulator = Client(app.test_client())
    regulator.login(world.users["regulator"])  # the whole district
    assert world.batch_b.code in regulator.get("/batches?status=stopped").get_data(as_text=True)
    client.login(world.users["market_manager"])  # market A only
    assert world.batch_a.code in client.get("/batches?status=confirmed").get_data(as_text=True)
    stopped = client.get("/batches?status=stopped").get_data(as_text=True)
    assert world.batch_a.code not in stopped and world.batch_b.code not in stopped
    assert world.batch_a.code not in client.get("/batches?status=passed").get_data(as_text=True)
    # another market named as a filter: refused as unknown (interfaces.md: 422 when named as a filter)
    assert client.get(f"/batches?site={world.site_b.id}").status_code == 422
