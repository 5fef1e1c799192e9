"""The main journeys in a real browser: a morning round registered and its results entered
from the keyboard alone; a positive followed through notification, objection, laboratory
result and disposal by the roles the law gives them."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]


def _db(live):
    from lims.extensions import db

    return db


def test_round_registered_and_entered_by_keyboard(page_for, live):
    page = page_for("wangli")
    page.goto(f"{live.url}/rounds")
    page.select_option("#site", "CD")
    page.select_option("#station", "CD-KJS")
    page.get_by_role("button", name="开始").press("Enter")
    page.wait_for_url("**/rounds/*")
    assert page.evaluate("document.activeElement.name") == "code"

    def row(stall, food_keys, expect_food, kg):
        page.keyboard.press("Enter")            # no pre-printed code: the system makes one
        page.keyboard.type(stall)
        page.keyboard.press("Enter")            # the stall's last supplier and origin are filled in
        page.keyboard.type(food_keys)
        page.wait_for_selector(".food-menu")
        page.keyboard.press("Enter")            # pick the highlighted food
        page.keyboard.press("Enter")            # supplier (pre-filled)
        page.keyboard.press("Enter")            # origin (pre-filled)
        page.keyboard.type(kg)
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")            # tests pre-filled from the food's category → save

    row("A-01", "qc", "青菜", "20")
    row("a-02", "bc", "菠菜", "15")           # typed on while the first row saves; lower case is fine
    row("A-04", "zr", "猪肉", "30")
    expect(page.locator("#round-grid tr.saved")).to_have_count(3)
    shot(page, "round-grid")
    saved = page.locator("#round-grid tr.saved").all_inner_texts()
    assert "青菜" in saved[0] and "萧山蔬菜专业合作社" in saved[0] and "杭州萧山" in saved[0]
    assert "菠菜" in saved[1] and "猪肉" in saved[2]

    # A row with an unknown stall is refused next to the cell, and nothing is lost.
    page.keyboard.press("Enter")
    page.keyboard.type("Z-99")
    for _ in range(6):
        page.keyboard.press("Enter")
    page.wait_for_selector("#round-grid tr.editing input.is-invalid")
    assert page.locator("#round-grid tr.saved").count() == 3
    assert "Z-99" in page.locator("#round-grid tr.editing .state.text-danger").inner_text()

    # Results from the keyboard: the outcome shows as it is typed; a positive asks first, in a
    # dialog naming the item, the reading and the cut-off (Esc cancels, Enter confirms).
    page.goto(page.url.split("#")[0] + "/results")
    rows = page.locator("#result-grid tbody tr")
    assert rows.count() == 4  # 青菜 OPC, 菠菜 OPC, 猪肉 CLB + RAC
    page.locator("#result-grid tbody tr >> nth=0 >> input[name=value]").click()
    page.keyboard.type("12.4")
    page.wait_for_selector("#result-grid tbody tr >> nth=0 >> .live .badge")
    assert page.locator("#result-grid tbody tr >> nth=0 >> .live").inner_text().startswith("阴性")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result-grid tbody tr.done >> nth=0")
    page.keyboard.type("63.5")                 # focus moved to the next row
    expect(page.locator("#result-grid .live .text-bg-danger")).to_have_count(1)
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#confirm-positive")
    expect(dialog).to_be_visible()
    text = dialog.inner_text()
    assert "菠菜" in text and "有机磷" in text and "63.5" in text and "50" in text
    page.keyboard.press("Escape")              # cancel: nothing saved, back in the row
    expect(dialog).to_be_hidden()
    assert page.locator("#result-grid tbody tr.done").count() == 1
    assert page.evaluate("document.activeElement.name") == "value"
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    shot(page, "result-grid-confirm-positive")
    page.keyboard.press("Enter")               # confirm
    expect(dialog).to_be_hidden()
    page.wait_for_selector("#next-steps .next-positive")
    assert "通知" in page.locator("#next-steps .next-positive").inner_text()
    # An invalid card on the next row asks for a retest — beside the positive's step, not instead of it.
    page.locator("#result-grid tbody tr >> nth=2 >> input[name=c_line]").fill("0")
    page.locator("#result-grid tbody tr >> nth=2 >> input[name=t_line]").fill("0")
    page.locator("#result-grid tbody tr >> nth=2 >> input[name=t_line]").press("Enter")
    page.wait_for_selector("#next-steps .next-other")
    assert page.locator("#next-steps .next-positive").count() == 1
    assert "通知" in page.locator("#next-steps .next-positive").inner_text()
    shot(page, "result-grid")
    page.locator("#next-steps .next-positive").get_by_role("button", name="已处理").click()
    expect(page.locator("#next-steps .next-positive")).to_have_count(0)

    from lims.models import Batch, Result

    with live.app.app_context():
        db = _db(live)
        results = db.session.execute(sa.select(Result.outcome, Batch.food).join(Batch)
                                     .where(Batch.site.has(code="CD"), Batch.food.in_(("青菜", "菠菜")),
                                            Batch.round_id.is_not(None))).all()
        assert sorted(results) == [("negative", "青菜"), ("positive", "菠菜")]
        db.session.remove()


def _positive(live):
    """A positive batch at 城东 A-05, tested an hour ago."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    with live.app.app_context():
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id, Stall.code == "A-05")).scalar_one()
        now = utcnow()
        from decimal import Decimal

        b = register_batch(Actor(tech, "t"), BatchInput(site=site, stall=stall, food="猪肝", tests=[get_item("CLB")],
                                                         quantity_kg=Decimal(12), sampled_at=now - timedelta(hours=2)))
        record_result(Actor(tech, "t"), b, ResultInput(item=get_item("CLB"), c_line=Decimal("1.2"),
                                                       t_line=Decimal("0.2"), tested_at=now - timedelta(hours=1)))
        db.session.commit()
        code = b.code
        db.session.remove()
        return code


