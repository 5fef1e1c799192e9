"""Every role signs in in a real browser and reaches its home page (screenshots saved)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]

HOMES = {
    "admin": "/",
    "wangli": "/",
    "zhaomin": "/",
    "liujianguo": "/",
    "sunwei": "/dashboard",
}


def test_login_page_is_chinese(page_for, live):
    page = page_for()
    page.goto(f"{live.url}/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("button", name="登录").is_visible()
    shot(page, "login")


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_reaches_its_home(page_for, live, username):
    page = page_for(username)
    assert page.url.rstrip("/").endswith(HOMES[username].rstrip("/")) or page.url.endswith(HOMES[username])
    assert page.locator("nav.navbar").is_visible()
    assert "登录" not in page.title()
    shot(page, f"home-{username}")


def test_wrong_password_shows_the_error_at_the_field(page_for, live):
    page = page_for()
    page.goto(f"{live.url}/login")
    page.fill("#username", "wangli")
    page.fill("#password", "wrong password")
    page.press("#password", "Enter")
    page.wait_for_selector(".invalid-feedback")
    assert "用户名或密码" in page.locator(".invalid-feedback").inner_text()


def test_english_switch_is_complete(page_for, live):
    page = page_for("wangli", locale="zh-CN")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    text = page.locator("body").inner_text()
    assert "Rounds" in text and "轮次" not in text
    page.get_by_role("button", name="中文").click()
