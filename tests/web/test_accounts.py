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
        row.locked_until = now - timedelta(hours=1)
        row.first_failure_at = row.last_failure_at = now - timedelta(hours=2)
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
    assert client.post("/lang/en?next=/login", data={"csrf_token": client.csrf("/login")}).status_code == 302
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.post("/lang/zh_CN?next=/login", data={"csrf_token": client.csrf("/login")})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_errors_speak_the_users_language(client):
    assert "未找到" in client.get("/public/stalls/nope").get_data(as_text=True) or \
        "找不到" in client.get("/public/stalls/nope").get_data(as_text=True)


# --- the language switch -----------------------------------------------------------------


def test_the_language_switch_is_a_form_with_a_csrf_token(client, make_user, db):
    user = make_user("technician")
    client.login(user)
    assert client.get("/lang/en?next=/").status_code == 405  # a link (or an <img>) cannot change it
    assert client.post("/lang/en?next=/").status_code == 400  # nor a forged form
    assert user.locale is None
    html = client.get("/").get_data(as_text=True)
    assert 'action="/lang/en?next=/"' in html
    r = client.post("/lang/en?next=/batches", data={"csrf_token": client.csrf("/")})
    assert r.status_code == 302 and r.headers["Location"] == "/batches"
    db.session.refresh(user)
    assert user.locale == "en" and 'lang="en"' in client.get("/").get_data(as_text=True)
    assert client.post("/lang/xx", data={"csrf_token": client.csrf("/")}).status_code == 404


@pytest.mark.parametrize("target", ["/x%0aY", "/x%0d%0aSet-Cookie:%20a=b", "/%5cevil.example", "/%09/evil.example",
                                    "%2F%2Fevil.example"])
def test_next_never_leaves_the_site_nor_breaks_the_redirect(client, make_user, target):
    token = client.csrf("/login")
    r = client.post(f"/lang/en?next={target}", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    user = make_user("technician")
    r = client.post(f"/login?next={target}", data={"username": user.username, "password": TEST_PASSWORD,
                                                   "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_public_pages_switch_language_by_address_without_a_form(client, make_site, make_stall):
    stall = make_stall(make_site())
    page = client.get(f"/public/stalls/{stall.public_code}").get_data(as_text=True)
    assert 'href="?lang=en"' in page and "csrf_token" not in page
    english = client.get(f"/public/stalls/{stall.public_code}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and 'href="?lang=zh_CN"' in english


# --- remembered sign-ins -------------------------------------------------------------------


def _remember_cookie(response):
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    return cookies[0] if cookies else None


def _sign_in_remembered(client, user):
    token = client.csrf("/login")
    r = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD, "remember": "y",
                                    "csrf_token": token})
    assert r.status_code == 302
    return r


def _only_remembered(client):
    """The browser after a restart: the session cookie is gone, the remember cookie stays."""
    client.delete_cookie("session")
    return client


def test_the_remember_cookie_is_lax_httponly_and_lives_at_most_30_days(client, make_user, app):
    from email.utils import parsedate_to_datetime

    from lims.database import utcnow

    cookie = _remember_cookie(_sign_in_remembered(client, make_user("technician")))
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(days=1) < expires - utcnow() <= timedelta(days=30)
    from lims.config import Config, load_config

    assert Config.REMEMBER_COOKIE_SECURE
    with pytest.raises(ValueError, match="REMEMBER_DAYS"):
        load_config({"REMEMBER_DAYS": 365, "TESTING": True}, app.instance_path)


def test_signing_out_forgets_the_remembered_sign_in(client, make_user):
    user = make_user("technician")
    _sign_in_remembered(client, user)
    assert client.get("/").status_code == 200
    r = client.post("/logout", data={"csrf_token": client.csrf("/")})
    assert r.status_code == 302
    cleared = _remember_cookie(r)
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared
    assert client.get("/").status_code == 302


def test_a_remembered_sign_in_ends_with_a_new_password(app, client, make_user, admin_actor, ctx):
    from lims.accounts.services import update_user
    from tests.conftest import Client

    user = make_user("technician")
    forgetful = Client(app.test_client())
    forgetful.login(user)
    assert _only_remembered(forgetful).get("/").status_code == 302  # (without the cookie: signed out)
    _sign_in_remembered(client, user)
    assert _only_remembered(client).get("/").status_code == 200  # the remember cookie signs in again
    _only_remembered(client)
    update_user(admin_actor, user, display_name=user.display_name, role=user.role, active=True,
                password="a brand new password")
    assert client.get("/").status_code == 302


def test_signing_out_everywhere_ends_every_session_and_remembered_sign_in(app, client, make_user, db):
    from tests.conftest import Client

    user = make_user("technician")
    laptop, phone = Client(app.test_client()), Client(app.test_client())
    _sign_in_remembered(laptop, user)
    _sign_in_remembered(phone, user)
    client.login(user)
    page = client.get("/account")
    assert page.status_code == 200 and "sign-out-everywhere" in page.get_data(as_text=True)
    assert client.get("/account/sign-out-everywhere").status_code == 405
    r = client.post("/account/sign-out-everywhere", data={"csrf_token": client.csrf("/account")})
    assert r.status_code == 302 and _remember_cookie(r) is None  # (this client had no remember cookie)
    assert client.get("/").status_code == 302
    assert laptop.get("/").status_code == 302  # its session
    assert _only_remembered(phone).get("/").status_code == 302  # its remember cookie
    from lims.models import AuditEntry

    assert db.session.query(AuditEntry).filter_by(action="user.sign_out_everywhere").count() == 1
    client.login(user)  # signing in again works
    assert client.get("/").status_code == 200


def test_the_account_page_needs_a_sign_in(client):
    assert client.get("/account").status_code == 302
    assert client.post("/account/sign-out-everywhere").status_code in (302, 400)


# --- throttling: per account, growing; per address only far higher --------------------------


def test_bad_tries_for_one_name_do_not_lock_out_others_at_the_same_address(client, make_user, app):
    """Behind one address (an office, a load balancer) a few typing errors — or someone trying
    names — must not keep everyone else out."""
    user = make_user("technician")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] * 3):
        _try(client, "no-such-user", "wrong-password")
    assert _try(client, "no-such-user", "wrong-password").status_code == 429  # that name is locked
    assert _try(client, user.username, TEST_PASSWORD).status_code == 302


