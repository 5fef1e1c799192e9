"""Issue 13, "Layout and wording": a batch's timeline names the item and the reading of each
result ("录入 有机磷… 抑制率 12.3 % → 阴性"), also for results written in bulk whose audit
entry carries only the outcome; an objection lodged in time does not show a red "已过期"
once its window has closed; a case closed after its deadline says 超期办结."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from lims.accounts.access import Actor
from lims.audit.services import record_many
from lims.audit.timeline import batch_timeline
from lims.batches.services import BatchInput, register_batch
from lims.database import utcnow
from lims.dispositions import services as dispositions
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result, review
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx, db):
    w = build_world(make_site, make_stall, make_user)
    db.session.commit()
    return w


def _positive(world, db, at, food="油麦菜", value="63.5"):
    tech = Actor(world.users["technician"], "test")
    b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food=food, sampled_at=at,
                                        tests=[get_item("OPC")], quantity_kg=Decimal("10")), now=at)
    r = record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=at + timedelta(minutes=20),
                                           value=Decimal(value)), now=at + timedelta(minutes=21))
    review(Actor(world.users["reviewer"], "test"), [r], now=at + timedelta(minutes=40), confirmed=[r.id])
    return b, r


def _texts(batch):
    from lims.extensions import db

    db.session.expire(batch, ["results", "disposition"])  # as a page reads it: afresh
    return [t.text for t in batch_timeline(batch)]


def test_a_recorded_result_names_its_item_and_reading(client, world, db):
    tech = Actor(world.users["technician"], "test")
    at = utcnow() - timedelta(hours=2)
    b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food="菠菜", sampled_at=at,
                                        tests=[get_item("OPC")]), now=at)
    record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=at + timedelta(minutes=20),
                                       value=Decimal("12.3")), now=at + timedelta(minutes=21))
    db.session.commit()
    client.login(world.users["technician"])
    html = client.get(f"/batches/{b.code}").get_data(as_text=True)
    name = get_item("OPC").name
    assert f"录入 {name} 抑制率 12.3 % → 阴性" in html
    assert "录入  → " not in html and "录入 → " not in html


def test_a_result_written_in_bulk_is_told_from_the_stored_result(world, db):
    """The demo and bulk writers log ``result.create`` with the outcome only: the timeline
    still names the item and the reading, from the result the entry is about."""
    tech = Actor(world.users["technician"], "test")
    at = utcnow() - timedelta(hours=2)
    b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food="生菜", sampled_at=at,
                                        tests=[get_item("OPC")]), now=at)
    r = record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=at + timedelta(minutes=20),
                                           value=Decimal("8.7")), now=at + timedelta(minutes=21))
    record_many(tech, [{"action": "result.create", "subject_type": "result", "subject_id": r.id, "batch_id": b.id,
                        "at": at + timedelta(minutes=22), "after": {"value": "8.7", "outcome": "negative"}}])
    with db.session.no_autoflush:
        from flask_babel import force_locale

        with force_locale("zh_Hans_CN"):
            texts = _texts(b)
    name = get_item("OPC").name
    assert texts.count(f"录入 {name} 抑制率 8.7 % → 阴性") == 2


def _objection_li(html):
    [li] = re.findall(r'<li class="[^"]*objection-window[^"]*">.*?</li>', html, re.S)
    return li


def test_an_objection_lodged_in_time_is_not_shown_as_expired_once_the_window_closed(client, world, db):
    now = utcnow()
    at = now - timedelta(hours=10)
    b, _ = _positive(world, db, at)
    admin = Actor(world.users["admin"], "test")
    dispositions.notify(admin, b, at + timedelta(hours=1), "王建国", now=at + timedelta(hours=1))
    dispositions.object_to(admin, b, at + timedelta(hours=2), "市食品检验所", "GB 23200.113-2018",
                           now=at + timedelta(hours=2))  # inside the 4-hour window
    db.session.commit()
    client.login(world.users["reviewer"])
    li = _objection_li(client.get(f"/batches/{b.code}").get_data(as_text=True))
    assert "按时提出异议" in li
    assert "text-danger" not in li and "countdown" not in li  # no red "已过期" countdown


def test_a_window_closed_unused_is_stated_not_shown_as_a_red_countdown(client, world, db):
    now = utcnow()
    at = now - timedelta(hours=10)
    b, _ = _positive(world, db, at)
    admin = Actor(world.users["admin"], "test")
    dispositions.notify(admin, b, at + timedelta(hours=1), "王建国", now=at + timedelta(hours=1))
    db.session.commit()
    client.login(world.users["reviewer"])
    li = _objection_li(client.get(f"/batches/{b.code}").get_data(as_text=True))
    assert "届满，未提出异议" in li and "text-danger" not in li


def test_an_open_window_still_counts_down(client, world, db):
    now = utcnow()
    at = now - timedelta(hours=2)
    b, _ = _positive(world, db, at)
    admin = Actor(world.users["admin"], "test")
    dispositions.notify(admin, b, now - timedelta(minutes=30), "王建国", now=now - timedelta(minutes=30))
    db.session.commit()
    client.login(world.users["reviewer"])
    li = _objection_li(client.get(f"/batches/{b.code}").get_data(as_text=True))
    assert "countdown" in li and "data-deadline" in li


def _dispose(world, db, late: bool):
    now = utcnow()
    at = now - timedelta(days=3)
    b, _ = _positive(world, db, at, food="韭菜" if late else "芹菜")
    admin = Actor(world.users["admin"], "test")
    dispositions.notify(admin, b, at + timedelta(hours=1), "王建国", now=at + timedelta(hours=1))
    d = b.disposition
    due = at + timedelta(hours=5 + 24)
    assert d.disposal_due_at == due
    when = due + timedelta(hours=6) if late else due - timedelta(hours=6)
    dispositions.add_disposal(admin, b, dispositions.DisposalInput(action="destroy", quantity_kg=Decimal("10"),
                                                                   done_at=when), now=when)
    db.session.commit()
    assert b.disposition.status == "disposed"
    return b


@pytest.mark.parametrize("late", [True, False])
def test_a_case_closed_late_says_so(client, world, db, late):
    b = _dispose(world, db, late)
    client.login(world.users["reviewer"])
    html = client.get(f"/batches/{b.code}").get_data(as_text=True)
    assert ("超期办结" in html) is late
    steps = html[html.index('class="disposition-steps'):html.index("</ol>", html.index('class="disposition-steps'))]
    assert ("超期办结" in steps) is late and ("已办结 ·" in steps) is not late
    timeline = html[html.index('id="timeline"'):]
    assert ("全部数量已处置，超期办结" in timeline) is late
