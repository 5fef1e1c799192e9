"""Use cases for sampling: register batches one at a time or as a round, resolve what
people type (site, stall, food, tests), keep the batch status in step with its results."""
from __future__ import annotations

import functools

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import joinedload
from flask_babel import gettext

from lims.accounts.access import Actor, scope_to_sites
from lims.audit.services import record
from lims.database import prefixed, utcnow
from lims.errors import Conflict, InvalidInput, NotFound
from lims.extensions import db
from lims.i18n import local_today, to_local
from lims.models import (Batch, Disposition, Event, Food, FoodCategory, Result, Round, Site, Stall, Station,
                         TestItem)
from lims.rules.batch_status import UNTESTED, batch_status, effective_outcomes, verdict_for
from lims.rules.judging import FUTURE_TOLERANCE
from lims.sites.services import find_or_create_supplier, normalise_code

BATCH_CODE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
BATCH_FIELDS = ("code", "site_id", "stall_id", "event_id", "round_id", "station_id", "food", "category_id",
                "supplier_id", "origin", "purchase_date", "quantity_kg", "certificate_no", "sampled_at", "note")


def _invalid(field_name: str, message: str) -> InvalidInput:
    return InvalidInput(message, {field_name: [message]})


# --- resolving what people type ----------------------------------------------------------


# The statements every registration and result post runs are made once, their values bound
# when they run: making one (and its cache key) cost about as much as running it.


@functools.cache
def _statement(name: str) -> sa.Select:
    code = sa.bindparam("code")
    if name == "site":
        return sa.select(Site).where(Site.code == code)
    if name == "stall":
        return sa.select(Stall).where(Stall.site_id == sa.bindparam("site_id"), Stall.code == code)
    if name == "item":  # a registration names its tests; their categories and overrides load when judged
        return (sa.select(TestItem).where(sa.or_(TestItem.code == code, TestItem.name == sa.bindparam("name")))
                .options(orm.lazyload(TestItem.categories), orm.lazyload(TestItem.overrides)))
    if name == "food":
        return sa.select(Food).where(Food.name == sa.bindparam("name")).options(joinedload(Food.category))
    if name == "results_now":  # refresh_status: each current result's outcome, and the disposition's status
        of_batch = sa.select(Disposition.status).where(Disposition.batch_id == sa.bindparam("batch_id"))
        return (sa.select(Result.item_id, Result.tested_at, Result.id,
                          sa.case((Result.rejected.is_(True), "invalid"), else_=Result.outcome),
                          of_batch.scalar_subquery())
                .where(Result.batch_id == sa.bindparam("batch_id"),
                       sa.or_(Result.current.is_(True), Result.rejected.is_(True))))
    if name == "disposition_status":
        return sa.select(Disposition.status).where(Disposition.batch_id == sa.bindparam("batch_id"))
    raise KeyError(name)


@functools.lru_cache(maxsize=16)  # loads: loader options made once (loads_in_full, _recording)
def _batch_by_code(for_update: bool, loads: tuple) -> sa.Select:
    stmt = sa.select(Batch).where(Batch.code == sa.bindparam("code"))
    return (stmt.with_for_update(of=Batch) if for_update else stmt).options(*loads)


def find_site(actor: Actor, code: str) -> Site:
    site = db.session.execute(_statement("site"), {"code": normalise_code(code)}).scalar_one_or_none()
    if site is None or not actor.may_see_site(site.id):
        raise _invalid("site", gettext("Unknown site %(code)s.", code=code))
    return site


def find_stall(site: Site, code: str) -> Stall:
    stall = db.session.execute(_statement("stall"), {"site_id": site.id, "code": normalise_code(code)}
                               ).scalar_one_or_none()
    if stall is None:
        raise _invalid("stall", gettext("%(site)s has no stall %(code)s.", site=site.name, code=code))
    return stall


def find_event(code: str, actor: Actor | None = None) -> Event:
    """The event ``code`` names — among those ``actor`` may see, when given (else 422)."""
    stmt = sa.select(Event).where(Event.code == normalise_code(code))
    if actor is not None:
        from lims.events.services import visible_events

        stmt = visible_events(stmt, actor)
    event = db.session.execute(stmt).scalar_one_or_none()
    if event is None:
        raise _invalid("event", gettext("Unknown event %(code)s.", code=code))
    return event


