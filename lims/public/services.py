"""What the public may see: reviewed results only, stall number and operator surname only,
wording that does not mislead (a pass is "本次快检未发现问题", invalid is "复测中")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload

from lims.errors import InvalidInput
from lims.extensions import db
from lims.labels import public_wording
from lims.listing import date_arg
from lims.i18n import to_local
from lims.models.reference import item_shown
from lims.models import Batch, Disposition, Result, Site, Stall
from lims.reporting.figures import counted
from lims.reporting.board import board_entries, handling_text, is_public
from lims.rules.disposition import effective_status
from reports.wording import public_operator_name

PUBLIC_DAYS = 30


@dataclass
class PublicResult:
    day: date
    food: str
    item: str
    outcome: str
    wording: str
    handling: str | None


def stall_scopes(code: str) -> list[str] | None:
    """What a stall's public page shows, for the page cache: the stall's results and the
    market's own details (None for an unknown or inactive stall: nothing to cache)."""
    row = db.session.execute(sa.select(Stall.id, Stall.site_id).where(Stall.public_code == code,
                                                                     Stall.active.is_(True))).first()
    return [f"stall:{row.id}", f"siteinfo:{row.site_id}"] if row else None


def board_scopes(code: str) -> list[str] | None:
    """What a market board shows: the whole market's day (None for an unknown market)."""
    site_id = db.session.execute(sa.select(Site.id).where(Site.code == code.strip().upper(),
                                                          Site.active.is_(True))).scalar()
    return [f"site:{site_id}", f"siteinfo:{site_id}"] if site_id is not None else None


def stall_by_public_code(code: str) -> Stall | None:
    return db.session.execute(sa.select(Stall).options(joinedload(Stall.site))
                              .where(Stall.public_code == code, Stall.active.is_(True))).scalar_one_or_none()


def stall_results(stall: Stall, now: datetime, lang: str) -> list[PublicResult]:
    """The stall's reviewed results of the last 30 days, newest first (the latest test per
    batch and item: a repeated test replaces the "复测中" one)."""
    since = now - timedelta(days=PUBLIC_DAYS)
    rows = db.session.execute(
        sa.select(Result).join(Batch, Batch.id == Result.batch_id)
        .where(Batch.stall_id == stall.id, Batch.sampled_at >= since - timedelta(days=1),
               Result.current.is_(True), Result.reviewed_at.is_not(None), Result.tested_at >= since, counted())
        .options(joinedload(Result.item).options(*item_shown()), joinedload(Result.batch).joinedload(Batch.disposition)
                 .selectinload(Disposition.actions))
        .order_by(Result.tested_at.desc(), Result.id.desc())).unique().scalars().all()
    seen, out = set(), []
    for r in rows:
        if (r.batch_id, r.item_id) in seen:
            continue
        seen.add((r.batch_id, r.item_id))
        if not is_public(r, now):
            continue
        d = r.batch.disposition
        status = effective_status(d.status, d.objection_deadline, now) if d else None
        out.append(PublicResult(to_local(r.tested_at).date(), r.batch.food, r.item.name, r.outcome,
                                public_wording(r.outcome, status, lang),
                                handling_text(d, now) if r.outcome == "positive" else None))
    return out


def operator_name(stall: Stall) -> str:
    return public_operator_name(stall.operator)


def site_by_code(code: str) -> Site | None:
    return db.session.execute(sa.select(Site).where(Site.code == code.strip().upper(),
                                                    Site.active.is_(True))).scalar_one_or_none()


def board_day(args, today: date) -> date:
    """The day a board shows: ``?date=`` (one of the last PUBLIC_DAYS days, to look back), else
    today. A day that is not a date is a clear 400; a day after today or before the public
    window is refused (422), naming the days that can be shown."""
    day = date_arg(args, "date")
    if day is None:
        return today
    first = today - timedelta(days=PUBLIC_DAYS)
    if not first <= day <= today:
        message = gettext("The board shows a day from %(first)s to %(today)s.", first=first.isoformat(),
                          today=today.isoformat())
        raise InvalidInput(message, {"date": [message]})
    return day


def board(site: Site, day: date, now: datetime, lang: str) -> list[dict]:
    """The reviewed results of ``day`` at a market for its notice board."""
    return [{"stall": e.stall, "operator": public_operator_name(e.operator), "food": e.food, "item": e.item,
             "outcome": e.outcome, "wording": e.wording,
             "handling": e.handling} for e in board_entries(site, day, now, lang)]


def verified_batch(code: str) -> Batch | None:
    return db.session.execute(sa.select(Batch).options(joinedload(Batch.site), joinedload(Batch.stall))
                              .where(Batch.code == code.strip().upper())).scalar_one_or_none()
