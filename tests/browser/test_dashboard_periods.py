"""The dashboard's period picker in a real browser, in Chinese and in English, for the
regulator and a market manager, on the demo district (one month of it); screenshots of a
quarter's dashboard, its five-colour ratings with their rules, and a market's rating page."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import shot
from tests.live import LiveServer, dispose, live_app

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, worker_id, chromium):
    from lims.demo.builder import build_demo
    from lims.extensions import db

    app = live_app(tmp_path_factory, worker_id, "dashdemo", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    with app.app_context():
        build_demo(months=1, seed=2026)
        db.session.commit()
    with LiveServer(app) as server:
        server.app = app
        yield server
    dispose(app)


@pytest.fixture
def login(chromium, demo):
    from lims.demo.district import PASSWORD

    contexts = []

    def make(username, locale="zh-CN"):
        ctx = chromium.new_context(viewport={"width": 1440, "height": 900}, locale=locale, device_scale_factor=1)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(20000)
        page.goto(f"{demo.url}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def figures_of(demo, username, **period):
    """What the dashboard service gives for the same period (the page must show it)."""
    from lims.accounts.access import Actor
    from lims.dashboard.periods import parse_period
    from lims.dashboard.services import dashboard
    from lims.database import utcnow
    from lims.extensions import db
    from lims.i18n import local_today
    from lims.models import User

    with demo.app.test_request_context():
        user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one()
        now = utcnow()
        return dashboard(Actor(user, "test"), now, parse_period(period, local_today(now), 366))


def stat(page, key):
    return page.locator(f'[data-card="{key}"] .stat-value').inner_text().strip()


def test_a_quarter_chosen_in_chinese(login, demo):
    page = login("sunwei")
    page.goto(f"{demo.url}/dashboard")
    assert page.locator("#d-month").is_visible() and not page.locator("#d-quarter").is_visible()
    page.select_option("#d-period", "quarter")
    assert page.locator("#d-quarter").is_visible() and not page.locator("#d-month").is_visible()
    quarter = page.locator("#d-quarter option").first.inner_text()
    page.select_option("#d-quarter", quarter)
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"period=quarter"))
    assert "month=" not in page.url  # only the chosen kind's field is sent
    assert f"季度 {quarter}" in page.locator("h1").inner_text()
    d = figures_of(demo, "sunwei", period="quarter", quarter=quarter)
    assert stat(page, "tests") == str(d.current.tests) and stat(page, "batches") == str(d.current.batches)
    colours = {rating.colour for _site, rating, _reason in d.ratings}
    assert len(colours) >= 2, colours  # the demo's ratings spread (tests/demo: three colours or more)
    assert page.locator(".rating-list li").count() == len(d.ratings)
    shot(page, "dashboard-quarter")
    page.locator(".rating-rules summary").click()
    assert page.locator(".rating-rules li").count() == 5
    page.locator(".rating-rules").scroll_into_view_if_needed()
    shot(page, "dashboard-ratings")


def test_a_bad_range_in_english_is_explained(login, demo):
    page = login("sunwei", locale="en-US")
    page.goto(f"{demo.url}/dashboard")
    page.select_option("#d-period", "range")
    assert page.get_by_label("From").is_visible() and page.get_by_label("To").is_visible()
    page.fill("#d-from", "2026-11-20")
    page.fill("#d-to", "2026-11-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"period=range"))
    alert = page.locator(".alert-danger").inner_text()
    assert "ends before it begins" in alert and "choose another period" in alert
    assert page.locator("#d-period").input_value() == "range"  # the picker keeps the kind chosen
    page.goto(f"{demo.url}/dashboard?period=year")
    assert "Year" in page.locator("h1").inner_text() and page.locator(".stat-value").count() == 7


def test_the_market_manager_sees_their_market(login, demo):
    page = login("liujianguo")
    page.goto(f"{demo.url}/dashboard?period=year")
    names = page.locator(".rating-list li a").all_inner_texts()
    assert names == ["城东综合市场"]
    d = figures_of(demo, "liujianguo", period="year")
    assert stat(page, "tests") == str(d.current.tests)
    page.goto(f"{demo.url}/sites/CD")
    assert page.locator(".rating-dot.lg").is_visible()
    page.locator(".rating-rules summary").click()
    assert page.locator(".rating-rules li").count() == 5  # the rules, with the configured thresholds
    shot(page, "site-rating")
