"""Who is told what: a new positive at my market, a positive whose seller has not been told
half an hour later, an objection window closing within the hour, a disposition overdue, a
supplier alert. Each notice is stored once per user (a dedupe key), worded when shown in the
reader's language, and e-mailed after the transaction that created it has committed."""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext, ngettext

from lims.database import utcnow
from lims.extensions import db
from lims.i18n import format_local, local_today, speaking
from lims.models import Batch, Disposition, Notification, User, user_sites
from lims.rules.disposition import awaits_notice_too_long, effective_status, is_overdue
from lims.rules.permissions import roles_with

log = logging.getLogger(__name__)

WINDOW_WARNING = timedelta(hours=1)


def _site_users(site_id: int, roles=roles_with("notice.site")) -> list[User]:
    managers = db.session.execute(sa.select(User).join(user_sites, user_sites.c.user_id == User.id)
                                  .where(user_sites.c.site_id == site_id, User.role.in_(roles),
                                         User.active.is_(True))).scalars().all()
    return list(managers)


class _Overseers:
    """The regulators (or, for supplier alerts, regulators and administrators) told of what
    happens at a site: those whose scope reaches it (lims/accounts/scope.py) — a district's
    regulator hears of its own markets only, the city's of all of them. Users and their scopes
    are looked up once per sweep."""

    def __init__(self, roles=roles_with("notice.district")):
        self.users = list(db.session.execute(sa.select(User).where(User.role.in_(roles), User.active.is_(True))
                                             .order_by(User.id)).scalars())
        self._scopes: dict[int, frozenset[int] | None] = {}

    def scope(self, user: User):
        if user.id not in self._scopes:
            from lims.accounts.scope import sites_in_scope

            self._scopes[user.id] = sites_in_scope(user)
        return self._scopes[user.id]

    def of(self, site_id: int) -> list[User]:
        return [u for u in self.users if (sc := self.scope(u)) is None or site_id in sc]

    def by_scope(self) -> dict:
        """The users grouped by the sites they reach (None: everywhere)."""
        groups: dict = {}
        for u in self.users:
            groups.setdefault(self.scope(u), []).append(u)
        return groups


def notify(users, kind: str, key: str, params: dict, link: str | None = None, batch_id: int | None = None,
           now: datetime | None = None) -> int:
    """Store one notice per user unless they already have it; returns how many were new."""
    return notify_many([(users, kind, key, params, link, batch_id)], now)


def notify_many(notices, now: datetime | None = None) -> int:
    """``notify`` for many ``(users, kind, key, params, link, batch_id)`` at once (an import's
    positives): one query for the notices users already have, one flush."""
    user_ids = list({u.id for n in notices for u in n[0]})
    keys = list({n[2] for n in notices})
    if not user_ids:
        return 0
    have = set()
    for start in range(0, len(keys), 500):
        have.update(db.session.execute(sa.select(Notification.user_id, Notification.dedupe_key).where(
            Notification.user_id.in_(user_ids), Notification.dedupe_key.in_(keys[start:start + 500]))).all())
    new = 0
    for users, kind, key, params, link, batch_id in notices:
        for uid in {u.id for u in users}:
            if (uid, key) in have:
                continue
            have.add((uid, key))
            db.session.add(Notification(user_id=uid, kind=kind, dedupe_key=key, params=params, link=link,
                                        batch_id=batch_id, created_at=now or utcnow()))
            new += 1
    if new:
        db.session.flush()
        from lims.jobs.engine import defer_emails

        defer_emails()  # sent by a job once this transaction has committed
    return new


def _batch_link(batch: Batch) -> str:
    try:
        return url_for("batches.show", code=batch.code)
    except RuntimeError:
        return f"/batches/{batch.code}"


def positive_opened(batch: Batch, item_name: str, now: datetime) -> None:
    """A new positive at a market: its managers and the regulators whose scope reaches it are
    told at once."""
    positives_opened([(batch, item_name)], now)


def positives_opened(opened, now: datetime) -> None:
    """``positive_opened`` for many ``(batch, item name)`` pairs."""
    regulators = _Overseers()
    managers: dict[int, list[User]] = {}
    notices = []
    for batch, item_name in opened:
        if batch.site_id not in managers:
            managers[batch.site_id] = _site_users(batch.site_id) + regulators.of(batch.site_id)
        notices.append((managers[batch.site_id], "positive", f"positive:{batch.id}",
                        {"site": batch.site.name, "stall": batch.stall.code if batch.stall else "",
                         "food": batch.food, "item": item_name, "code": batch.code},
                        _batch_link(batch), batch.id))
    notify_many(notices, now)


