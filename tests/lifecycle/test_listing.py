"""GET /api/v1/batches: filters and keyset pagination."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import SHANGHAI, assert_error, local_midnight

LAB = "市食品检验检测中心"


def codes(response):
    assert response.status_code == 200, response.get_json()
    return [b["code"] for b in response.get_json()]


@pytest.fixture
def zoo(world, svc, actor_of, ctx, commit, now):
    """One batch in each status at site A (plus one at site B), sampled at known times."""
    from lims.dispositions import services as dispositions

    tech, mm = world.tech, world.manager_a
    a, s = world.site_a, world.stall_a1
    made = {}

    def batch(key, hours_ago, tests=("CLB",), food="猪肉", site=a, stall=s):
        b = svc.batch(tech, site, stall, food=food, tests=tests, sampled_at=now - timedelta(hours=hours_ago),
                      quantity_kg=10)
        made[key] = b
        return b

    def res(b, hours_ago, item="CLB", **kw):
        return svc.result(tech, b, item=item, tested_at=now - timedelta(hours=hours_ago), **kw)

    batch("registered", 30)
    b = batch("testing", 29, tests=("CLB", "RAC"))
    res(b, 28, tc_ratio=Decimal("0.9"))
    b = batch("passed", 28, tests=("OPC",), food="青菜")
    res(b, 27, item="OPC", value=Decimal(12))
    b = batch("retest", 27)
    res(b, 26, tc_ratio=Decimal("0.65"))
    b = batch("repeated", 26)  # suspect, then a negative repeat → passed
    res(b, 25, tc_ratio=Decimal("0.65"))
    res(b, 24, tc_ratio=Decimal("0.95"))
    b = batch("stopped", 3)  # notified 1 h ago: window open
    res(b, 2.5, tc_ratio=Decimal("0.2"))
    dispositions.notify(actor_of(mm), b, now - timedelta(hours=1), now=now - timedelta(hours=1))
    b = batch("unnotified", 3)
    res(b, 2.5, tc_ratio=Decimal("0.2"))
    b = batch("expired", 8)  # notified 5 h ago and nobody touched it since: stored 'stopped'
    res(b, 7, tc_ratio=Decimal("0.2"))
    dispositions.notify(actor_of(mm), b, now - timedelta(hours=5), now=now - timedelta(hours=5))
    b = batch("disputed", 9)
    res(b, 8.5, tc_ratio=Decimal("0.2"))
    dispositions.notify(actor_of(mm), b, now - timedelta(hours=8), now=now - timedelta(hours=8))
    dispositions.object_to(actor_of(mm), b, now - timedelta(hours=7), LAB, "GB/T 21313-2007", now=now - timedelta(hours=7))
    b = batch("released", 10)
    res(b, 9.5, tc_ratio=Decimal("0.2"))
    dispositions.notify(actor_of(mm), b, now - timedelta(hours=9), now=now - timedelta(hours=9))
    dispositions.object_to(actor_of(mm), b, now - timedelta(hours=8), LAB, "GB/T 21313-2007", now=now - timedelta(hours=8))
    dispositions.record_lab_result(actor_of(mm), b, LAB, "R-1", "negative", now=now - timedelta(hours=2))
    b = batch("lab_confirmed", 11)
    res(b, 10.5, tc_ratio=Decimal("0.2"))
    dispositions.notify(actor_of(mm), b, now - timedelta(hours=10), now=now - timedelta(hours=10))
    dispositions.object_to(actor_of(mm), b, now - timedelta(hours=9), LAB, "GB/T 21313-2007", now=now - timedelta(hours=9))
    dispositions.record_lab_result(actor_of(mm), b, LAB, "R-2", "positive", now=now - timedelta(hours=2))
    b = batch("disposed", 12)
    res(b, 11.5, tc_ratio=Decimal("0.2"))
    dispositions.notify(actor_of(mm), b, now - timedelta(hours=11), now=now - timedelta(hours=11))
    dispositions.add_disposal(actor_of(mm), b, dispositions.DisposalInput("destroy", Decimal(10), now - timedelta(hours=1)),
                              now=now - timedelta(hours=1))
    b = batch("b_positive", 4, site=world.site_b, stall=world.stall_b1)
    res(b, 3.5, tc_ratio=Decimal("0.2"))
    commit()
    return {k: v.code for k, v in made.items()}


def listed(api, world, user=None, **query):
    q = {"site": world.site_a.code, **query}
    return codes(api.get("/api/v1/batches", user or world.regulator, query=q))


def test_the_zoo_has_the_statuses_we_think(api, world, zoo):
    want = {"registered": "registered", "testing": "testing", "passed": "passed", "retest": "retest",
            "repeated": "passed", "stopped": "stopped", "unnotified": "stopped", "expired": "confirmed",
            "disputed": "disputed", "released": "released", "lab_confirmed": "confirmed", "disposed": "disposed"}
    got = {k: api.batch(world.regulator, zoo[k])["status"] for k in want}
    assert got == want


@pytest.mark.parametrize("status,keys", [
    ("registered", {"registered"}), ("testing", {"testing"}), ("passed", {"passed", "repeated"}),
    ("retest", {"retest"}), ("stopped", {"stopped", "unnotified"}), ("confirmed", {"expired", "lab_confirmed"}),
    ("disputed", {"disputed"}), ("released", {"released"}), ("disposed", {"disposed"}),
])
def test_status_filter_uses_the_effective_status(api, world, zoo, status, keys):
    rows = api.get("/api/v1/batches", world.regulator, query={"site": world.site_a.code, "status": status}).get_json()
    assert {b["code"] for b in rows} == {zoo[k] for k in keys}
    assert all(b["status"] == status for b in rows)


def test_listing_is_newest_first_and_site_filtered(api, world, zoo, db):
    from lims.models import Batch

    got = listed(api, world)
    assert zoo["b_positive"] not in got and len(got) == 12
    rows = db.session.execute(sa.select(Batch.code).where(Batch.site_id == world.site_a.id)
                              .order_by(Batch.sampled_at.desc(), Batch.id.desc())).scalars().all()
    assert got == list(rows)
    assert listed(api, world, site=world.site_b.code) == [zoo["b_positive"]]
    everything = codes(api.get("/api/v1/batches", world.regulator))
    assert set(everything) == set(zoo.values())


def test_item_filter(api, world, zoo):
    assert set(listed(api, world, item="OPC")) == {zoo["passed"]}
    assert set(listed(api, world, item="克伦特罗")) == set(listed(api, world, item="CLB"))
    assert zoo["registered"] not in listed(api, world, item="CLB")
    assert listed(api, world, item="RAC") == []


def test_unknown_item_filter_is_422(api, world, zoo):
    assert_error(api.get("/api/v1/batches", world.regulator, query={"item": "XYZ"}), 422)


def test_unknown_item_filter_names_the_item_parameter(api, world, zoo):
    assert_error(api.get("/api/v1/batches", world.regulator, query={"item": "XYZ"}), 422, "item")


def test_outcome_filter(api, world, zoo):
    positives = {zoo[k] for k in ("stopped", "unnotified", "expired", "disputed", "released", "lab_confirmed",
                                  "disposed")}
    assert set(listed(api, world, outcome="positive")) == positives
    assert set(listed(api, world, outcome="negative")) == {zoo["testing"], zoo["passed"], zoo["repeated"]}
    # any current result counts: the repeated batch (suspect, then negative) is listed under both
    assert set(listed(api, world, outcome="suspect", item="CLB")) == {zoo["retest"], zoo["repeated"]}
    assert_error(api.get("/api/v1/batches", world.regulator, query={"outcome": "maybe"}), 422, "outcome")


def test_bad_status_or_date_is_422(api, world, zoo):
    assert_error(api.get("/api/v1/batches", world.regulator, query={"status": "nope"}), 422, "status")
    assert_error(api.get("/api/v1/batches", world.regulator, query={"from": "2026-13-40"}), 422, "from")
    assert_error(api.get("/api/v1/batches", world.regulator, query={"to": "yesterday"}), 422, "to")


def test_from_to_are_local_dates(api, world, svc, ctx, commit, now):
    """Batches at local 00:00:00, 23:59:59 of day D and 00:00:00 of D+1: the local calendar decides."""
    start = local_midnight(10, now)  # local midnight of day D, 10 days ago
    day = start.astimezone(SHANGHAI).date()
    site, stall = world.site_a, world.stall_a1
    first = svc.batch(world.tech, site, stall, sampled_at=start).code
    last = svc.batch(world.tech, site, stall, sampled_at=start + timedelta(days=1, seconds=-1)).code
    nxt = svc.batch(world.tech, site, stall, sampled_at=start + timedelta(days=1)).code
    before = svc.batch(world.tech, site, stall, sampled_at=start - timedelta(seconds=1)).code
    commit()
    # sanity: the first batch's UTC date is the day before
    assert start.date() != day
    d = day.isoformat()
    assert set(listed(api, world, **{"from": d, "to": d})) == {first, last}
    assert set(listed(api, world, **{"from": d})) >= {first, last, nxt}
    assert before not in listed(api, world, **{"from": d})
    assert set(listed(api, world, to=d)) == {first, last, before}
    nd = (day + timedelta(days=1)).isoformat()
    assert set(listed(api, world, **{"from": nd, "to": nd})) == {nxt}
    assert listed(api, world, **{"from": nd, "to": d}) == []


# --- pagination --------------------------------------------------------------------------------


@pytest.fixture
def hundred_twenty(world, svc, ctx, commit, now, make_site, make_stall):
    """120 batches at a fresh site; sampled_at values repeat in groups of 7 (ties across pages)."""
    site = make_site(name="分页测试市场")
    stall = make_stall(site=site)
    base = now - timedelta(days=2)
    made = []
    for n in range(120):
        at = base + timedelta(minutes=(n // 7))
        made.append(svc.batch(world.tech, site, stall, sampled_at=at, tests=("CLB",)).code)
    commit()
    return site, made


def expected_order(db, site):
    from lims.models import Batch

    return list(db.session.execute(sa.select(Batch.code).where(Batch.site_id == site.id)
                                   .order_by(Batch.sampled_at.desc(), Batch.id.desc())).scalars())


def test_keyset_pagination_walks_all_pages(api, world, hundred_twenty, db):
    site, made = hundred_twenty
    pages, token, seen_links = [], None, []
    for _ in range(5):
        q = {"site": site.code}
        if token:
            q["page"] = token
        r = api.get("/api/v1/batches", world.regulator, query=q)
        pages.append(codes(r))
        token = r.headers.get("X-Next-Page")
        if token:
            link = r.headers["Link"]
            assert link.endswith('rel="next"')
            url = urlparse(link[link.index("<") + 1:link.index(">")])
            qs = parse_qs(url.query)
            assert qs["page"] == [token] and qs["site"] == [site.code]
            seen_links.append(url.path)
        else:
            assert "Link" not in r.headers
            break
    assert [len(p) for p in pages] == [50, 50, 20]
    flat = [c for p in pages for c in p]
    assert len(set(flat)) == 120 and set(flat) == set(made)
    assert flat == expected_order(db, site)
    assert all(path == "/api/v1/batches" for path in seen_links)


def test_following_the_link_header(api, world, hundred_twenty):
    site, made = hundred_twenty
    r = api.get("/api/v1/batches", world.regulator, query={"site": site.code})
    got = codes(r)
    while "Link" in r.headers:
        link = r.headers["Link"]
        url = urlparse(link[link.index("<") + 1:link.index(">")])
        r = api.get(url.path + "?" + url.query, world.regulator)
        got += codes(r)
    assert sorted(got) == sorted(made) and len(got) == 120


def test_numeric_pages(api, world, hundred_twenty, db):
    site, made = hundred_twenty
    order = expected_order(db, site)
    p1 = api.get("/api/v1/batches", world.regulator, query={"site": site.code, "page": "1"})
    p2 = api.get("/api/v1/batches", world.regulator, query={"site": site.code, "page": "2"})
    p3 = api.get("/api/v1/batches", world.regulator, query={"site": site.code, "page": "3"})
    p4 = api.get("/api/v1/batches", world.regulator, query={"site": site.code, "page": "4"})
    assert codes(p1) == order[:50] and codes(p2) == order[50:100] and codes(p3) == order[100:]
    assert codes(p4) == []
    assert p1.headers["X-Next-Page"] == "2" and p2.headers["X-Next-Page"] == "3"
    assert "X-Next-Page" not in p3.headers
    # the cursor's page 2 is the numeric page 2
    token = api.get("/api/v1/batches", world.regulator, query={"site": site.code}).headers["X-Next-Page"]
    assert codes(api.get("/api/v1/batches", world.regulator, query={"site": site.code, "page": token})) == order[50:100]


def test_pagination_keeps_the_filter(api, world, hundred_twenty, svc, ctx, commit):
    site, made = hundred_twenty
    r = api.get("/api/v1/batches", world.regulator, query={"site": site.code, "status": "registered"})
    token = r.headers["X-Next-Page"]
    r2 = api.get("/api/v1/batches", world.regulator, query={"site": site.code, "status": "registered", "page": token})
    assert len(codes(r2)) == 50
    assert not set(codes(r)) & set(codes(r2))


def test_exactly_one_page_has_no_next(api, world, svc, ctx, commit, make_site, make_stall, now):
    site = make_site()
    stall = make_stall(site=site)
    for n in range(50):
        svc.batch(world.tech, site, stall, sampled_at=now - timedelta(hours=1, minutes=n))
    commit()
    r = api.get("/api/v1/batches", world.regulator, query={"site": site.code})
    assert len(codes(r)) == 50 and "X-Next-Page" not in r.headers
