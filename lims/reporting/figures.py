"""The figures people look at (domain.md §7), gathered with SQL aggregation over one
period: headline counts, breakdowns by site, category, item and station, positives,
daily counts, events, the five-colour rating of each site and the red and black lists.

Results belong to the period by their test time, batches by their sampling time. Only
current versions count. Rates leave suspect and invalid results out on both sides."""
from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from lims.accounts.scope import site_filter
from lims.accounts.access import Actor
from lims.errors import InvalidInput, NotFound
from lims.rules.permissions import binding_of
from flask_babel import gettext
from lims.extensions import db
from lims.i18n import local_zone
from lims.reporting.common import reading_of
from lims.models.reference import item_shown
from lims.models import (Organisation, Batch, DisposalAction, Disposition, Event, FoodCategory, Objection, Result, Site, Stall,
                         Station, Supplier, TestItem, batch_tests)
from lims.rules.disposition import OPEN_STATUSES, TERMINAL_ACTIONS, effective_status, hours_overdue
from lims.rules.rating import (ListRules, RatingThresholds, SiteMonth, StallRecord, black_listed, rate_site,
                               red_listed)
from reports.data import (BreakdownRow, CoverageRow, DailyCount, EventBatch, EventFigures, EventRow, ItemResult,
                          ListedStall, MonthlyFigures, PositiveRow, UnitRow, add_figures)
from lims.models.orgs import JURISDICTION_KINDS


@dataclass(frozen=True)
class Scope:
    """Which sites a report covers: all of them (None) or a set, and what to call it."""

    site_ids: frozenset[int] | None
    name: str
    kind: str  # "site", a kind of the jurisdiction tree ("province" … "office", "testing"), or "district"
    reviewed_only: bool = False  # printed reports count reviewed results only
    key: str = "district"  # "district" (the whole deployment), "org:" + a node's code, or site codes ("SA+SB")
    org_id: int | None = None  # the node of the tree the report is for (its issuer; its units compared)

    def reviewed(self) -> Scope:
        return dataclasses.replace(self, reviewed_only=True)

    def where(self, column):
        """The rows of the scope's sites. Given ``Batch.site_id`` (as every figure query on
        batches gives it) it is also :func:`counted`: a voided batch is in no figure (queries
        of results filter on ``Result.site_id`` and add :func:`counted` themselves)."""
        sites = site_filter(column, self.site_ids)
        if getattr(column, "class_", None) is Batch:
            return sa.and_(counted(), sites)
        return sites


def counted(batch=Batch):
    """The one predicate every figure applies to batches (monthly report, dashboard, board,
    public pages, ratings, exports, home counts): a batch voided because it was registered by
    mistake counts nowhere. Lists of batches still show it, struck through with its reason."""
    return batch.status != "voided"


def counted_result(result=Result):
    """:func:`counted` for a result without joining its batch: no voided batch holds it. An
    anti-join against the few voided batches (read from the status index) — joining every
    result of a city's month to its batch only to read its status read the whole batches
    table (a second a query at ten million results; a tenth of that this way)."""
    voided = sa.orm.aliased(Batch)
    return ~sa.exists().where(voided.id == result.batch_id, voided.status == "voided")


def _legacy_district_name() -> str:
    """What a deployment without a tree called its one district: configured, else the
    district text of its sites — only when they all name the same one."""
    configured = current_app.config.get("DISTRICT_NAME")
    if configured:
        return configured
    names = db.session.execute(sa.select(sa.func.trim(Site.district)).where(
        Site.district.is_not(None), sa.func.trim(Site.district) != "").group_by(sa.func.trim(Site.district))
        .limit(2)).scalars().all()
    return names[0] if len(names) == 1 else gettext("All jurisdictions")


def covering_node() -> Organisation | None:
    """The deepest jurisdiction node whose subtree holds every site of the deployment (None
    when some site belongs to no node, or the sites lie under several roots)."""
    if db.session.execute(sa.select(Site.id).where(Site.org_id.is_(None)).limit(1)).first():
        return None
    paths = db.session.execute(sa.select(Organisation.path).join(Site, Site.org_id == Organisation.id)
                               .group_by(Organisation.path)).scalars().all()
    if not paths:
        return None
    common = paths[0].strip("/").split("/")
    for path in paths[1:]:
        ids = path.strip("/").split("/")
        n = 0
        while n < min(len(common), len(ids)) and common[n] == ids[n]:
            n += 1
        common = common[:n]
    if not common:
        return None
    return db.session.get(Organisation, int(common[-1]))


