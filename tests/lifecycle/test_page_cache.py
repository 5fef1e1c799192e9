"""The signed-in batch list is kept rendered (lims.pagecache) and served again only while
nothing it shows can have changed: the data (change marks of the sites it shows), the user, the session, the
language, the user's notifications, a waiting flashed message, the minute."""
from __future__ import annotations

import pytest


@pytest.fixture
def page_cache(page_cache_on, monkeypatch):
    """The cache on, the list's renders counted, and the clock held inside one minute (the
    minute is part of the key: a test straddling a minute boundary would see a new render)."""
    from datetime import datetime, timezone

    from lims import pagecache
    from lims.batches import views

    held = datetime.now(timezone.utc).replace(second=30, microsecond=0)
    monkeypatch.setattr(pagecache, "utcnow", lambda: held)

    renders = []
    real = views.page_batches
    monkeypatch.setattr(views, "page_batches", lambda *a, **kw: renders.append(1) or real(*a, **kw))
    return renders


def test_the_list_is_rendered_again_when_anything_it_shows_may_have_changed(world, svc, client, db, page_cache, app):
    from lims.notifications.services import notify
    from tests.conftest import Client

    svc.batch(world.tech, world.site_a, world.stall_a1, food="青菜")
    db.session.commit()
    client.login(world.manager_a)
    first = client.get("/batches")
    assert first.status_code == 200 and "青菜" in first.get_data(as_text=True)
    again = client.get("/batches")
    assert len(page_cache) == 1 and again.data == first.data
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert client.get("/batches", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    client.get("/batches?status=registered")
    assert len(page_cache) == 2  # another address

    svc.batch(world.tech, world.site_a, world.stall_a2, food="菠菜")  # a change at a site the list shows
    db.session.commit()
    assert "菠菜" in client.get("/batches").get_data(as_text=True) and len(page_cache) == 3

    notify([world.manager_a], "supplier_alert", "cache-test", {"supplier": "某供货商", "site": "城东"})
    db.session.commit()
    client.get("/batches")
    assert len(page_cache) == 4  # the bell in the top bar

    other = Client(app.test_client())
    other.login(world.regulator)  # another user never gets this user's page
    html = other.get("/batches").get_data(as_text=True)
    assert len(page_cache) == 5 and world.regulator.display_name in html
    other.get("/batches")
    assert len(page_cache) == 5

    english = client.get("/batches", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert len(page_cache) == 6 and "Batches" in english  # no language chosen: the browser's
    client.get("/batches")
    assert len(page_cache) == 6


def test_a_waiting_message_is_never_hidden_by_a_kept_page(world, svc, client, db, page_cache):
    client.login(world.tech)
    client.get("/batches")
    client.get("/batches")
    page_cache.clear()
    with client.session_transaction() as s:
        s["_flashes"] = [("success", "已保存")]
    html = client.get("/batches").get_data(as_text=True)
    assert "已保存" in html and len(page_cache) == 1
    client.get("/batches")
    assert len(page_cache) == 1  # the message shown, the kept page serves again


def test_a_kept_page_carries_the_csrf_token_of_the_session_that_asks(world, client, db, page_cache):
    """Signing in again within the minute starts a session without a CSRF secret: its first
    page must not be one kept for the previous session (its forms would all be refused)."""
    import re

    def token(html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    client.login(world.tech)
    client.get("/batches")
    assert client.post("/logout", data={"csrf_token": token(client.get("/batches").get_data(as_text=True))}) \
        .status_code == 302
    client.login(world.tech)
    page = client.get("/batches").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": token(page)}).status_code == 302
    assert client.get("/batches").status_code == 302  # signed out: the form was accepted


def test_a_kept_page_is_served_in_a_few_short_statements(world, svc, client, db, page_cache, make_user):
    """Served again, a regulator's kept list costs four statements (the user without their
    bindings, the sites under the organisations they are bound to — their organisations were
    a statement of their own before —, the version of what the page shows, the bell), and none
    of them carries a parameter per site: a city's reader sees ~300
    markets, and 600 expanded scope parameters cost more than the rest of the page (on
    PostgreSQL the scopes go as one array; SQLite has no arrays and keeps the IN list)."""
    import sqlalchemy as sa

    from lims.accounts.access import Actor
    from lims.orgs.services import create_org

    district = create_org(Actor(user=None, ip="test"), code="QT", name="钱塘区", kind="district")
    world.site_a.org_id = district.id
    regulator = make_user("regulator")
    regulator.orgs = [district]
    db.session.commit()
    svc.batch(world.tech, world.site_a, world.stall_a1, food="青菜")
    svc.batch(world.tech, world.site_b, world.stall_b1, food="菠菜")
    db.session.commit()
    client.login(regulator)
    first = client.get("/batches")
    assert first.status_code == 200 and "青菜" in first.get_data(as_text=True)
    assert "菠菜" not in first.get_data(as_text=True)  # another district's market
    log = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            log.append(parameters)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        again = client.get("/batches")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert again.headers["X-Page-Cache"] == "hit" and len(page_cache) == 1
    assert len(log) <= 4, log
    if db.engine.dialect.name == "postgresql":
        assert all(len(p or ()) <= 3 for p in log), log


def test_the_version_of_a_page_is_read_from_its_own_scopes_whatever_the_marks_of_others(db):
    """A page's version is the newest change mark of its scopes, found from the (scope, id)
    index whatever else was marked: asked as max(id) WHERE scope = ANY(…), PostgreSQL walked
    the whole table backwards looking for a mark of a stall that had none (7,490 buffers and
    6.8 ms at 16,000 marks on the scale bench, growing with every write between two prunes)."""
    import json

    import sqlalchemy as sa

    from lims import pagecache
    from lims.models import CacheBump

    everything = db.session.execute(sa.select(sa.func.max(CacheBump.id)).where(CacheBump.scope == "all")).scalar() or 0
    db.session.execute(CacheBump.__table__.insert(), [{"scope": f"stall:{900000 + i % 1000}"} for i in range(20000)])
    db.session.execute(CacheBump.__table__.insert(), [{"scope": "site:7"}])
    newest_site_7 = db.session.execute(sa.select(sa.func.max(CacheBump.id))).scalar()
    db.session.execute(CacheBump.__table__.insert(), [{"scope": "stall:900001"}])

    assert pagecache.data_version(["stall:0", "siteinfo:0"]) == everything  # never marked themselves
    assert pagecache.data_version(["stall:0", "site:7"]) == newest_site_7
    assert pagecache.data_version(["stall:900001"]) == newest_site_7 + 1
    assert pagecache.data_version() == newest_site_7 + 1
    if db.engine.dialect.name != "postgresql":
        return  # SQLite looks each name of its IN list up in the index
    db.session.execute(sa.text("ANALYZE cache_bumps"))
    compiled = pagecache.version_statement("postgresql").compile(dialect=db.engine.dialect)
    plan = db.session.connection().exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + compiled.string,
        compiled.construct_params({"scopes": ["stall:0", "siteinfo:0", "all"]})).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    top = plan[0]["Plan"]
    assert top["Shared Hit Blocks"] + top.get("Shared Read Blocks", 0) < 50, top
