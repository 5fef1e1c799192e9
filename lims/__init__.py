"""食品快检 LIMS: the Flask application factory."""
from __future__ import annotations

from flask import Flask


def create_app(config=None) -> Flask:
    """Build an app: config → extensions → blueprints → errors → CLI.

    ``config`` is a Config class or a dict of overrides (tests pass a dict)."""
    from lims import models  # noqa: F401  (register every table on the metadata)
    from lims.config import load_config
    from lims.extensions import api, babel, bootstrap, csrf, db, login_manager, migrate
    from lims.i18n import locale_for_request

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(config, app.instance_path))
    if app.config["TRUSTED_PROXIES"]:
        # Behind N load balancers: the client's address and scheme come from their headers
        # (throttling and the audit trail see the real client, cookies know it is HTTPS).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    from lims import replica

    replica.init_app(app)
    from lims.audit.services import init_app as init_audit

    init_audit(app)  # no audit key in production: refuse to start, saying what to set
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=locale_for_request, timezone_selector=lambda: app.config["TIMEZONE"])
    bootstrap.init_app(app)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})

    from lims import web
    from lims.jobs import engine as jobs_engine

    web.init_app(app)
    jobs_engine.init_app(app)

    from lims.accounts.views import bp as accounts_bp
    from lims.admin.views import bp as admin_bp
    from lims.batches.views import bp as batches_bp
    from lims.dashboard.views import bp as dashboard_bp
    from lims.dispositions.views import bp as dispositions_bp
    from lims.events.views import bp as events_bp
    from lims.home.views import bp as home_bp
    from lims.imports.views import bp as imports_bp
    from lims.jobs.views import bp as jobs_bp
    from lims.notifications.views import bp as notifications_bp
    from lims.public.views import bp as public_bp
    from lims.reporting.views import bp as reports_bp
    from lims.results.views import bp as results_bp
    from lims.rounds.views import bp as rounds_bp

    for blueprint in (accounts_bp, home_bp, batches_bp, rounds_bp, results_bp, dispositions_bp, imports_bp,
                      reports_bp, public_bp, dashboard_bp, events_bp,
                      notifications_bp, admin_bp, jobs_bp):
        app.register_blueprint(blueprint)

    from lims.api import register_api

    register_api(api, app)

    from lims.cli import lims_cli

    app.cli.add_command(lims_cli)
    return app
