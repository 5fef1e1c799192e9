"""The administration sections: what each lists, which form edits it, which service saves it.

One small class per kind of record keeps the views generic without hiding the services."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lims import labels
from lims.formatting import number
from lims.accounts import services as accounts
from lims.admin import forms
from lims.extensions import db
from flask import request

from lims.models import Event, Instrument, Organisation, ReagentLot, Site, Stall, Station, Supplier, TestItem, User
from lims.models.orgs import JURISDICTION_KINDS
from lims.rules.orgs import SITE_NODE_KINDS
from lims.reference import services as reference
from lims.sites import services as sites


def _actor():
    from lims.accounts.access import web_actor

    return web_actor()


def _bound(actor) -> bool:
    """A district's (or a city's) administrator: they see and manage only their part."""
    return actor.user is not None and bool(getattr(actor.user, "orgs", None))


def _scoped_sites(stmt, actor):
    from lims.accounts.access import scope_to_sites

    return scope_to_sites(stmt, Site.id, actor)


def _site_choices(optional=False):
    rows = db.session.execute(_scoped_sites(sa.select(Site.id, Site.name).order_by(Site.code), _actor())).all()
    choices = [(r.id, r.name) for r in rows]
    return [("", "—")] + choices if optional else choices


def _station_choices():
    from lims.orgs.services import stations_visible

    rows = db.session.execute(sa.select(Station.id, Station.name).where(stations_visible(_actor()))
                              .order_by(Station.code)).all()
    return [("", "—")] + [(r.id, r.name) for r in rows]


def _org_choices(kinds=None, optional=True):
    """The organisations the administrator sees, indented by their depth in the tree."""
    from lims.orgs.services import visible_orgs

    orgs = [o for o in visible_orgs(_actor()) if kinds is None or o.kind in kinds]
    top = min((o.path.count("/") for o in orgs), default=0)
    choices = [(o.code, "\u3000" * (o.path.count("/") - top) + f"{o.name}（{o.code}）") for o in orgs]
    return [("", "—")] + choices if optional else choices


def _values(form, names):
    return {n: getattr(form, n).data for n in names}


def _blank_to_none(values: dict) -> dict:
    return {k: (None if v == "" else v) for k, v in values.items()}


class Section:
    key: str
    title = ""
    model = None
    form_class = None
    columns: list = []
    search: tuple = ()
    order = None
    filters: tuple = ()  # (arg, label, choices callable, column)

    def limit(self, stmt, actor):
        """What of this kind of record the administrator reaches (everything, unless bound)."""
        return stmt

    def query(self, q: str | None, args: dict):
        stmt = self.limit(sa.select(self.model), _actor())
        if q and self.search:
            like = f"%{q.strip()}%"
            stmt = stmt.where(sa.or_(*[getattr(self.model, f).ilike(like) for f in self.search]))
        for arg, _label, _choices, column in self.filters:
            if args.get(arg):
                stmt = stmt.where(column == int(args[arg]))
        return stmt.order_by(*(self.order if self.order is not None else (self.model.id,)))

    def make_form(self, obj=None):
        form = self.form_class(obj=obj)
        self.prepare(form)
        return form

    def prepare(self, form):
        pass

    def label(self, obj) -> str:
        return getattr(obj, "name", None) or getattr(obj, "code", None) or str(obj.id)

    def may_change(self, actor, obj=None) -> bool:
        """Whether ``actor`` may add (``obj`` None) or change ``obj`` here — what the services
        enforce, asked first so that the page offers no form it would refuse (403)."""
        return True

    def get(self, obj_id: int):
        return db.session.execute(self.limit(sa.select(self.model).where(self.model.id == obj_id), _actor())
                                  ).scalar_one_or_none()


class SiteSection(Section):
    key, title, model, form_class = "sites", _l("Sites"), Site, forms.SiteForm
    search = ("code", "name", "district")
    order = (Site.code,)
    columns = [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Kind"), lambda s: labels.SITE_KIND_LABELS[s.kind]),
               (_l("Jurisdiction"), lambda s: s.org.name if s.org else ""),
               (_l("Planned batches per month"), "planned_monthly_batches"), (_l("Active"), "active")]
    fields = ("code", "name", "kind", "district", "address", "phone", "planned_monthly_batches", "active")

    def limit(self, stmt, actor):
        return _scoped_sites(stmt, actor)

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if not form.is_submitted():
            form.org.data = obj.org.code if obj is not None and obj.org is not None else (
                request.args.get("org", "") if obj is None else "")
        return form

    def prepare(self, form):
        form.org.choices = _org_choices(SITE_NODE_KINDS)

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        org = form.org.data or None
        if obj is None:
            return sites.create_site(actor, org=org, **values)
        return sites.update_site(actor, obj, org=org, **values)


class StallSection(Section):
    key, title, model, form_class = "stalls", _l("Stalls"), Stall, forms.StallForm
    search = ("code", "operator", "public_code")
    order = (Stall.site_id, Stall.code)
    filters = (("site", _l("Site"), lambda: _site_choices(), Stall.site_id),)
    columns = [(_l("Site"), lambda s: s.site.name), (_l("Stall number"), "code"), (_l("Operator"), "operator"),
               (_l("Phone"), "phone"), (_l("Public code"), "public_code"), (_l("Active"), "active")]
    fields = ("code", "operator", "licence", "phone", "active")

    def limit(self, stmt, actor):
        from lims.accounts.access import scope_to_sites

        return scope_to_sites(stmt, Stall.site_id, actor)

    def prepare(self, form):
        form.site_id.choices = _site_choices()

    def label(self, obj):
        return f"{obj.site.name} {obj.code}"

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        site = db.session.get(Site, form.site_id.data)
        if obj is None:
            return sites.create_stall(actor, site, **values)
        return sites.update_stall(actor, obj, site_id=site.id, **values)


class EventSection(Section):
    key, title, model, form_class = "events", _l("Events"), Event, forms.EventForm
    search = ("code", "name", "organiser")
    order = (Event.starts_on.desc(),)
    columns = [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Kind"), lambda e: labels.EVENT_KIND_LABELS[e.kind]),
               (_l("Dates"), lambda e: f"{e.starts_on} – {e.ends_on}" if e.ends_on != e.starts_on else str(e.starts_on)),
               (_l("People served"), "people")]
    fields = ("code", "kind", "name", "organiser", "chef", "starts_on", "ends_on", "tables", "people", "site_id",
              "menu", "note")

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if obj is not None and not form.is_submitted():
            form.venues.data = "\n".join(f"{v.name} | {v.address or ''}".rstrip(" |") for v in obj.venues)
        return form

    def limit(self, stmt, actor):
        from lims.events.services import visible_events

        return visible_events(stmt, actor)

    def prepare(self, form):
        form.site_id.choices = _site_choices(optional=True)

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        venues = []
        for line in (form.venues.data or "").splitlines():
            name, _, address = line.partition("|")
            if name.strip():
                venues.append((name.strip()[:100], address.strip()[:200] or None))
        if obj is None:
            return sites.create_event(actor, venues=venues, **values)
        return sites.update_event(actor, obj, venues=venues, **values)


class StationSection(Section):
    key, title, model, form_class = "stations", _l("Stations"), Station, forms.StationForm
    search = ("code", "name", "organisation")
    order = (Station.code,)
    columns = [(_l("Code"), "code"), (_l("Name"), "name"),
               (_l("Kind"), lambda s: labels.STATION_KIND_LABELS[s.kind]),
               (_l("Testing organisation"), lambda s: s.org.name if s.org else (s.organisation or "")),
               (_l("Sites it serves"), lambda s: "、".join(site.name for site in s.sites
                                                         if _actor().may_see_site(site.id))), (_l("Active"), "active")]
    fields = ("code", "name", "kind", "organisation", "site_id", "active")

    def limit(self, stmt, actor):
        from lims.orgs.services import stations_visible

        return stmt.where(stations_visible(actor))

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if obj is not None and not form.is_submitted():
            form.org.data = obj.org.code if obj.org is not None else ""
            form.served.data = [s.code for s in obj.sites]
        return form

    def prepare(self, form):
        form.site_id.choices = _site_choices(optional=True)
        form.org.choices = _org_choices(("testing",))
        form.served.choices = [(code, name) for _id, code, name in db.session.execute(
            _scoped_sites(sa.select(Site.id, Site.code, Site.name).order_by(Site.code), _actor())).all()]

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        org = form.org.data or None
        if obj is None:
            return sites.create_station(actor, org=org, sites=form.served.data, **values)
        return sites.update_station(actor, obj, org=org, sites=form.served.data, **values)


class SupplierSection(Section):
    key, title, model, form_class = "suppliers", _l("Suppliers"), Supplier, forms.SupplierForm
    search = ("name", "address")
    order = (Supplier.name,)
    columns = [(_l("Name"), "name"), (_l("Address"), "address"), (_l("Phone"), "phone")]
    fields = ("name", "address", "phone", "licence")

    def may_change(self, actor, obj=None):
        return obj is None or not sites.supplied_elsewhere(actor, obj)

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        if obj is None:
            return sites.create_supplier(actor, **values)
        return sites.change_supplier(actor, obj, **values)


class TestItemSection(Section):
    __test__ = False
    key, title, model, form_class = "items", _l("Test items"), TestItem, forms.TestItemForm
    search = ("code", "name", "method")
    order = (TestItem.sort_order, TestItem.code)
    columns = [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Method standard"), "method"),
               (_l("Principle"), lambda i: labels.PRINCIPLE_LABELS[i.principle]), (_l("Unit"), "unit"),
               (_l("Verified"), "verified"), (_l("Active"), "active")]
    fields = ("name", "name_en", "analyte", "principle", "method", "unit", "rule", "cutoff", "control_min",
              "gold_mode", "c_min", "a", "b", "limit_value", "limit_sign", "detection_limit", "banned",
              "legal_limit", "needs_pretreatment_for", "verified", "active")

    def may_change(self, actor, obj=None):
        return not reference.is_bound(actor)  # law-derived: the deployment's administrator only

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if not form.is_submitted():
            if obj is not None:
                form.aliases.data = "，".join(obj.aliases or [])
                form.categories.data = [c.code for c in obj.categories]
        return form

    def prepare(self, form):
        form.categories.choices = [(c.code, c.path) for c in reference.list_categories()]

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        values["aliases"] = [a.strip() for a in (form.aliases.data or "").replace("，", ",").split(",") if a.strip()]
        for key in ("cutoff", "control_min", "c_min", "a", "b", "limit_value", "detection_limit"):
            if isinstance(values.get(key), float):
                values[key] = Decimal(str(values[key]))
        if obj is None:
            return reference.create_item(actor, form.code.data, category_codes=form.categories.data, **values)
        return reference.update_item(actor, obj, category_codes=form.categories.data, **values)


class ReagentLotSection(Section):
    key, title, model, form_class = "lots", _l("Reagent lots"), ReagentLot, forms.ReagentLotForm
    search = ("lot", "maker")
    order = (ReagentLot.expires_on.desc(), ReagentLot.id)
    filters = (("item", _l("Test item"),
                lambda: [(i.id, f"{i.code} {i.name}") for i in reference.list_items()], ReagentLot.item_id),)
    columns = [(_l("Test item"), lambda l: f"{l.item.code} {l.item.name}"), (_l("Lot number"), "lot"),
               (_l("Maker"), "maker"), (_l("Expires on"), "expires_on"),
               (_l("Reading mode"), lambda l: labels.GOLD_MODE_LABELS.get(l.mode, "") if l.mode else ""),
               (_l("C line minimum / A / B"), lambda l: " / ".join(number(v) or "—" for v in (l.c_min, l.a, l.b))
                if l.item.rule == "gold" else ""),
               (_l("Held by"), lambda l: l.org.name if l.org is not None else _l("The deployment")),
               (_l("Active"), "active")]
    fields = ("lot", "maker", "expires_on", "received_on", "mode", "c_min", "a", "b", "note", "active")

    def limit(self, stmt, actor):
        return stmt.where(reference.lots_visible(actor))

    def may_change(self, actor, obj=None):
        return obj is None or obj.org_id is not None or not reference.is_bound(actor)

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if not form.is_submitted() and obj is not None:
            form.holder.data = obj.org.code if obj.org is not None else ""
        return form

    def prepare(self, form):
        form.item_id.choices = [(i.id, f"{i.code} {i.name}") for i in reference.list_items()]
        actor = _actor()
        holders = [(o.code, f"{o.name}（{o.code}）") for o in reference.lot_holders(actor)]
        form.holder.choices = holders if reference.is_bound(actor) else [("", _l("The deployment"))] + holders

    def label(self, obj):
        return f"{obj.item.name} {obj.lot}"

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        item = db.session.get(TestItem, form.item_id.data)
        holder = reference.holder_by_code(actor, form.holder.data)
        if obj is None:
            return reference.create_lot(actor, item, org=holder, **values)
        return reference.update_lot(actor, obj, org=holder, item_id=item.id, **values)


class InstrumentSection(Section):
    key, title, model, form_class = "instruments", _l("Instruments"), Instrument, forms.InstrumentForm
    search = ("serial", "model", "maker")
    order = (Instrument.model, Instrument.serial)
    columns = [(_l("Model"), "model"), (_l("Serial number"), "serial"), (_l("Maker"), "maker"),
               (_l("Channels"), "channels"), (_l("Station"), lambda i: i.station.name if i.station else ""),
               (_l("Last verification"), "last_verified_on"), (_l("Active"), "active")]
    fields = ("serial", "model", "maker", "channels", "station_id", "last_verified_on", "active")

    def limit(self, stmt, actor):
        from lims.orgs.services import stations_visible

        if not _bound(actor):
            return stmt
        return stmt.where(Instrument.station_id.in_(sa.select(Station.id).where(stations_visible(actor))))

    def prepare(self, form):
        form.station_id.choices = _station_choices()

    def label(self, obj):
        return f"{obj.model} {obj.serial}"

    def save(self, actor, obj, form):
        values = _blank_to_none(_values(form, self.fields))
        if obj is None:
            return reference.create_instrument(actor, **values)
        return reference.update_instrument(actor, obj, **values)


class UserSection(Section):
    key, title, model, form_class = "users", _l("Users"), User, forms.UserForm
    search = ("username", "display_name")
    order = (User.username,)
    columns = [(_l("User name"), "username"), (_l("Full name"), "display_name"),
               (_l("Role"), lambda u: labels.ROLE_LABELS[u.role]),
               (_l("Bound to"), lambda u: "、".join([o.name for o in u.orgs] + [s.name for s in u.stations]
                                                   + [s.name for s in u.sites])),
               (_l("Active"), "active")]

    def limit(self, stmt, actor):
        """A bound administrator's people: bound to an organisation, a station or a site of
        their part of the tree."""
        if not _bound(actor):
            return stmt
        from lims.accounts.scope import orgs_in_scope
        from lims.models import Organisation, user_orgs, user_stations
        from lims.models.accounts import user_sites
        from lims.orgs.services import stations_visible

        scope = actor.site_ids or {-1}
        return stmt.where(sa.or_(
            User.id.in_(sa.select(user_orgs.c.user_id).where(user_orgs.c.org_id.in_(
                sa.select(Organisation.id).where(orgs_in_scope(actor.user))))),
            User.id.in_(sa.select(user_stations.c.user_id).where(user_stations.c.station_id.in_(
                sa.select(Station.id).where(stations_visible(actor))))),
            User.id.in_(sa.select(user_sites.c.user_id).where(user_sites.c.site_id.in_(scope)))))

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if obj is not None and not form.is_submitted():
            form.sites.data = [s.code for s in obj.sites]
            form.orgs.data = [o.code for o in obj.orgs]
            form.stations.data = [s.code for s in obj.stations]
            form.locale.data = obj.locale or ""
            form.password.data = ""
        return form

    def prepare(self, form):
        from lims.orgs.services import visible_stations

        actor = _actor()
        form.sites.choices = [(s.code, s.name) for s in db.session.execute(
            _scoped_sites(sa.select(Site).order_by(Site.code), actor)).scalars()]
        form.orgs.choices = _org_choices(optional=False)
        form.stations.choices = [(s.code, s.name) for s in visible_stations(actor)]
        import json

        from lims.rules.permissions import ROLES, binding_of

        form.role.render_kw = {"data-binding": json.dumps({r: binding_of(r) for r in ROLES})}

    def label(self, obj):
        return obj.display_name

    def save(self, actor, obj, form):
        from lims.rules.permissions import binding_of

        binding = binding_of(form.role.data)
        # each role keeps the binding it works by; the other lists do not apply to it
        common = dict(display_name=form.display_name.data, role=form.role.data, site_codes=form.sites.data,
                      locale=form.locale.data or None, phone=form.phone.data or None, email=form.email.data or None,
                      org_codes=form.orgs.data if binding == "orgs" else [],
                      station_codes=form.stations.data if binding == "stations" else [])
        if obj is None:
            if not form.password.data:
                from flask_babel import gettext

                from lims.errors import InvalidInput

                raise InvalidInput(gettext("Some of the input is not valid."),
                                   {"password": [gettext("Required for a new user.")]})
            user = accounts.create_user(actor, username=form.username.data, password=form.password.data, **common)
            if not form.active.data:
                accounts.update_user(actor, user, active=False, **common)
            return user
        return accounts.update_user(actor, obj, active=form.active.data, password=form.password.data or None, **common)


class OrganisationSection(Section):
    """The organisation tree: listed as a tree (admin/tree.html), edited with its issuer."""

    key, title, model, form_class = "orgs", _l("Organisation tree"), Organisation, forms.OrganisationForm
    search = ("code", "name")
    order = (Organisation.path,)
    tree = True
    columns = [(_l("Code"), "code"), (_l("Name"), "name"), (_l("Kind"), lambda o: labels.ORG_KIND_LABELS[o.kind])]
    fields = ("code", "name", "kind", "issuer_name", "seal_text", "compiled_by", "reviewed_by", "signed_by", "active")

    def limit(self, stmt, actor):
        from lims.accounts.scope import orgs_in_scope

        return stmt.where(orgs_in_scope(actor.user))

    def make_form(self, obj=None):
        form = super().make_form(obj)
        if obj is not None and obj.parent is not None and obj.parent.code not in {c for c, _l in form.parent.choices}:
            # a bound administrator's own node: its parent, outside their part, is shown as it is
            form.parent.choices.insert(1, (obj.parent.code, obj.parent.name))
        if not form.is_submitted():
            if obj is not None:
                form.parent.data = obj.parent.code if obj.parent is not None else ""
            else:
                form.parent.data = request.args.get("parent", "")
        return form

    def prepare(self, form):
        form.parent.choices = _org_choices(JURISDICTION_KINDS + ("testing",))

    def save(self, actor, obj, form):
        from lims.orgs import services as orgs

        values = _blank_to_none(_values(form, self.fields))
        values["active"] = form.active.data
        parent = form.parent.data or None
        if obj is None:
            return orgs.create_org(actor, parent=parent, **values)
        current = obj.parent.code if obj.parent is not None else None
        if parent == current:
            return orgs.update_org(actor, obj, **values)  # where it is (a bound admin's own node included)
        return orgs.update_org(actor, obj, parent=parent, **values)

    def rows(self, actor):
        """The tree as rows: each node with its depth, its own and its subtree's sites, its stations."""
        from lims.models import Organisation as Org

        nodes = db.session.execute(self.limit(sa.select(Org).order_by(Org.path), actor)).scalars().all()
        own_sites = dict(db.session.execute(sa.select(Site.org_id, sa.func.count(Site.id)).group_by(Site.org_id)).all())
        own_stations = dict(db.session.execute(
            sa.select(Station.org_id, sa.func.count(Station.id)).group_by(Station.org_id)).all())
        top = min((n.path.count("/") for n in nodes), default=0)
        out = []
        for n in nodes:
            below = [m for m in nodes if m.path.startswith(n.path)]
            out.append({"org": n, "depth": n.path.count("/") - top, "sites": own_sites.get(n.id, 0),
                        "sites_below": sum(own_sites.get(m.id, 0) for m in below),
                        "stations": sum(own_stations.get(m.id, 0) for m in below)})
        return out


SECTIONS = {s.key: s for s in (OrganisationSection(), SiteSection(), StallSection(), EventSection(), StationSection(), SupplierSection(),
                               TestItemSection(), ReagentLotSection(), InstrumentSection(), UserSection())}
