"""Issue 13, market managers: the "notify the seller" list shows how long each positive has
waited and marks it overdue past the 30-minute reminder; the KPI tiles open their lists;
the manager reaches the market's dashboard from the navigation."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, register_batch
from lims.database import utcnow
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


def _positive(world, db, minutes_ago: int):
    tech = Actor(world.users["technician"], "test")
    now = utcnow()
    b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food="芹菜",
                                        sampled_at=now - timedelta(hours=2), tests=[get_item("OPC")]))
    record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=minutes_ago + 1),
                                       value=Decimal("62.3")), now=now - timedelta(minutes=minutes_ago))
    db.session.commit()
    return b


def _entry(html: str, code: str) -> str:
    """The notify-list entry of a batch."""
    section = re.search(r'id="positives-notify".*?</section>', html, re.S).group(0)
    m = re.search(rf'<li[^>]*>(?:(?!</li>).)*{code}(?:(?!</li>).)*</li>', section, re.S)
    assert m, code
    return m.group(0)


def test_the_notify_list_shows_the_wait_and_marks_it_overdue_after_30_minutes(client, world, db):
    fresh = _positive(world, db, minutes_ago=12)
    late = _positive(world, db, minutes_ago=95)
    client.login(world.users["market_manager"])
    html = client.get("/").get_data(as_text=True)
    fresh_entry, late_entry = _entry(html, fresh.code), _entry(html, late.code)
    assert "已等待 12 分钟" in fresh_entry and "逾期" not in fresh_entry
    assert "已等待 1 小时 35 分钟" in late_entry and "已逾期：请立即通知经营户" in late_entry
    assert "已逾期：请立即通知经营户" in _entry(client.get("/positives").get_data(as_text=True), late.code)


def test_the_kpi_tiles_open_their_lists(client, world):
    client.login(world.users["market_manager"])
    html = client.get("/").get_data(as_text=True)
    tiles = re.search(r'id="overview".*?</div>\s*</div>\s*</a>\s*</div>\s*</div>', html, re.S).group(0)
    hrefs = re.findall(r'<a class="card stat-card[^"]*" href="([^"]+)"', tiles)
    assert len(hrefs) == 7
    assert "/positives#positives-notify" in hrefs and "/positives#positives-dispose" in hrefs
    assert any("outcome=positive" in h for h in hrefs)
    for href in hrefs:
        assert client.get(href.split("#")[0].replace("&amp;", "&")).status_code == 200, href


def test_a_manager_reaches_the_markets_dashboard_from_the_navigation(client, world):
    client.login(world.users["market_manager"])
    nav = re.search(r'<ul class="navbar-nav me-auto">.*?</ul>', client.get("/").get_data(as_text=True), re.S).group(0)
    assert f'href="/sites/{world.site_a.code}"' in nav and f'href="/sites/{world.site_b.code}"' not in nav
    assert client.get(f"/sites/{world.site_a.code}").status_code == 200