def find_items(codes) -> list[TestItem]:
    """Test items by code (or by a name people and instruments use)."""
    items, unknown = [], []
    for raw in codes:
        code = (raw or "").strip()
        item = db.session.execute(_statement("item"), {"code": code.upper(), "name": code}).scalar_one_or_none()
        if item is None or not item.active:
            unknown.append(code)
        elif item not in items:
            items.append(item)
    if unknown:
        raise _invalid("tests", gettext("Unknown test item: %(codes)s", codes="、".join(unknown)))
    return items


def find_category(code_or_name: str | None) -> FoodCategory | None:
    if not code_or_name:
        return None
    text = code_or_name.strip()
    cat = db.session.execute(sa.select(FoodCategory).where(
        sa.or_(FoodCategory.code == text.upper(), FoodCategory.name == text)).order_by(FoodCategory.level.desc())
    ).scalars().first()
    if cat is None:
        raise _invalid("category", gettext("Unknown food category %(name)s.", name=text))
    return cat


def food_category(food: str) -> FoodCategory | None:
    """The category of a known food name (青菜 → 叶菜类)."""
    row = db.session.execute(_statement("food"), {"name": food.strip()}).scalar_one_or_none()
    return row.category if row else None


def default_tests(category: FoodCategory | None) -> list[TestItem]:
    """The tests usually run on a category: active items that apply to it, first by rule.

    Vegetables get the enzyme-inhibition screen, meat the β-agonist cards, fish malachite green…"""
    if category is None:
        return []
    ids = [category.id] + ([category.parent_id] if category.parent_id else [])
    from lims.models.reference import item_categories

    items = db.session.execute(
        sa.select(TestItem).join(item_categories, item_categories.c.item_id == TestItem.id)
        .where(item_categories.c.category_id.in_(ids), TestItem.active.is_(True))
        .order_by(TestItem.sort_order)).scalars().unique().all()
    return [i for i in items if i.code in DEFAULT_TESTS.get((category.parent or category).code, ())]


# The screening most quick-test rooms run by default per top-level category [practice].
DEFAULT_TESTS = {
    "VEG": ("OPC",), "FRU": ("OPC",), "MEAT": ("CLB", "RAC"), "AQU": ("MG", "NF"), "EGG": ("FQ", "FFC"),
    "SOY": ("RGL",), "GRAIN": ("RGL",), "OIL": ("AFB1",), "DRY": ("SO2",), "COOK": ("NO2",), "OTHER": (),
}


# --- registering ------------------------------------------------------------------------


@dataclass
class BatchInput:
    """A batch as registered by a form, the API or an import (names already resolved)."""

    site: Site
    food: str
    sampled_at: datetime
    tests: list[TestItem] = field(default_factory=list)
    stall: Stall | None = None
    event: Event | None = None
    category: FoodCategory | None = None
    supplier_name: str | None = None
    supplier_address: str | None = None
    supplier_phone: str | None = None
    origin: str | None = None
    quantity_kg: Decimal | None = None
    purchase_date: date | None = None
    certificate_no: str | None = None
    code: str | None = None
    station: Station | None = None
    round: Round | None = None
    note: str | None = None
    # No test chosen and none applies to the food's category: registered only when the user
    # confirmed it (an import passes True: the imported results are the batch's tests).
    confirm_no_tests: bool = False


def _check_batch(data: BatchInput, now: datetime) -> dict:
    errors = {}
    food = unicodedata.normalize("NFKC", data.food or "").strip()
    if not food:
        errors["food"] = [gettext("Required.")]
    elif len(food) > 32:
        errors["food"] = [gettext("At most %(n)d characters.", n=32)]
    if data.code is not None and not BATCH_CODE.match(data.code):
        errors["code"] = [gettext("4–32 letters, digits or dashes.")]
    if data.quantity_kg is not None and data.quantity_kg < 0:
        errors["quantity_kg"] = [gettext("Must not be negative.")]
    if data.sampled_at > now + FUTURE_TOLERANCE:
        errors["sampled_at"] = [gettext("The sampling time is in the future.")]
    if data.stall is not None and data.stall.site_id != data.site.id:
        errors["stall"] = [gettext("The stall belongs to another site.")]
    if data.stall is None and data.event is None and data.site.kind in ("market", "wholesale"):
        errors["stall"] = [gettext("Which stall was the food sampled at?")]
    if data.purchase_date is not None and data.purchase_date > local_today(now):
        errors["purchase_date"] = [gettext("The purchase date is in the future.")]
    if errors:
        raise InvalidInput(gettext("Some of the input is not valid."), errors)
    return {"food": food}


