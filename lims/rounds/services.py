"""Use cases behind the round grids: what the grids need to know, and saving their rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload, selectinload

from lims.accounts.access import Actor, scope_to_sites
from lims.batches import services as batches
from lims.errors import InvalidInput, NotFound
from lims.extensions import db
from lims.formatting import number
from lims.models.reference import item_shown
from lims.models import Batch, Food, ReagentLot, Result, Round, Stall, TestItem


def get_round(actor: Actor, round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None or not actor.may_see_site(rnd.site_id):
        raise NotFound(gettext("Not found."))
    return rnd


def list_rounds(actor: Actor, day=None, limit: int = 60) -> list[Round]:
    stmt = scope_to_sites(sa.select(Round), Round.site_id, actor).order_by(Round.day.desc(), Round.id.desc())
    if day is not None:
        stmt = stmt.where(Round.day == day)
    return list(db.session.execute(stmt.limit(limit)).scalars())


@dataclass
class RoundFilter:
    """What the rounds list narrows to (None: everything the actor may see)."""

    date_from: date | None = None
    date_to: date | None = None
    site_id: int | None = None
    station_id: int | None = None
    technician_id: int | None = None


def page_rounds(actor: Actor, f: RoundFilter, page: int, args: dict | None = None):
    """The rounds list, newest first, counted and numbered: rows of (round, its batch count)."""
    from lims.listing import paginate

    count = sa.select(sa.func.count(Batch.id)).where(Batch.round_id == Round.id).correlate(Round).scalar_subquery()
    stmt = scope_to_sites(sa.select(Round, count.label("n_batches")), Round.site_id, actor)
    if f.date_from is not None:
        stmt = stmt.where(Round.day >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Round.day <= f.date_to)
    if f.site_id is not None:
        stmt = stmt.where(Round.site_id == f.site_id)
    if f.station_id is not None:
        stmt = stmt.where(Round.station_id == f.station_id)
    if f.technician_id is not None:
        stmt = stmt.where(Round.created_by_id == f.technician_id)
    stmt = stmt.order_by(Round.day.desc(), Round.id.desc()).options(
        joinedload(Round.site), joinedload(Round.station), joinedload(Round.event), joinedload(Round.created_by))
    return paginate(stmt, page, args=args, rows=True)


def round_facets(actor: Actor) -> tuple[list, list]:
    """The stations and the people who started rounds the actor may see (the filter's choices)."""
    from lims.models import Station, User

    starters = scope_to_sites(sa.select(Round.created_by_id).distinct(), Round.site_id, actor)
    users = list(db.session.execute(sa.select(User).where(User.id.in_(starters)).order_by(User.display_name)).scalars())
    stations = list(db.session.execute(sa.select(Station).order_by(Station.code)).scalars())
    return stations, users


def round_batches(rnd: Round) -> list[Batch]:
    return list(db.session.execute(
        sa.select(Batch).where(Batch.round_id == rnd.id).order_by(Batch.id)
        .options(joinedload(Batch.stall), selectinload(Batch.planned_items),
                 selectinload(Batch.results).joinedload(Result.item).options(*item_shown()))).scalars())


def grid_data(rnd: Round) -> dict:
    """Everything the registration grid needs in the browser, in one JSON document."""
    last = batches.last_supplier_by_stall(rnd.site)
    stalls = db.session.execute(sa.select(Stall).where(Stall.site_id == rnd.site_id, Stall.active.is_(True))
                                .order_by(Stall.code)).scalars()
    foods = db.session.execute(sa.select(Food).options(joinedload(Food.category))).scalars()
    tests_by_category: dict[int, list[str]] = {}
    food_rows = []
    for food in foods:
        if food.category_id not in tests_by_category:
            tests_by_category[food.category_id] = [i.code for i in batches.default_tests(food.category)]
        food_rows.append({"name": food.name, "initials": food.initials, "category": food.category.code,
                          "category_name": food.category.path, "tests": tests_by_category[food.category_id]})
    items = db.session.execute(sa.select(TestItem).where(TestItem.active.is_(True))
                               .order_by(TestItem.sort_order)).scalars()
    return {
        "stalls": [{"code": s.code, "operator": s.operator or "", "supplier": last.get(s.id, ("", ""))[0],
                    "origin": last.get(s.id, ("", ""))[1] or ""} for s in stalls],
        "foods": food_rows,
        "items": [{"code": i.code, "name": i.name} for i in items],
        "batches": [batch_row(b) for b in round_batches(rnd)],
    }


def batch_row(b: Batch) -> dict:
    return {"code": b.code, "stall": b.stall.code if b.stall else "", "food": b.food,
            "supplier": b.supplier.name if b.supplier else "", "origin": b.origin or "",
            "quantity_kg": number(b.quantity_kg),
            "tests": [i.code for i in b.planned_items]}


def _decimal(raw, errors, key):
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        errors[key] = [gettext("“%(value)s” is not a number.", value=raw)]
        return None
    return value


def row_input(actor: Actor, rnd: Round, row: dict, sampled_at: datetime) -> batches.BatchInput:
    """One grid row → BatchInput; every problem is reported against its cell."""
    errors: dict = {}
    stall = None
    if (row.get("stall") or "").strip():
        try:
            stall = batches.find_stall(rnd.site, row["stall"])
        except InvalidInput as exc:
            errors.update(exc.errors)
    tests = []
    try:
        tests = batches.find_items(row.get("tests") or [])
    except InvalidInput as exc:
        errors.update(exc.errors)
    category = None
    if row.get("category"):
        try:
            category = batches.find_category(row["category"])
        except InvalidInput as exc:
            errors.update(exc.errors)
    quantity = _decimal(row.get("quantity_kg"), errors, "quantity_kg")
    if errors:
        raise InvalidInput(gettext("Some of the input is not valid."), errors)
    return batches.BatchInput(
        site=rnd.site, food=row.get("food") or "", sampled_at=sampled_at, tests=tests, stall=stall, event=rnd.event,
        category=category, supplier_name=row.get("supplier"), origin=row.get("origin"), quantity_kg=quantity,
        code=(row.get("code") or "").strip() or None, station=rnd.station, round=rnd)


def valid_lots(day) -> dict[int, list[ReagentLot]]:
    """Lots usable on ``day`` by item, newest expiry last."""
    lots = db.session.execute(sa.select(ReagentLot).where(ReagentLot.active.is_(True), ReagentLot.expires_on >= day)
                              .order_by(ReagentLot.expires_on)).scalars()
    out: dict[int, list[ReagentLot]] = {}
    for lot in lots:
        if lot.received_on is None or lot.received_on <= day:
            out.setdefault(lot.item_id, []).append(lot)
    return out