def node_scope(org: Organisation, within: frozenset[int] | None) -> Scope:
    """The report scope of a node of the tree: the sites of its subtree (of those ``within``
    reach, when limited). Named after the node; the key is the node's code, or "district"
    when the node holds the whole deployment (so that issued reports keep their key)."""
    from lims.accounts.scope import sites_under

    ids = sites_under([org])
    if within is not None:
        ids = ids & within
    whole = within is None and org.kind != "testing" and not db.session.execute(
        sa.select(Site.id).where(Site.id.not_in(ids or {-1})).limit(1)).first()
    # "org:" keeps a node's issued reports apart from a site's of the same code
    return Scope(frozenset(ids), org.name, org.kind, key="district" if whole else f"org:{org.code}", org_id=org.id)


def scope_for(actor: Actor, site_code: str | None, org_code: str | None = None) -> Scope:
    """What a report or dashboard covers: one site (``site_code``; with ``org_code`` too, a
    site of that node — else 422), one node of the tree (``org_code``: 422 when the actor may
    not see it), or by default the actor's own part —
    the node they are bound to, their sites or their stations' sites; everything for the
    deployment's administrator. A report is named after what it covers, never after a
    district it does not cover."""
    if site_code:
        site = db.session.execute(sa.select(Site).where(Site.code == site_code.strip().upper())).scalar_one_or_none()
        if site is None or not actor.may_see_site(site.id):
            raise NotFound(f"unknown site {site_code}")
        if org_code:  # one market narrowed from a node: it must lie within it
            from lims.accounts.scope import sites_under
            from lims.orgs.services import org_by_code

            org = org_by_code(actor, org_code)
            if site.id not in sites_under([org]):
                message = gettext("%(site)s is not in %(org)s: choose one of its markets, or all of them.",
                                  site=site.name, org=org.name)
                raise InvalidInput(message, {"site": [message]})
        return Scope(frozenset({site.id}), site.name, "site", key=site.code, org_id=site.org_id)
    if org_code:
        from lims.orgs.services import org_by_code

        return node_scope(org_by_code(actor, org_code), actor.site_ids)
    user = actor.user
    own = list(getattr(user, "orgs", None) or ()) if user is not None and binding_of(user.role) == "orgs" else []
    if len(own) == 1:
        return node_scope(own[0], None)
    if actor.site_ids is not None:
        if own:
            return Scope(frozenset(actor.site_ids), "、".join(o.name for o in own), "district",
                         key="org:" + "+".join(sorted(o.code for o in own)))
        sites = db.session.execute(sa.select(Site.name, Site.code).where(Site.id.in_(actor.site_ids or {-1}))
                                   .order_by(Site.code)).all()
        return Scope(frozenset(actor.site_ids), "、".join(s.name for s in sites),
                     "site" if len(sites) == 1 else "district", key="+".join(s.code for s in sites))
    node = covering_node()
    if node is not None:
        return node_scope(node, None)
    return Scope(None, _legacy_district_name(), "district")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of a local calendar month."""
    zone = local_zone()
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return (datetime.combine(first, time.min, tzinfo=zone).astimezone(timezone.utc),
            datetime.combine(nxt, time.min, tzinfo=zone).astimezone(timezone.utc))


def _results(scope: Scope, start: datetime, end: datetime):
    """The counted current results of the period in scope: chosen by their own site and test
    time (``ix_results_site_tested``: a district's month reads that district's results alone),
    counted by :func:`counted_result`. Figures that need the batch's columns join it
    (:func:`_results_of_batches`)."""
    stmt = (sa.select().select_from(Result)
            .where(Result.current.is_(True), Result.tested_at >= start, Result.tested_at < end,
                   scope.where(Result.site_id), counted_result()))
    return stmt.where(Result.reviewed_at.is_not(None)) if scope.reviewed_only else stmt


def _results_of_batches(scope: Scope, start: datetime, end: datetime):
    """:func:`_results` with each result's batch joined (its stall, food, category, station)."""
    return _results(scope, start, end).join(Batch, Batch.id == Result.batch_id)


def unreviewed(scope: Scope, start: datetime, end: datetime) -> int:
    """Current results of the period still waiting for review."""
    return db.session.execute(_results(scope, start, end).add_columns(sa.func.count(Result.id))
                              .where(Result.reviewed_at.is_(None))).scalar_one()


