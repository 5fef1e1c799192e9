"""A market manager only ever reaches their own sites: another market's batches answer
exactly as a batch that does not exist (interfaces.md: 404, also for objects of another market)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.lifecycle.conftest import assert_error, audit_entries, local_iso

GHOST = "GHOST-0000"


@pytest.fixture
def two_markets(world, svc, ctx, commit, now):
    """A positive batch and a plain batch at each of sites A and B."""
    out = {}
    for key, site, stall in (("a", world.site_a, world.stall_a1), ("b", world.site_b, world.stall_b1)):
        pos = svc.positive(world.tech, site, stall, quantity_kg=10)
        plain = svc.batch(world.tech, site, stall, food="青菜", tests=("OPC",))
        svc.result(world.tech, plain, item="OPC", value=Decimal(10))
        out[key] = pos.code
        out[key + "_plain"] = plain.code
    commit()
    return out


def route_calls(now):
    """Every batch route with a valid body (validation must not answer before the scope check)."""
    t = local_iso(now - timedelta(minutes=10))
    return [
        ("GET", "", None),
        ("POST", "/results", {"item": "CLB", "value": 0.9, "tested_at": t}),
        ("POST", "/review", {}),
        ("POST", "/notify", {"notified_at": t}),
        ("POST", "/objection", {"requested_at": t, "lab": "市检测中心", "method": "GB/T 21313-2007"}),
        ("POST", "/lab-result", {"lab": "市检测中心", "report_no": "R1", "outcome": "negative"}),
        ("POST", "/disposals", {"action": "stop_sale", "quantity_kg": 1, "done_at": t}),
        ("POST", "/regulator", {"informed_at": t}),
        ("GET", "/report.pdf", None),
    ]


def strip_code(body, code: str):
    """The body with ``code`` (echoed from the request) blanked out, recursively."""
    if isinstance(body, dict):
        return {k: strip_code(v, code) for k, v in body.items()}
    if isinstance(body, list):
        return [strip_code(v, code) for v in body]
    return body.replace(code, "<code>") if isinstance(body, str) else body


ROUTES = [("GET", ""), ("POST", "/results"), ("POST", "/review"), ("POST", "/notify"), ("POST", "/objection"),
          ("POST", "/lab-result"), ("POST", "/disposals"), ("POST", "/regulator"), ("GET", "/report.pdf")]


@pytest.mark.parametrize("method,suffix", ROUTES)
def test_other_markets_batch_is_indistinguishable_from_a_missing_one(api, world, now, db, two_markets, method, suffix):
    body = dict((s, b) for _, s, b in route_calls(now))[suffix]
    api.headers(world.manager_a)  # the token (and its audit entry) exists before we count
    seq_before = len(audit_entries(db))
    other = api.call(method, f"/api/v1/batches/{two_markets['b']}{suffix}", world.manager_a, json=body)
    ghost = api.call(method, f"/api/v1/batches/{GHOST}{suffix}", world.manager_a, json=body)
    assert other.status_code == ghost.status_code, (other.get_json(), ghost.get_json())
    assert other.status_code in (403, 404)
    if other.status_code == 403:
        # the manager may not do this anywhere: the answer does not depend on the batch
        assert suffix in ("/results", "/review")
    assert strip_code(other.get_json(), two_markets["b"]) == strip_code(ghost.get_json(), GHOST)
    assert world.site_b.code not in other.get_data(as_text=True).replace(two_markets["b"], "")
    assert len(audit_entries(db)) == seq_before
    b = api.batch(world.admin, two_markets["b"])
    assert b["status"] == "stopped" and b["disposition"]["notified_at"] is None
    assert b["disposition"]["regulator_informed_at"] is None and b["disposition"]["disposals"] == []


@pytest.mark.parametrize("suffix,status", [("/notify", 200), ("/regulator", 200), ("/disposals", 201)])
def test_manager_works_on_own_market(api, world, now, two_markets, suffix, status):
    body = dict((s, b) for _, s, b in route_calls(now))[suffix]
    r = api.post(f"/api/v1/batches/{two_markets['a']}{suffix}", world.manager_a, body)
    assert r.status_code == status, r.get_json()


def test_other_market_404_for_every_follow_up_route(api, world, now, two_markets):
    """Routes the manager is allowed to use answer 404 for site B's batch, at every stage."""
    code = two_markets["b"]
    # bring B's batch through notification and objection as the district's regulator would
    t = local_iso(now - timedelta(hours=1))
    assert api.post(f"/api/v1/batches/{code}/notify", world.tech, {"notified_at": t}).status_code == 200
    for _, suffix, body in route_calls(now):
        if suffix in ("/results", "/review"):
            continue
        r = api.call("GET" if suffix in ("", "/report.pdf") else "POST", f"/api/v1/batches/{code}{suffix}",
                     world.manager_a, json=body)
        assert_error(r, 404)


