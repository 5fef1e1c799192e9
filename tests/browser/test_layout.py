"""Issue 13, layout: the round and result grids at a 1366 px desktop and a 768 px portrait
tablet, lists and the manager's pages on a 390 px phone. Measured in Chromium: no page
scrolls sideways, batch codes, stalls and foods are not wrapped one character a line, the
reagent-lot select shows its whole lot number, the sampling grid needs no sideways scrolling
on a tablet, the disposal table on a phone keeps words whole and the board's date one line."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PASSWORD, shot

pytestmark = [pytest.mark.live, pytest.mark.browser]

DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
LOTS = {"OPC": "OPC-2611-0045", "CLB": "CLB-2612-1187", "SO2": "SO2-2610-33"}


@pytest.fixture(scope="module")
def round_id(live):
    """A morning at 城东: eight batches with three tests each (inhibition, a gold card, a
    limit test), long lot numbers, two results already in (one a gold card read as T/C)."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, create_round, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import ReagentLot, Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    with live.app.app_context():
        tech = Actor(db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one(), "t")
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stalls = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id).order_by(Stall.code)).scalars().all()
        now = utcnow()
        for code, lot in LOTS.items():
            db.session.add(ReagentLot(item=get_item(code), lot=lot, maker="杭州某生物",
                                      expires_on=(now + timedelta(days=200)).date()))
        rnd = create_round(tech, site, now.date())
        items = [get_item("OPC"), get_item("CLB"), get_item("SO2")]
        batches = []
        for i, food in enumerate(["青菜", "小白菜", "猪里脊肉", "菠菜", "黄花菜干", "芹菜", "韭菜", "生姜"]):
            batches.append(register_batch(tech, BatchInput(
                site=site, stall=stalls[i % len(stalls)], food=food, round=rnd, tests=items,
                supplier_name="萧山蔬菜专业合作社", origin="杭州萧山", quantity_kg=Decimal("12.5"),
                sampled_at=now - timedelta(hours=1))))
        record_result(tech, batches[0], ResultInput(item=get_item("OPC"), value=Decimal("12.0"),
                                                    tested_at=now - timedelta(minutes=20), confirm_warnings=True))
        record_result(tech, batches[1], ResultInput(item=get_item("CLB"), c_line=Decimal("1.2"),
                                                    t_line=Decimal("1.1"), tested_at=now - timedelta(minutes=20), confirm_warnings=True))
        db.session.commit()
        rid = rnd.id
        db.session.remove()
        return rid


@pytest.fixture
def page_at(chromium, live):
    contexts = []

    def make(username, viewport, phone=False):
        ctx = chromium.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1,
                                   is_mobile=phone, has_touch=phone)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live.url}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


# The tallest a cell's text may be, in lines of its own font: a code, stall or food wraps at
# most once (two lines), never one character a line.
LINES = """(sel) => [...document.querySelectorAll(sel)].map(el => {
  const lh = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5;
  const r = document.createRange(); r.selectNodeContents(el);
  return {text: el.textContent.trim(), lines: Math.round(r.getBoundingClientRect().height / lh)};
})"""

# Whether each select shows its chosen option whole (text width plus the arrow fits).
SELECT_FITS = """(sel) => [...document.querySelectorAll(sel)].map(s => {
  const cs = getComputedStyle(s), probe = document.createElement('span');
  probe.style.cssText = `position:absolute;visibility:hidden;white-space:nowrap;font:${cs.font}`;
  probe.textContent = s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : '';
  document.body.appendChild(probe);
  const need = probe.getBoundingClientRect().width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
  probe.remove();
  return {text: probe.textContent, need: Math.ceil(need), have: s.clientWidth};
})"""


@pytest.mark.parametrize("name,viewport", [("1366", DESKTOP), ("768", TABLET)])
def test_the_result_grid_keeps_codes_stalls_foods_and_lot_numbers_whole(page_at, live, round_id, name, viewport):
    page = page_at("wangli", viewport)
    page.goto(f"{live.url}/rounds/{round_id}/results")
    shot(page, f"result-grid-{name}")
    assert no_sideways_scroll(page)
    for sel in ("#result-grid td.c-batch a", "#result-grid .c-stall", "#result-grid .c-food"):
        cells = page.evaluate(LINES, sel)
        assert cells and all(c["lines"] <= 2 for c in cells), (sel, cells)
    for cell in page.evaluate(LINES, "#result-grid td.c-batch a"):
        assert cell["lines"] == 1, cell  # a batch code is never broken
    selects = page.evaluate(SELECT_FITS, "#result-grid select[name=reagent_lot]")
    assert selects and all(s["text"] in LOTS.values() for s in selects)
    assert all(s["need"] <= s["have"] for s in selects), selects
    # The grid as a whole is usable without scrolling sideways inside it either.
    assert page.evaluate("(() => { const w = document.querySelector('#result-grid').closest('.table-responsive');"
                         " return w.scrollWidth <= w.clientWidth + 1; })()")