def test_an_address_is_locked_only_after_many_failures(client, make_user, app, db):
    from lims.models import LoginThrottle

    user = make_user("technician")
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 7
    try:
        for i in range(6):
            assert _try(client, f"name{i}", "wrong-password").status_code == 200
        assert _try(client, user.username, TEST_PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": client.csrf("/")})
        assert _try(client, "name7", "wrong-password").status_code == 200  # the 7th failure
        assert _try(client, user.username, TEST_PASSWORD).status_code == 429
        assert db.session.get(LoginThrottle, "ip:127.0.0.1").failures == 7
    finally:
        app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 100


def test_each_failure_after_a_lock_locks_the_account_twice_as_long(app, ctx, db, make_user, now):
    from lims.accounts.services import LoginRefused, authenticate

    user = make_user("technician")
    cfg = app.config
    lock = timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])

    def attempt(at, password="wrong-password"):
        try:
            return authenticate(user.username, password, "10.0.0.1", now=at)
        except LoginRefused as refused:
            return refused

    for i in range(cfg["LOGIN_MAX_FAILURES"] - 1):
        assert attempt(now).locked_until is None
    assert attempt(now).locked_until == now + lock  # the try that reaches the limit
    assert attempt(now + lock - timedelta(seconds=1), TEST_PASSWORD).locked_until == now + lock
    later = now + lock + timedelta(minutes=1)
    assert attempt(later).locked_until == later + 2 * lock
    much_later = later + 2 * lock + timedelta(minutes=1)
    assert attempt(much_later).locked_until == much_later + 4 * lock
    latest = much_later + timedelta(days=30)  # a long quiet spell: the count starts again
    assert attempt(latest).locked_until is None
    assert attempt(latest, TEST_PASSWORD) == user
    assert attempt(latest).locked_until is None  # a right password cleared the count


def test_the_longest_lock_is_capped(app, ctx, make_user, now):
    from lims.accounts.services import lock_end

    cap = timedelta(minutes=app.config["LOGIN_LOCK_MAX_MINUTES"])
    assert lock_end(app.config["LOGIN_MAX_FAILURES"] + 200, now) == now + cap


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(database_url, tmp_path, make_user, db):
    from lims.models import LoginThrottle
    from tests.conftest import Client, make_test_app

    user = make_user("technician")
    proxied = make_test_app(database_url, tmp_path, TRUSTED_PROXIES=1)
    client = Client(proxied.test_client())
    token = client.csrf("/login")
    r = client.post("/login", data={"username": user.username, "password": "wrong-password", "csrf_token": token},
                    headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 200
    assert db.session.get(LoginThrottle, "ip:203.0.113.9").failures == 1
    assert db.session.get(LoginThrottle, "ip:127.0.0.1") is None


# --- password policy -------------------------------------------------------------------------


@pytest.mark.parametrize("password, problem", [
    ("short-pw9", "10 个字符"), ("1234567890", "常用"), ("Password123", "常用"),
    ("qwertyuiop", "常用"), ("", "10 个字符"),
])
def test_passwords_are_long_and_not_common(ctx, admin_actor, db, password, problem):
    from lims.accounts.services import create_user, update_user
    from lims.errors import InvalidInput
    from lims.models import User

    with pytest.raises(InvalidInput) as refused:
        create_user(admin_actor, username="newbie", role="technician", password=password)
    assert problem in str(refused.value) and "password" in refused.value.errors
    assert db.session.query(User).filter_by(username="newbie").count() == 0
    user = create_user(admin_actor, username="newbie", role="technician", password="violet tram 58")
    before = user.password_hash
    if password:
        with pytest.raises(InvalidInput):
            update_user(admin_actor, user, display_name="x", role="technician", active=True, password=password)
        assert user.password_hash == before



def test_a_new_session_gets_its_csrf_secret_at_sign_in(client, make_user):
    """Signed-in pages are cached per session secret (lims.pagecache): a session signed in
    without one made a new one on every request of a client that had not stored the cookie
    yet, and each such request missed the cache. The secret is new (not the anonymous one)."""
    user = make_user("regulator")
    with client.session_transaction() as s:
        s["csrf_token"] = "anonymous-secret"
    client.login(user)
    with client.session_transaction() as s:
        assert s.get("csrf_token") and s["csrf_token"] != "anonymous-secret"
