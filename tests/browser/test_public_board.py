"""The market board on a wall screen: every result is shown on some page, the footer with the
screening statement and the complaint phone is always on screen, in landscape and portrait."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]

RESULTS = 46
FOODS = ["青菜", "菠菜", "芹菜", "生菜", "油麦菜", "韭菜", "豇豆", "黄瓜", "番茄", "茄子", "辣椒", "白菜"]


def _many_results_at_north(live) -> None:
    """46 reviewed results today at 城北农贸市场 (CB), on six stalls."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.i18n import local_day_bounds, local_today
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result, review

    with live.app.app_context():
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        reviewer = db.session.execute(sa.select(User).where(User.username == "zhaomin")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CB")).scalar_one()
        site.phone = "0571-86009999"
        stalls = [Stall(site=site, code=f"C-{i:02d}", operator=name, public_code=f"pubcbc{i:04d}")
                  for i, name in enumerate(["周文华", "吴晓燕", "郑国强", "孙丽萍", "朱建明", "胡春梅"], start=1)]
        db.session.add_all(stalls)
        db.session.flush()
        now = utcnow()
        sampled = max(now - timedelta(hours=3), local_day_bounds(local_today(now))[0])
        tested = sampled + (now - sampled) / 2
        actor, results = Actor(tech, "t"), []
        opc = get_item("OPC")
        for i in range(RESULTS):
            b = register_batch(actor, BatchInput(site=site, stall=stalls[i % len(stalls)],
                                                 food=f"{FOODS[i % len(FOODS)]}{i + 1:02d}", tests=[opc],
                                                 sampled_at=sampled))
            results.append(record_result(actor, b, ResultInput(item=opc, value=Decimal("10.5"), tested_at=tested)))
        review(Actor(reviewer, "t"), results)
        db.session.commit()
        db.session.remove()


SEEN = """() => {
  const foot = document.querySelector('.board-foot').getBoundingClientRect();
  const rows = [...document.querySelectorAll('.board-row')].filter(r => r.offsetParent !== null);
  return {page: document.body.dataset.page, pages: document.body.dataset.pages,
          footTop: foot.top, footBottom: foot.bottom, footFont: parseFloat(getComputedStyle(
            document.querySelector('.board-foot')).fontSize),
          rowFont: rows.length ? parseFloat(getComputedStyle(rows[0]).fontSize) : 0,
          foot: document.querySelector('.board-foot').innerText,
          rows: rows.map(r => ({text: r.querySelector('.food').innerText, bottom: r.getBoundingClientRect().bottom,
                                top: r.getBoundingClientRect().top}))};
}"""


def test_wall_board_pages_through_every_result_with_the_footer_on_screen(page_for, live):
    _many_results_at_north(live)
    for width, height, name in ((1920, 1080, "public-board-1920x1080"), (1080, 1920, "public-board-1080x1920")):
        page = page_for()
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live.url}/public/sites/CB/board?seconds=2")
        page.wait_for_selector("body[data-page='0']")
        assert page.locator("main .board-row").count() == RESULTS
        pages = int(page.get_attribute("body", "data-pages"))
        assert pages >= 2  # 46 results in type readable from 5 m do not fit one screen
        seen: dict[str, int] = {}
        for k in range(pages):
            page.wait_for_selector(f"body[data-page='{k}']", timeout=10000)
            state = page.evaluate(SEEN)
            if state["page"] != str(k):  # flipped between the wait and the read: read again
                page.wait_for_selector(f"body[data-page='{k}']", timeout=10000)
                state = page.evaluate(SEEN)
            assert 0 <= state["footTop"] and state["footBottom"] <= height, (width, state["footBottom"])
            assert "筛查" in state["foot"] and "0571-86009999" in state["foot"]
            assert state["footFont"] >= 30 and state["rowFont"] >= 30  # ~1.7 % of the long side
            assert state["rows"], k
            for row in state["rows"]:
                assert row["top"] >= 0 and row["bottom"] <= state["footTop"] + 1, (k, row)
                seen[row["text"]] = k
            if k == 0:
                shot(page, name)
        assert len(seen) == RESULTS, sorted(seen)
