"""The HTTP API (/api/v1): flask-smorest blueprints, bearer-token auth, one error shape."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_api(api: Api, app: Flask) -> None:
    from lims.api.batches import blp as batches_blp
    from lims.api.imports import blp as imports_blp
    from lims.api.reports import blp as reports_blp
    from lims.api.json import LimsJSONProvider
    from lims.api.reagent_lots import blp as lots_blp
    from lims.api.sites import blp as sites_blp
    from lims.extensions import csrf

    app.json = LimsJSONProvider(app)
    for blp in (sites_blp, lots_blp, batches_blp, imports_blp, reports_blp):
        csrf.exempt(blp)  # bearer tokens, never cookies: nothing to forge
        api.register_blueprint(blp)
