"""Every input of issue 10 item 4 that answered 500: each now gets a clear 4xx and changes
nothing (web and API, SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lims.models import Batch, ReagentLot, Site


def _count(db, model):
    db.session.commit()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _api(client, db, world, method, path, body=None):
    db.session.commit()
    db.session.expire_all()
    return client.open(path, method=method, headers=world.headers, json=body)


def _assert_clear_error(r, statuses):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:400])
    body = r.get_json()
    assert body and body["message"] and set(body) >= {"code", "status", "message", "errors"}, body
    return body


# --- NUL bytes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/public/stalls/ab%00cd", "/public/sites/ab%00cd/board", "/public/verify/a%00b/c",
    "/batches?site=C%00D", "/batches?q=a%00b", "/reports/board.pdf?site=C%00D",
    "/dashboard/sites/C%00D",
])
def test_nul_byte_in_a_web_address_or_query_is_400(client, bad_world, make_user, path):
    client.login(bad_world.admin)
    r = client.get(path)
    assert r.status_code == 400, (path, r.status_code)
    assert "NUL" in r.get_data(as_text=True) or "控制字符" in r.get_data(as_text=True)


def test_nul_byte_in_the_login_name_is_400(client, bad_world):
    token = client.csrf("/login")
    r = client.post("/login", data={"username": "adm\x00in", "password": "x", "csrf_token": token})
    assert r.status_code == 400


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/v1/batches?site=C%00D", None),
    ("GET", "/api/v1/sites/C%00D", None),
    ("GET", "/api/v1/reagent-lots?item=C%00D", None),
    ("POST", "/api/v1/batches", {"site": "FZ-A", "food": "猪\u0000肉", "sampled_at": "2026-12-01T08:00:00"}),
    ("POST", "/api/v1/sites", {"code": "NUL1", "name": "a\u0000b", "kind": "market"}),
    ("PATCH", "/api/v1/sites/FZ-A", {"name": "a\u0000b"}),
    ("PATCH", "/api/v1/sites/FZ-A", {"address": "x", "a\u0000": 1}),
])
def test_nul_byte_in_the_api_is_400_and_changes_nothing(client, db, bad_world, method, path, body):
    before = _count(db, Batch), _count(db, Site)
    r = _api(client, db, bad_world, method, path, body)
    _assert_clear_error(r, {400})
    assert (_count(db, Batch), _count(db, Site)) == before


# --- integers beyond 64 bits -------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/v1/reagent-lots/99999999999999999999",
    "/api/v1/reagent-lots/9223372036854775808",
    "/api/v1/reagent-lots/2147483648",  # beyond the 32-bit id column: PostgreSQL refused the comparison
])
def test_an_id_beyond_64_bits_is_not_found(client, db, bad_world, path):
    _assert_clear_error(_api(client, db, bad_world, "GET", path), {404})


@pytest.mark.parametrize("page", ["99999999999999999999", "999999999999999999"])
def test_a_page_beyond_64_bits_is_422(client, db, bad_world, page):
    body = _assert_clear_error(_api(client, db, bad_world, "GET", f"/api/v1/batches?page={page}"), {422})
    assert "page" in body["errors"]


@pytest.mark.parametrize("path", [
    "/batches?site=99999999999999999999", "/batches?event=99999999999999999999",
    "/batches?supplier=99999999999999999999", "/dashboard/stalls/99999999999999999999",
    "/admin/sites/?page=99999999999999999999", "/admin/items/99999999999999999999",
    "/batches?site=2147483648", "/admin/sites/2147483648", "/imports/new?round=2147483648",
])
def test_web_ids_beyond_64_bits_are_refused(client, bad_world, path):
    client.login(bad_world.admin)
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)


def test_planned_batches_beyond_the_column_is_422(client, db, bad_world):
    r = _api(client, db, bad_world, "PATCH", "/api/v1/sites/FZ-A", {"planned_monthly_batches": 2**40})
    body = _assert_clear_error(r, {422})
    assert "planned_monthly_batches" in body["errors"]


# --- duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "code"])
def test_patching_a_site_to_a_used_name_or_code_is_409(client, db, bad_world, make_site, field):
    other = make_site(code="FZ-B", name="另一个市场")
    db.session.commit()
    r = _api(client, db, bad_world, "PATCH", "/api/v1/sites/FZ-A", {field: getattr(other, field)})
    body = _assert_clear_error(r, {409})
    assert field in body["errors"]
    db.session.expire_all()
    assert db.session.get(Site, bad_world.site.id).name == "模糊测试市场"


# --- decimals that do not fit their column ------------------------------------------------------


def test_a_result_value_of_1e30_is_422_naming_the_value(client, db, bad_world):
    r = _api(client, db, bad_world, "POST", f"/api/v1/batches/{bad_world.batch.code}/results",
             {"item": "CLB", "value": 1e30, "tested_at": _recent()})
    body = _assert_clear_error(r, {422})
    assert "value" in body["errors"]


def test_a_signal_of_1e30_is_422_naming_it(client, db, bad_world):
    r = _api(client, db, bad_world, "POST", f"/api/v1/batches/{bad_world.batch.code}/results",
             {"item": "CLB", "signals": {"tc": "1e30"}, "tested_at": _recent()})
    body = _assert_clear_error(r, {422})
    assert "tc_ratio" in body["errors"]


def test_quantity_of_1e30_is_422_and_no_batch(client, db, bad_world):
    before = _count(db, Batch)
    r = _api(client, db, bad_world, "POST", "/api/v1/batches",
             {"site": "FZ-A", "food": "猪肉", "sampled_at": _recent(), "quantity_kg": 1e30})
    body = _assert_clear_error(r, {422})
    assert "quantity_kg" in body["errors"]
    assert _count(db, Batch) == before


@pytest.mark.parametrize("field,value", [("c_min", 1.5e308), ("a", 1e10), ("b", 1e308)])
def test_lot_thresholds_beyond_the_column_are_422(client, db, bad_world, field, value):
    before = _count(db, ReagentLot)
    r = _api(client, db, bad_world, "POST", "/api/v1/reagent-lots",
             {"item": "CLB", "lot": "FZ-1", "expires_on": "2027-06-30", "mode": "ratio", field: value})
    body = _assert_clear_error(r, {422})
    assert field in body["errors"]
    assert _count(db, ReagentLot) == before


def test_the_flush_guard_refuses_what_another_door_lets_through(app, db, bad_world):
    """The last line, whatever the door (CLI, import, a form without a bound): a value that
    does not fit its column is a 422 naming it, never a database error."""
    from lims.errors import InvalidInput
    from decimal import Decimal

    bad_world.batch.quantity_kg = Decimal("1e30")
    with pytest.raises(InvalidInput) as exc:
        db.session.flush()
    assert "quantity_kg" in exc.value.errors
    db.session.rollback()


# --- dates outside 2000 … next year ------------------------------------------------------------


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00", "0040-06-01T12:00:00", "1015-01-01T00:00:00",
                                  "1999-12-31T23:00:00", "9999-12-31T23:59:59"])
def test_sampled_at_outside_the_sane_range_is_422(client, db, bad_world, when):
    before = _count(db, Batch)
    r = _api(client, db, bad_world, "POST", "/api/v1/batches", {"site": "FZ-A", "food": "猪肉", "sampled_at": when})
    body = _assert_clear_error(r, {422})
    assert "sampled_at" in body["errors"]
    assert "2000" in body["errors"]["sampled_at"][0]
    assert _count(db, Batch) == before


@pytest.mark.parametrize("path", [f"/api/v1/batches/{{code}}/results"])
@pytest.mark.parametrize("when", ["0001-01-01T00:00:00", "9999-01-01T00:00:00"])
def test_tested_at_outside_the_range_is_422(client, db, bad_world, path, when):
    r = _api(client, db, bad_world, "POST", path.format(code=bad_world.batch.code),
             {"item": "CLB", "value": "阴性", "tested_at": when})
    body = _assert_clear_error(r, {422})
    assert "tested_at" in body["errors"]


@pytest.mark.parametrize("query", ["month=0001-01", "month=9999-12", "month=1015-03"])
def test_api_report_periods_outside_the_range_are_422(client, db, bad_world, query):
    _assert_clear_error(_api(client, db, bad_world, "GET", f"/api/v1/reports/monthly.pdf?{query}"), {422})


@pytest.mark.parametrize("path", [
    "/reports/monthly.pdf?month=0001-01", "/reports/monthly.xlsx?month=9999-12",
    "/reports/results.xlsx?from=0001-01-01&to=0001-02-01", "/reports/results.xlsx?from=9999-12-01&to=9999-12-31",
    "/reports/board.pdf?site=FZ-A&day=0001-01-01", "/reports/board.pdf?site=FZ-A&day=9999-12-31",
    "/batches?from=0001-01-01", "/batches?to=9999-12-31",
])
def test_web_periods_outside_the_range_are_refused(client, bad_world, path):
    client.login(bad_world.admin)
    r = client.get(path)
    assert r.status_code in (400, 422), (path, r.status_code)


def test_web_form_sampled_at_in_year_1_is_a_form_error(client, db, bad_world):
    client.login(bad_world.admin)
    before = _count(db, Batch)
    r = client.post_form("/batches/new", {"site": str(bad_world.site.id), "food": "猪肉",
                                          "sampled_at": "0001-01-01 00:00", "tests": ["CLB"]})
    assert r.status_code in (200, 422), r.status_code
    assert "2000" in r.get_data(as_text=True)
    assert _count(db, Batch) == before


def test_api_times_in_range_come_back_as_rfc3339(client, db, bad_world):
    r = _api(client, db, bad_world, "POST", "/api/v1/batches",
             {"site": "FZ-A", "stall": "A-01", "food": "猪肉", "sampled_at": "2026-11-20T09:31:00"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["sampled_at"] == "2026-11-20T09:31:00+08:00"


def _recent() -> str:
    from datetime import datetime, timedelta

    return (datetime.now() - timedelta(minutes=30)).replace(microsecond=0).isoformat()


@pytest.mark.parametrize("path, data", [
    ("/notifications/read", {"id": "99999999999999999999"}),
    ("/review", {"review-result_ids": "99999999999999999999"}),
    ("/review", {"round": "2147483648"}),
])
def test_posted_ids_beyond_the_columns_are_400(client, bad_world, path, data):
    """Ids posted in forms are bounded like those in addresses (a 500 before)."""
    client.login(bad_world.admin)
    r = client.post(path, data={**data, "csrf_token": client.csrf("/review"), "review-csrf_token": client.csrf("/review")})
    assert r.status_code in (302, 400), (path, r.status_code)
    assert r.status_code == 400 or "99999" not in (r.headers.get("Location") or "")


@pytest.mark.parametrize("key, field, value", [
    ("lots", "expires_on", "9999-01-01"), ("lots", "expires_on", "0001-01-01"),
    ("lots", "received_on", "0001-01-01"), ("events", "starts_on", "9999-12-31"),
    ("instruments", "last_verified_on", "1015-06-01"),
])
def test_date_fields_outside_the_sane_years_are_form_errors(client, db, bad_world, key, field, value):
    """A date picker's year 0001 or 9999 is an error next to the field, and nothing is saved."""
    from lims.models import Event, Instrument, ReagentLot

    model = {"lots": ReagentLot, "events": Event, "instruments": Instrument}[key]
    before = _count(db, model)
    client.login(bad_world.admin)
    r = client.post(f"/admin/{key}/new", data={field: value, "csrf_token": client.csrf(f"/admin/{key}/new")})
    assert r.status_code in (200, 400, 422), r.status_code
    assert "2000" in r.get_data(as_text=True)  # the message names the accepted years
    assert _count(db, model) == before
