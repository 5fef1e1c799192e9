"""Issue 13 in Chromium: the reviewer ticks three rows, one a 62.3 % positive; nothing is
approved until a confirmation page names the positive and it is ticked there; a result is
sent back for a retest with a reason; the worklist filters by outcome."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]


def _three_results(live) -> list[int]:
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, create_round, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    with live.app.app_context():
        tech = Actor(db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one(), "t")
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stalls = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id).order_by(Stall.code)).scalars().all()
        now = utcnow()
        rnd = create_round(tech, site, now.date())
        ids = []
        for stall, food, value in ((stalls[0], "青菜", "12.0"), (stalls[1], "韭菜", "62.3"), (stalls[2], "芹菜", "20.5")):
            b = register_batch(tech, BatchInput(site=site, stall=stall, food=food, round=rnd, tests=[get_item("OPC")],
                                                sampled_at=now - timedelta(hours=1)))
            ids.append(record_result(tech, b, ResultInput(item=get_item("OPC"), value=Decimal(value),
                                                          tested_at=now - timedelta(minutes=20))).id)
        db.session.commit()
        db.session.remove()
        return ids


def _reviewed(live, ids) -> list[bool]:
    from lims.extensions import db
    from lims.models import Result

    with live.app.app_context():
        out = [db.session.get(Result, i).reviewed_at is not None for i in ids]
        db.session.remove()
        return out


def test_a_positive_among_ticked_rows_is_approved_only_once_named_and_confirmed(page_for, live):
    ids = _three_results(live)
    page = page_for("zhaomin")
    page.goto(f"{live.url}/review")
    assert page.locator(f"tr:has(input[value='{ids[1]}']) .badge", has_text="需逐条确认").count() == 1
    for i in ids:
        page.check(f"input[name='review-result_ids'][value='{i}']")
    shot(page, "review-worklist")
    page.get_by_role("button", name="审核所选").click()
    page.wait_for_selector(".confirm-list")
    names = page.locator(".confirm-list").inner_text()
    assert "韭菜" in names and "62.3" in names and "青菜" not in names
    assert _reviewed(live, ids) == [False, False, False]
    shot(page, "review-confirm")
    page.check(f"#confirm-{ids[1]}")
    page.get_by_role("button", name="审核通过（含以上逐条确认的结果）").click()
    page.wait_for_selector(".alert-success")
    assert _reviewed(live, ids) == [True, True, True]


def test_a_result_is_sent_back_with_a_reason_and_the_worklist_filters(page_for, live):
    ids = _three_results(live)
    page = page_for("zhaomin")
    page.goto(f"{live.url}/review")
    page.select_option("#f-outcome", "positive")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**outcome=positive**")
    assert page.locator(f"input[name='review-result_ids'][value='{ids[1]}']").count() == 1
    assert page.locator(f"input[name='review-result_ids'][value='{ids[0]}']").count() == 0
    page.goto(f"{live.url}/review")
    page.locator(f"a[href='/review/{ids[2]}/reject']").click()
    page.get_by_role("button", name="退回复测").click()  # no reason: refused at the field
    page.wait_for_selector("#reject-reason.is-invalid")
    page.fill("#reject-reason", "抑制率曲线异常，请复测")
    page.get_by_role("button", name="退回复测").click()
    page.wait_for_selector(".alert-warning")
    assert page.locator(f"a[href='/review/{ids[2]}/reject']").count() == 0
    tech = page_for("wangli")
    tech.goto(f"{live.url}/")
    assert "抑制率曲线异常，请复测" in tech.locator("#sent-back").inner_text()