_OUTCOME_COUNTS = (
    sa.func.count(Result.id).label("tests"),
    sa.func.count(Result.id).filter(Result.outcome == "negative").label("negatives"),
    sa.func.count(Result.id).filter(Result.outcome == "positive").label("positives"),
    sa.func.count(Result.id).filter(Result.outcome == "suspect").label("suspects"),
    sa.func.count(Result.id).filter(Result.outcome == "invalid").label("invalids"),
    sa.func.count(sa.distinct(Result.batch_id)).label("batches"),
)


@dataclass
class DispositionFacts:
    batch_id: int
    site_id: int
    status: str
    overdue_hours: Decimal | None  # None when handled in time or not yet due

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


def _dispositions(scope: Scope, start: datetime, end: datetime, now: datetime) -> list[DispositionFacts]:
    """Dispositions of the period, with how late each was (if at all; an open one as of now):
    those opened in it, and those opened before it that were still open when it began and
    are late (an overdue disposition stays overdue into the next month until it is closed)."""
    rows = db.session.execute(
        sa.select(Disposition.batch_id, Batch.site_id, Disposition.status, Disposition.opened_at,
                  Disposition.objection_deadline, Disposition.disposal_due_at, Disposition.closed_at)
        .join(Batch, Batch.id == Disposition.batch_id)
        .where(sa.or_(sa.and_(Disposition.opened_at >= start, Disposition.opened_at < end),
                      sa.and_(Disposition.opened_at < start, Disposition.status != "released",
                              sa.or_(Disposition.closed_at.is_(None), Disposition.closed_at >= start))),
               scope.where(Batch.site_id))).all()
    out = []
    for r in rows:
        status = effective_status(r.status, r.objection_deadline, now)
        hours = hours_overdue(status, r.disposal_due_at, r.closed_at, now)
        if r.opened_at < start and hours is None:
            continue  # carried over, and not late
        out.append(DispositionFacts(r.batch_id, r.site_id, status, hours))
    return out


def _positive_batches(scope: Scope, start: datetime, end: datetime):
    """The batches with a counted positive result in the period (a subquery of ids)."""
    return _results(scope, start, end).add_columns(Result.batch_id).where(Result.outcome == "positive").distinct()


def untested_by(end: datetime):
    """A condition on Batch: no current result tested before ``end``. NOT EXISTS, never NOT
    IN: PostgreSQL plans it as an anti-join, while NOT IN over ten million results fell back
    to a subplan per batch (minutes instead of milliseconds; bench/scale_bench.py)."""
    return ~sa.exists().where(Result.batch_id == Batch.id, Result.current.is_(True), Result.tested_at < end)


def headline(scope: Scope, start: datetime, end: datetime, now: datetime) -> MonthlyFigures:
    """The period's headline. Counts hold at the end of the period (results tested in it);
    open cases (overdue, objections pending) hold at ``now``, the moment of printing.

    ``batches`` are the batches tested in the period, so that it is the sum of every
    breakdown; batches sampled in the period and not tested by its end are counted apart
    (``batches_untested``). One home: the sum of :func:`headline_by_site`, so that a report's
    headline and its units' rows cannot disagree."""
    return functools.reduce(add_figures, headline_by_site(scope, start, end, now).values(), MonthlyFigures())


