"""Reading batches: the filtered, keyset-paginated list and the effective status.

The list stays fast at a million results because it walks the (sampled_at, id) index
from a cursor instead of counting and skipping rows."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload, lazyload, selectinload

from lims.accounts.access import Actor, scope_to_sites
from lims.extensions import db
from lims.i18n import local_day_bounds
from lims.models.reference import item_shown
from lims.models import Batch, DisposalAction, Disposition, Result, Stall, TestItem, User
from lims.rules.batch_status import effective_status
from lims.rules.disposition import hours_overdue, is_overdue


def status_now(batch: Batch, now: datetime) -> str:
    """The batch's status at ``now``: what every page, list and document shows
    (:func:`lims.rules.batch_status.effective_status` of the stored one)."""
    d = batch.disposition
    return effective_status(batch.status, d.objection_deadline if d is not None else None, now)


def effective_status_expr(now: datetime):
    """SQL for :func:`status_now`, to filter and export by the status as it stands now:
    ``stopped`` reads as ``confirmed`` once the objection window has passed unused."""
    expired = sa.exists().where(Disposition.batch_id == Batch.id, Disposition.objection_deadline < now,
                                Disposition.status == "stopped")
    return sa.case((sa.and_(Batch.status == "stopped", expired), sa.literal("confirmed")), else_=Batch.status)


@dataclass
class BatchFilter:
    site_id: int | None = None
    stall: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    item_id: int | None = None
    outcome: str | None = None
    event_id: int | None = None
    supplier_id: int | None = None
    q: str | None = None  # code or food


@dataclass
class Page:
    items: list
    next_cursor: str | None
    args: dict = field(default_factory=dict)


def encode_cursor(batch: Batch) -> str:
    raw = f"{batch.sampled_at.isoformat()}|{batch.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None):
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, bid = raw.partition("|")
        return datetime.fromisoformat(at), int(bid)
    except (ValueError, UnicodeDecodeError):
        return None


def batch_query(actor: Actor, f: BatchFilter, now: datetime):
    if f.site_id:
        # One site named: its batches if the reader sees it, else none — the same rows as the
        # reader's sites narrowed to it, without a list of every site the reader sees for
        # PostgreSQL to plan around (a district's 50: 0.8 ms of planning instead of 0.07).
        stmt = sa.select(Batch).where(Batch.site_id == f.site_id if actor.may_see_site(f.site_id) else sa.false())
    else:
        stmt = scope_to_sites(sa.select(Batch), Batch.site_id, actor)
    if f.stall:
        stmt = stmt.where(Batch.stall_id.in_(sa.select(Stall.id).where(Stall.code == f.stall.strip().upper(),
                                                                       *( [Stall.site_id == f.site_id] if f.site_id else []))))
    if f.date_from:
        stmt = stmt.where(Batch.sampled_at >= local_day_bounds(f.date_from)[0])
    if f.date_to:
        stmt = stmt.where(Batch.sampled_at < local_day_bounds(f.date_to)[1])
    if f.status:
        stmt = stmt.where(effective_status_expr(now) == f.status)
    if f.item_id or f.outcome:
        cond = [Result.batch_id == Batch.id, Result.current.is_(True)]
        if f.item_id:
            cond.append(Result.item_id == f.item_id)
        if f.outcome:
            cond.append(Result.outcome == f.outcome)
        stmt = stmt.where(sa.exists().where(*cond))
    if f.event_id:
        stmt = stmt.where(Batch.event_id == f.event_id)
    if f.supplier_id:
        stmt = stmt.where(Batch.supplier_id == f.supplier_id)
    if f.q:
        text = f.q.strip()
        stmt = stmt.where(sa.or_(Batch.code == text.upper(), Batch.food == text))
    return stmt


LIST_LOADS = (joinedload(Batch.site), joinedload(Batch.stall), joinedload(Batch.disposition),
              selectinload(Batch.results).joinedload(Result.item).options(*item_shown()))


@cache
def loads_in_full() -> tuple:
    """Loader options for everything the web batch page shows of a batch: its site, stall,
    event, category and supplier, planned tests, results with their items, lots, instruments,
    testers and reviewers, the disposition with its objections and disposal actions — in the
    batch's own statement (read it with ``unique()``) and a few more. Items and people are
    read for their names: their own collections stay lazy and an item's aliases (JSON,
    decoded once a row) unread. Made once: loader options are immutable."""
    item_names = (*item_shown(), defer(TestItem.aliases))
    user_names = (lazyload(User.sites), lazyload(User.orgs), lazyload(User.stations))
    results = joinedload(Batch.results)
    disposition = joinedload(Batch.disposition)
    return (
        joinedload(Batch.site), joinedload(Batch.stall), joinedload(Batch.event), joinedload(Batch.category),
        joinedload(Batch.supplier), joinedload(Batch.planned_items).options(*item_names),
        results.joinedload(Result.item).options(*item_names), results.joinedload(Result.reagent_lot),
        results.joinedload(Result.instrument), results.joinedload(Result.tested_by).options(*user_names),
        results.joinedload(Result.reviewed_by).options(*user_names),
        disposition.selectinload(Disposition.objections),
        disposition.selectinload(Disposition.actions).selectinload(DisposalAction.photos),
    )


def list_batches(actor: Actor, f: BatchFilter, now: datetime, cursor: str | None = None, per_page: int = 50,
                 loads: tuple = LIST_LOADS, read=None) -> Page:
    """Newest first, ``per_page`` at a time, continuing after ``cursor``, loaded with ``loads``
    (or read by ``read``, which takes the statement: :func:`lims.batches.rows.read_full`)."""
    stmt = batch_query(actor, f, now)
    after = decode_cursor(cursor)
    if after is not None:
        at, bid = after
        stmt = stmt.where(sa.or_(Batch.sampled_at < at, sa.and_(Batch.sampled_at == at, Batch.id < bid)))
    stmt = stmt.order_by(Batch.sampled_at.desc(), Batch.id.desc()).limit(per_page + 1)
    rows = read(stmt) if read else list(db.session.execute(stmt.options(*loads)).unique().scalars())
    more = len(rows) > per_page
    rows = rows[:per_page]
    return Page(rows, encode_cursor(rows[-1]) if more and rows else None)


def page_batches(actor: Actor, f: BatchFilter, now: datetime, page: int, per_page: int = 50, args=None):
    """The web list: newest first, counted and numbered (:mod:`lims.listing`)."""
    from lims.listing import paginate

    stmt = batch_query(actor, f, now).order_by(Batch.sampled_at.desc(), Batch.id.desc()).options(
        joinedload(Batch.site), joinedload(Batch.stall),
        joinedload(Batch.disposition).selectinload(Disposition.objections),  # batch_state reads them
        selectinload(Batch.results).joinedload(Result.item).options(*item_shown()))
    return paginate(stmt, page, per_page, args, unique=True)


@dataclass
class BatchState:
    """What a batch page and lists show about where a batch stands now."""

    status: str
    reviewed: bool
    pending_review: int
    objection_deadline: datetime | None = None
    window_open: bool = False
    disposal_due_at: datetime | None = None
    overdue: bool = False
    awaiting_notification: bool = False
    # the objection window: an objection lodged before it closed; closed with none lodged
    window_used: bool = False
    window_closed_unused: bool = False
    closed_late: bool = False  # disposed of after the disposal deadline (超期办结)


def batch_state(batch: Batch, now: datetime) -> BatchState:
    d = batch.disposition
    current = [r for r in batch.results if r.current]
    pending = sum(1 for r in current if r.reviewed_at is None)
    status = status_now(batch, now)
    if d is None:
        return BatchState(status, bool(current) and pending == 0, pending)
    return BatchState(
        status=status, reviewed=bool(current) and pending == 0, pending_review=pending,
        objection_deadline=d.objection_deadline,
        window_open=status == "stopped" and d.objection_deadline is not None and now <= d.objection_deadline,
        disposal_due_at=d.disposal_due_at, overdue=is_overdue(status, d.disposal_due_at, now),
        awaiting_notification=d.notified_at is None and status in ("stopped",),
        window_used=d.objection is not None and d.objection_deadline is not None
        and d.objection.requested_at <= d.objection_deadline,
        window_closed_unused=d.objection is None and d.objection_deadline is not None and now > d.objection_deadline,
        closed_late=status == "disposed" and hours_overdue(status, d.disposal_due_at, d.closed_at, now) is not None,
    )