def test_listing_shows_only_own_sites(api, world, now, two_markets):
    r = api.get("/api/v1/batches", world.manager_a)
    assert r.status_code == 200
    rows = r.get_json()
    assert {b["code"] for b in rows} == {two_markets["a"], two_markets["a_plain"]}
    assert {b["site"] for b in rows} == {world.site_a.code}
    # district-wide roles see both
    for user in (world.regulator, world.tech, world.admin):
        codes = {b["code"] for b in api.get("/api/v1/batches", user).get_json()}
        assert {two_markets["a"], two_markets["b"]} <= codes


@pytest.mark.parametrize("query", [{"site": "B"}, {"site": "B", "status": "stopped"}, {"site": "B", "item": "CLB"}])
def test_filtering_on_another_site_is_422_like_an_unknown_site(api, world, now, two_markets, query):
    q = dict(query, site=world.site_b.code)
    other = api.get("/api/v1/batches", world.manager_a, query=q)
    ghost = api.get("/api/v1/batches", world.manager_a, query=dict(q, site="NOSUCHSITE"))
    text = other.get_data(as_text=True)
    assert two_markets["b"] not in text and two_markets["b_plain"] not in text
    assert world.site_b.name not in text
    assert_error(other, 422, "site")
    assert_error(ghost, 422, "site")
    assert strip_code(other.get_json(), world.site_b.code) == strip_code(ghost.get_json(), "NOSUCHSITE")
    # for the district, site B is a normal filter
    rows = api.get("/api/v1/batches", world.regulator, query={"site": world.site_b.code}).get_json()
    assert {b["code"] for b in rows} == {two_markets["b"], two_markets["b_plain"]}


def test_other_filters_stay_within_own_sites(api, world, now, two_markets):
    for q in ({"status": "stopped"}, {"item": "CLB"}, {"outcome": "positive"}, {"stall": world.stall_b1.code},
              {"from": (now - timedelta(days=1)).date().isoformat()}):
        rows = api.get("/api/v1/batches", world.manager_a, query=q).get_json()
        assert all(b["site"] == world.site_a.code for b in rows), q
        assert two_markets["b"] not in {b["code"] for b in rows}


def test_manager_with_no_site_sees_nothing(api, world, make_user, two_markets, commit):
    lonely = make_user("market_manager", sites=[])
    commit()
    assert api.get("/api/v1/batches", lonely).get_json() == []
    assert_error(api.get(f"/api/v1/batches/{two_markets['a']}", lonely), 404)


def test_manager_cannot_register_for_any_site(api, world, now):
    for site, stall in ((world.site_a, world.stall_a1), (world.site_b, world.stall_b1)):
        r = api.register(world.manager_a, site=site.code, stall=stall.code, food="猪肉",
                         sampled_at=local_iso(now - timedelta(hours=1)), tests=["CLB"])
        assert_error(r, 403)


def test_routes_list_is_complete(now):
    assert [(m, s) for m, s, _ in route_calls(now)] == ROUTES
