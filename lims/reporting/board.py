"""The market board (公示栏) of one site for one day: reviewed results by stall and food,
positives and how they were handled. Used for the printed board and the public screen."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lims import labels
from lims.database import utcnow
from lims.extensions import db
from lims.i18n import local_day_bounds, local_today, to_local
from lims.models import Batch, Disposition, Result, Site, Station
from lims.reporting import figures
from lims.reporting.common import font, report_lang, report_text
from lims.rules.batch_status import effective_status
from lims.rules.disposition import TERMINAL_ACTIONS
from lims.rules.publication import positive_is_public
from reports.data import Board, BoardEntry
from reports.pdf.board import render_board


def handling_text(d: Disposition | None, now) -> str | None:
    """What was done with a positive, in words ("销毁 12 kg"), when something was disposed of;
    None otherwise. Where the handling stands is the status's public wording already: this
    adds only the facts, never a second phrase for the same state."""
    if d is None:
        return None
    if effective_status(d.status, d.objection_deadline, now) == "released":
        return None
    done = [a for a in d.actions if a.action in TERMINAL_ACTIONS]
    if not done:
        return None
    kg = sum((a.quantity_kg for a in done), Decimal(0))
    words = "、".join(dict.fromkeys(str(labels.DISPOSAL_ACTION_LABELS[a.action]) for a in done))
    return gettext("%(actions)s %(kg)s kg", actions=words, kg=format(kg.normalize(), "f"))


def is_public(r: Result, now) -> bool:
    """Whether result ``r`` may be shown publicly at ``now``: a positive only once the seller
    was told or PUBLIC_POSITIVE_DELAY_HOURS after it was found (lims.rules.publication)."""
    if r.outcome != "positive":
        return True
    d = r.batch.disposition
    return positive_is_public(d.notified_at if d else None, r.tested_at, now,
                              current_app.config["PUBLIC_POSITIVE_DELAY_HOURS"])


def board_entries(site: Site, day: date, now=None, lang: str | None = None) -> list[BoardEntry]:
    """Reviewed results of ``day`` at ``site``, one per batch and item (the latest test)."""
    now = now or utcnow()
    start, end = local_day_bounds(day)
    scope = figures.Scope(frozenset({site.id}), site.name, "site", reviewed_only=True, key=site.code)
    entries = []
    for r in figures.latest_results(scope, start, end):
        if not is_public(r, now):
            continue
        b = r.batch
        d = b.disposition
        status = effective_status(b.status, d.objection_deadline if d else None, now)
        entries.append(BoardEntry(
            stall=b.stall.code if b.stall else "—", food=b.food, item=r.item.name, outcome=r.outcome,
            operator=b.stall.operator if b.stall else None,
            disposition_status=status if d else None, wording=labels.public_wording(r.outcome, status, lang),
            handling=handling_text(d, now) if r.outcome == "positive" else None, tested_at=to_local(r.tested_at)))
    return sorted(entries, key=lambda e: (e.outcome != "positive", e.stall, e.food))


def build_board(site: Site, day: date) -> Board:
    entries = board_entries(site, day, lang=report_lang())
    station = db.session.execute(sa.select(Station).where(Station.site_id == site.id)).scalars().first()
    updated = max((e.tested_at for e in entries if e.tested_at), default=None)
    return Board(market=site.name, day=day, entries=tuple(entries),
                 complaint_phone=site.phone or current_app.config["COMPLAINT_PHONE"],
                 station=station.name if station else None, updated_at=updated,
                 printed_on=local_today(utcnow()))


def board_pdf(site: Site, day: date, paper: str = "A4", landscape: bool = False) -> bytes:
    return render_board(build_board(site, day), report_text(), paper=paper, landscape=landscape, font=font())