def test_positive_followed_through_by_the_right_roles(page_for, live):
    code = _positive(live)
    manager = page_for("liujianguo", phone=True)
    manager.goto(f"{live.url}/")
    assert code in manager.locator(".worklist-notify").inner_html()
    shot(manager, "manager-phone-home")
    manager.locator(f".worklist-notify a[href*='{code}']").click()
    manager.wait_for_selector("#disposition")
    manager.get_by_role("button", name="已通知经营户").click()
    manager.wait_for_selector(".alert-success")
    assert manager.locator(".countdown").first.is_visible()

    # An objection naming a rapid method is refused next to the field.
    manager.get_by_role("button", name="登记异议").first.click()
    manager.fill("#objection-lab", "浙江省食品药品检验研究院")
    manager.fill("#objection-method", "KJ 201706 胶体金")
    manager.locator("#act-objection button[type=submit]").click()
    manager.wait_for_selector("#objection-method.is-invalid")
    assert "快检" in manager.locator("#objection-method ~ .invalid-feedback").inner_text()
    manager.fill("#objection-method", "GB/T 22286-2008")
    manager.locator("#act-objection button[type=submit]").click()
    manager.wait_for_selector(".alert-success")
    assert "复检" in manager.locator(".status-badge").first.inner_text() or \
        "待" in manager.locator(".status-badge").first.inner_text()
    shot(manager, "manager-phone-disputed")

    # The laboratory result is recorded by a reviewer: positive stands.
    reviewer = page_for("zhaomin")
    reviewer.goto(f"{live.url}/batches/{code}")
    reviewer.fill("#lab-report_no", "ZJ-2026-1188")
    reviewer.select_option("#lab-outcome", "positive")
    reviewer.fill("#lab-fee", "680")
    reviewer.locator("#act-lab button[type=submit]").click()
    reviewer.wait_for_selector(".alert-success")

    # The market manager destroys the 12 kg under supervision, with a photo.
    manager.goto(f"{live.url}/batches/{code}")
    manager.select_option("#disposal-action", "destroy")
    manager.fill("#disposal-quantity_kg", "12")
    manager.fill("#disposal-place", "市场无害化处理点")
    manager.fill("#disposal-supervisor", "刘建国")
    from tests.web.world import jpeg_bytes

    manager.set_input_files("#disposal-photos", files=[{"name": "destroy.jpg", "mimeType": "image/jpeg",
                                                        "buffer": jpeg_bytes()}])
    manager.locator("#act-disposal button[type=submit]").click()
    manager.wait_for_selector(".alert-success")
    assert "已处置" in manager.locator(".status-badge").first.inner_text()
    assert manager.locator("img.photo-thumb").count() == 1
    shot(manager, "manager-phone-disposed")

    from lims.models import Batch

    with live.app.app_context():
        db = _db(live)
        batch = db.session.execute(sa.select(Batch).where(Batch.code == code)).scalar_one()
        assert batch.status == "disposed"
        from lims.audit.services import verify

        assert verify().ok
        db.session.remove()