def next_batch_code(site: Site, sampled_at: datetime) -> str:
    """``<site>-<yymmdd>-<nnn>``: readable on a label, unique, in order within a day.

    Pre-printed codes with the same prefix but another tail are stepped over."""
    prefix = f"{site.code}-{to_local(sampled_at):%y%m%d}-"
    taken = set(db.session.execute(sa.select(Batch.code).where(prefixed(Batch.code, prefix))).scalars())
    numbers = [int(c[len(prefix):]) for c in taken if c[len(prefix):].isdigit()]
    n = max(numbers, default=0) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _insert_with_free_code(batch: Batch, generated: bool, site: Site) -> None:
    """Insert the batch; a generated code taken meanwhile by a concurrent writer is replaced
    by the next one (a pre-printed code that is taken is the caller's conflict)."""
    from sqlalchemy.exc import IntegrityError

    for _attempt in range(20):
        try:
            with db.session.begin_nested():
                db.session.add(batch)
                db.session.flush()
            return
        except IntegrityError:
            taken = db.session.execute(sa.select(Batch.id).where(Batch.code == batch.code)).first()
            if not taken:
                raise
            if not generated:
                raise Conflict(gettext("The batch code %(code)s is already used.", code=batch.code),
                               {"code": [gettext("Already used.")]}) from None
            batch.code = next_batch_code(site, batch.sampled_at)
    raise Conflict(gettext("Could not find a free batch code; try again."))


def register_batch(actor: Actor, data: BatchInput, now: datetime | None = None) -> Batch:
    """Register one sampled batch with its planned tests."""
    actor.require("batch.create")
    actor.check_site(data.site.id)
    if data.station is not None:
        actor.check_station(data.station.id, "station", data.station.name)
    now = now or utcnow()
    cleaned = _check_batch(data, now)
    if data.code:
        data.code = data.code.strip().upper()
        if db.session.execute(sa.select(Batch.id).where(Batch.code == data.code)).first():
            raise Conflict(gettext("The batch code %(code)s is already used.", code=data.code),
                           {"code": [gettext("Already used.")]})
    category = data.category or food_category(cleaned["food"])
    planned = list(data.tests or default_tests(category))
    if not planned and not data.confirm_no_tests:
        raise InvalidInput(
            gettext("No test applies to %(food)s: choose the tests to run, or confirm registering it without a "
                    "test.", food=cleaned["food"]),
            {"tests": [gettext("No test applies to this food: choose at least one test, or confirm registering "
                               "it without a test.")]})
    supplier = find_or_create_supplier(actor, data.supplier_name, data.supplier_address, data.supplier_phone)
    batch = Batch(
        code=data.code or next_batch_code(data.site, data.sampled_at), site_id=data.site.id,
        stall_id=data.stall.id if data.stall else None, event_id=data.event.id if data.event else None,
        round_id=data.round.id if data.round else None,
        station_id=(data.station.id if data.station else (data.round.station_id if data.round else None)),
        food=cleaned["food"], category_id=category.id if category else None,
        supplier_id=supplier.id if supplier else None, origin=(data.origin or "").strip() or None,
        purchase_date=data.purchase_date, quantity_kg=data.quantity_kg, certificate_no=data.certificate_no or None,
        sampled_at=data.sampled_at, sampled_by_id=actor.user_id, created_by_id=actor.user_id,
        status="registered", note=data.note or None,
    )
    batch.planned_items = planned
    # The objects at hand, held by the batch: its answer shows them without loading them again
    # (the session keeps only weak references to what nothing else holds).
    batch.site, batch.stall, batch.event, batch.category = data.site, data.stall, data.event, category
    if supplier is not None:
        batch.supplier = supplier
    _insert_with_free_code(batch, generated=not data.code, site=data.site)
    for name, empty in (("results", []), ("disposition", None), ("waiting_change", None)):
        orm.attributes.set_committed_value(batch, name, empty)  # a new batch has none: nothing to read
    record(actor, "batch.create", "batch", batch.code, batch_id=batch.id,
           after={**{f: getattr(batch, f) for f in BATCH_FIELDS}, "tests": [i.code for i in batch.planned_items]},
           at=now)
    return batch


def create_round(actor: Actor, site: Site, day: date, station: Station | None = None,
                 event: Event | None = None) -> Round:
    actor.require("batch.create")
    actor.check_site(site.id)
    if station is not None:
        actor.check_station(station.id, "station", station.name)
    rnd = Round(site_id=site.id, station_id=station.id if station else None, event_id=event.id if event else None,
                day=day, created_by_id=actor.user_id)
    db.session.add(rnd)
    db.session.flush()
    record(actor, "round.create", "round", rnd.id, after={"site": site.code, "day": day,
                                                          "station": station.code if station else None})
    return rnd


