"""/api/v1/reagent-lots: kit lots and, for colloidal-gold cards, the maker's thresholds."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from lims.api.fields import Date, Number
from lims.database import Signal
from lims.errors import InvalidInput, NotFound
from lims.api.auth import allowed, api_blueprint, current_actor
from lims.reference import services

blp = api_blueprint("api_reagent_lots", __name__, url_prefix="/api/v1/reagent-lots",
                    description="Reagent and test-card lots")

EXPIRY_YEARS = 10  # a kit lot may be registered years before it expires
MODES = validate.OneOf(("line", "ratio"))


class ReagentLotSchema(Schema):
    id = fields.Integer()
    item = fields.Function(lambda lot: lot.item.code)
    lot = fields.String()
    maker = fields.String(allow_none=True)
    expires_on = Date(years_ahead=EXPIRY_YEARS)
    mode = fields.String(allow_none=True, metadata={"enum": ["line", "ratio", None]})
    c_min = fields.Decimal(allow_none=True, as_string=False)
    a = fields.Decimal(allow_none=True, as_string=False)
    b = fields.Decimal(allow_none=True, as_string=False)
    received_on = fields.Date(allow_none=True)
    active = fields.Boolean()
    # the testing organisation holding the lot; null: the deployment's own
    org = fields.Function(lambda lot: lot.org.code if lot.org is not None else None)


class CreateReagentLotArgs(Schema):
    item = fields.String(required=True)
    org = fields.String(allow_none=True, validate=validate.Length(max=32))
    lot = fields.String(required=True, validate=validate.Length(min=1, max=32))
    maker = fields.String(allow_none=True, validate=validate.Length(max=100))
    expires_on = Date(years_ahead=EXPIRY_YEARS, required=True)
    mode = fields.String(allow_none=True, validate=MODES)
    c_min = Number(Signal, allow_none=True, validate=validate.Range(min=0))
    a = Number(Signal, allow_none=True, validate=validate.Range(min=0))
    b = Number(Signal, allow_none=True, validate=validate.Range(min=0))
    received_on = Date(allow_none=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=200))
    active = fields.Boolean()


class UpdateReagentLotArgs(CreateReagentLotArgs):
    item = fields.String()
    lot = fields.String(validate=validate.Length(min=1, max=32))
    expires_on = Date(years_ahead=EXPIRY_YEARS)


class LotQueryArgs(Schema):
    item = fields.String()


def _item(code: str):
    """An unknown item named in the body is bad input (422), not a missing resource."""
    try:
        return services.get_item(code)
    except NotFound as exc:
        raise InvalidInput(exc.message, {"item": [exc.message]}) from None


@blp.route("")
class ReagentLots(MethodView):
    @blp.arguments(LotQueryArgs, location="query")
    @blp.response(200, ReagentLotSchema(many=True))
    def get(self, query):
        """The lots the caller sees: all of them, or for an administrator or regulator bound
        to organisations the deployment's and those held in their part of the tree."""
        return services.list_lots(query.get("item"), current_actor())

    @allowed("reference.manage")
    @blp.arguments(CreateReagentLotArgs)
    @blp.response(201, ReagentLotSchema)
    def post(self, args):
        """Register a kit lot (admin). ``org``: the testing organisation holding it — for a
        bound administrator one of theirs (their only one when omitted); omitted for the
        deployment's administrator, the deployment's own lot."""
        actor = current_actor()
        holder = services.holder_by_code(actor, args.pop("org", None))
        return services.create_lot(actor, _item(args.pop("item")), org=holder, **args)


@blp.route("/<int:lot_id>")
class ReagentLotResource(MethodView):
    @blp.response(200, ReagentLotSchema)
    def get(self, lot_id):
        return services.get_lot(lot_id, current_actor())

    @allowed("reference.manage")
    @blp.arguments(UpdateReagentLotArgs)
    @blp.response(200, ReagentLotSchema)
    def patch(self, args, lot_id):
        actor = current_actor()
        lot = services.get_lot(lot_id, actor)
        if "item" in args:
            args["item_id"] = _item(args.pop("item")).id
        if "org" in args:
            args["org"] = services.holder_by_code(actor, args["org"])
        return services.update_lot(actor, lot, **args)
