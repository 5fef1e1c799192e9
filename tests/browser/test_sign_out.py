"""Signing out in a real browser: a remembered sign-in ("keep me signed in") ends with it, and
"sign out everywhere" ends the sign-in of every other browser too, remembered or not."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.live, pytest.mark.browser]


def _sign_in_remembered(chromium, live, username="wangli"):
    ctx = chromium.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.check("#remember")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return ctx, page


def _remember_cookie(ctx):
    return next((c for c in ctx.cookies() if c["name"] == "remember_token"), None)


def _restart(ctx):
    """What closing and reopening the browser does: the session cookie goes, the remember cookie stays."""
    ctx.clear_cookies(name="session")
    assert _remember_cookie(ctx) is not None


def test_signing_out_ends_a_remembered_sign_in(chromium, live):
    ctx, page = _sign_in_remembered(chromium, live)
    try:
        cookie = _remember_cookie(ctx)
        assert cookie and cookie["sameSite"] == "Lax" and cookie["httpOnly"]
        assert cookie["expires"] - __import__("time").time() <= 30 * 86400 + 60
        _restart(ctx)
        page.goto(f"{live.url}/batches")
        assert "/login" not in page.url  # remembered: still signed in after the "restart"
        page.get_by_role("button", name="退出").click()
        page.wait_for_url(lambda url: "/login" in url)
        assert _remember_cookie(ctx) is None
        page.goto(f"{live.url}/dashboard")
        assert "/login" in page.url
    finally:
        ctx.close()


def test_signing_out_everywhere_ends_the_other_browsers(chromium, live):
    laptop, laptop_page = _sign_in_remembered(chromium, live, "zhaomin")
    phone, phone_page = _sign_in_remembered(chromium, live, "zhaomin")
    try:
        laptop_page.goto(f"{live.url}/account")
        laptop_page.get_by_role("button", name="在所有设备上退出").click()
        laptop_page.wait_for_url(lambda url: "/login" in url)
        phone_page.goto(f"{live.url}/batches")
        assert "/login" in phone_page.url  # its session ended
        _restart(phone)
        phone_page.goto(f"{live.url}/batches")
        assert "/login" in phone_page.url  # and its remember cookie no longer signs in
        laptop_page.fill("#username", "zhaomin")
        laptop_page.fill("#password", PASSWORD)
        laptop_page.get_by_role("button", name="登录").click()
        laptop_page.wait_for_url(lambda url: "/login" not in url)  # signing in again works
    finally:
        laptop.close()
        phone.close()
