"""Live databases and a live server for tests that need real commits: the browser tests and
the concurrency tests. Each gets a fresh, migrated database of its own."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server

from tests.conftest import make_test_app, migrate_and_load, reset_database, scratch_database


def live_app(tmp_path_factory, worker_id: str, name: str, **overrides):
    url = scratch_database(tmp_path_factory, worker_id, name)
    app = make_test_app(url, tmp_path_factory.mktemp(f"{name}-data"), **overrides)
    reset_database(app)
    migrate_and_load(app)
    return app


def dispose(app) -> None:
    """Close the pooled connections of an app made for a test module."""
    from lims.extensions import db

    with app.app_context():
        db.engine.dispose()


class LiveServer:
    """The app served over HTTP on a free port in a background thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)