def sweep(now: datetime | None = None) -> int:
    """Time-driven notices: positives not yet told to the seller, windows closing within the
    hour, overdue dispositions, supplier alerts. Cheap and idempotent: run it from cron
    (``lims tick``) and when pages load."""
    now = now or utcnow()
    created = 0
    regulators = _Overseers()
    open_rows = db.session.execute(
        sa.select(Disposition, Batch).join(Batch, Batch.id == Disposition.batch_id)
        .where(Disposition.status.in_(("stopped", "confirmed")))).all()
    for d, batch in open_rows:
        status = effective_status(d.status, d.objection_deadline, now)
        params = {"site": batch.site.name, "stall": batch.stall.code if batch.stall else "", "food": batch.food,
                  "code": batch.code}
        if status == "stopped" and d.objection_deadline and now < d.objection_deadline <= now + WINDOW_WARNING:
            created += notify(_site_users(batch.site_id), "window_closing", f"window:{d.id}",
                              params | {"deadline": d.objection_deadline.isoformat()}, _batch_link(batch), batch.id, now)
        if awaits_notice_too_long(status, d.notified_at, d.opened_at, now):
            created += notify(_site_users(batch.site_id), "not_notified",
                              f"not_notified:{d.id}:{d.opened_at.isoformat()}",  # again if it reopens
                              params | {"opened": d.opened_at.isoformat()}, _batch_link(batch), batch.id, now)
        if is_overdue(status, d.disposal_due_at, now):
            created += notify(_site_users(batch.site_id) + regulators.of(batch.site_id), "overdue", f"overdue:{d.id}",
                              params | {"due": d.disposal_due_at.isoformat()}, _batch_link(batch), batch.id, now)
    from lims.dashboard.services import supplier_alerts
    from lims.reporting.figures import Scope

    day = local_today(now).isoformat()  # one alert a supplier a local day
    # Each reader is alerted of what their own scope shows (its sites and figures only); the
    # deployment-wide alerts are worked out first: most sweeps have none, and stop there.
    everywhere = supplier_alerts(Scope(None, "", "district"), now)
    if not everywhere:
        return created
    for scope, users in _Overseers(roles_with("notice.supplier_alert")).by_scope().items():
        alerts = everywhere if scope is None else supplier_alerts(Scope(scope, "", "district"), now)
        for alert in alerts:
            created += notify(users, "supplier_alert", f"supplier:{alert.supplier.id}:{day}",
                              {"supplier": alert.supplier.name, "positive_sites": alert.positive_sites,
                               "other_sites": alert.other_sites, "other_batches": alert.other_batches,
                               "untested": alert.untested}, f"/batches?supplier={alert.supplier.id}", None, now)
    return created


def describe(n: Notification) -> tuple[str, str]:
    """(title, sentence) of a notice in the current language."""
    p = n.params or {}
    where = f"{p.get('site', '')} {p.get('stall', '')}".strip()
    if n.kind == "positive":
        return (gettext("New positive at %(where)s", where=where),
                gettext("%(food)s: %(item)s positive (batch %(code)s). Sale stopped; notify the seller.",
                        food=p.get("food", ""), item=p.get("item", ""), code=p.get("code", "")))
    if n.kind == "window_closing":
        return (gettext("Objection window closing: %(where)s", where=where),
                gettext("%(food)s (batch %(code)s): the objection window closes at %(when)s.", food=p.get("food", ""),
                        code=p.get("code", ""), when=format_local(datetime.fromisoformat(p["deadline"]))))
    if n.kind == "not_notified":
        return (gettext("Seller not yet told: %(where)s", where=where),
                gettext("%(food)s (batch %(code)s) tested positive at %(when)s and the seller has not been told. "
                        "Tell the seller and record when: the 4-hour objection window starts then.",
                        food=p.get("food", ""), code=p.get("code", ""),
                        when=format_local(datetime.fromisoformat(p["opened"]))))
    if n.kind == "overdue":
        return (gettext("Disposition overdue: %(where)s", where=where),
                gettext("%(food)s (batch %(code)s) should have been disposed of by %(when)s.", food=p.get("food", ""),
                        code=p.get("code", ""), when=format_local(datetime.fromisoformat(p["due"]))))
    return (gettext("Supplier alert: %(supplier)s", supplier=p.get("supplier", "")),
            ngettext("Positive at %(sites)s; %(num)d batch from the same supplier at %(others)s in 7 days, "
                     "%(untested)d not yet tested.",
                     "Positive at %(sites)s; %(num)d batches from the same supplier at %(others)s in 7 days, "
                     "%(untested)d not yet tested.", p.get("other_batches", 0),
                     sites="、".join(p.get("positive_sites", [])), others="、".join(p.get("other_sites", [])),
                     untested=p.get("untested", 0)))


def unread_count(user_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()


def for_user(user_id: int, limit: int = 100) -> list[Notification]:
    return list(db.session.execute(sa.select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.id.desc()).limit(limit)).scalars())


def page_for_user(user_id: int, page: int, unread_only: bool = False, args: dict | None = None, per_page: int = 30):
    """The user's notifications, newest first, counted and numbered (:mod:`lims.listing`)."""
    from lims.listing import paginate

    stmt = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return paginate(stmt.order_by(Notification.id.desc()), page, per_page, args)


def mark_read(user_id: int, ids=None, now: datetime | None = None) -> int:
    stmt = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return db.session.execute(stmt.values(read_at=now or utcnow())).rowcount


def _unsent():
    return (sa.select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None), User.email.is_not(None),
                   Notification.created_at >= utcnow() - timedelta(days=1)))


def unsent_emails() -> int:
    """Notices still to be e-mailed (0 when no SMTP server is configured: none will be)."""
    if not current_app.config.get("SMTP_HOST"):
        return 0
    return db.session.execute(sa.select(sa.func.count()).select_from(_unsent().subquery())).scalar_one()


def send_pending_emails(limit: int = 200) -> int:
    """E-mail the notices not yet sent, to users with an address, when SMTP is configured.

    Call it after the creating transaction has committed (``lims.jobs`` does, in a job); it
    commits what it marks sent."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return 0
    rows = db.session.execute(_unsent().order_by(Notification.id).limit(limit)).all()
    if not rows:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=10) as smtp:
            for n, user in rows:
                with speaking(user.locale or cfg["DEFAULT_LOCALE"]):
                    title, sentence = describe(n)
                message = EmailMessage()
                message["Subject"] = f"[食品快检] {title}"
                message["From"] = cfg["SMTP_SENDER"]
                message["To"] = user.email
                base = (cfg.get("PUBLIC_BASE_URL") or "").rstrip("/")
                message.set_content(f"{sentence}\n\n{base}{n.link or ''}\n")
                smtp.send_message(message)
                n.emailed_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification e-mail failed: %s", exc)
    db.session.commit()
    return sent