@pytest.mark.parametrize("name,viewport", [("1366", DESKTOP), ("768", TABLET)])
def test_the_sampling_grid_fits_without_sideways_scrolling(page_at, live, round_id, name, viewport):
    page = page_at("wangli", viewport)
    page.goto(f"{live.url}/rounds/{round_id}")
    page.wait_for_selector("#round-grid tbody tr")
    shot(page, f"round-grid-{name}")
    assert no_sideways_scroll(page)
    assert page.evaluate("(() => { const w = document.querySelector('.round-grid-wrap');"
                         " return w.scrollWidth <= w.clientWidth + 1; })()")
    widths = page.evaluate("[...document.querySelectorAll('#round-grid tbody tr.editing input')]"
                           ".filter(i => i.offsetParent).map(i => i.getBoundingClientRect().width)")
    assert widths and min(widths) >= 40, widths  # every field still wide enough to type in


def test_lists_do_not_scroll_sideways_on_a_phone_or_tablet(page_at, live, round_id):
    for viewport, phone in ((PHONE, True), (TABLET, False)):
        page = page_at("zhaomin", viewport, phone)
        for path in ("/batches", "/rounds", "/review", "/notifications/", "/events/", "/positives"):
            page.goto(f"{live.url}{path}")
            assert no_sideways_scroll(page), (path, viewport)
        page.goto(f"{live.url}/batches?status=registered&stall=A-01")
        assert page.locator(".filter-chip").count() == 2 and no_sideways_scroll(page)
        cells = page.evaluate(LINES, ".batch-table td.c-food, .batch-table th")
        assert cells and all(c["lines"] <= 1 for c in cells) and any(c["lines"] == 1 for c in cells), cells
        shot(page, f"batches-filtered-{viewport['width']}")


@pytest.fixture(scope="module")
def disposed_code(live):
    """A positive at 城东 stopped and partly destroyed: the disposal table has two actions."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.dispositions import services as dispositions
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    with live.app.app_context():
        def actor(name):
            return Actor(db.session.execute(sa.select(User).where(User.username == name)).scalar_one(), "t")

        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stall = db.session.execute(sa.select(Stall).where(Stall.code == "A-04")).scalar_one()
        sampled = utcnow() - timedelta(hours=8)
        b = register_batch(actor("wangli"), BatchInput(site=site, stall=stall, food="韭菜", tests=[get_item("OPC")],
                                                       quantity_kg=Decimal("12"), sampled_at=sampled), now=sampled)
        record_result(actor("wangli"), b, ResultInput(item=get_item("OPC"), tested_at=sampled + timedelta(minutes=30),
                                                      value=Decimal("63.5")), now=sampled + timedelta(minutes=31))
        manager = actor("liujianguo")
        dispositions.notify(manager, b, sampled + timedelta(hours=1), "陈志强", now=sampled + timedelta(hours=1))
        dispositions.add_disposal(manager, b, dispositions.DisposalInput(
            action="stop_sale", quantity_kg=Decimal("12"), done_at=sampled + timedelta(hours=1, minutes=5),
            place="城东综合市场 A-04 摊位", supervisor="刘建国"), now=sampled + timedelta(hours=1, minutes=6))
        db.session.commit()
        code = b.code
        db.session.remove()
        return code


def test_on_a_phone_the_disposal_table_keeps_words_whole_and_the_board_date_one_line(page_at, live, disposed_code):
    page = page_at("liujianguo", PHONE, phone=True)
    page.goto(f"{live.url}/batches/{disposed_code}")
    assert no_sideways_scroll(page)
    cells = page.evaluate(LINES, ".disposal-table td.d-action, .disposal-table td.d-kg")
    assert cells and all(c["lines"] <= 2 for c in cells), cells
    widths = page.evaluate("[...document.querySelectorAll('.disposal-table td.d-action')]"
                           ".map(td => td.getBoundingClientRect().width)")
    assert widths and min(widths) >= 150, widths  # not a column one character wide
    page.locator(".disposal-table").scroll_into_view_if_needed()
    page.screenshot(path=str(_shots() / "disposal-phone.png"))
    page.goto(f"{live.url}/")
    assert no_sideways_scroll(page)
    shot(page, "manager-home-phone")
    page.goto(f"{live.url}/public/sites/CD/board")
    day = page.evaluate(LINES, ".board-day")
    assert day and day[0]["lines"] == 1, day
    assert no_sideways_scroll(page)


def _shots():
    from tests.browser.conftest import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_the_grids_join_messages_without_doubled_stops(page_at, live):
    page = page_at("wangli", DESKTOP)
    joined = page.evaluate("LIMS.joinSentences(['“abc”不是数字。', '', '缺少读数：请输入数值。'])")
    assert joined == "“abc”不是数字；缺少读数：请输入数值。"
