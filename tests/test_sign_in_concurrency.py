"""Simultaneous sign-ins on a real, committed database (SQLite file or PostgreSQL): the
throttle counts every try atomically, so no more than LOGIN_MAX_FAILURES passwords are checked
for one account however many tries arrive at once, and none of them fails with a 500."""
from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from tests.live import dispose, live_app

pytestmark = pytest.mark.live

N = 40


@pytest.fixture(scope="module")
def sapp(tmp_path_factory, worker_id):
    app = live_app(tmp_path_factory, worker_id, "signin")
    yield app
    dispose(app)


def _user(app, name):
    from werkzeug.security import generate_password_hash

    from lims.extensions import db
    from lims.models import User

    with app.app_context():
        db.session.add(User(username=name, display_name=name, role="technician",
                            password_hash=generate_password_hash("right password 1", method="pbkdf2:sha256:1000")))
        db.session.commit()


def _clients(app, n):
    """n browsers, each with the sign-in form's CSRF token."""
    out = []
    for _ in range(n):
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        out.append((client, re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)))
    return out


def _all_at_once(app, username, password, monkeypatch):
    from lims.accounts import services

    checks = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda *a: checks.append(1) or real(*a))
    clients = _clients(app, N)
    barrier = threading.Barrier(N)
    statuses, errors = [None] * N, []

    def sign_in(i):
        client, token = clients[i]
        try:
            barrier.wait(timeout=20)
            statuses[i] = client.post("/login", data={"username": username, "password": password,
                                                      "csrf_token": token}).status_code
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return statuses, len(checks)


def test_simultaneous_wrong_passwords_get_no_more_checks_than_allowed(sapp, monkeypatch):
    from lims.extensions import db
    from lims.models import LoginThrottle

    _user(sapp, "target")
    statuses, checks = _all_at_once(sapp, "target", "wrong guess", monkeypatch)
    limit = sapp.config["LOGIN_MAX_FAILURES"]
    assert checks == limit
    assert sorted(set(statuses)) == [200, 429] and statuses.count(200) == limit - 1
    with sapp.app_context():
        row = db.session.execute(sa.select(LoginThrottle).where(LoginThrottle.key == "user:target")).scalar_one()
        assert row.failures == limit and row.locked_until is not None
        address = db.session.execute(sa.select(LoginThrottle).where(LoginThrottle.key == "ip:127.0.0.1")).scalar_one()
        assert address.failures == limit  # only checked passwords count against the address


def test_simultaneous_tries_for_new_names_never_collide(sapp, monkeypatch):
    """Every try inserts the first throttle row of its name and of the one address at once."""
    statuses, checks = _all_at_once(sapp, "nobody-yet", "wrong guess", monkeypatch)
    assert 500 not in statuses and checks == sapp.config["LOGIN_MAX_FAILURES"]
