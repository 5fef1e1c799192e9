"""Issue 13 in Chromium, "Correcting mistakes": the technician corrects a wrong stall on a
batch's page; a batch registered by mistake is voided (it has results, so a reviewer approves
it); the voided batch is struck through with its reason, gone from the stall's public page and
the notice board, and the history of each batch shows what was done, by whom and why."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]


def _batches(live) -> tuple[str, str]:
    """At 城东 stall A-03: 生菜 registered (no result), and 空心菜 with a reviewed negative."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result, review

    with live.app.app_context():
        users = {u.username: u for u in db.session.execute(sa.select(User)).scalars()}
        tech, reviewer = Actor(users["wangli"], "t"), Actor(users["zhaomin"], "t")
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id, Stall.code == "A-03")).scalar_one()
        now = utcnow()
        wrong = register_batch(tech, BatchInput(site=site, stall=stall, food="生菜", tests=[get_item("OPC")],
                                                quantity_kg=Decimal("6"), sampled_at=now - timedelta(hours=2)))
        twice = register_batch(tech, BatchInput(site=site, stall=stall, food="空心菜", tests=[get_item("OPC")],
                                                quantity_kg=Decimal("4"), sampled_at=now - timedelta(hours=2)))
        r = record_result(tech, twice, ResultInput(item=get_item("OPC"), value=Decimal("14.2"),
                                                   tested_at=now - timedelta(hours=1)))
        review(reviewer, [r])
        db.session.commit()
        codes = wrong.code, twice.code
        db.session.remove()
        return codes


def test_a_stall_is_corrected_and_a_duplicate_voided_and_figures_forget_it(page_for, live):
    wrong, twice = _batches(live)

    public = page_for()
    public.goto(f"{live.url}/public/stalls/pubcd00003")
    assert public.locator("body", has_text="空心菜").count() == 1  # counted before it is voided
    public.goto(f"{live.url}/public/sites/CD/board")
    assert "空心菜" in public.content()

    # The technician corrects the stall of 生菜: A-03 → A-04, with a reason.
    tech = page_for("wangli")
    tech.goto(f"{live.url}/batches/{wrong}")
    tech.get_by_role("link", name="更正登记信息").click()
    assert tech.input_value("#stall") == "A-03" and tech.input_value("#quantity_kg") == "6"
    tech.fill("#stall", "A-04")
    tech.fill("#reason", "摊位号登记错了，应为 A-04")
    shot(tech, "batch-correct-form")
    tech.get_by_role("button", name="保存更正").click()
    tech.wait_for_url(f"**/batches/{wrong}")
    assert "A-04" in tech.locator("header.batch-header").inner_text()
    history = tech.locator("#timeline").inner_text()
    assert "更正登记信息：档口编号 A-03 → A-04" in history and "摊位号登记错了，应为 A-04" in history

    # 空心菜 was registered twice: it has a reviewed result, so voiding it waits for a reviewer.
    tech.goto(f"{live.url}/batches/{twice}")
    tech.get_by_role("link", name="作废").click()
    tech.fill("#reason", "重复登记（同一份样品登记了两次）")
    tech.get_by_role("button", name="申请审核员作废").click()
    tech.wait_for_url(f"**/batches/{twice}")
    assert "作废该批次的申请等待审核员审批" in tech.content()
    assert tech.locator("#pending-change button", has_text="批准").count() == 0  # not theirs to decide

    reviewer = page_for("zhaomin")
    reviewer.goto(f"{live.url}/review")
    reviewer.get_by_role("link", name="待审批的批次变更").click()
    reviewer.locator("a", has_text=twice).first.click()
    reviewer.locator("#pending-change button", has_text="批准").click()
    reviewer.wait_for_url(f"**/batches/{twice}")
    assert reviewer.locator(".batch-voided", has_text="重复登记（同一份样品登记了两次）").count() == 1
    assert reviewer.locator("header.batch-header del").count() == 1  # struck through
    history = reviewer.locator("#timeline").inner_text()
    assert "申请审核员作废该批次" in history and "作废该批次（误登记）" in history
    shot(reviewer, "batch-voided")

    # struck through in the list, with its reason
    reviewer.goto(f"{live.url}/batches?q={twice}")
    row = reviewer.locator("tr.batch-voided")
    assert row.count() == 1 and "重复登记" in row.inner_text()
    assert "line-through" in row.locator("td").first.locator("a").evaluate("e => getComputedStyle(e).textDecorationLine")

    # and counted nowhere: the stall's public page and the notice board forget it
    public.goto(f"{live.url}/public/stalls/pubcd00003")
    assert public.locator("body", has_text="空心菜").count() == 0
    public.goto(f"{live.url}/public/sites/CD/board")
    assert "空心菜" not in public.content()
