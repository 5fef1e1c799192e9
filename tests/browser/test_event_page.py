"""The event page as a regulator sees it: batches and tests counted apart, the untested
batches named as such, no "all negative" while one is untested."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]


def _banquet_with_untested_eggs(live) -> str:
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.i18n import local_today
    from lims.models import Event, Site, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result, review

    with live.app.app_context():
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        reviewer = db.session.execute(sa.select(User).where(User.username == "zhaomin")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        now = utcnow()
        event = Event(code="ZDHD-2611-YDH", kind="major_event", name="运动会餐饮保障", organiser="区体育局",
                      people=600, starts_on=local_today(now), ends_on=local_today(now), site=site)
        db.session.add(event)
        db.session.flush()
        actor, results = Actor(tech, "t"), []
        sampled = now - timedelta(hours=2)
        for food in ("青菜", "菠菜", "芹菜", "生菜"):
            b = register_batch(actor, BatchInput(site=site, event=event, food=food, tests=[get_item("OPC")],
                                                 sampled_at=sampled))
            results.append(record_result(actor, b, ResultInput(item=get_item("OPC"), value=Decimal("9.5"),
                                                               tested_at=sampled + timedelta(minutes=40))))
        for _ in range(3):  # eggs sampled, cards not run yet
            register_batch(actor, BatchInput(site=site, event=event, food="鸡蛋", sampled_at=sampled))
        review(Actor(reviewer, "t"), results)
        db.session.commit()
        db.session.remove()
        return event.code


def test_event_page_states_tested_and_untested_batches(page_for, live):
    code = _banquet_with_untested_eggs(live)
    page = page_for("sunwei")
    page.goto(f"{live.url}/events/{code}")
    figures = page.locator(".event-figures").inner_text()
    for label, value in (("抽检批次", "7"), ("已检批次", "4"), ("未检批次", "3"), ("阴性批次", "4")):
        assert f"{value}\n{label}" in figures, figures
    assert "检测 4 项次：阴性 4 项次" in page.locator(".event-tests").inner_text()
    assert "3 批次未检测或未检完，不作结论" in page.locator(".event-conclusion").inner_text()
    assert "均为阴性" not in page.locator("main").inner_text()
    assert page.locator("td .untested").count() == 6  # 氟喹诺酮类 and 氟苯尼考 on each of the three egg batches
    assert "氟喹诺酮类 未检测" in page.locator("td .untested").first.inner_text()
    shot(page, "event-summary-page")
