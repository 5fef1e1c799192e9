"""Drawing the organisation tree: organisations, the sites stations serve, who is bound where.

A bound administrator works only inside the subtree they are bound to; the deployment's
administrator (bound to nothing) everywhere."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from lims import editing
from lims.accounts.access import Actor
from lims.accounts.scope import forget_scope, orgs_in_scope
from lims.errors import Forbidden, InvalidInput, NotFound
from lims.extensions import db
from lims.models import Organisation, Site, Station
from lims.models.orgs import ORG_KINDS
from lims.rules.orgs import SITE_NODE_KINDS, child_path, is_within, may_hang_under

ORG_FIELDS = ("code", "name", "kind", "parent_id", "issuer_name", "seal_text", "compiled_by", "reviewed_by",
              "signed_by", "active")


def _normalise(code: str | None) -> str:
    from lims.sites.services import normalise_code

    return normalise_code(code)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(gettext("Some of the input is not valid."), {field: [message]})


def org_by_code(actor: Actor, code: str | None, field: str = "org") -> Organisation:
    """The organisation ``code`` names, if ``actor`` may see it (else 422 naming ``field``)."""
    org = db.session.execute(sa.select(Organisation).where(Organisation.code == _normalise(code))
                             .where(orgs_in_scope(actor.user))).scalar_one_or_none()
    if org is None:
        raise _invalid(field, gettext("No such organisation."))
    return org


def visible_orgs(actor: Actor, kind: str | None = None) -> list[Organisation]:
    stmt = sa.select(Organisation).where(orgs_in_scope(actor.user)).order_by(Organisation.path)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    return list(db.session.execute(stmt).scalars())


def get_org(actor: Actor, org_id: int) -> Organisation:
    org = db.session.execute(sa.select(Organisation).where(Organisation.id == org_id)
                             .where(orgs_in_scope(actor.user))).scalar_one_or_none()
    if org is None:
        raise NotFound(gettext("Not found."))
    return org


def _require_manager(actor: Actor, parent: Organisation | None) -> None:
    """Organisations are drawn by administrators — a bound one only below their own node —
    or by the operator at the console (the system actor)."""
    if actor.user is None:
        return
    actor.require("reference.manage")
    if actor.user.orgs and parent is None:
        raise Forbidden(gettext("You may only add organisations inside your own."))


def _check_parent(kind: str, parent: Organisation | None) -> None:
    if kind not in ORG_KINDS:
        raise _invalid("kind", gettext("Unknown kind."))
    if not may_hang_under(kind, parent.kind if parent else None):
        raise _invalid("parent", gettext("A %(kind)s cannot belong to a %(parent)s.",
                                         kind=kind_label(kind), parent=kind_label(parent.kind)))


def kind_label(kind: str) -> str:
    from lims.labels import ORG_KIND_LABELS

    return str(ORG_KIND_LABELS.get(kind, kind))


def create_org(actor: Actor, *, code: str, name: str, kind: str, parent: str | None = None,
               **issuer) -> Organisation:
    parent_org = org_by_code(actor, parent, "parent") if parent else None
    _require_manager(actor, parent_org)
    _check_parent(kind, parent_org)
    code, name = _normalise(code), (name or "").strip()
    if not code:
        raise _invalid("code", gettext("Required."))
    if not name:
        raise _invalid("name", gettext("Required."))
    org = Organisation(code=code, name=name, kind=kind, parent_id=parent_org.id if parent_org else None, path="",
                       **{k: v for k, v in issuer.items() if k in ORG_FIELDS})
    editing.create(actor, org, "organisation", ORG_FIELDS, unique=[("code",)])
    org.path = child_path(parent_org.path if parent_org else None, org.id)
    db.session.flush()
    return org


def update_org(actor: Actor, org: Organisation, *, parent: str | None = ..., **values) -> Organisation:
    """Rename, reissue or move a node; moving carries its whole subtree along."""
    _require_manager(actor, org.parent)
    if "code" in values:
        values["code"] = _normalise(values["code"])
    new_parent = None
    if parent is not ...:
        new_parent = org_by_code(actor, parent, "parent") if parent else None
        if new_parent is not None and is_within(new_parent.path, org.path):
            raise _invalid("parent", gettext("An organisation cannot belong to itself or to one below it."))
        _require_manager(actor, new_parent)
        _check_parent(values.get("kind", org.kind), new_parent)
        values["parent_id"] = new_parent.id if new_parent else None
    elif "kind" in values:
        _check_parent(values["kind"], org.parent)
    old_path = org.path
    editing.update(actor, org, {k: v for k, v in values.items() if k in ORG_FIELDS}, "organisation",
                   unique=[("code",)])
    if parent is not ...:
        new_path = child_path(new_parent.path if new_parent else None, org.id)
        if new_path != old_path:
            db.session.flush()
            db.session.execute(sa.update(Organisation).where(Organisation.path.startswith(old_path))
                               .values(path=sa.literal(new_path, sa.String)
                                       + sa.func.substr(Organisation.path, len(old_path) + 1))
                               .execution_options(synchronize_session=False))
            db.session.expire_all()
        forget_scope()
    return org


def place_site(actor: Actor, site: Site, org: Organisation | None) -> None:
    """Put ``site`` under a district or office (the jurisdiction it belongs to)."""
    if org is not None and org.kind not in SITE_NODE_KINDS:
        raise _invalid("org", gettext("A site belongs to a district or a supervision office."))
    editing.update(actor, site, {"org_id": org.id if org else None}, "site")
    forget_scope()


def set_station_sites(actor: Actor, station: Station, sites: list[Site]) -> None:
    """The sites ``station`` serves (all of them replaced); audited."""
    if actor.user is not None:
        actor.require("reference.manage")
    before = sorted(s.code for s in station.sites)
    station.sites = sorted(sites, key=lambda s: s.code)
    after = sorted(s.code for s in sites)
    if before != after:
        from lims.audit.services import record

        db.session.flush()
        record(actor, "station.sites", "station", station.id, before={"sites": before}, after={"sites": after})
    forget_scope()


def set_station_org(actor: Actor, station: Station, org: Organisation | None) -> None:
    if org is not None and org.kind != "testing":
        raise _invalid("org", gettext("A station belongs to a testing organisation."))
    editing.update(actor, station, {"org_id": org.id if org else None}, "station")


def stations_visible(actor: Actor):
    """A condition on Station: the stations ``actor`` sees — everything for the deployment's
    administrator; else those of the organisations they see, and those serving (or standing in)
    a site they reach."""
    scope = actor.site_ids
    if scope is None:
        return sa.true()
    from lims.models import station_sites

    serving = sa.select(station_sites.c.station_id).where(station_sites.c.site_id.in_(scope or {-1}))
    own = sa.select(Organisation.id).where(orgs_in_scope(actor.user))
    return sa.or_(Station.id.in_(serving), Station.site_id.in_(scope or {-1}), Station.org_id.in_(own))


def visible_stations(actor: Actor) -> list[Station]:
    return list(db.session.execute(sa.select(Station).where(stations_visible(actor)).order_by(Station.code)).scalars())


def get_station(actor: Actor, code: str) -> Station:
    station = db.session.execute(sa.select(Station).where(Station.code == _normalise(code))
                                 .where(stations_visible(actor))).scalar_one_or_none()
    if station is None:
        raise NotFound(gettext("Not found."))
    return station


def get_org_by_code(actor: Actor, code: str) -> Organisation:
    """The organisation ``code`` names, 404 when the actor may not see it."""
    org = db.session.execute(sa.select(Organisation).where(Organisation.code == _normalise(code))
                             .where(orgs_in_scope(actor.user))).scalar_one_or_none()
    if org is None:
        raise NotFound(gettext("Not found."))
    return org