def headline_by_site(scope: Scope, start: datetime, end: datetime, now: datetime) -> dict[int, MonthlyFigures]:
    """:func:`headline` for each site of the scope at once (the same counts, grouped by the
    batch's site; sites without any figure are left out)."""
    per: dict[int, dict] = defaultdict(dict)
    for r in db.session.execute(_results(scope, start, end).add_columns(Result.site_id.label("k"), *_OUTCOME_COUNTS)
                                .group_by(Result.site_id)).all():
        per[r.k].update(batches=r.batches, tests=r.tests, negatives=r.negatives, positives=r.positives,
                        suspects=r.suspects, invalids=r.invalids)
    for k, n in db.session.execute(sa.select(Batch.site_id, sa.func.count(Batch.id)).where(
            Batch.sampled_at >= start, Batch.sampled_at < end, scope.where(Batch.site_id),
            untested_by(end)).group_by(Batch.site_id)).all():
        per[k]["batches_untested"] = n
    for k, n in db.session.execute(
            _results(scope, start, end).add_columns(Result.site_id, sa.func.count(Result.id))
            .join(Disposition, Disposition.batch_id == Result.batch_id)
            .where(Result.outcome == "positive", Disposition.status.in_(("disposed", "released")))
            .group_by(Result.site_id)).all():
        per[k]["dispositions_closed"] = n
    for r in db.session.execute(
            sa.select(Batch.site_id, sa.func.count(Objection.id),
                      sa.func.count(Objection.id).filter(Objection.lab_outcome == "negative"),
                      sa.func.count(Objection.id).filter(Objection.lab_outcome == "positive"),
                      sa.func.count(Objection.id).filter(Objection.lab_outcome.is_(None)))
            .join(Disposition, Disposition.id == Objection.disposition_id)
            .join(Batch, Batch.id == Disposition.batch_id)
            .where(Disposition.opened_at >= start, Disposition.opened_at < end, scope.where(Batch.site_id))
            .group_by(Batch.site_id)).all():
        per[r[0]].update(objections=r[1], objections_released=r[2], objections_confirmed=r[3],
                         objections_pending=r[4])
    for d in _dispositions(scope, start, end, now):
        if d.overdue_hours is not None:
            key = "overdue_dispositions" if d.open else "closed_late"
            per[d.site_id][key] = per[d.site_id].get(key, 0) + 1
    for k, kg in db.session.execute(
            sa.select(Batch.site_id, sa.func.sum(DisposalAction.quantity_kg))
            .join(Disposition, Disposition.id == DisposalAction.disposition_id)
            .join(Batch, Batch.id == Disposition.batch_id)
            .where(Disposition.batch_id.in_(_positive_batches(scope, start, end)),
                   DisposalAction.action.in_(TERMINAL_ACTIONS)).group_by(Batch.site_id)).all():
        per[k]["kg_disposed"] = Decimal(kg or 0)
    return {k: MonthlyFigures(**v) for k, v in per.items()}


def unit_rows(scope: Scope, start: datetime, end: datetime, now: datetime) -> list[UnitRow]:
    """A node's units side by side: each jurisdiction node directly below it (a city's
    districts, a district's offices) with the sites of its subtree, then each site directly
    under the node itself. The rows partition the scope's sites, so they add up to the
    headline. Empty for a report of sites (no node) or of a testing organisation."""
    if scope.org_id is None or scope.kind in ("site", "testing"):
        return []
    node = db.session.get(Organisation, scope.org_id)
    children = db.session.execute(sa.select(Organisation).where(
        Organisation.parent_id == node.id, Organisation.kind.in_(JURISDICTION_KINDS))
        .order_by(Organisation.code)).scalars().all()
    sites = db.session.execute(sa.select(Site.id, Site.name, Site.active, Organisation.path)
                               .join(Organisation, Organisation.id == Site.org_id)
                               .where(scope.where(Site.id), Organisation.path.startswith(node.path))
                               .order_by(Site.code)).all()
    per_site = headline_by_site(scope, start, end, now)
    members: dict[int, list[int]] = {c.id: [] for c in children}
    rows_direct = []
    for site in sites:
        unit = next((c for c in children if site.path.startswith(c.path)), None)
        if unit is not None:
            members[unit.id].append(site.id)
        elif site.active or site.id in per_site:
            rows_direct.append(UnitRow(name=site.name, kind="site", figures=per_site.get(site.id, MonthlyFigures())))
    rows = []
    for child in children:
        if not members[child.id]:
            continue
        total = MonthlyFigures()
        for site_id in members[child.id]:
            if site_id in per_site:
                total = add_figures(total, per_site[site_id])
        rows.append(UnitRow(name=child.name, kind=child.kind, figures=total))
    return rows + rows_direct


