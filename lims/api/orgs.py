"""/api/v1/orgs and /api/v1/stations: the organisation tree and the stations of its
testing organisations (domain.md §8). Changes are for administrators — a bound one only
inside their own part of the tree; lists hold what the caller sees."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from lims.api.auth import allowed, api_blueprint, current_actor
from lims.models.orgs import ORG_KINDS
from lims.models.sites import STATION_KINDS
from lims.orgs import services
from lims.sites import services as sites

orgs_blp = api_blueprint("api_orgs", __name__, url_prefix="/api/v1/orgs",
                         description="The organisation tree: jurisdictions and testing organisations")
stations_blp = api_blueprint("api_stations", __name__, url_prefix="/api/v1/stations",
                             description="Stations (rooms, vans, kits) and the sites they serve")

CODE = validate.Regexp(r"^[A-Za-z0-9-]{1,32}$")


class OrgSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(ORG_KINDS)})
    parent = fields.Function(lambda o: o.parent.code if o.parent is not None else None, allow_none=True)
    issuer_name = fields.String(allow_none=True)
    seal_text = fields.String(allow_none=True)
    compiled_by = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    signed_by = fields.String(allow_none=True)
    active = fields.Boolean()


class _IssuerArgs(Schema):
    issuer_name = fields.String(allow_none=True, validate=validate.Length(max=100),
                                metadata={"description": "the issuing unit printed on reports (default: the name)"})
    seal_text = fields.String(allow_none=True, validate=validate.Length(max=100),
                              metadata={"description": "the text by the seal"})
    compiled_by = fields.String(allow_none=True, validate=validate.Length(max=32), metadata={"description": "编制"})
    reviewed_by = fields.String(allow_none=True, validate=validate.Length(max=32), metadata={"description": "审核"})
    signed_by = fields.String(allow_none=True, validate=validate.Length(max=32), metadata={"description": "签发"})
    active = fields.Boolean()


class CreateOrgArgs(_IssuerArgs):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    parent = fields.String(allow_none=True, validate=CODE, metadata={"description": "the parent's code; none: a root"})


class UpdateOrgArgs(_IssuerArgs):
    name = fields.String(validate=validate.Length(min=1, max=100))
    kind = fields.String(validate=validate.OneOf(ORG_KINDS))
    parent = fields.String(allow_none=True, validate=CODE,
                           metadata={"description": "move the node (and its subtree) under another; null: a root"})


class StationSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(STATION_KINDS)})
    org = fields.Function(lambda s: s.org.code if s.org is not None else None, allow_none=True)
    # of the sites it serves, those the caller reaches (a shared van names no neighbour's market)
    sites = fields.Function(lambda s: [site.code for site in s.sites if current_actor().may_see_site(site.id)])
    active = fields.Boolean()


class CreateStationArgs(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(STATION_KINDS))
    org = fields.String(allow_none=True, validate=CODE, metadata={"description": "the testing organisation's code"})
    sites = fields.List(fields.String(validate=CODE), validate=validate.Length(max=500),
                        metadata={"description": "the codes of the sites it serves"})
    active = fields.Boolean()


class UpdateStationArgs(CreateStationArgs):
    code = fields.String(validate=CODE)
    name = fields.String(validate=validate.Length(min=1, max=64))
    kind = fields.String(validate=validate.OneOf(STATION_KINDS))


@orgs_blp.route("")
class Orgs(MethodView):
    @orgs_blp.response(200, OrgSchema(many=True))
    def get(self):
        """The organisations the caller sees (a regulator or administrator: their subtree)."""
        return services.visible_orgs(current_actor())

    @allowed("reference.manage")
    @orgs_blp.arguments(CreateOrgArgs)
    @orgs_blp.response(201, OrgSchema)
    def post(self, args):
        """Add an organisation (admin; a bound admin only inside their own)."""
        return services.create_org(current_actor(), **args)


@orgs_blp.route("/<code>")
class OrgResource(MethodView):
    @orgs_blp.response(200, OrgSchema)
    def get(self, code):
        return services.get_org_by_code(current_actor(), code)

    @allowed("reference.manage")
    @orgs_blp.arguments(UpdateOrgArgs)
    @orgs_blp.response(200, OrgSchema)
    def patch(self, args, code):
        """Rename, reissue or move an organisation with its subtree (admin)."""
        actor = current_actor()
        return services.update_org(actor, services.get_org_by_code(actor, code), **args)


@stations_blp.route("")
class Stations(MethodView):
    @stations_blp.response(200, StationSchema(many=True))
    def get(self):
        """The stations the caller sees."""
        return services.visible_stations(current_actor())

    @allowed("reference.manage")
    @stations_blp.arguments(CreateStationArgs)
    @stations_blp.response(201, StationSchema)
    def post(self, args):
        """Add a station of a testing organisation, serving the sites named (admin)."""
        return sites.create_station(current_actor(), **args)


@stations_blp.route("/<code>")
class StationResource(MethodView):
    @stations_blp.response(200, StationSchema)
    def get(self, code):
        return services.get_station(current_actor(), code)

    @allowed("reference.manage")
    @stations_blp.arguments(UpdateStationArgs)
    @stations_blp.response(200, StationSchema)
    def patch(self, args, code):
        """Change a station: its organisation, the sites it serves (all replaced) (admin)."""
        actor = current_actor()
        return sites.update_station(actor, services.get_station(actor, code), **args)
