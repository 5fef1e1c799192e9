"""Issue 13: consequential choices have no default. The laboratory result and the disposal
action start unchosen; submitting without a choice is an error next to the field, the rest
of what was typed stays in the form, and nothing changes."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, register_batch
from lims.database import utcnow
from lims.dispositions import services as dispositions
from lims.i18n import format_local
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


@pytest.fixture
def disputed(world, db):
    """A positive at market A, notified ten minutes ago, whose seller objected."""
    tech = Actor(world.users["technician"], "test")
    admin = Actor(world.users["admin"], "test")
    now = utcnow()
    batch = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food="芹菜",
                                            sampled_at=now - timedelta(hours=1), tests=[get_item("OPC")],
                                            quantity_kg=Decimal("8")))
    record_result(tech, batch, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=30),
                                           value=Decimal("62.3")))
    dispositions.notify(admin, batch, now - timedelta(minutes=10), "王建国")
    dispositions.object_to(admin, batch, now - timedelta(minutes=5), "市检测中心", "GB 23200.113-2018")
    db.session.commit()
    return batch


def _chosen(select: str) -> list[str]:
    """The values of the options a select shows as chosen."""
    return re.findall(r'<option selected value="([^"]*)"', select)


def _select(html: str, name: str) -> str:
    m = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert m, name
    return m.group(0)


def test_the_laboratory_result_starts_unchosen_and_is_required(client, world, disputed, db):
    client.login(world.users["reviewer"])
    page = f"/batches/{disputed.code}"
    select = _select(client.get(page).get_data(as_text=True), "lab-outcome")
    assert _chosen(select) in ([], [""])
    r = client.post_form(f"/batches/{disputed.code}/lab-result",
                         {"lab-lab": "市检测中心", "lab-report_no": "R-2026-77",
                          "lab-received_at": format_local(utcnow())}, csrf_from=page)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请选择实验室结论" in html and 'value="R-2026-77"' in html
    assert 'is-invalid' in _select(html, "lab-outcome")
    db.session.expire_all()
    assert db.session.get(type(disputed), disputed.id).status == "disputed"


def test_the_disposal_action_starts_unchosen_and_is_required(client, world, db):
    client.login(world.users["market_manager"])
    page = f"/batches/{world.batch_a.code}"
    select = _select(client.get(page).get_data(as_text=True), "disposal-action")
    assert _chosen(select) in ([], [""])
    before = len(world.batch_a.disposition.actions)
    r = client.post_form(f"/batches/{world.batch_a.code}/disposals",
                         {"disposal-quantity_kg": "4.5", "disposal-done_at": format_local(utcnow()),
                          "disposal-place": "市场东门"}, csrf_from=page)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请选择处置方式" in html and 'value="市场东门"' in html and 'value="4.5"' in html
    assert 'is-invalid' in _select(html, "disposal-action")
    db.session.expire_all()
    assert len(db.session.get(type(world.batch_a), world.batch_a.id).disposition.actions) == before
