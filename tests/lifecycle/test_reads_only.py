"""Requests that only read run outside a transaction on PostgreSQL (lims.database.reads_only):
no BEGIN and no COMMIT — two round trips of the few an answer takes. Writes keep theirs, a GET
marked ``writes_on_get`` too, and a GET that writes without saying so is refused before
anything is written. PostgreSQL-only (the suite's own sessions run inside a test transaction,
so these tests make an app of their own on a database of their own)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.lifecycle.test_shared_page_cache import _close, pg_test_app


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory, worker_id):
    _, app = pg_test_app(tmp_path_factory, worker_id, "readsonly")
    from lims.accounts.access import Actor
    from lims.accounts.services import create_token
    from lims.extensions import db
    from lims.models import Site, User

    with app.app_context():
        db.session.add(Site(code="RO1", name="只读市场", kind="market", district="测试区"))
        user = User(username="ro_admin", display_name="管理员", role="admin", password_hash="x")
        db.session.add(user)
        db.session.flush()
        app.config["RO_TOKEN"] = create_token(Actor(user=None, ip="test"), user, "test")
        db.session.commit()

    def sneaky():  # a GET that writes without saying so
        from lims.extensions import db as db_
        from lims.models import Site as Site_

        db_.session.execute(sa.select(Site_).where(Site_.code == "RO1")).scalar_one().name = "改了"
        db_.session.flush()
        return "written"

    def honest():
        from lims.extensions import db as db_
        from lims.models import Site as Site_
        db_.session.execute(sa.select(Site_).where(Site_.code == "RO1")).scalar_one().phone = "0571-1"
        return "written"

    from lims.web import writes_on_get

    app.add_url_rule("/test/sneaky", "test_sneaky", sneaky)
    app.add_url_rule("/test/honest", "test_honest", writes_on_get(honest))
    yield app
    _close(app)


def _autocommit_seen(app, do) -> list[bool]:
    """Whether each statement the request ran was outside a transaction (driver autocommit)."""
    seen: list[bool] = []

    def look(conn, cursor, statement, parameters, context, executemany):
        if conn.dialect.name == "postgresql" and "page_cache" not in statement:  # the page store's own engine
            seen.append(conn.connection.dbapi_connection.autocommit)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", look)
    try:
        do()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", look)
    return seen


@pytest.mark.live  # committed data, an app of its own
def test_an_answer_that_reads_runs_outside_a_transaction_and_a_write_inside_one(pg_app):
    client = pg_app.test_client()
    auth = {"Authorization": f"Bearer {pg_app.config['RO_TOKEN']}"}
    read = _autocommit_seen(pg_app, lambda: client.get("/api/v1/sites/RO1", headers=auth))
    assert read and all(read), read
    wrote = _autocommit_seen(pg_app, lambda: client.patch("/api/v1/sites/RO1", headers=auth,
                                                           json={"phone": "0571-88888888"}))
    assert wrote and not any(wrote), wrote
    assert client.get("/api/v1/sites/RO1", headers=auth).get_json()["phone"] == "0571-88888888"


@pytest.mark.live
def test_a_get_that_writes_must_say_so(pg_app):
    from lims.extensions import db
    from lims.models import Site

    client = pg_app.test_client()
    with pytest.raises(RuntimeError, match="writes_on_get"):  # a 500 outside the tests (they propagate it)
        client.get("/test/sneaky")
    assert client.get("/test/honest").status_code == 200
    with pg_app.app_context():
        site = db.session.execute(sa.select(Site).where(Site.code == "RO1")).scalar_one()
        assert site.name == "只读市场" and site.phone == "0571-1"
