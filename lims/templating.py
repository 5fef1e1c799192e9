"""Jinja filters and globals: local time, labels, permissions, navigation by role."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims import formatting, labels
from lims.i18n import format_local
from lims.imports.services import row_reason, row_status_label
from lims.messages import judgement_reason
from lims.rules.permissions import can

# (endpoint, label, permission or None)
NAVIGATION = [
    ("home.index", _l("Home"), None),
    ("rounds.index", _l("Rounds"), "batch.create"),
    ("batches.index", _l("Batches"), "batch.read"),
    ("results.worklist", _l("To review"), "result.review"),
    ("dispositions.worklist", _l("Positives"), "batch.read"),
    ("imports.new", _l("Import"), "import.create"),
    ("events.index", _l("Events"), "batch.read"),
    ("reports.index", _l("Reports"), "report.read"),
    ("dashboard.index", _l("Dashboard"), "dashboard.menu"),
    ("admin.index", _l("Administration"), "reference.manage"),
]


def _fmt_decimal(value, places: int | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if places is not None:
        return f"{value:.{places}f}"
    return formatting.number(value)


def _nav_items():
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, permission in NAVIGATION:
        if permission and not can(current_user.role, permission):
            continue
        items.append((endpoint, label))
    return items


def _unread() -> int:
    from lims.notifications.services import unread_count

    return unread_count(current_user.id) if current_user.is_authenticated else 0


def _status_of(batch) -> str:
    """The status a batch has now; templates never read the stored column."""
    from lims.batches.queries import status_now
    from lims.database import utcnow

    return status_now(batch, utcnow())


def _untested(batch) -> bool:
    from lims.rules.batch_status import UNTESTED

    return _status_of(batch) in UNTESTED


def _lang_url(code: str) -> str:
    return url_for("accounts.set_language", code=code, next=request.full_path.rstrip("?"))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        localtime=format_local,
        localdate=lambda v: format_local(v, "%Y-%m-%d"),
        decimal=_fmt_decimal,
        outcome_label=lambda o: labels.OUTCOME_LABELS.get(o, o or ""),
        status_label=lambda s: labels.STATUS_LABELS.get(s, s or ""),
        role_label=lambda r: labels.ROLE_LABELS.get(r, r or ""),
        site_kind_label=lambda k: labels.SITE_KIND_LABELS.get(k, k or ""),
    )
    app.jinja_env.globals.update(
        can=lambda action: current_user.is_authenticated and can(current_user.role, action),
        nav_items=_nav_items,
        lang_url=_lang_url,
        labels=labels,
        current_locale=lambda: str(get_locale() or "zh_CN"),
        reason_text=lambda r: judgement_reason(r.reason, r, r.item),
        import_row_status=row_status_label,
        timedelta=timedelta,
        rating_word=lambda c: labels.RATING_LABELS.get(c, ""),
        unread_notifications=_unread,
        import_row_reason=row_reason,
        status_of=_status_of,
        args_without=lambda args, *keys: {k: v for k, v in args.items() if k not in keys},
        chip_keys=lambda chips: [k for c in chips for k in c.keys],
        reading=formatting.reading,
        raw_signals=formatting.raw_signals,
    )
    app.jinja_env.tests["untested"] = _untested
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
