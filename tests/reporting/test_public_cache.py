"""The page cache survives writes elsewhere (issue 15): a stall's page and a market's board
are kept per what they show — a write at one stall renders that stall's page and its market's
board afresh and leaves every other stall and market cached; the versions live in the
database, so several workers agree; HTTP caching (ETag, 304, public max-age) on top."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.reporting.test_public import market  # noqa: F401  (the fixture)

PAGES = {"p1": "/public/stalls/stallp1code", "p3": "/public/stalls/stallp3code", "x1": "/public/stalls/stallx1code",
         "board": "/public/sites/PB/board", "other_board": "/public/sites/PX/board"}


def _state(client) -> dict:
    return {name: client.get(url).headers.get("X-Page-Cache") for name, url in PAGES.items()}


def _write_about(db, make_user, batch):
    """A result of ``batch`` reviewed again, as a service writes it: its audit entry names the batch."""
    from lims.accounts.access import Actor
    from lims.audit.services import record
    from lims.models import Result

    rid = db.session.execute(sa.select(Result.id).where(Result.batch_id == batch.id)).scalars().first()
    record(Actor(make_user("admin")), "result.review", "result", rid, batch_id=batch.id, reason="again")
    db.session.commit()


@pytest.fixture
def cache(page_cache_on, clock, market):  # noqa: F811
    from tests.reporting.test_public import NOW_P

    clock(NOW_P)  # one minute throughout (the minute is part of the key)
    return page_cache_on


def test_a_write_at_one_stall_leaves_other_stalls_and_markets_cached(market, client, db, make_user, cache):  # noqa: F811
    assert set(_state(client).values()) == {"miss"}
    assert set(_state(client).values()) == {"hit"}
    _write_about(db, make_user, market.batches["neg"])  # stall P1 at market PB
    assert _state(client) == {"p1": "miss", "p3": "hit", "x1": "hit", "board": "miss", "other_board": "hit"}
    assert set(_state(client).values()) == {"hit"}
    _write_about(db, make_user, market.batches["other"])  # stall X1 at market PX
    assert _state(client) == {"p1": "hit", "p3": "hit", "x1": "miss", "board": "hit", "other_board": "miss"}


def test_a_change_to_a_market_renders_its_stalls_and_board_afresh_only(market, client, db, make_user, cache):  # noqa: F811
    from lims.accounts.access import Actor
    from lims.sites.services import update_site

    _state(client)
    update_site(Actor(make_user("admin")), market.site, phone="0571-12345678")
    db.session.commit()
    state = _state(client)
    assert state == {"p1": "miss", "p3": "miss", "x1": "hit", "board": "miss", "other_board": "hit"}
    assert "0571-12345678" in client.get(PAGES["p1"]).get_data(as_text=True)


def test_reference_names_render_every_page_afresh(market, client, db, make_user, cache):  # noqa: F811
    from lims.accounts.access import Actor
    from lims.audit.services import record

    _state(client)
    record(Actor(make_user("admin")), "test_item.update", "test_item", 1, after={"name": "x"})
    db.session.commit()
    assert set(_state(client).values()) == {"miss"}


def test_several_workers_agree_because_the_versions_are_in_the_database(market, app, client, db, make_user,  # noqa: F811
                                                                       cache):
    """Two workers' caches: what one worker kept is not served after a write through the other."""
    from lims.pagecache import PageCache

    first = client.get(PAGES["p1"]).get_data(as_text=True)  # kept by worker A
    worker_a = app.extensions["lims.page_cache"]
    worker_b = PageCache(worker_a.max_bytes)
    app.extensions["lims.page_cache"] = worker_b
    client.get(PAGES["p1"])  # kept by worker B
    market.p1.operator = "张三"
    from lims.accounts.access import Actor
    from lims.audit.services import record

    record(Actor(make_user("admin")), "stall.update", "stall", market.p1.id, after={"operator": "张三"})
    db.session.commit()  # written through worker B
    app.extensions["lims.page_cache"] = worker_a
    again = client.get(PAGES["p1"])
    assert again.headers["X-Page-Cache"] == "miss" and "张某" in again.get_data(as_text=True) and "王某" in first


def test_http_caching_a_proxy_can_honour(market, client, cache):  # noqa: F811
    first = client.get(PAGES["board"])
    assert first.headers["Cache-Control"] == "public, max-age=30" and first.headers["ETag"]
    assert client.get(PAGES["board"], headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    stall = client.get(PAGES["p1"])
    assert stall.headers["Cache-Control"] == "public, max-age=60"


def test_tick_prunes_old_marks_without_moving_any_version(market, app, client, db, make_user, cache):  # noqa: F811
    from lims.models import CacheBump
    from lims.pagecache import data_version, prune

    for _ in range(3):
        _write_about(db, make_user, market.batches["neg"])
    scopes = [f"stall:{market.p1.id}", f"site:{market.site.id}", f"stall:{market.p3.id}"]
    before = [data_version([s]) for s in scopes]
    count = db.session.execute(sa.select(sa.func.count(CacheBump.id))).scalar()
    assert prune(db.session) > 0
    assert db.session.execute(sa.select(sa.func.count(CacheBump.id))).scalar() < count
    assert [data_version([s]) for s in scopes] == before


def test_the_dashboard_is_kept_per_the_readers_sites(market, client, db, make_user, cache):  # noqa: F811
    """A dashboard over many months of a province is costly to work out (bench/scale_bench.py):
    it is kept until something at the reader's sites changes — a write at another market
    leaves it cached, a write at one of the reader's markets renders it afresh."""
    manager = make_user("market_manager", sites=[market.site])
    db.session.commit()
    client.login(manager)

    def state():
        r = client.get("/dashboard")
        assert r.status_code == 200
        return r.headers.get("X-Page-Cache")

    assert (state(), state()) == ("miss", "hit")
    _write_about(db, make_user, market.batches["other"])  # market PX: not the manager's
    assert state() == "hit"
    _write_about(db, make_user, market.batches["neg"])  # market PB: the manager's
    assert (state(), state()) == ("miss", "hit")
