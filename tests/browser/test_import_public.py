"""Import through the browser (upload with progress → preview → commit → summary), and the
public pages a citizen and a market screen see."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "instruments"


def _batches_for_pesticide_sample(live):
    """Register the batches the pesticide sample names (S-20261120-001…012), sampled before it."""
    from datetime import datetime, timezone

    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.extensions import db
    from lims.models import Batch, Site, Stall, User
    from lims.reference.services import get_item

    with live.app.app_context():
        if db.session.execute(sa.select(Batch.id).where(Batch.code == "S-20261120-001")).first():
            return
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id)).scalars().first()
        sampled = datetime(2026, 11, 20, 0, 30, tzinfo=timezone.utc)
        for n in range(1, 13):
            register_batch(Actor(tech, "t"), BatchInput(site=site, stall=stall, food="青菜", tests=[get_item("OPC")],
                                                         sampled_at=sampled, code=f"S-20261120-{n:03d}",
                                                         quantity_kg=Decimal(10)), now=sampled + timedelta(hours=1))
        db.session.commit()
        db.session.remove()


def test_upload_preview_commit(page_for, live):
    _batches_for_pesticide_sample(live)
    page = page_for("wangli")
    page.goto(f"{live.url}/imports/new")
    page.set_input_files("#file", str(SAMPLES / "pesticide_tester.csv"))
    assert "pesticide_tester.csv" in page.locator("#file-name").inner_text()
    page.get_by_role("button", name="预览").click()
    page.wait_for_url("**/imports/preview/*")
    counts = page.locator(".import-counts").inner_text()
    assert "11" in counts  # 11 rows ready, 1 empty channel
    assert page.locator("tr.row-no_data").count() == 1
    assert "第 15 行" in page.locator("tr.row-no_data").inner_text() or "15" in page.locator("tr.row-no_data").inner_text()
    assert page.locator("table.import-preview .outcome-positive").count() == 1
    shot(page, "import-preview")
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(re.compile(r"/imports/\d+"))
    assert "11" in page.locator(".alert-success").inner_text()
    shot(page, "import-summary")
    from lims.extensions import db
    from lims.models import Result

    with live.app.app_context():
        n = db.session.execute(sa.select(sa.func.count(Result.id)).where(Result.import_id.is_not(None))).scalar_one()
        assert n == 11
        db.session.remove()
    # The same file again is recognised, with when and by whom.
    page.goto(f"{live.url}/imports/new")
    page.set_input_files("#file", str(SAMPLES / "pesticide_tester.csv"))
    page.get_by_role("button", name="预览").click()
    page.wait_for_url("**/imports/preview/*")
    assert "王丽" in page.locator(".alert-info").inner_text()


def _reviewed_results_at_a_stall(live):
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.i18n import local_day_bounds, local_today
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, needs_confirmation, record_result, review

    with live.app.app_context():
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        reviewer = db.session.execute(sa.select(User).where(User.username == "zhaomin")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id, Stall.code == "A-03")).scalar_one()
        now = utcnow()
        # Within today's local day whatever the hour: the board shows today's results only.
        sampled = max(now - timedelta(hours=3), local_day_bounds(local_today(now))[0])
        tested = sampled + (now - sampled) / 2
        results = []
        for food, value in (("芹菜", "8.5"), ("生菜", "14.2")):
            b = register_batch(Actor(tech, "t"), BatchInput(site=site, stall=stall, food=food, tests=[get_item("OPC")],
                                                             sampled_at=sampled))
            results.append(record_result(Actor(tech, "t"), b, ResultInput(
                item=get_item("OPC"), value=Decimal(value), tested_at=tested)))
        b = register_batch(Actor(tech, "t"), BatchInput(site=site, stall=stall, food="豇豆", tests=[get_item("OPC")],
                                                         sampled_at=sampled))
        results.append(record_result(Actor(tech, "t"), b, ResultInput(
            item=get_item("OPC"), control_delta=Decimal("0.12"), sample_delta=Decimal("0.10"),
            tested_at=tested)))  # invalid control: shown to the public as 复测中
        review(Actor(reviewer, "t"), results, confirmed=[r.id for r in results if needs_confirmation(r)])
        db.session.commit()
        code = stall.public_code
        db.session.remove()
        return code


def test_public_stall_page_on_a_phone(page_for, live):
    code = _reviewed_results_at_a_stall(live)
    page = page_for(phone=True)
    page.goto(f"{live.url}/public/stalls/{code}")
    text = page.locator("body").inner_text()
    assert "A-03" in text and "张某" in text and "张海燕" not in text
    assert "本次快检未发现问题" in text and "复测中" in text and "安全" not in text
    assert "筛查" in page.locator(".pub-note").inner_text()
    shot(page, "public-stall-phone")


def test_market_board_for_a_screen(page_for, live):
    _reviewed_results_at_a_stall(live)
    page = page_for()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live.url}/public/sites/CD/board")
    assert page.locator("script[src$='js/board.js']").count() == 1  # pages and reloads itself
    assert 'http-equiv="refresh"' in page.locator("noscript").first.inner_html()  # without scripts too
    text = page.locator("body").inner_text()
    assert "城东综合市场" in text and "本次快检未发现问题" in text and "0571-86001234" in text
    shot(page, "public-board")