# --- reading ----------------------------------------------------------------------------


def get_batch(actor: Actor, code: str, for_update: bool = False, loads: tuple = (), read=None) -> Batch:
    """A batch by code, loaded with ``loads`` (loader options; with ``for_update`` only the
    batch's row is locked) or read by ``read`` (which takes the statement:
    :func:`lims.batches.rows.read_full`); 404 for unknown codes and for other markets' batches."""
    code_ = (code or "").strip().upper()
    if read is not None:
        batch = next(iter(read(sa.select(Batch).where(Batch.code == code_))), None)
    else:
        batch = db.session.execute(_batch_by_code(for_update, tuple(loads)), {"code": code_}).unique().scalar_one_or_none()
    if batch is None or not actor.may_see_site(batch.site_id):
        raise NotFound(gettext("Unknown batch %(code)s.", code=code))
    return batch


def last_supplier_by_stall(site: Site) -> dict[int, tuple[str, str | None]]:
    """For the round grid: each stall's most recent supplier and origin."""
    latest = (sa.select(Batch.stall_id, sa.func.max(Batch.id).label("bid"))
              .where(Batch.site_id == site.id, Batch.stall_id.is_not(None), Batch.supplier_id.is_not(None))
              .group_by(Batch.stall_id).subquery())
    from lims.models import Supplier

    rows = db.session.execute(sa.select(Batch.stall_id, Supplier.name, Batch.origin)
                              .join(latest, latest.c.bid == Batch.id)
                              .join(Supplier, Supplier.id == Batch.supplier_id)).all()
    return {r.stall_id: (r.name, r.origin) for r in rows}


# --- status -----------------------------------------------------------------------------


def refresh_status(batch: Batch) -> tuple[str, str]:
    """Recompute the batch status from its current results and disposition; returns (before, after)."""
    before = batch.status
    if before == "voided":  # a voided batch stays voided, whatever its results say
        return before, before
    # A result the reviewer sent back counts as needing a retest until a later test of its item.
    rows = db.session.execute(_statement("results_now"), {"batch_id": batch.id}).all()
    disposition = rows[0][4] if rows else db.session.execute(_statement("disposition_status"),
                                                             {"batch_id": batch.id}).scalar()
    rows = [r[:4] for r in rows]
    planned = [i.id for i in batch.planned_items]
    status = batch_status(planned, effective_outcomes(rows), disposition)
    batch.status, batch.verdict = status, verdict_for(status)
    return before, status


TRACEBACK_LIMIT = 200  # batches counted around a batch
TRACEBACK_SHOWN = 10  # of them listed on its page


@dataclass
class Traceback:
    """Other batches from the same supplier around a batch (at most TRACEBACK_LIMIT): how many,
    at how many sites, how many not yet tested, and the ones to list — the untested first (the
    ones to target), then the others, newest first in each part."""

    count: int = 0
    sites: int = 0
    untested: int = 0
    shown: list = field(default_factory=list)


def traceback(actor: Actor, batch: Batch, days: int, now: datetime) -> Traceback:
    """Other batches from the same supplier within ``days`` days before or after this one
    (the same lot may have gone anywhere that week), at any site the actor may see, newest
    first. Only the listed ones are loaded whole, with their site, stall and disposition."""
    if batch.supplier_id is None:
        return Traceback()
    around = min(batch.sampled_at, now)
    stmt = scope_to_sites(sa.select(Batch.id, Batch.site_id, Batch.status)
                          .where(Batch.supplier_id == batch.supplier_id, Batch.id != batch.id,
                                 Batch.sampled_at >= around - timedelta(days=days),
                                 Batch.sampled_at <= around + timedelta(days=days))
                          .order_by(Batch.sampled_at.desc()).limit(TRACEBACK_LIMIT), Batch.site_id, actor)
    rows = db.session.execute(stmt).all()
    # registered and testing are never read otherwise at any time (effective_status)
    untested = [r.id for r in rows if r.status in UNTESTED]
    shown = (untested + [r.id for r in rows if r.status not in UNTESTED])[:TRACEBACK_SHOWN]
    loaded = {b.id: b for b in db.session.execute(sa.select(Batch).where(Batch.id.in_(shown)).options(
        joinedload(Batch.disposition), joinedload(Batch.site), joinedload(Batch.stall))).scalars()} if shown else {}
    return Traceback(len(rows), len({r.site_id for r in rows}), len(untested), [loaded[i] for i in shown])