def breakdown(scope: Scope, start: datetime, end: datetime, by: str) -> list[BreakdownRow]:
    """Counts by ``site``, ``category`` (top level), ``item`` or ``station``, most tests first."""
    if by == "site":
        key, names = Result.site_id, dict(db.session.execute(sa.select(Site.id, Site.name)).all())
        stmt = _results(scope, start, end)
    elif by == "item":
        key, names = Result.item_id, dict(db.session.execute(sa.select(TestItem.id, TestItem.name)).all())
        stmt = _results(scope, start, end)
    elif by == "station":
        key = sa.func.coalesce(Result.station_id, Batch.station_id)
        names = dict(db.session.execute(sa.select(Station.id, Station.name)).all())
        stmt = _results_of_batches(scope, start, end)
    elif by == "category":
        key = sa.func.coalesce(FoodCategory.parent_id, FoodCategory.id)
        names = dict(db.session.execute(sa.select(FoodCategory.id, FoodCategory.name)).all())
        stmt = _results_of_batches(scope, start, end).outerjoin(FoodCategory, FoodCategory.id == Batch.category_id)
    else:
        raise ValueError(by)
    rows = db.session.execute(stmt.add_columns(key.label("k"), *_OUTCOME_COUNTS).group_by(key)).all()
    out = [BreakdownRow(name=names.get(r.k, "—") if r.k is not None else "—", tests=r.tests, negatives=r.negatives,
                        positives=r.positives, suspects=r.suspects, invalids=r.invalids, batches=r.batches)
           for r in rows]
    return sorted(out, key=lambda r: (-r.tests, r.name))


def coverage(scope: Scope, start: datetime, end: datetime) -> list[CoverageRow]:
    """Per site: stalls registered (active), stalls with a batch tested in the period, foods
    tested — so that stalls never tested are seen. Sites with stalls or tests only."""
    registered = dict(db.session.execute(
        sa.select(Stall.site_id, sa.func.count(Stall.id)).where(Stall.active.is_(True), scope.where(Stall.site_id))
        .group_by(Stall.site_id)).all())
    tested = {r.site_id: r for r in db.session.execute(
        _results_of_batches(scope, start, end).add_columns(
            Result.site_id, sa.func.count(sa.distinct(Batch.stall_id)).label("stalls"),
            sa.func.count(sa.distinct(Batch.food)).label("foods"))
        .group_by(Result.site_id)).all()}
    names = dict(db.session.execute(sa.select(Site.id, Site.name).where(scope.where(Site.id))).all())
    rows = [CoverageRow(site=names[s], stalls=registered.get(s, 0),
                        stalls_tested=tested[s].stalls if s in tested else 0,
                        foods=tested[s].foods if s in tested else 0)
            for s in set(registered) | set(tested) if s in names]
    return sorted(rows, key=lambda r: (r.rate if r.rate is not None else Decimal(2), r.site))


def positive_status(status: str | None, notified_at: datetime | None, deadline: datetime | None,
                    now: datetime) -> str:
    """The status a positive is listed with: ``not_notified`` while the seller has not been
    told (no objection window is running then), else the disposition's effective status."""
    if status is None or (status == "stopped" and notified_at is None):
        return "not_notified"
    return effective_status(status, deadline, now)


def positives(scope: Scope, start: datetime, end: datetime, now: datetime, to_local) -> list[PositiveRow]:
    rows = db.session.execute(
        _results_of_batches(scope, start, end).add_columns(
            Result.tested_at, Result.value, Result.value_text, Result.unit, Result.computed_value, Result.tc_ratio,
            Site.name.label("site"), Stall.code.label("stall"), Batch.food, Batch.code, Batch.id.label("batch_id"),
            Supplier.name.label("supplier"), TestItem.name.label("item"), TestItem.rule, Disposition.status,
            Disposition.objection_deadline, Disposition.notified_at)
        .join(Site, Site.id == Batch.site_id).outerjoin(Stall, Stall.id == Batch.stall_id)
        .outerjoin(Supplier, Supplier.id == Batch.supplier_id).join(TestItem, TestItem.id == Result.item_id)
        .outerjoin(Disposition, Disposition.batch_id == Batch.id)
        .where(Result.outcome == "positive").order_by(Result.tested_at)).all()
    kg = defaultdict(Decimal)
    if rows:
        for batch_id, action_kg in db.session.execute(
                sa.select(Disposition.batch_id, DisposalAction.quantity_kg)
                .join(DisposalAction, DisposalAction.disposition_id == Disposition.id)
                .where(Disposition.batch_id.in_({r.batch_id for r in rows}),
                       DisposalAction.action.in_(TERMINAL_ACTIONS))).all():
            kg[batch_id] += action_kg
    out = []
    for r in rows:
        value, value_text, unit = reading_of(r.rule, r.value, r.computed_value, r.tc_ratio, r.unit, r.value_text)
        out.append(PositiveRow(
            tested_at=to_local(r.tested_at), site=r.site, stall=r.stall, food=r.food, supplier=r.supplier, item=r.item,
            value=value, value_text=value_text, unit=unit,
            disposition_status=positive_status(r.status, r.notified_at, r.objection_deadline, now),
            kg_disposed=kg[r.batch_id], batch_code=r.code))
    return out


