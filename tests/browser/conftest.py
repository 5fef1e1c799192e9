"""Browser tests: Debian's Chromium driven by Playwright against the app served live on its
own committed database. Without Chromium or Playwright they skip — and under
LIMS_REQUIRE_ALL=1 (CI) a skip fails."""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.live import LiveServer, dispose, live_app

CHROMIUM = os.environ.get("LIMS_CHROMIUM", "/usr/bin/chromium")
# `make screenshots` refreshes docs/screenshots/; an ordinary run leaves the working tree alone.
SHOTS = Path(os.environ.get("LIMS_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lims-screenshots")
PASSWORD = "browser-pass-1"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -r requirements-test.txt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def seed(app):
    """A small district: two markets, stalls, one user per role, a supplier history."""
    from werkzeug.security import generate_password_hash

    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.models import ReagentLot, Site, Stall, Station, User
    from lims.reference.services import get_item

    with app.app_context():
        pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        east = Site(code="CD", name="城东综合市场", kind="market", district="钱塘区", phone="0571-86001234",
                    planned_monthly_batches=600)
        north = Site(code="CB", name="城北农贸市场", kind="market", district="钱塘区")
        db.session.add_all([east, north])
        db.session.flush()
        stalls = [Stall(site=east, code=f"A-{i:02d}", operator=name, public_code=f"pubcd{i:05d}")
                  for i, name in enumerate(["王建国", "李秀英", "张海燕", "陈志强", "刘桂英"], start=1)]
        stalls.append(Stall(site=north, code="B-01", operator="赵小红", public_code="pubcb00001"))
        db.session.add_all(stalls)
        db.session.add(Station(code="CD-KJS", name="城东市场快检室", kind="room", organisation="钱塘区食品快检中心",
                               site=east))
        users = {
            "admin": User(username="admin", display_name="系统管理员", role="admin", password_hash=pw),
            "technician": User(username="wangli", display_name="王丽", role="technician", password_hash=pw),
            "reviewer": User(username="zhaomin", display_name="赵敏", role="reviewer", password_hash=pw),
            "market_manager": User(username="liujianguo", display_name="刘建国", role="market_manager",
                                   password_hash=pw, sites=[east]),
            "regulator": User(username="sunwei", display_name="孙伟", role="regulator", password_hash=pw),
        }
        db.session.add_all(users.values())
        db.session.add(ReagentLot(item=get_item("OPC"), lot="NC-2611", maker="杭州某生物",
                                  expires_on=(utcnow() + timedelta(days=200)).date()))
        db.session.flush()
        # Yesterday's batches from the usual suppliers, for the round grid's memory.
        actor = Actor(users["technician"], "seed")
        for stall, food in zip(stalls[:3], ["青菜", "菠菜", "芹菜"]):
            register_batch(actor, BatchInput(site=east, stall=stall, food=food, tests=[get_item("OPC")],
                                             supplier_name="萧山蔬菜专业合作社", origin="杭州萧山",
                                             quantity_kg=Decimal(20), sampled_at=utcnow() - timedelta(days=1)))
        db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, worker_id, chromium):
    app = live_app(tmp_path_factory, worker_id, "browser")
    seed(app)
    with LiveServer(app) as server:
        server.app = app
        yield server
    dispose(app)


@pytest.fixture
def page_for(chromium, live):
    """``page_for(username, phone=False)`` → a signed-in page (a new browser context)."""
    contexts = []

    def make(username=None, phone=False, locale="zh-CN"):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 768}
        ctx = chromium.new_context(viewport=viewport, locale=locale, device_scale_factor=1,
                                   is_mobile=phone, has_touch=phone)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        if username:
            page.goto(f"{live.url}/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
