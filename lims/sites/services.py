"""Use cases for places and parties. Every change is validated and audited."""
from __future__ import annotations

import secrets
import unicodedata

import sqlalchemy as sa
from flask_babel import gettext

from lims import editing
from lims.accounts.access import Actor, scope_to_sites
from lims.errors import Forbidden, InvalidInput, NotFound
from lims.extensions import db
from lims.models import Event, EventVenue, Site, Stall, Station, Supplier
from lims.models.sites import EVENT_KINDS, SITE_KINDS, STATION_KINDS

SITE_FIELDS = ("code", "name", "kind", "district", "address", "phone", "planned_monthly_batches", "active")
STALL_FIELDS = ("site_id", "code", "operator", "licence", "phone", "active")
EVENT_FIELDS = ("code", "kind", "name", "organiser", "chef", "menu", "tables", "people", "starts_on",
                "ends_on", "site_id", "note")
STATION_FIELDS = ("code", "name", "kind", "organisation", "site_id", "active")
SUPPLIER_FIELDS = ("name", "address", "phone", "licence")


def normalise_code(text: str | None) -> str:
    """Stall numbers and codes as people type them: full-width → half-width, trimmed, upper-case."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def _not_found():
    return NotFound(gettext("Not found."))


def _require_kind(kind, kinds, field="kind"):
    if kind not in kinds:
        raise InvalidInput(gettext("Some of the input is not valid."), {field: [gettext("Unknown kind.")]})


# --- sites ------------------------------------------------------------------------------


def list_sites(actor: Actor, include_inactive: bool = True) -> list[Site]:
    stmt = scope_to_sites(sa.select(Site).order_by(Site.code), Site.id, actor)
    if not include_inactive:
        stmt = stmt.where(Site.active.is_(True))
    return list(db.session.execute(stmt).scalars())


def list_stations(actor: Actor) -> list:
    """The active stations the actor works with: a technician's or reviewer's own, else those
    serving (or standing in) a site the actor reaches — all of them for who reaches everything."""
    from lims.models import Station

    if actor.user is not None and actor.user.stations:
        return [s for s in actor.user.stations if s.active]
    from lims.orgs.services import stations_visible

    return list(db.session.execute(sa.select(Station).where(Station.active.is_(True), stations_visible(actor))
                                   .order_by(Station.code)).scalars())


def get_site(actor: Actor, code: str) -> Site:
    site = db.session.execute(sa.select(Site).where(Site.code == code)).scalar_one_or_none()
    if site is None or not actor.may_see_site(site.id):
        raise _not_found()
    return site


def _require_reference(actor: Actor) -> None:
    """Reference data is changed by administrators, or by the operator at the console (the
    system actor of ``lims org load``)."""
    if actor.user is not None:
        actor.require("reference.manage")


def _bound_admin(actor: Actor) -> bool:
    """An administrator of a part of the tree (not the deployment's): what they add must be
    placed inside their part, or they would lose sight of it."""
    return actor.user is not None and bool(getattr(actor.user, "orgs", None))


def _require_placement(actor: Actor, code: str | None, field: str) -> None:
    if code is None and _bound_admin(actor):
        raise InvalidInput(gettext("Some of the input is not valid."), {field: [gettext("Required.")]})


def create_site(actor: Actor, org: str | None = None, **values) -> Site:
    """Add a site, under the jurisdiction node ``org`` names (a district or an office)."""
    from lims.accounts.scope import forget_scope
    from lims.orgs.services import org_by_code, place_site

    _require_reference(actor)
    values["code"] = normalise_code(values.get("code"))
    _require_kind(values.get("kind"), SITE_KINDS)
    _require_placement(actor, org, "org")
    node = org_by_code(actor, org) if org else None
    site = Site(**{k: v for k, v in values.items() if k in SITE_FIELDS})
    site = editing.create(actor, site, "site", SITE_FIELDS, unique=[("code",), ("name",)])
    if node is not None:
        place_site(actor, site, node)
    forget_scope()  # one more site: scopes and the site count of this request are worked out again
    return site


def update_site(actor: Actor, site: Site, org=..., **values) -> Site:
    """Change a site; ``org`` (a code, None to take it out of the tree) moves it to another
    jurisdiction node."""
    from lims.orgs.services import org_by_code, place_site

    _require_reference(actor)
    if "code" in values:
        values["code"] = normalise_code(values["code"])
    if "kind" in values:
        _require_kind(values["kind"], SITE_KINDS)
    if org is not ...:
        _require_placement(actor, org, "org")
        node = org_by_code(actor, org) if org else None
    site = editing.update(actor, site, {k: v for k, v in values.items() if k in SITE_FIELDS}, "site",
                          unique=[("code",), ("name",)])
    if org is not ...:
        place_site(actor, site, node)
    return site


# --- stalls -----------------------------------------------------------------------------


def _new_public_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: printed under a QR code
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(10))
        if not db.session.execute(sa.select(Stall.id).where(Stall.public_code == code)).first():
            return code


def list_stalls(actor: Actor, site: Site) -> list[Stall]:
    actor.check_site(site.id)
    return list(db.session.execute(sa.select(Stall).where(Stall.site_id == site.id).order_by(Stall.code)).scalars())


def get_stall(actor: Actor, site: Site, code: str) -> Stall:
    actor.check_site(site.id)
    stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id,
                                                      Stall.code == normalise_code(code))).scalar_one_or_none()
    if stall is None:
        raise _not_found()
    return stall


def create_stall(actor: Actor, site: Site, **values) -> Stall:
    _require_reference(actor)
    values["code"] = normalise_code(values.get("code"))
    if not values["code"]:
        raise InvalidInput(gettext("Some of the input is not valid."), {"code": [gettext("Required.")]})
    stall = Stall(site_id=site.id, public_code=_new_public_code(),
                  **{k: v for k, v in values.items() if k in STALL_FIELDS and k != "site_id"})
    return editing.create(actor, stall, "stall", STALL_FIELDS + ("public_code",), unique=[("site_id", "code")])


def update_stall(actor: Actor, stall: Stall, **values) -> Stall:
    _require_reference(actor)
    if "code" in values:
        values["code"] = normalise_code(values["code"])
    return editing.update(actor, stall, {k: v for k, v in values.items() if k in STALL_FIELDS}, "stall",
                          unique=[("site_id", "code")])


# --- events -----------------------------------------------------------------------------


def _check_event(values):
    _require_kind(values.get("kind"), EVENT_KINDS)
    if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise InvalidInput(gettext("Some of the input is not valid."),
                           {"ends_on": [gettext("The last day cannot be before the first.")]})


def _check_event_site(actor: Actor, site_id) -> None:
    """An event is held at a site the actor reaches (another district's site: 422, as a name
    that does not exist)."""
    if site_id not in (None, "") and not actor.may_see_site(site_id):
        raise InvalidInput(gettext("Some of the input is not valid."), {"site_id": [gettext("Not found.")]})


def _set_venues(event: Event, venues):
    if venues is None:
        return
    event.venues = [EventVenue(name=name, address=address) for name, address in venues]


def create_event(actor: Actor, venues=None, **values) -> Event:
    actor.require("event.manage")
    values["code"] = normalise_code(values.get("code"))
    _check_event(values)
    _check_event_site(actor, values.get("site_id"))
    event = Event(**{k: v for k, v in values.items() if k in EVENT_FIELDS})
    _set_venues(event, venues)
    return editing.create(actor, event, "event", EVENT_FIELDS, unique=[("code",)])


def update_event(actor: Actor, event: Event, venues=None, **values) -> Event:
    actor.require("event.manage")
    values["code"] = normalise_code(values.get("code", event.code))
    _check_event({**{"kind": event.kind, "starts_on": event.starts_on, "ends_on": event.ends_on}, **values})
    if "site_id" in values and values["site_id"] != event.site_id:
        _check_event_site(actor, values["site_id"])
    _set_venues(event, venues)
    return editing.update(actor, event, {k: v for k, v in values.items() if k in EVENT_FIELDS}, "event",
                          unique=[("code",)])


# --- stations ---------------------------------------------------------------------------


def _served_sites(actor: Actor, codes) -> list[Site]:
    """The sites ``codes`` name, each one the actor reaches (else 422 naming ``sites``)."""
    codes = list(dict.fromkeys(normalise_code(c) for c in codes if normalise_code(c)))
    if not codes:
        return []
    found = {s.code: s for s in db.session.execute(sa.select(Site).where(Site.code.in_(codes))).scalars()}
    missing = [c for c in codes if c not in found or not actor.may_see_site(found[c].id)]
    if missing:
        message = gettext("Unknown site: %(codes)s", codes=", ".join(missing))
        raise InvalidInput(message, {"sites": [message]})
    return [found[c] for c in codes]


def create_station(actor: Actor, org: str | None = None, sites=None, **values) -> Station:
    """Add a station of the testing organisation ``org`` serving the sites ``sites`` names."""
    from lims.orgs.services import org_by_code, set_station_org, set_station_sites

    _require_reference(actor)
    values["code"] = normalise_code(values.get("code"))
    _require_kind(values.get("kind"), STATION_KINDS)
    _require_placement(actor, org, "org")
    node = org_by_code(actor, org) if org else None
    served = _served_sites(actor, sites or ())
    if node is not None and not values.get("organisation"):
        values["organisation"] = node.name
    station = Station(**{k: v for k, v in values.items() if k in STATION_FIELDS})
    station = editing.create(actor, station, "station", STATION_FIELDS, unique=[("code",), ("name",)])
    if node is not None:
        set_station_org(actor, station, node)
    if served:
        set_station_sites(actor, station, served)
    return station


def update_station(actor: Actor, station: Station, org=..., sites=None, **values) -> Station:
    """Change a station; ``org`` (a code) moves it to another testing organisation, ``sites``
    (codes) replaces the sites it serves (None: unchanged)."""
    from lims.orgs.services import org_by_code, set_station_org, set_station_sites

    _require_reference(actor)
    if "code" in values:
        values["code"] = normalise_code(values["code"])
    if "kind" in values:
        _require_kind(values["kind"], STATION_KINDS)
    if org is not ...:
        _require_placement(actor, org, "org")
        node = org_by_code(actor, org) if org else None
    served = _served_sites(actor, sites) if sites is not None else None
    station = editing.update(actor, station, {k: v for k, v in values.items() if k in STATION_FIELDS}, "station",
                             unique=[("code",), ("name",)])
    if org is not ...:
        set_station_org(actor, station, node)
    if served is not None:
        # a bound administrator replaces only the sites they reach: the others stay served
        hidden = [s for s in station.sites if not actor.may_see_site(s.id)]
        set_station_sites(actor, station, hidden + served)
    return station


# --- suppliers --------------------------------------------------------------------------


def create_supplier(actor: Actor, **values) -> Supplier:
    values["name"] = (values.get("name") or "").strip()
    supplier = Supplier(**{k: v for k, v in values.items() if k in SUPPLIER_FIELDS})
    return editing.create(actor, supplier, "supplier", SUPPLIER_FIELDS, unique=[("name",)])


def update_supplier(actor: Actor, supplier: Supplier, **values) -> Supplier:
    return editing.update(actor, supplier, {k: v for k, v in values.items() if k in SUPPLIER_FIELDS},
                          "supplier", unique=[("name",)])


def supplied_elsewhere(actor: Actor, supplier: Supplier) -> bool:
    """Whether a bound administrator's ``supplier`` has batches outside their part of the tree
    (never, for the deployment's administrator)."""
    from lims.models import Batch
    from lims.reference.services import is_bound

    if not is_bound(actor):
        return False
    return db.session.execute(sa.select(Batch.id).where(
        Batch.supplier_id == supplier.id, Batch.site_id.not_in(sorted(actor.site_ids or {-1}))).limit(1)).first() is not None


def change_supplier(actor: Actor, supplier: Supplier, **values) -> Supplier:
    """An administrator's change of a supplier. Suppliers are shared by every district (one
    supplier, one traceback, whoever sampled its goods), so a bound administrator changes only
    a supplier none of whose batches lies outside their part of the tree: a correction made for
    one district would otherwise rewrite another's traceback records (403; the deployment's
    administrator changes those)."""
    actor.require("reference.manage")
    if supplied_elsewhere(actor, supplier):
        raise Forbidden(gettext("This supplier also supplies markets outside your jurisdiction: only the "
                                "deployment's administrator changes it."))
    return update_supplier(actor, supplier, **values)


def find_or_create_supplier(actor: Actor, name: str, address=None, phone=None) -> Supplier | None:
    """The supplier named on a purchase record; new names are added, missing details filled in."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        return None
    supplier = db.session.execute(sa.select(Supplier).where(Supplier.name == name)).scalar_one_or_none()
    if supplier is None:
        return create_supplier(actor, name=name, address=address or None, phone=phone or None)
    fill = {k: v for k, v in (("address", address), ("phone", phone)) if v and not getattr(supplier, k)}
    if fill:
        update_supplier(actor, supplier, **fill)
    return supplier


def public_stall_url(stall: Stall) -> str:
    """The address printed as the stall's QR code (一摊一码)."""
    from flask import current_app, request

    base = current_app.config.get("PUBLIC_BASE_URL") or (request.host_url if request else "/")
    return f"{base.rstrip('/')}/public/stalls/{stall.public_code}"
