"""Signing in and out, throttling, sessions that end when a password changes, CSRF,
security headers, the language switch."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import TEST_PASSWORD


def _try(client, username, password):
    token = client.csrf("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_sign_in_and_out(client, make_user):
    user = make_user("technician")
    assert client.get("/").status_code == 302
    client.login(user)
    page = client.get("/")
    assert page.status_code == 200 and user.display_name in page.get_data(as_text=True)
    token = client.csrf("/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_shown_next_to_the_field(client, make_user):
    user = make_user("technician")
    r = _try(client, user.username, "not the password")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "invalid-feedback" in html
    assert client.get("/").status_code == 302


def test_throttling_locks_the_account_even_for_the_right_password(client, make_user, app):
    user = make_user("technician")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _try(client, user.username, "wrong-password")
    r = _try(client, user.username, TEST_PASSWORD)
    assert r.status_code == 429
    assert client.get("/").status_code == 302


def test_throttle_window_expires(client, make_user, app, db, now):
    from lims.models import LoginThrottle

    user = make_user("technician")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _try(client, user.username, "wrong-password")
    for row in db.session.query(LoginThrottle).all():
        row.locked_until = now - timedelta(minutes=1)
        row.first_failure_at = now - timedelta(hours=1)
    db.session.flush()
    assert _try(client, user.username, TEST_PASSWORD).status_code == 302


def test_unknown_user_and_inactive_user_are_refused(client, make_user):
    assert _try(client, "nobody-here", TEST_PASSWORD).status_code == 200
    inactive = make_user("technician", active=False)
    assert _try(client, inactive.username, TEST_PASSWORD).status_code == 200
    assert client.get("/").status_code == 302


def test_password_change_ends_other_sessions(client, app, make_user, admin_actor, ctx):
    from lims.accounts.services import update_user

    user = make_user("technician")
    client.login(user)
    assert client.get("/").status_code == 200
    update_user(admin_actor, user, display_name=user.display_name, role=user.role, active=True,
                password="a brand new password")
    assert client.get("/").status_code == 302


def test_deactivation_ends_sessions(client, make_user, admin_actor, ctx):
    from lims.accounts.services import update_user

    user = make_user("reviewer")
    client.login(user)
    update_user(admin_actor, user, display_name=user.display_name, role=user.role, active=False)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/batches", "/batches"), ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("javascript:alert(1)", "/"),
])
def test_next_only_goes_to_this_site(client, make_user, target, expected):
    user = make_user("technician")
    token = client.csrf("/login")
    r = client.post(f"/login?next={target}", data={"username": user.username, "password": TEST_PASSWORD,
                                                   "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == expected


def test_forms_refuse_a_missing_or_forged_csrf_token(client, make_user):
    user = make_user("technician")
    assert client.post("/login", data={"username": user.username, "password": TEST_PASSWORD}).status_code == 400
    assert client.post("/login", data={"username": user.username, "password": TEST_PASSWORD,
                                       "csrf_token": "forged"}).status_code == 400
    client.login(user)
    assert client.post("/rounds", data={"site": "X"}).status_code == 400
    assert client.post("/results/assess", json={}).status_code == 400


def test_security_headers_and_cookie_flags(app, client, make_user):
    r = client.get("/login")
    h = r.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert "script-src 'self'" in h["Content-Security-Policy"] and "unsafe-inline" not in \
        h["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    user = make_user("technician")
    token = client.csrf("/login")
    login = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": token})
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    from lims.config import Config

    assert Config.SESSION_COOKIE_SECURE and Config.REMEMBER_COOKIE_SECURE and Config.SESSION_COOKIE_HTTPONLY


def test_no_inline_scripts_in_pages(client, make_user):
    client.login(make_user("admin"))
    for path in ("/", "/batches", "/rounds", "/admin/", "/reports", "/positives"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and " onchange=" not in html, path


def test_chinese_by_default_english_on_request(client):
    zh = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in zh and "登录" in zh
    en = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in en and "Sign in" in en
    assert client.get("/lang/en?next=/login").status_code == 302
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.get("/lang/zh_CN?next=/login")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_errors_speak_the_users_language(client):
    assert "未找到" in client.get("/public/stalls/nope").get_data(as_text=True) or \
        "找不到" in client.get("/public/stalls/nope").get_data(as_text=True)