def latest_results(scope: Scope, start: datetime, end: datetime) -> list[Result]:
    """The results of the period as a notice board lists them: of each batch and item the
    latest test (a repeat replaces the suspect or invalid one before it), in test order,
    with their batch, stall, disposition and item loaded. ``headline`` counts every test."""
    rows = db.session.execute(
        _results(scope, start, end).add_columns(Result)
        .options(joinedload(Result.batch).joinedload(Batch.stall),
                 joinedload(Result.batch).joinedload(Batch.disposition).selectinload(Disposition.actions),
                 joinedload(Result.item).options(*item_shown()))
        .order_by(Result.tested_at, Result.id)).unique().scalars().all()
    latest: dict[tuple[int, int], Result] = {}
    for r in rows:
        latest[(r.batch_id, r.item_id)] = r
    return list(latest.values())


def _bucket(column, ends: list[datetime], lo: int, hi: int):
    """The index of the first of ``ends[lo:hi]`` that ``column`` is before (``hi`` when none):
    a binary search written as nested CASEs, so a row takes log₂ of the days' comparisons
    instead of one per day (a city's month and a half of results is 160,000 rows)."""
    if lo == hi:
        return sa.literal(lo)
    mid = (lo + hi) // 2
    return sa.case((column < ends[mid], _bucket(column, ends, lo, mid)), else_=_bucket(column, ends, mid + 1, hi))


def daily(scope: Scope, start: datetime, end: datetime) -> list[DailyCount]:
    """Tests and positives per local day (every day of the period, zeros included), counted
    in the database: each result falls in the day whose local midnight bounds it."""
    zone = local_zone()
    days, ends = [start.astimezone(zone).date()], []  # ends: the UTC end of each day but the last
    while (nxt := datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=zone)) < end:
        ends.append(nxt.astimezone(timezone.utc))
        days.append(days[-1] + timedelta(days=1))
    bucket = _bucket(Result.tested_at, ends, 0, len(ends))
    counts = {r.k: r for r in db.session.execute(
        _results(scope, start, end).add_columns(bucket.label("k"), sa.func.count(Result.id).label("tests"),
                                                sa.func.count(Result.id).filter(Result.outcome == "positive")
                                                .label("positives")).group_by(bucket)).all()}
    return [DailyCount(day=d, tests=counts[i].tests if i in counts else 0,
                       positives=counts[i].positives if i in counts else 0) for i, d in enumerate(days)]


def event_figures(scope: Scope, event_ids) -> dict[int, EventFigures]:
    """What each event's testing amounts to (batches and tests apart, batches by verdict),
    for the event page, its summary PDF and the monthly report alike. A batch's verdict is
    the one rule of ``reports.data.EventBatch.verdict`` applied to its current results in
    test order (reviewed ones only when ``scope.reviewed_only``) and its planned items."""
    ids = set(event_ids)
    if not ids:
        return {}
    batches = db.session.execute(sa.select(Batch.id, Batch.event_id).where(
        Batch.event_id.in_(ids), scope.where(Batch.site_id)).order_by(Batch.id)).all()
    batch_ids = {b.id for b in batches} or {-1}
    tests = sa.select(Result.batch_id, Result.item_id, Result.outcome).where(
        Result.batch_id.in_(batch_ids), Result.current.is_(True))
    if scope.reviewed_only:
        tests = tests.where(Result.reviewed_at.is_not(None))
    results: dict[int, list[ItemResult]] = defaultdict(list)
    done: dict[int, set[int]] = defaultdict(set)
    for batch_id, item_id, outcome in db.session.execute(tests.order_by(Result.tested_at, Result.id)).all():
        results[batch_id].append(ItemResult(item=str(item_id), outcome=outcome))
        done[batch_id].add(item_id)
    planned: dict[int, set[int]] = defaultdict(set)
    for batch_id, item_id in db.session.execute(sa.select(batch_tests.c.batch_id, batch_tests.c.item_id).where(
            batch_tests.c.batch_id.in_(batch_ids))).all():
        planned[batch_id].add(item_id)
    by_event: dict[int, list[EventBatch]] = defaultdict(list)
    for b in batches:
        by_event[b.event_id].append(EventBatch(
            code=str(b.id), food="", sampled_at=None, results=tuple(results[b.id]),
            untested=tuple(str(i) for i in sorted(planned[b.id] - done[b.id]))))
    return {event_id: EventFigures.of(by_event.get(event_id, [])) for event_id in ids}


