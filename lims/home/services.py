"""The figures on each role's home page, limited to what the user may see."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lims.accounts.access import Actor, scope_to_sites
from lims.extensions import db
from lims.i18n import local_day_bounds, local_today
from lims.models.reference import item_shown
from lims.models import Batch, Disposition, Result
from lims.reporting.figures import counted, counted_result


@dataclass
class Overview:
    batches_today: int
    results_today: int
    positives_today: int
    open_dispositions: int
    overdue_dispositions: int
    awaiting_notification: int
    awaiting_review: int


def overview(actor: Actor, now: datetime) -> Overview:
    start, end = local_day_bounds(local_today(now))
    batches = scope_to_sites(sa.select(sa.func.count(Batch.id)).where(
        Batch.sampled_at >= start, Batch.sampled_at < end, counted()), Batch.site_id, actor)
    results = scope_to_sites(
        sa.select(sa.func.count(Result.id), sa.func.count(Result.id).filter(Result.outcome == "positive"))
        .where(Result.current.is_(True), Result.tested_at >= start, Result.tested_at < end, counted_result()),
        Result.site_id, actor)
    dispositions = scope_to_sites(
        sa.select(
            sa.func.count(Disposition.id),
            sa.func.count(Disposition.id).filter(Disposition.disposal_due_at < now,
                                                 Disposition.status.in_(("stopped", "confirmed"))),
            sa.func.count(Disposition.id).filter(Disposition.notified_at.is_(None)),
        ).join(Batch, Batch.id == Disposition.batch_id)
        .where(Disposition.status.in_(("stopped", "disputed", "confirmed"))),
        Batch.site_id, actor)
    review = scope_to_sites(
        sa.select(sa.func.count(Result.id))
        .where(Result.current.is_(True), Result.reviewed_at.is_(None), counted_result()), Result.site_id, actor)
    n_results, n_pos = db.session.execute(results).one()
    n_open, n_overdue, n_unnotified = db.session.execute(dispositions).one()
    return Overview(
        batches_today=db.session.execute(batches).scalar_one(), results_today=n_results,
        positives_today=n_pos, open_dispositions=n_open, overdue_dispositions=n_overdue,
        awaiting_notification=n_unnotified, awaiting_review=db.session.execute(review).scalar_one(),
    )


@dataclass
class StallToday:
    site: object
    stall: object
    rows: list  # (batch, [current results])


def today_by_stall(actor: Actor, now: datetime) -> list[StallToday]:
    """Today's batches and results at the actor's markets, stall by stall."""
    from sqlalchemy.orm import joinedload, selectinload

    start, end = local_day_bounds(local_today(now))
    batches = db.session.execute(scope_to_sites(
        sa.select(Batch).where(Batch.sampled_at >= start, Batch.sampled_at < end, counted())
        .options(joinedload(Batch.site), joinedload(Batch.stall), joinedload(Batch.disposition),
                 selectinload(Batch.results).joinedload(Result.item).options(*item_shown()))
        .order_by(Batch.site_id, Batch.stall_id, Batch.sampled_at), Batch.site_id, actor)).unique().scalars().all()
    groups: dict = {}
    for b in batches:
        key = (b.site_id, b.stall_id)
        if key not in groups:
            groups[key] = StallToday(b.site, b.stall, [])
        groups[key].rows.append((b, [r for r in b.results if r.current]))
    return list(groups.values())
