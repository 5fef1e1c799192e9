"""The time-driven notices (``lims tick`` and page loads run the sweep): an objection window
closing within the hour, a disposal overdue, a supplier whose goods tested positive elsewhere.
Each is stored once per user, however often the sweep runs."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa


def _notices(db, user=None, kind=None):
    from lims.models import Notification

    stmt = sa.select(Notification.user_id, Notification.kind, Notification.batch_id).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return db.session.execute(stmt).all()


def _told(world, svc, actor_of, db, now, hours_ago: float, site=None, stall=None, supplier=None):
    """A positive batch whose seller was told ``hours_ago`` hours before ``now``."""
    from lims.dispositions import services as dispositions

    batch = svc.positive(world.tech, site or world.site_a, stall or world.stall_a1, now=now)
    if supplier is not None:
        batch.supplier = supplier
    dispositions.notify(actor_of(world.manager_a), batch, now - timedelta(hours=hours_ago), "摊主",
                        now=now - timedelta(hours=hours_ago))
    db.session.flush()
    return batch


def test_a_window_closing_within_the_hour_tells_the_markets_manager_once(ctx, db, world, svc, actor_of, now):
    from lims.notifications.services import sweep

    closing = _told(world, svc, actor_of, db, now, hours_ago=3.5)  # closes in 30 minutes
    _told(world, svc, actor_of, db, now, hours_ago=2)  # closes in 2 hours: not yet
    before = len(_notices(db, kind="window_closing"))
    assert sweep(now) >= 1
    assert _notices(db, world.manager_a, "window_closing") == [(world.manager_a.id, "window_closing", closing.id)]
    assert _notices(db, world.regulator, "window_closing") == []  # the market acts; the district is told of overdue
    assert len(_notices(db, kind="window_closing")) == before + 1
    sweep(now)
    sweep(now + timedelta(minutes=10))
    assert len(_notices(db, kind="window_closing")) == before + 1


def test_an_overdue_disposal_tells_the_manager_and_the_regulator_once(ctx, db, world, svc, actor_of, now, app):
    from lims.notifications.services import describe, sweep
    from lims.models import Notification

    hours = int(app.config["DISPOSAL_DEADLINE_HOURS"])
    late = _told(world, svc, actor_of, db, now, hours_ago=4 + hours + 1)  # window over, disposal due an hour ago
    on_time = _told(world, svc, actor_of, db, now, hours_ago=4 + hours - 1)  # due in an hour
    sweep(now)
    assert (world.manager_a.id, "overdue", late.id) in _notices(db, world.manager_a, "overdue")
    assert (world.regulator.id, "overdue", late.id) in _notices(db, world.regulator, "overdue")
    assert all(batch_id != on_time.id for _, _, batch_id in _notices(db, kind="overdue"))
    n = len(_notices(db, kind="overdue"))
    sweep(now + timedelta(hours=1, minutes=30))  # now the other one is overdue too: only it is added
    added = _notices(db, kind="overdue")[n:]
    assert {batch_id for _, _, batch_id in added} == {on_time.id}
    notice = db.session.execute(sa.select(Notification).where(
        Notification.kind == "overdue", Notification.batch_id == late.id)).scalars().first()
    title, sentence = describe(notice)
    assert late.code in sentence and title


def test_a_disposed_batch_is_never_overdue(ctx, db, world, svc, actor_of, now, app):
    from lims.notifications.services import sweep

    hours = int(app.config["DISPOSAL_DEADLINE_HOURS"])
    batch = _told(world, svc, actor_of, db, now, hours_ago=4 + hours + 1)
    batch.disposition.status = "disposed"
    db.session.flush()
    sweep(now)
    assert all(batch_id != batch.id for _, _, batch_id in _notices(db, kind="overdue"))


def test_a_supplier_positive_at_one_market_alerts_the_district_once_a_day(ctx, db, world, svc, now):
    from lims.notifications.services import describe, sweep
    from lims.models import Notification

    positive = svc.batch(world.tech, world.site_a, world.stall_a1, tests=("CLB",), supplier="鸿运肉类批发部", now=now,
                         sampled_at=now - timedelta(days=1))
    svc.result(world.tech, positive, item="CLB", tc_ratio=0.2, now=now, tested_at=now - timedelta(hours=20))
    svc.batch(world.tech, world.site_b, world.stall_b1, tests=("CLB",), supplier="鸿运肉类批发部", now=now,
              sampled_at=now - timedelta(hours=3))  # the same supplier's goods at the other market, untested
    sweep(now)
    for user in (world.regulator, world.admin):
        alerts = db.session.execute(sa.select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "supplier_alert")).scalars().all()
        assert len(alerts) == 1
        title, sentence = describe(alerts[0])
        assert "鸿运肉类批发部" in title and world.site_b.name in sentence and world.site_a.name in sentence
    assert _notices(db, world.manager_a, "supplier_alert") == []
    sweep(now + timedelta(minutes=5))
    assert len(_notices(db, world.regulator, "supplier_alert")) == 1


def test_a_positive_not_told_to_the_seller_reminds_the_markets_manager_once(ctx, db, world, svc, actor_of, now):
    from lims.dispositions import services as dispositions
    from lims.notifications.services import describe, sweep
    from lims.models import Notification
    from lims.rules.disposition import NOTICE_REMINDER

    batch = svc.positive(world.tech, world.site_a, world.stall_a1, now=now)
    opened = batch.disposition.opened_at
    sweep(opened + NOTICE_REMINDER - timedelta(minutes=1))
    assert _notices(db, kind="not_notified") == []
    sweep(opened + NOTICE_REMINDER)
    assert _notices(db, kind="not_notified") == [(world.manager_a.id, "not_notified", batch.id)]
    sweep(opened + NOTICE_REMINDER + timedelta(hours=1))
    assert len(_notices(db, kind="not_notified")) == 1  # once, not every sweep
    notice = db.session.execute(sa.select(Notification).where(Notification.kind == "not_notified")).scalar_one()
    title, sentence = describe(notice)
    assert "尚未通知经营户" in title and batch.code in sentence and "4 小时" in sentence

    told = svc.positive(world.tech, world.site_a, world.stall_a2, now=now)
    dispositions.notify(actor_of(world.manager_a), told, told.disposition.opened_at + timedelta(minutes=10), "摊主",
                        now=told.disposition.opened_at + timedelta(minutes=10))
    sweep(told.disposition.opened_at + timedelta(hours=2))
    assert all(batch_id != told.id for _, _, batch_id in _notices(db, kind="not_notified"))


def test_the_reminder_rule_at_its_boundary():
    from datetime import datetime, timezone

    from lims.rules.disposition import NOTICE_REMINDER, awaits_notice_too_long

    opened = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    assert not awaits_notice_too_long("stopped", None, opened, opened + NOTICE_REMINDER - timedelta(seconds=1))
    assert awaits_notice_too_long("stopped", None, opened, opened + NOTICE_REMINDER)
    assert not awaits_notice_too_long("stopped", opened, opened, opened + timedelta(hours=5))
    assert not awaits_notice_too_long("disputed", None, opened, opened + timedelta(hours=5))