def events(scope: Scope, start: datetime, end: datetime) -> list[EventRow]:
    """The events of the period with their tested and positive batches (``event_figures``)."""
    zone = local_zone()
    first, last = start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone).date()
    found = db.session.execute(sa.select(Event).where(Event.starts_on <= last, Event.ends_on >= first)
                               .order_by(Event.starts_on, Event.id)).scalars().all()
    counted = event_figures(scope, [e.id for e in found])
    out = []
    for event in found:
        f = counted[event.id]
        if f.batches == 0 and scope.site_ids is not None:
            continue
        venue = "、".join(v.name for v in event.venues) or (event.site.name if event.site else None)
        out.append(EventRow(name=event.name, kind=event.kind, starts_on=event.starts_on,
                            ends_on=event.ends_on if event.ends_on != event.starts_on else None, venue=venue,
                            batches=f.tested_batches, positives=f.positive_batches, people_served=event.people))
    return out


# --- ratings and lists ----------------------------------------------------------------


def thresholds() -> RatingThresholds:
    cfg = current_app.config
    return RatingThresholds(red_positive_rate=Decimal(str(cfg["RATING_RED_POSITIVE_RATE"])),
                            orange_positive_rate=Decimal(str(cfg["RATING_ORANGE_POSITIVE_RATE"])),
                            yellow_positive_rate=Decimal(str(cfg["RATING_YELLOW_POSITIVE_RATE"])),
                            red_overdue_hours=int(cfg["RATING_RED_OVERDUE_HOURS"]))


def list_rules() -> ListRules:
    cfg = current_app.config
    return ListRules(black_positives=int(cfg["BLACKLIST_POSITIVES"]), black_days=int(cfg["BLACKLIST_DAYS"]),
                     black_min_rate=Decimal(str(cfg["BLACKLIST_MIN_RATE"])),
                     red_min_batches=int(cfg["REDLIST_MIN_BATCHES"]), red_batch_days=int(cfg["REDLIST_BATCH_DAYS"]),
                     red_clean_days=int(cfg["REDLIST_CLEAN_DAYS"]))


def stall_lists(scope: Scope, as_of: date) -> tuple[list[ListedStall], list[ListedStall]]:
    """(red list, black list) of stalls as of a day."""
    rules = list_rules()
    zone = local_zone()
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=zone)
    window_start = end - timedelta(days=max(rules.red_clean_days, rules.black_days) + 1)
    batch_start = end - timedelta(days=rules.red_batch_days)
    positive_days: dict[int, list[date]] = defaultdict(list)
    for stall_id, opened in db.session.execute(
            sa.select(Batch.stall_id, Disposition.opened_at).join(Disposition, Disposition.batch_id == Batch.id)
            .where(Batch.stall_id.is_not(None), Disposition.opened_at >= window_start, Disposition.opened_at < end,
                   Disposition.status != "released", scope.where(Batch.site_id))).all():
        positive_days[stall_id].append(opened.astimezone(zone).date())
    black_start = end - timedelta(days=rules.black_days)
    # The batches tested of each stall in both windows, read in one pass over the wider one.
    tested, tested_black = {}, {}
    for stall_id, in_red_window, in_black_window in db.session.execute(
            sa.select(Batch.stall_id, sa.func.count(Batch.id).filter(Batch.sampled_at >= batch_start),
                      sa.func.count(Batch.id).filter(Batch.sampled_at >= black_start))
            .where(Batch.stall_id.is_not(None), Batch.sampled_at >= min(batch_start, black_start),
                   Batch.sampled_at < end, Batch.status.not_in(("registered", "testing")), scope.where(Batch.site_id))
            .group_by(Batch.stall_id)).all():
        if in_red_window:
            tested[stall_id] = in_red_window
        if in_black_window:
            tested_black[stall_id] = in_black_window
    # Judged from the counts first; only the stalls listed are read (a city tests ~15,000).
    black_since = as_of - timedelta(days=rules.black_days)
    listed_as: dict[int, str] = {}
    records: dict[int, StallRecord] = {}
    for stall_id in set(tested) | set(positive_days):
        record = StallRecord(tuple(positive_days.get(stall_id, ())), tested.get(stall_id, 0),
                             tested_black.get(stall_id, 0))
        colour = "black" if black_listed(record, as_of, rules) else "red" if red_listed(record, as_of, rules) else None
        if colour:
            listed_as[stall_id], records[stall_id] = colour, record
    red, black = [], []
    for stall_id, code, operator, site in db.session.execute(
            sa.select(Stall.id, Stall.code, Stall.operator, Site.name).join(Site, Site.id == Stall.site_id)
            .where(Stall.id.in_(listed_as or {-1}))).all():
        record = records[stall_id]
        listed = ListedStall(site=site, stall=code, operator=operator, batches_90d=record.batches_in_window,
                             positives_90d=sum(1 for d in record.positive_days if d > black_since))
        (black if listed_as[stall_id] == "black" else red).append(listed)
    black.sort(key=lambda s: (-s.positives_90d, s.site, s.stall))
    red.sort(key=lambda s: (-s.batches_90d, s.site, s.stall))
    return red, black


