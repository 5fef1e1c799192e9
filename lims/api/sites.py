"""/api/v1/sites and /api/v1/sites/<code>/stalls."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from lims.api.auth import allowed, api_blueprint, current_actor
from lims.api.fields import Integer
from lims.models.sites import SITE_KINDS
from lims.sites import services

blp = api_blueprint("api_sites", __name__, url_prefix="/api/v1/sites", description="Sites and their stalls")

CODE = validate.Regexp(r"^[A-Za-z0-9-]{1,32}$")


class SiteSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(SITE_KINDS)})
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    planned_monthly_batches = fields.Integer(allow_none=True)
    active = fields.Boolean()
    org = fields.Function(lambda s: s.org.code if s.org is not None else None, allow_none=True,
                          metadata={"description": "the jurisdiction node (district or office) it belongs to"})


class CreateSiteArgs(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(SITE_KINDS))
    district = fields.String(allow_none=True, validate=validate.Length(max=64))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    planned_monthly_batches = Integer(allow_none=True)
    active = fields.Boolean()
    org = fields.String(allow_none=True, validate=CODE,
                        metadata={"description": "the code of the district or office the site belongs to"})


class UpdateSiteArgs(CreateSiteArgs):
    code = fields.String(validate=CODE)
    name = fields.String(validate=validate.Length(min=1, max=64))
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))


class StallSchema(Schema):
    code = fields.String()
    operator = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    licence = fields.String(allow_none=True)
    active = fields.Boolean()
    public_code = fields.String()
    public_url = fields.Function(lambda stall: services.public_stall_url(stall))


class CreateStallArgs(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    operator = fields.String(allow_none=True, validate=validate.Length(max=32))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    licence = fields.String(allow_none=True, validate=validate.Length(max=32))
    active = fields.Boolean()


class UpdateStallArgs(CreateStallArgs):
    code = fields.String(validate=validate.Length(min=1, max=16))


@blp.route("")
class Sites(MethodView):
    @blp.response(200, SiteSchema(many=True))
    def get(self):
        """The sites the caller may see."""
        return services.list_sites(current_actor())

    @allowed("reference.manage")
    @blp.arguments(CreateSiteArgs)
    @blp.response(201, SiteSchema)
    def post(self, args):
        """Add a site (admin)."""
        return services.create_site(current_actor(), **args)


@blp.route("/<code>")
class SiteResource(MethodView):
    @blp.response(200, SiteSchema)
    def get(self, code):
        return services.get_site(current_actor(), code)

    @allowed("reference.manage")
    @blp.arguments(UpdateSiteArgs)
    @blp.response(200, SiteSchema)
    def patch(self, args, code):
        """Change a site (admin)."""
        actor = current_actor()
        return services.update_site(actor, services.get_site(actor, code), **args)


@blp.route("/<code>/stalls")
class Stalls(MethodView):
    @blp.response(200, StallSchema(many=True))
    def get(self, code):
        actor = current_actor()
        return services.list_stalls(actor, services.get_site(actor, code))

    @allowed("reference.manage")
    @blp.arguments(CreateStallArgs)
    @blp.response(201, StallSchema)
    def post(self, args, code):
        """Add a stall to a site (admin); the response carries its public QR page address."""
        actor = current_actor()
        return services.create_stall(actor, services.get_site(actor, code), **args)


@blp.route("/<code>/stalls/<stall>")
class StallResource(MethodView):
    @blp.response(200, StallSchema)
    def get(self, code, stall):
        actor = current_actor()
        return services.get_stall(actor, services.get_site(actor, code), stall)

    @allowed("reference.manage")
    @blp.arguments(UpdateStallArgs)
    @blp.response(200, StallSchema)
    def patch(self, args, code, stall):
        actor = current_actor()
        return services.update_stall(actor, services.get_stall(actor, services.get_site(actor, code), stall), **args)
