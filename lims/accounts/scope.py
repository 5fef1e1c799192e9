"""The one scope function: the sites a person reaches (interfaces.md, Scope).

A market manager reaches the sites they are bound to; a technician or reviewer the sites
their stations serve; a regulator or administrator bound to organisations the sites of
those subtrees (a testing organisation: the sites its stations serve); an administrator
bound to nothing, everything. Every query a person reaches is limited by this set (see
``lims.accounts.access``); it is worked out once per request."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy.orm import aliased

from lims.extensions import db
from lims.models import Organisation, Site, Station, station_sites, user_orgs
from lims.rules.permissions import binding_of

#: None: no limit (the deployment's administrator, the system itself).
SiteScope = frozenset[int] | None


def _unbound_sees_all() -> bool:
    """Staff bound to nothing: nothing in production; everything where a deployment (or
    the test-suite) says so with UNBOUND_STAFF_SEE_ALL."""
    return has_app_context() and bool(current_app.config.get("UNBOUND_STAFF_SEE_ALL"))


def subtree_condition(orgs, column=Organisation.path):
    """A condition on ``column`` (an organisation's path) true inside any of ``orgs``' subtrees."""
    return sa.or_(*(column.startswith(o.path) for o in orgs)) if orgs else sa.false()


def sites_under(orgs) -> frozenset[int]:
    """The sites in the subtrees of ``orgs``; for a testing organisation, the sites its
    stations (and those of the testing organisations under it) serve."""
    if not orgs:
        return frozenset()
    return _sites_under(sa.select(Organisation.path, Organisation.kind)
                        .where(Organisation.id.in_(sorted({o.id for o in orgs}))))


def sites_under_bindings(user_id: int) -> frozenset[int]:
    """:func:`sites_under` the organisations ``user_id`` is bound to, without reading those
    organisations first (asked on every request of a regulator: the scope of every page and
    answer; the statement is made once — making it took three times as long as running it).
    Read with the user, when they were (:func:`read_user`)."""
    known = g.get("_bindings_read", {}).get(user_id) if has_request_context() else None
    if known is not None:
        return known[2]
    return frozenset(db.session.execute(_bindings_statement(), {"user_id": user_id}).scalars())


def read_user(stmt: sa.Select, params: dict):
    """The user ``stmt`` (a SELECT of User, made by :func:`with_bindings`) finds, or None. On
    PostgreSQL the same statement reads what their scope is made of — their stations and the
    sites those serve, the sites under their organisations — so that working the scope out
    (:func:`sites_in_scope`) costs no statement of its own: every API answer and page asks it,
    and on a busy server a round trip to the database costs more than the work it carries."""
    row = db.session.execute(stmt, params).one_or_none()
    if row is None:
        return None
    user = row[0]
    if len(row) > 1 and has_request_context():
        stations, served, reached = (frozenset(v or ()) for v in row[1:])
        g.setdefault("_bindings_read", {})[user.id] = (stations, served, reached)
        g.setdefault("_station_binding", {})[user.id] = (stations, served)
    return user


def with_bindings(stmt: sa.Select, dialect: str) -> sa.Select:
    """``stmt`` (a SELECT of User) reading, on PostgreSQL, the user's bindings beside the user
    (for :func:`read_user`); elsewhere as it is."""
    if dialect != "postgresql":
        return stmt
    from lims.models import User, user_stations

    def array(column, select):
        return select.with_only_columns(sa.func.array_agg(column)).scalar_subquery()

    mine = user_stations.c.user_id == User.id
    stations = array(user_stations.c.station_id, sa.select(user_stations.c.station_id).where(mine))
    served = array(station_sites.c.site_id, sa.select(station_sites.c.site_id).join(
        user_stations, user_stations.c.station_id == station_sites.c.station_id).where(mine))
    roots = (sa.select(Organisation.path, Organisation.kind).join(user_orgs, user_orgs.c.org_id == Organisation.id)
             .where(user_orgs.c.user_id == User.id).correlate(User))
    under = _sites_under_statement(roots).subquery()
    reached = sa.select(sa.func.array_agg(under.c.id)).correlate(User).scalar_subquery()
    return stmt.add_columns(stations, served, reached)


@functools.cache
def _bindings_statement():
    return _sites_under_statement(sa.select(Organisation.path, Organisation.kind)
                                  .join(user_orgs, user_orgs.c.org_id == Organisation.id)
                                  .where(user_orgs.c.user_id == sa.bindparam("user_id")))


def _sites_under(roots) -> frozenset[int]:
    return frozenset(db.session.execute(_sites_under_statement(roots)).scalars())


def _sites_under_statement(roots):
    """The sites under ``roots`` (a SELECT of organisations' path and kind), in one statement."""
    root = roots.subquery()
    inside = aliased(Organisation)
    jurisdictions = (sa.select(Site.id).join(inside, inside.id == Site.org_id)
                     .join(root, sa.and_(root.c.kind != "testing", inside.path.startswith(root.c.path))))
    testing = (sa.select(station_sites.c.site_id).join(Station, Station.id == station_sites.c.station_id)
               .join(inside, inside.id == Station.org_id)
               .join(root, sa.and_(root.c.kind == "testing", inside.path.startswith(root.c.path))))
    return sa.union(jurisdictions, testing)


def sites_served(station_ids) -> frozenset[int]:
    if not station_ids:
        return frozenset()
    return frozenset(db.session.execute(
        sa.select(station_sites.c.site_id).where(station_sites.c.station_id.in_(list(station_ids)))).scalars())


def station_binding(user) -> tuple[frozenset[int], frozenset[int]]:
    """(the stations ``user`` works for, the sites they serve) in one statement — or from
    the user's stations when they are loaded already."""
    if has_request_context():  # asked by the scope and by the station checks: once a request
        cache = g.setdefault("_station_binding", {})
        if user.id not in cache:
            cache[user.id] = _station_binding(user)
        return cache[user.id]
    return _station_binding(user)


def _station_binding(user):
    if "stations" in sa.inspect(user).dict:
        stations = frozenset(s.id for s in user.stations)
        return stations, sites_served(stations)
    rows = db.session.execute(_stations_statement(), {"user_id": user.id}).all()
    return (frozenset(r[0] for r in rows), frozenset(r[1] for r in rows if r[1] is not None))


@functools.cache
def _stations_statement() -> sa.Select:
    from lims.models import user_stations

    return (sa.select(user_stations.c.station_id, station_sites.c.site_id)
            .outerjoin(station_sites, station_sites.c.station_id == user_stations.c.station_id)
            .where(user_stations.c.user_id == sa.bindparam("user_id")))


def _compute(user) -> SiteScope:
    binding = binding_of(user.role)
    if binding == "sites":
        return user.site_ids
    if binding == "stations":
        stations, sites = station_binding(user)
        if not stations:
            return None if _unbound_sees_all() else frozenset()
        return sites
    if binding == "orgs":
        if "orgs" not in sa.inspect(user).dict:
            reached = sites_under_bindings(user.id)
            if reached:
                return reached
        if not user.orgs:
            return None if user.role == "admin" or _unbound_sees_all() else frozenset()
        return sites_under(user.orgs)
    return frozenset()


def scope_of(user) -> SiteScope:
    """``sites_in_scope`` worked out afresh (a user whose bindings are being changed)."""
    return None if user is None else _compute(user)


def sites_in_scope(user) -> SiteScope:
    """The ids of the sites ``user`` reaches, or None for all of them (``user`` None: the
    system). Cached for the request."""
    if user is None:
        return None
    if not has_request_context():
        return _compute(user)
    cache = g.setdefault("_site_scope", {})
    key = (user.id, user.role)
    if key not in cache:
        cache[key] = _compute(user)
    return cache[key]


#: A scope holding at least this share of all sites is filtered without the site index: the
#: database then walks its time-ordered index and skips the few rows outside, as it does for
#: the unscoped page, instead of sorting every row of the scope (a city's regulator must not
#: wait longer than the deployment's administrator). Smaller scopes (a market's manager) use it.
WIDE_SHARE = 0.1


def _site_count() -> int:
    """How many sites there are: asked once a request (a page's figures filter every query
    by the scope), afresh in each — a site added since must not widen a scope."""
    if not has_request_context():
        return db.session.execute(sa.select(sa.func.count(Site.id))).scalar_one()
    if "_site_count" not in g:
        g._site_count = db.session.execute(sa.select(sa.func.count(Site.id))).scalar_one()
    return g._site_count


def site_filter(column, scope: SiteScope):
    """The condition limiting ``column`` (a site id) to ``scope`` (None: no limit). A scope of
    every site needs no condition; a wide one is matched without the site index (WIDE_SHARE)."""
    if scope is None:
        return sa.true()
    if not scope:
        return column.in_([-1])
    total = _site_count()
    if len(scope) >= total:
        return sa.true()
    if len(scope) >= WIDE_SHARE * total:
        return (column + 0).in_(sorted(scope))
    return column.in_(sorted(scope))


def forget_scope() -> None:
    """After a change of bindings within a request (tests, admin pages)."""
    if has_request_context():
        for name in ("_site_scope", "_site_count", "_bindings_read", "_station_binding"):
            g.pop(name, None)


def orgs_in_scope(user):
    """A condition on Organisation: the organisations ``user`` may see and (admins) manage."""
    if user is None or (binding_of(user.role) == "orgs" and not user.orgs and user.role == "admin"):
        return sa.true()
    if binding_of(user.role) == "orgs":
        return subtree_condition(user.orgs)
    return sa.false()
