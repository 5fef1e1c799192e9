"""Use cases for reference data: test items and their overrides, reagent lots, instruments,
and the decision rule that applies to one test."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import lazyload

from lims import editing
from lims.accounts.access import Actor
from lims.errors import Forbidden, InvalidInput, NotFound
from lims.extensions import db
from lims.models import FoodCategory, Instrument, Organisation, ReagentLot, TestItem, TestItemOverride
from lims.rules.decision import OVERRIDE_PARAMETERS, PARAMETERS, decision_rule
from lims.rules.judging import GOLD_MODES, LIMIT_SIGNS, PRINCIPLES, RULES, DecisionRule

ITEM_FIELDS = ("name", "name_en", "analyte", "principle", "method", "unit", "rule", "cutoff", "control_min",
               "gold_mode", "c_min", "a", "b", "limit_value", "limit_sign", "detection_limit", "banned",
               "legal_limit", "needs_pretreatment_for", "aliases", "verified", "active")
LOT_FIELDS = ("item_id", "lot", "maker", "expires_on", "mode", "c_min", "a", "b", "received_on", "note", "active",
              "org_id")
INSTRUMENT_FIELDS = ("serial", "model", "maker", "channels", "station_id", "last_verified_on", "active")


def _invalid(errors: dict):
    return InvalidInput(gettext("Some of the input is not valid."), errors)


# --- who manages what -------------------------------------------------------------------
# Test items, their rules and overrides, and food categories come from the law and national
# standards: one set for the whole deployment, read by everyone, changed only by the
# deployment's administrator (bound to no organisation). Reagent lots are held by testing
# organisations: a bound administrator manages those held in their part of the tree and
# sees, without changing, the deployment's own (held by none).


def is_bound(actor: Actor) -> bool:
    """An administrator (or regulator) bound to organisations: a district's, a city's."""
    from lims.rules.permissions import binding_of

    user = actor.user
    return user is not None and binding_of(user.role) == "orgs" and bool(user.orgs)


def require_deployment_admin(actor: Actor) -> None:
    """Reference data of the whole deployment: its administrator only (403 otherwise)."""
    actor.require("reference.manage")
    if is_bound(actor):
        raise Forbidden(gettext("Test items, their rules and food categories hold for the whole deployment: "
                                "only its administrator changes them."))


# --- lookups ---------------------------------------------------------------------------


def list_items(active_only: bool = False, for_choices: bool = False) -> list[TestItem]:
    """The test items in their order; ``for_choices``: to offer by name, their categories and
    overrides left unread (they load when used)."""
    stmt = sa.select(TestItem).order_by(TestItem.sort_order, TestItem.code)
    if active_only:
        stmt = stmt.where(TestItem.active.is_(True))
    if for_choices:
        stmt = stmt.options(lazyload(TestItem.categories), lazyload(TestItem.overrides))
    return list(db.session.execute(stmt).scalars())


def get_item(code: str) -> TestItem:
    item = db.session.execute(sa.select(TestItem).where(TestItem.code == code)).scalar_one_or_none()
    if item is None:
        raise NotFound(gettext("Unknown test item %(code)s.", code=code))
    return item


def list_categories() -> list[FoodCategory]:
    return list(db.session.execute(sa.select(FoodCategory).order_by(FoodCategory.sort_order)).scalars())


def get_category(code: str) -> FoodCategory:
    cat = db.session.execute(sa.select(FoodCategory).where(FoodCategory.code == code)).scalar_one_or_none()
    if cat is None:
        raise NotFound(gettext("Unknown food category %(code)s.", code=code))
    return cat


def item_applies(item: TestItem, category: FoodCategory | None) -> bool:
    """An item applies to a food when its category (or the category's parent) is listed."""
    if category is None or not item.categories:
        return True
    ids = {c.id for c in item.categories}
    return category.id in ids or (category.parent_id is not None and category.parent_id in ids)


def decision_rule_for(item: TestItem, category: FoodCategory | None = None, lot: ReagentLot | None = None,
                      method: str | None = None) -> DecisionRule:
    """The parameters that judge one test: the item's defaults, then the food category's
    parent's override, then the category's own, then the reagent lot's declared thresholds
    (colloidal gold), then the method's prescribed cut-off (enzyme inhibition: 50 % or 70 %) —
    whatever order the overrides are loaded in (``lims.rules.decision``)."""
    lineage = () if category is None else tuple(c for c in (category.id, category.parent_id) if c is not None)
    return decision_rule(
        item.rule, {k: getattr(item, k) for k in PARAMETERS}, lineage=lineage,
        overrides=[(o.category_id, {k: getattr(o, k) for k in OVERRIDE_PARAMETERS}) for o in item.overrides
                   if o.category_id in lineage],
        lot=None if lot is None else {"gold_mode": lot.mode or None, **{k: getattr(lot, k) for k in ("c_min", "a", "b")}},
        method=method)


# --- test items ------------------------------------------------------------------------


def _check_item(values: dict) -> None:
    errors = {}
    if values.get("principle") not in PRINCIPLES:
        errors["principle"] = [gettext("Unknown principle.")]
    rule = values.get("rule")
    if rule not in RULES:
        errors["rule"] = [gettext("Unknown rule.")]
    if rule == "inhibition" and values.get("cutoff") is None:
        errors["cutoff"] = [gettext("An inhibition rule needs a cut-off.")]
    if rule == "gold":
        if values.get("a") is None or values.get("b") is None:
            errors["a"] = [gettext("A colloidal-gold rule needs A and B.")]
        elif values["a"] > values["b"]:
            errors["b"] = [gettext("B must not be below A.")]
        if values.get("gold_mode") not in GOLD_MODES:
            errors["gold_mode"] = [gettext("Choose line or ratio mode.")]
    if rule == "limit":
        if values.get("limit_value") is None:
            errors["limit_value"] = [gettext("A limit rule needs a limit.")]
        if values.get("limit_sign") not in LIMIT_SIGNS:
            errors["limit_sign"] = [gettext("Choose ≤ or <.")]
    cutoff = values.get("cutoff")
    if cutoff is not None and not (Decimal(0) <= cutoff <= Decimal(100)):
        errors["cutoff"] = [gettext("Between 0 and 100.")]
    if errors:
        raise _invalid(errors)


def update_item(actor: Actor, item: TestItem, category_codes=None, **values) -> TestItem:
    require_deployment_admin(actor)
    merged = {k: getattr(item, k) for k in ITEM_FIELDS}
    merged.update({k: v for k, v in values.items() if k in ITEM_FIELDS})
    _check_item(merged)
    if category_codes is not None:
        before = sorted(c.code for c in item.categories)
        cats = [get_category(c) for c in category_codes]
        item.categories = cats
        after = sorted(c.code for c in cats)
        if before != after:
            from lims.audit.services import record

            record(actor, "test_item.update", "test_item", item.id, before={"categories": before},
                   after={"categories": after})
    return editing.update(actor, item, {k: v for k, v in values.items() if k in ITEM_FIELDS}, "test_item")


def create_item(actor: Actor, code: str, category_codes=(), **values) -> TestItem:
    require_deployment_admin(actor)
    _check_item(values)
    item = TestItem(code=code.strip().upper(), **{k: v for k, v in values.items() if k in ITEM_FIELDS})
    item.categories = [get_category(c) for c in category_codes]
    return editing.create(actor, item, "test_item", ("code",) + ITEM_FIELDS, unique=[("code",)])


def set_override(actor: Actor, item: TestItem, category_code: str, **values) -> TestItemOverride:
    require_deployment_admin(actor)
    category = get_category(category_code)
    override = next((o for o in item.overrides if o.category_id == category.id), None)
    fields = ("cutoff", "limit_value", "a", "b", "note")
    if override is None:
        override = TestItemOverride(item=item, category=category, **{k: values.get(k) for k in fields})
        return editing.create(actor, override, "test_item_override", ("item_id", "category_id") + fields)
    return editing.update(actor, override, {k: values.get(k) for k in fields}, "test_item_override")


def remove_override(actor: Actor, item: TestItem, override_id: int) -> None:
    require_deployment_admin(actor)
    override = next((o for o in item.overrides if o.id == override_id), None)
    if override is None:
        raise NotFound(gettext("Not found."))
    from lims.audit.services import record

    record(actor, "test_item_override.delete", "test_item_override", override.id,
           before=editing.snapshot(override, ("item_id", "category_id", "cutoff", "limit_value", "a", "b")))
    item.overrides.remove(override)
    db.session.delete(override)
    db.session.flush()


# --- reagent lots ----------------------------------------------------------------------


def _check_lot(values: dict, item: TestItem) -> None:
    errors = {}
    if not values.get("lot"):
        errors["lot"] = [gettext("Required.")]
    if not isinstance(values.get("expires_on"), date):
        errors["expires_on"] = [gettext("Required.")]
    if values.get("mode") not in (None, *GOLD_MODES):
        errors["mode"] = [gettext("Choose line or ratio mode.")]
    a, b = values.get("a"), values.get("b")
    if a is not None and b is not None and a > b:
        errors["b"] = [gettext("B must not be below A.")]
    for key in ("c_min", "a", "b"):
        if values.get(key) is not None and values[key] < 0:
            errors[key] = [gettext("Must not be negative.")]
    if item.rule != "gold" and any(values.get(k) is not None for k in ("mode", "c_min", "a", "b")):
        errors["mode"] = [gettext("Thresholds apply only to colloidal-gold items.")]
    if errors:
        raise _invalid(errors)


def lots_visible(actor: Actor | None):
    """A condition on ReagentLot: the lots ``actor`` sees — every lot, unless bound to
    organisations: then the deployment's and those held in their part of the tree."""
    from lims.accounts.scope import orgs_in_scope

    if actor is None or not is_bound(actor):
        return sa.true()
    return sa.or_(ReagentLot.org_id.is_(None),
                  ReagentLot.org_id.in_(sa.select(Organisation.id).where(orgs_in_scope(actor.user))))


def list_lots(item_code: str | None = None, actor: Actor | None = None) -> list[ReagentLot]:
    stmt = (sa.select(ReagentLot).join(TestItem).where(lots_visible(actor))
            .order_by(TestItem.sort_order, ReagentLot.expires_on.desc()))
    if item_code:
        stmt = stmt.where(TestItem.code == item_code)
    return list(db.session.execute(stmt).scalars())


def get_lot(lot_id: int, actor: Actor | None = None) -> ReagentLot:
    """A lot by id; one held outside ``actor``'s part of the tree does not exist for them (404)."""
    lot = db.session.execute(sa.select(ReagentLot).where(ReagentLot.id == lot_id, lots_visible(actor))
                             ).scalar_one_or_none()
    if lot is None:
        raise NotFound(gettext("Not found."))
    return lot


def find_lot(item: TestItem, lot_code: str) -> ReagentLot | None:
    return db.session.execute(sa.select(ReagentLot).where(
        ReagentLot.item_id == item.id, ReagentLot.lot == lot_code.strip())).scalar_one_or_none()


def lot_holders(actor: Actor) -> list[Organisation]:
    """The testing organisations ``actor`` may register lots for (tree order)."""
    from lims.orgs.services import visible_orgs

    return visible_orgs(actor, kind="testing")


def holder_by_code(actor: Actor, code: str | None) -> Organisation | None:
    """The testing organisation named as a lot's holder (``org``): None for the deployment's
    own lot — which only its administrator keeps; a bound administrator with one testing
    organisation gets that one by default. 422 for anything else."""
    from lims.orgs.services import org_by_code

    code = (code or "").strip()
    if not code:
        if not is_bound(actor):
            return None
        holders = lot_holders(actor)
        if len(holders) == 1:
            return holders[0]
        message = gettext("Choose the testing organisation that holds the lot.")
        raise InvalidInput(message, {"org": [message]})
    org = org_by_code(actor, code)
    if org.kind != "testing":
        message = gettext("A reagent lot is held by a testing organisation.")
        raise InvalidInput(message, {"org": [message]})
    return org


def _require_lot_manager(actor: Actor, lot: ReagentLot) -> None:
    actor.require("reference.manage")
    if is_bound(actor) and lot.org_id is None:
        raise Forbidden(gettext("This lot is the deployment's own: only its administrator changes it."))


def create_lot(actor: Actor, item: TestItem, org: Organisation | None = None, **values) -> ReagentLot:
    """Register a lot held by ``org`` (from :func:`holder_by_code`; None: the deployment's)."""
    actor.require("reference.manage")
    if org is None and is_bound(actor):
        org = holder_by_code(actor, None)
    values["lot"] = (values.get("lot") or "").strip()
    values["org_id"] = org.id if org is not None else None
    _check_lot(values, item)
    lot = ReagentLot(item_id=item.id, **{k: v for k, v in values.items() if k in LOT_FIELDS and k != "item_id"})
    return editing.create(actor, lot, "reagent_lot", LOT_FIELDS, unique=[("item_id", "lot")])


KEEP = object()  # update_lot: the holder stays


def update_lot(actor: Actor, lot: ReagentLot, org=KEEP, **values) -> ReagentLot:
    """Change a lot; ``org`` (from :func:`holder_by_code`) hands it to another holder the
    actor manages, None to the deployment (its administrator only)."""
    _require_lot_manager(actor, lot)
    values = {k: v for k, v in values.items() if k in LOT_FIELDS and k != "org_id"}
    if org is not KEEP:
        if org is None and is_bound(actor):
            org = holder_by_code(actor, None)
        values["org_id"] = org.id if org is not None else None
    item = db.session.get(TestItem, values.get("item_id", lot.item_id))
    _check_lot({**editing.snapshot(lot, LOT_FIELDS), **values}, item)
    return editing.update(actor, lot, values, "reagent_lot", unique=[("item_id", "lot")])


# --- instruments -----------------------------------------------------------------------


def _station_managed(actor: Actor, station_id: int | None) -> bool:
    """Whether a bound administrator reaches the station (always, for the deployment's)."""
    if not is_bound(actor):
        return True
    if station_id is None:
        return False
    from lims.models import Station
    from lims.orgs.services import stations_visible

    return db.session.execute(sa.select(Station.id).where(Station.id == station_id, stations_visible(actor))
                              ).first() is not None


def _check_station(actor: Actor, values: dict) -> None:
    if "station_id" in values and not _station_managed(actor, values["station_id"]):
        message = gettext("Choose one of your stations.")
        raise _invalid({"station_id": [message]})


def create_instrument(actor: Actor, **values) -> Instrument:
    actor.require("reference.manage")
    values = {k: v for k, v in values.items() if k in INSTRUMENT_FIELDS}
    if is_bound(actor):
        values.setdefault("station_id", None)
    _check_station(actor, values)
    inst = Instrument(**values)
    return editing.create(actor, inst, "instrument", INSTRUMENT_FIELDS, unique=[("serial",)])


def update_instrument(actor: Actor, inst: Instrument, **values) -> Instrument:
    actor.require("reference.manage")
    if not _station_managed(actor, inst.station_id):  # another district's instrument does not exist for them
        raise NotFound(gettext("Not found."))
    values = {k: v for k, v in values.items() if k in INSTRUMENT_FIELDS}
    _check_station(actor, values)
    return editing.update(actor, inst, values, "instrument", unique=[("serial",)])
