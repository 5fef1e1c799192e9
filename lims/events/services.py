"""What an event page and its summary show: the batches tested for it and their outcomes."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload, selectinload

from lims import labels
from lims.accounts.access import Actor, scope_to_sites
from lims.database import utcnow
from lims.errors import NotFound
from lims.extensions import db
from lims.models.reference import item_shown
from lims.models import Batch, Disposition, Event, Result
from lims.reporting import figures
from lims.reporting.board import handling_text
from lims.rules.batch_status import effective_status
from lims.reporting.common import font, issuer, local, reading_of, report_text
from reports.data import EventBatch, EventSummary, ItemResult
from reports.pdf.event_summary import render_event_summary


def visible_events(stmt, actor: Actor):
    """Limit a SELECT of events to the actor's: for anyone with a scope (a market's manager, a
    station's technician, a district's regulator), the events held at one of their sites or with
    a batch tested at one (the same events their monthly report lists); another district's
    event does not seem to exist."""
    from lims.accounts.scope import site_filter

    scope = actor.site_ids
    if scope is None:
        return stmt
    tested_here = sa.exists().where(Batch.event_id == Event.id, site_filter(Batch.site_id, scope))
    return stmt.where(sa.or_(site_filter(Event.site_id, scope), tested_here))


def list_events(actor: Actor, limit: int = 200) -> list[Event]:
    """The events the actor may see, latest first."""
    stmt = sa.select(Event).order_by(Event.starts_on.desc()).limit(limit)
    return list(db.session.execute(visible_events(stmt, actor)).scalars())


def page_events(actor: Actor, page: int, args: dict | None = None):
    """The events the actor may see, latest first, counted and numbered (:mod:`lims.listing`)."""
    from lims.listing import paginate

    return paginate(visible_events(sa.select(Event).order_by(Event.starts_on.desc(), Event.id.desc()), actor), page,
                    args=args)


def get_event(actor: Actor, code: str) -> Event:
    """One event by code; NotFound as well for another market's event (it does not seem to exist)."""
    stmt = sa.select(Event).where(Event.code == code.strip().upper())
    event = db.session.execute(visible_events(stmt, actor)).scalar_one_or_none()
    if event is None:
        raise NotFound(gettext("Not found."))
    return event


def event_batches(actor: Actor, event: Event) -> list[Batch]:
    return list(db.session.execute(scope_to_sites(
        sa.select(Batch).where(Batch.event_id == event.id).order_by(Batch.sampled_at)
        .options(joinedload(Batch.site), joinedload(Batch.supplier),
                 joinedload(Batch.disposition).selectinload(Disposition.actions),
                 selectinload(Batch.results).joinedload(Result.item).options(*item_shown()), selectinload(Batch.planned_items)),
        Batch.site_id, actor)).unique().scalars())


def _handling(d, now) -> str | None:
    """What was done with a positive ("销毁 1.5 kg"), else where it stands (the status label)."""
    if d is None:
        return None
    return handling_text(d, now) or str(labels.STATUS_LABELS[effective_status(d.status, d.objection_deadline, now)])


def build_summary(actor: Actor, event: Event) -> EventSummary:
    """The event's summary (page and PDF): each batch with its reviewed tests and the planned
    items still untested; ``summary.figures`` counts batches and tests apart."""
    now = utcnow()
    out = []
    for b in event_batches(actor, event):
        results = []
        reviewed = sorted((r for r in b.results if r.current and r.reviewed_at is not None),
                          key=lambda r: (r.tested_at, r.id))
        done = {r.item_id for r in reviewed}
        untested = tuple(i.name for i in b.planned_items if i.id not in done)
        for r in reviewed:
            value, value_text, unit = reading_of(r.item.rule, r.value, r.computed_value, r.tc_ratio, r.unit,
                                                 r.value_text)
            results.append(ItemResult(item=r.item.name, outcome=r.outcome, value=value, value_text=value_text,
                                      unit=unit))
        out.append(EventBatch(code=b.code, food=b.food, sampled_at=local(b.sampled_at), results=tuple(results),
                              supplier=b.supplier.name if b.supplier else None, origin=b.origin,
                              quantity_kg=b.quantity_kg, venue=b.site.name,
                              handling=_handling(b.disposition, now),
                              untested=untested))
    return EventSummary(
        issuer=issuer(), name=event.name, kind=event.kind, starts_on=event.starts_on,
        ends_on=event.ends_on if event.ends_on != event.starts_on else None, batches=tuple(out),
        host=event.organiser, organiser=event.chef and gettext("Chef: %(name)s", name=event.chef),
        venues=tuple(v.name for v in event.venues) or ((event.site.name,) if event.site else ()),
        people_served=event.people, tables=event.tables, report_no=f"HD-{event.code}", generated_at=local(now),
        counts=event_counts(actor, event))


def event_counts(actor: Actor, event: Event):
    """The event's figures from ``lims.reporting.figures`` (the monthly report's source):
    reviewed results, the actor's sites only."""
    scope = figures.Scope(None if actor.site_ids is None else frozenset(actor.site_ids), event.name, "district",
                          reviewed_only=True)
    return figures.event_figures(scope, [event.id])[event.id]


def summary_pdf(actor: Actor, event: Event) -> bytes:
    return render_event_summary(build_summary(actor, event), report_text(), font=font())
