"""Notices are e-mailed, in each reader's language, to a real SMTP server (aiosmtpd on a free
local port) once their transaction has committed; a server that is down loses nothing."""
from __future__ import annotations

import email
import socket
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(app):
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SENDER="lims@example.cn",
                      PUBLIC_BASE_URL="https://lims.example.cn")
    yield box
    controller.stop()
    app.config.update(SMTP_HOST=None, PUBLIC_BASE_URL=None)


def _emailed(db, user):
    from lims.models import Notification

    db.session.expire_all()
    return db.session.execute(sa.select(Notification.emailed_at).where(Notification.user_id == user.id)).scalars().all()


def test_a_notice_is_mailed_once_in_the_readers_language(ctx, db, inbox, world, make_user):
    from lims.notifications.services import notify, send_pending_emails

    chinese = make_user("market_manager", sites=[world.site_a], email="wang@example.cn")
    english = make_user("regulator", email="inspector@example.cn", locale="en")
    silent = make_user("regulator")  # no address: stays in the app
    notify([chinese, english, silent], "overdue", "overdue:test", {
        "site": world.site_a.name, "stall": "A-01", "food": "韭菜", "code": "CD-261120-001",
        "due": "2026-11-21T08:00:00+00:00"}, "/batches/CD-261120-001")
    db.session.commit()
    assert send_pending_emails() == 2
    by_address = {m["To"]: m for m in inbox.messages}
    assert set(by_address) == {"wang@example.cn", "inspector@example.cn"}
    zh, en = by_address["wang@example.cn"], by_address["inspector@example.cn"]
    assert zh["Subject"].startswith("[食品快检] ") and "超期" in zh["Subject"] + zh.get_content()
    assert "overdue" in en["Subject"].lower() and "CD-261120-001" in en.get_content()
    assert "https://lims.example.cn/batches/CD-261120-001" in zh.get_content()
    assert zh["From"] == "lims@example.cn"
    assert all(_emailed(db, u) != [None] for u in (chinese, english)) and _emailed(db, silent) == [None]
    assert send_pending_emails() == 0 and len(inbox.messages) == 2


def test_a_server_that_is_down_loses_no_notice(ctx, db, app, world, make_user):
    from lims.notifications.services import notify, send_pending_emails

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())  # nobody listens there
    try:
        user = make_user("regulator", email="inspector@example.cn")
        notify([user], "supplier_alert", "supplier:test", {"supplier": "鸿运肉类批发部", "positive_sites": ["甲"],
                                                           "other_sites": ["乙"], "other_batches": 2, "untested": 1})
        db.session.commit()
        assert send_pending_emails() == 0
        assert _emailed(db, user) == [None]  # still to be sent by the next tick
    finally:
        app.config.update(SMTP_HOST=None)


def test_without_a_server_configured_nothing_is_sent(ctx, db, world, make_user):
    from lims.notifications.services import notify, send_pending_emails

    user = make_user("regulator", email="inspector@example.cn")
    notify([user], "supplier_alert", "supplier:test2", {"supplier": "某批发部"})
    db.session.commit()
    assert send_pending_emails() == 0 and _emailed(db, user) == [None]


def test_a_positive_typed_on_the_web_is_mailed_to_the_markets_manager_after_it_is_saved(
        client, db, inbox, world, svc, commit):
    from datetime import datetime, timedelta, timezone

    from lims.i18n import format_local

    world.manager_a.email = "manager@example.cn"
    now = datetime.now(timezone.utc)
    batch = svc.batch(world.tech, world.site_a, world.stall_a1, tests=("CLB",), now=now)
    commit()
    client.login(world.tech)
    r = client.post_form(f"/batches/{batch.code}/results", {
        "result-item": "CLB", "result-tc_ratio": "0.2", "result-tested_at": format_local(now - timedelta(minutes=5)),
        "result-confirm_positive": "y"}, csrf_from=f"/batches/{batch.code}")
    assert r.status_code in (302, 303)
    [message] = [m for m in inbox.messages if m["To"] == "manager@example.cn"]
    assert batch.code in message.get_content() and "阳性" in message["Subject"]
