"""POST /api/v1/batches: registering batches over the API (interfaces.md)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import (SHANGHAI, assert_error, audit_entries, batch_by_code, local_iso,
                                      offset_iso, parse_api_time)


def body(w, now, **kw):
    b = {"site": w.site_a.code, "stall": w.stall_a1.code, "food": "猪肉",
         "sampled_at": local_iso(now - timedelta(hours=1)), "tests": ["CLB"]}
    b.update(kw)
    return {k: v for k, v in b.items() if v is not None}


def test_generated_code_is_site_local_date_and_sequence(api, world, now, db):
    # 00:30 local time yesterday: the UTC date is the day before, the code uses the local date.
    local = (now.astimezone(SHANGHAI) - timedelta(days=1)).replace(hour=0, minute=30, second=0)
    r1 = api.register(world.tech, **body(world, now, sampled_at=local.replace(tzinfo=None).isoformat()))
    assert r1.status_code == 201, r1.get_json()
    b1 = r1.get_json()
    yymmdd = local.strftime("%y%m%d")
    assert b1["code"] == f"{world.site_a.code}-{yymmdd}-001"
    assert re.fullmatch(r"[A-Za-z0-9-]{4,32}", b1["code"])
    assert parse_api_time(b1["sampled_at"]) == local.astimezone(now.tzinfo)
    assert b1["site"] == world.site_a.code and b1["stall"] == world.stall_a1.code
    assert b1["food"] == "猪肉" and b1["tests"] == ["CLB"]
    assert b1["status"] == "registered" and b1["verdict"] is None
    assert b1["results"] == [] and b1["disposition"] is None

    r2 = api.register(world.tech, **body(world, now, sampled_at=offset_iso(local + timedelta(hours=3))))
    assert r2.status_code == 201
    assert r2.get_json()["code"] == f"{world.site_a.code}-{yymmdd}-002"
    # another site counts on its own
    r3 = api.register(world.tech, **body(world, now, site=world.site_b.code, stall=world.stall_b1.code,
                                         sampled_at=local.replace(tzinfo=None).isoformat()))
    assert r3.get_json()["code"] == f"{world.site_b.code}-{yymmdd}-001"

    batch = batch_by_code(db, b1["code"])
    assert batch.sampled_by_id == world.tech.id and batch.created_by_id == world.tech.id


def test_get_returns_the_registered_batch(api, world, now):
    code = api.register(world.tech, **body(world, now, quantity_kg=12.5, origin="山东寿光",
                                           certificate_no="HG-0001")).get_json()["code"]
    got = api.batch(world.regulator, code)
    assert got["code"] == code and got["quantity_kg"] == 12.5 and got["origin"] == "山东寿光"
    assert got["certificate_no"] == "HG-0001" and got["category"] == "MEAT-LIVESTOCK"


def test_preprinted_code_accepted_and_normalised(api, world, now, db):
    r = api.register(world.tech, **body(world, now, code="qj-2026-0001"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["code"] == "QJ-2026-0001"
    assert api.get("/api/v1/batches/qj-2026-0001", world.tech).status_code == 200
    batch_by_code(db, "QJ-2026-0001")


def test_duplicate_code_is_409_and_nothing_is_saved(api, world, now, db):
    from lims.models import Batch

    assert api.register(world.tech, **body(world, now, code="LBL-7777")).status_code == 201
    before = db.session.execute(sa.select(sa.func.count(Batch.id))).scalar()
    r = api.register(world.tech, **body(world, now, code="lbl-7777", food="牛肉"))
    assert_error(r, 409, "code")
    assert db.session.execute(sa.select(sa.func.count(Batch.id))).scalar() == before
    assert batch_by_code(db, "LBL-7777").food == "猪肉"


@pytest.mark.parametrize("code", ["AB1", "ABC_123", "批次0001", "A" * 33, "AB 12", "ABCD/1"])
def test_bad_code_pattern_is_422(api, world, now, code):
    assert_error(api.register(world.tech, **body(world, now, code=code)), 422, "code")


@pytest.mark.parametrize("field,value", [("site", "NOPE"), ("stall", "Z-99"), ("tests", ["CLB", "XYZ"]),
                                          ("category", "不存在的类别"), ("event", "JY-NOPE")])
def test_unknown_reference_is_422_naming_the_field(api, world, now, db, field, value):
    from lims.models import Batch

    before = db.session.execute(sa.select(sa.func.count(Batch.id))).scalar()
    r = api.register(world.tech, **body(world, now, **{field: value}))
    err = assert_error(r, 422, field)
    if field == "tests":
        assert "XYZ" in " ".join(err["errors"]["tests"])
    assert db.session.execute(sa.select(sa.func.count(Batch.id))).scalar() == before


def test_stall_of_another_site_refused(api, world, now):
    r = api.register(world.tech, **body(world, now, stall=world.stall_b1.code))
    assert_error(r, 422, "stall")


def test_a_batch_sampled_for_an_event_needs_no_stall(api, world, now, db, admin_actor, commit):
    from datetime import date

    from lims.sites.services import create_event

    create_event(admin_actor, code="jy-2611-01", kind="banquet", name="村民王某家宴", starts_on=date.today(),
                 ends_on=date.today(), people=120)
    commit()
    b = body(world, now, event="JY-2611-01")
    del b["stall"]
    r = api.register(world.tech, **b)
    assert r.status_code == 201, r.get_json()
    assert batch_by_code(db, r.get_json()["code"]).event.code == "JY-2611-01"


def test_market_site_needs_a_stall(api, world, now):
    b = body(world, now)
    del b["stall"]
    assert_error(api.register(world.tech, **b), 422, "stall")


def test_missing_required_fields_are_422(api, world, now):
    err = assert_error(api.register(world.tech, site=world.site_a.code), 422)
    assert {"food", "sampled_at"} <= set(err["errors"])
    assert_error(api.register(world.tech, **body(world, now, sampled_at="yesterday morning")), 422, "sampled_at")


@pytest.mark.parametrize("role", ["market_manager", "regulator"])
def test_manager_and_regulator_may_not_register(api, world, now, role):
    user = world.manager_a if role == "market_manager" else world.regulator
    assert_error(api.register(user, **body(world, now)), 403)


@pytest.mark.parametrize("role", ["technician", "reviewer", "admin"])
def test_allowed_roles_register(api, world, now, role):
    user = {"technician": world.tech, "reviewer": world.reviewer, "admin": world.admin}[role]
    assert api.register(user, **body(world, now)).status_code == 201


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer lims_nonsense"}, {"Authorization": "Basic dXNlcjpwdw=="},
                                     {"Authorization": "Bearer "}])
def test_anonymous_or_bad_token_is_401(api, world, now, db, headers):
    from lims.models import Batch

    before = db.session.execute(sa.select(sa.func.count(Batch.id))).scalar()
    r = api.call("POST", "/api/v1/batches", None, json=body(world, now), headers=headers)
    assert_error(r, 401)
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert db.session.execute(sa.select(sa.func.count(Batch.id))).scalar() == before
    assert_error(api.call("GET", "/api/v1/batches", None, headers=headers), 401)


def test_revoked_token_is_401(api, world, now, db):
    from lims.accounts.access import Actor
    from lims.accounts.services import revoke_token
    from lims.models import ApiToken

    headers = api.headers(world.tech)
    assert api.register(world.tech, **body(world, now)).status_code == 201
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == world.tech.id)).scalar_one()
    revoke_token(Actor(user=world.admin, ip="t"), token.id)
    assert_error(api.call("POST", "/api/v1/batches", None, json=body(world, now), headers=headers), 401)


def test_future_sampled_at_refused_but_small_clock_skew_tolerated(api, world, now):
    assert_error(api.register(world.tech, **body(world, now, sampled_at=local_iso(now + timedelta(minutes=30)))),
                 422, "sampled_at")
    assert_error(api.register(world.tech, **body(world, now, sampled_at=offset_iso(now + timedelta(hours=2)))),
                 422, "sampled_at")
    assert api.register(world.tech, **body(world, now, sampled_at=local_iso(now + timedelta(minutes=2)))).status_code == 201


def test_naive_time_is_local_time(api, world, now):
    at = (now - timedelta(hours=3)).replace(microsecond=0)
    r = api.register(world.tech, **body(world, now, sampled_at=local_iso(at)))
    assert parse_api_time(r.get_json()["sampled_at"]) == at
    r = api.register(world.tech, **body(world, now, sampled_at=at.isoformat()))  # with +00:00
    assert parse_api_time(r.get_json()["sampled_at"]) == at
    assert r.get_json()["sampled_at"].endswith("+08:00")


@pytest.mark.parametrize("food,category,tests", [
    ("青菜", "VEG-LEAF", ["OPC"]),
    ("猪肉", "MEAT-LIVESTOCK", ["CLB", "RAC"]),
    ("鲫鱼", "AQU-FWFISH", ["MG", "NF"]),
])
def test_tests_default_from_the_foods_category(api, world, now, food, category, tests):
    r = api.register(world.tech, **body(world, now, food=food, tests=None))
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["category"] == category
    assert got["tests"] == tests


def test_explicit_category_and_tests_win(api, world, now):
    got = api.register(world.tech, **body(world, now, food="青菜", category="水果", tests=None)).get_json()
    assert got["category"] == "FRU" and got["tests"] == ["OPC"]
    got = api.register(world.tech, **body(world, now, food="青菜", tests=["OPC-NY", "CBF"])).get_json()
    assert got["category"] == "VEG-LEAF" and got["tests"] == ["OPC-NY", "CBF"]
    # an unknown food with no test given: no test applies, so the batch is refused with the reason
    refused = api.register(world.tech, **body(world, now, food="神秘野菜", tests=None))
    assert refused.status_code == 422 and "tests" in refused.get_json()["errors"]
    got = api.register(world.tech, **body(world, now, food="神秘野菜", tests=["OPC"])).get_json()
    assert got["category"] is None and got["tests"] == ["OPC"]


def test_tests_by_name_and_duplicates_collapse(api, world, now):
    got = api.register(world.tech, **body(world, now, tests=["克伦特罗", "clb", "RAC"])).get_json()
    assert got["tests"] == ["CLB", "RAC"]


def test_supplier_created_once_and_reused(api, world, now, db):
    from lims.models import Batch, Supplier

    s = {"name": "城南肉类批发部"}
    c1 = api.register(world.tech, **body(world, now, supplier=s)).get_json()["code"]
    c2 = api.register(world.tech, **body(world, now, stall=world.stall_a2.code,
                                         supplier={"name": " 城南肉类批发部 ", "address": "南环路1号",
                                                   "phone": "13800000000"})).get_json()["code"]
    c3 = api.register(world.tech, **body(world, now, site=world.site_b.code, stall=world.stall_b1.code,
                                         supplier={"name": "城南肉类批发部", "address": "别处"})).get_json()["code"]
    suppliers = db.session.execute(sa.select(Supplier).where(Supplier.name == "城南肉类批发部")).scalars().all()
    assert len(suppliers) == 1
    ids = {batch_by_code(db, c).supplier_id for c in (c1, c2, c3)}
    assert ids == {suppliers[0].id}
    # missing details were filled in once, never overwritten
    assert suppliers[0].address == "南环路1号" and suppliers[0].phone == "13800000000"
    got = api.batch(world.tech, c3)
    assert got["supplier"]["name"] == "城南肉类批发部" and got["supplier"]["address"] == "南环路1号"
    assert db.session.execute(sa.select(sa.func.count(Batch.id)).where(Batch.supplier_id == suppliers[0].id)).scalar() == 3


def test_negative_quantity_refused(api, world, now):
    assert_error(api.register(world.tech, **body(world, now, quantity_kg=-1)), 422, "quantity_kg")


def test_registration_is_audited(api, world, now, db):
    code = api.register(world.tech, **body(world, now, quantity_kg=8)).get_json()["code"]
    batch = batch_by_code(db, code)
    entries = audit_entries(db, batch.id)
    assert [e.action for e in entries] == ["batch.create"]
    e = entries[0]
    assert e.user_id == world.tech.id and e.actor == world.tech.username and e.ip == "127.0.0.1"
    assert e.before is None
    assert e.after["code"] == code and e.after["food"] == "猪肉" and e.after["tests"] == ["CLB"]
    assert e.after["quantity_kg"] == "8.000" or e.after["quantity_kg"] in ("8", "8.0", "8.00")


# --- generated codes must stay unique ---------------------------------------------------------


def test_generated_code_after_preprinted_code_with_same_prefix(api, world, now):
    """A pre-printed code with the day's prefix but another tail must not reset the sequence
    (it used to: lexicographic max(code) → restart at 001 → duplicate → 500)."""
    at = now - timedelta(hours=1)
    prefix = f"{world.site_a.code}-{at.astimezone(SHANGHAI):%y%m%d}-"
    first = api.register(world.tech, **body(world, now, sampled_at=local_iso(at)))
    assert first.get_json()["code"] == prefix + "001"
    assert api.register(world.tech, **body(world, now, sampled_at=local_iso(at), code=prefix + "ZZZ")).status_code == 201
    r = api.register(world.tech, **body(world, now, sampled_at=local_iso(at)))
    assert r.status_code == 201, r.status_code
    assert r.get_json()["code"] == prefix + "002"


def test_generated_code_past_999(api, world, now):
    """'1000' < '999' as text: the sequence must compare numbers (it used to generate -1000 twice)."""
    at = now - timedelta(hours=1)
    prefix = f"{world.site_a.code}-{at.astimezone(SHANGHAI):%y%m%d}-"
    assert api.register(world.tech, **body(world, now, sampled_at=local_iso(at), code=prefix + "999")).status_code == 201
    r1 = api.register(world.tech, **body(world, now, sampled_at=local_iso(at)))
    assert r1.get_json()["code"] == prefix + "1000"
    r2 = api.register(world.tech, **body(world, now, sampled_at=local_iso(at)))
    assert r2.status_code == 201, r2.status_code
    assert r2.get_json()["code"] == prefix + "1001"


def test_future_purchase_date_refused(api, world, now):
    tomorrow = (now.astimezone(SHANGHAI) + timedelta(days=1)).date().isoformat()
    assert_error(api.register(world.tech, **body(world, now, purchase_date=tomorrow)), 422, "purchase_date")
    today = now.astimezone(SHANGHAI).date().isoformat()
    assert api.register(world.tech, **body(world, now, purchase_date=today)).get_json()["purchase_date"] == today


def test_every_lifecycle_route_is_in_the_openapi_document(api):
    r = api.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/batches"])
    assert "get" in paths["/api/v1/batches/{code}"]
    for suffix in ("results", "review", "notify", "objection", "lab-result", "disposals", "regulator"):
        assert "post" in paths[f"/api/v1/batches/{{code}}/{suffix}"], suffix
