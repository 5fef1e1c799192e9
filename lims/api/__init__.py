"""The HTTP API (/api/v1): flask-smorest blueprints, bearer-token auth, one error shape."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_api(api: Api, app: Flask) -> None:
    from lims.api.batches import blp as batches_blp
    from lims.api.imports import blp as imports_blp
    from lims.api.jobs import blp as jobs_blp
    from lims.api.reports import blp as reports_blp
    from lims.api.json import LimsJSONProvider
    from lims.api.reagent_lots import blp as lots_blp
    from lims.api.orgs import orgs_blp, stations_blp
    from lims.api.sites import blp as sites_blp
    from lims.extensions import csrf

    app.json = LimsJSONProvider(app)
    _document_input_rules(api)
    for blp in (sites_blp, orgs_blp, stations_blp, lots_blp, batches_blp, imports_blp, jobs_blp, reports_blp):
        csrf.exempt(blp)  # bearer tokens, never cookies: nothing to forge
        api.register_blueprint(blp)


# What lims.inputs refuses at every door, stated in the document so that generated valid
# input is valid: text without control characters, ids that fit their 32-bit columns.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


def _document_input_rules(api: Api) -> None:
    from marshmallow import fields
    from werkzeug.routing import UnicodeConverter

    from lims.inputs import MAX_INT32, BoundedIntegerConverter

    def text_pattern(converter, field, ret=None, **kwargs):
        if isinstance(field, fields.String) and "pattern" not in (ret or {}):
            return {"pattern": TEXT_PATTERN}
        return {}

    converter = api.ma_plugin.converter
    if text_pattern.__name__ not in {f.__name__ for f in converter.attribute_functions}:
        converter.add_attribute_function(text_pattern)
    api.register_converter(UnicodeConverter, lambda c: {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN})
    api.register_converter(BoundedIntegerConverter,
                           lambda c: {"type": "integer", "minimum": 0, "maximum": c.max or MAX_INT32})