@dataclass
class SiteRatingFacts:
    site: Site
    month: SiteMonth
    rating: object  # lims.rules.rating.Rating


def site_ratings(scope: Scope, start: datetime, end: datetime, now: datetime,
                 black: list[ListedStall], plan_share: Decimal | None = None) -> list[SiteRatingFacts]:
    """The five-colour rating of every site in scope that was active or sampled in the period.
    ``plan_share``: the part of the monthly plan due so far (a running month, on the
    dashboard), else the whole plan."""
    by_site = {r.k: r for r in db.session.execute(
        _results(scope, start, end).add_columns(Result.site_id.label("k"), *_OUTCOME_COUNTS)
        .group_by(Result.site_id)).all()}
    batches = dict(db.session.execute(sa.select(Batch.site_id, sa.func.count(Batch.id)).where(
        Batch.sampled_at >= start, Batch.sampled_at < end, scope.where(Batch.site_id)).group_by(Batch.site_id)).all())
    banned: dict[int, set[str]] = defaultdict(set)
    for site_id, name in db.session.execute(
            _results(scope, start, end).add_columns(Result.site_id, TestItem.name)
            .join(TestItem, TestItem.id == Result.item_id)
            .join(Disposition, Disposition.batch_id == Result.batch_id)
            .where(Result.outcome == "positive", TestItem.banned.is_(True), Disposition.status != "released")).all():
        banned[site_id].add(name)
    # A screening positive the laboratory released did not stand: the rating reads it as the
    # negative it turned out to be (the tables still show what the screening found).
    released = dict(db.session.execute(
        _results(scope, start, end).add_columns(Result.site_id, sa.func.count(Result.id))
        .join(Disposition, Disposition.batch_id == Result.batch_id)
        .where(Result.outcome == "positive", Disposition.status == "released").group_by(Result.site_id)).all())
    overdue: dict[int, list[Decimal]] = defaultdict(list)
    for d in _dispositions(scope, start, end, now):
        if d.overdue_hours is not None:
            overdue[d.site_id].append(d.overdue_hours)
    blacklisted: dict[str, list[str]] = defaultdict(list)
    for s in black:
        blacklisted[s.site].append(s.stall)
    sites = db.session.execute(sa.select(Site).where(scope.where(Site.id)).order_by(Site.code)).scalars().all()
    out = []
    for site in sites:
        counts = by_site.get(site.id)
        if counts is None and not site.active:
            continue
        if counts is None and site.planned_monthly_batches is None:
            continue  # a banquet centre with nothing this month has nothing to rate
        month = SiteMonth(
            negatives=(counts.negatives if counts else 0) + released.get(site.id, 0),
            positives=(counts.positives if counts else 0) - released.get(site.id, 0),
            banned_items=tuple(sorted(banned.get(site.id, ()))), overdue=len(overdue.get(site.id, [])),
            max_overdue_hours=max(overdue.get(site.id, [Decimal(0)])),
            blacklisted_stalls=tuple(sorted(blacklisted.get(site.name, []))), batches=batches.get(site.id, 0),
            planned_batches=site.planned_monthly_batches if site.planned_monthly_batches is None or plan_share is None
            else int(site.planned_monthly_batches * plan_share))
        out.append(SiteRatingFacts(site, month, rate_site(month, thresholds())))
    order = {c: i for i, c in enumerate(("red", "orange", "yellow", "blue", "green", None))}
    return sorted(out, key=lambda f: (order[f.rating.colour], f.site.code))
