"""Scope at two levels of the tree: a city C with districts A and B, a market in each, a room
per market and a van serving both. Every GET route of the app and the API is walked (the route
tables of test_access) by people bound at each level: the district A regulator never meets B,
the city regulator meets both, the van's technician both markets, A's technician only A."""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lims.accounts.access import Actor
from lims.accounts.scope import forget_scope
from lims.database import utcnow
from lims.i18n import to_local
from tests.web.test_access import API_ROUTES, GET_ROUTES, PUBLIC, fill, world  # noqa: F401 (fixture)

SYSTEM = Actor(user=None, ip="test")


@dataclass
class Tree:
    w: object
    users: dict
    round_b: object
    event_b: object
    import_b: object
    result_b: object
    instrument_a: object
    instrument_b: object
    station_a: object
    station_b: object
    van: object


@pytest.fixture
def tree(app, world, make_user, make_stall):
    from lims.batches.services import create_round
    from lims.extensions import db
    from lims.imports.services import ImportOptions, run_import
    from lims.models import Import, Instrument, Result, Station
    from lims.orgs.services import create_org, place_site, set_station_org, set_station_sites
    from lims.sites.services import create_event

    w = world
    city = create_org(SYSTEM, code="C", name="测试市", kind="city")
    dist_a = create_org(SYSTEM, code="DA", name="甲区", kind="district", parent="C")
    dist_b = create_org(SYSTEM, code="DB", name="乙区", kind="district", parent="C")
    lab_a = create_org(SYSTEM, code="LA", name="甲区快检公司", kind="testing", parent="DA")
    lab_b = create_org(SYSTEM, code="LB", name="乙区快检公司", kind="testing", parent="DB")
    centre = create_org(SYSTEM, code="LC", name="市快检中心", kind="testing", parent="C")
    place_site(SYSTEM, w.site_a, dist_a)
    place_site(SYSTEM, w.site_b, dist_b)
    stations = {}
    for code, kind, org, site, served in (("STA", "room", lab_a, w.site_a, [w.site_a]),
                                          ("STB", "room", lab_b, w.site_b, [w.site_b]),
                                          ("VAN", "van", centre, None, [w.site_a, w.site_b])):
        st = Station(code=code, name=f"检测点{code}", kind=kind, site_id=site.id if site else None)
        db.session.add(st)
        db.session.flush()
        set_station_org(SYSTEM, st, org)
        set_station_sites(SYSTEM, st, served)
        stations[code] = st
    inst_a = Instrument(serial="INST-A", model="X", channels=1, station_id=stations["STA"].id)
    inst_b = Instrument(serial="INST-B", model="X", channels=1, station_id=stations["STB"].id)
    db.session.add_all([inst_a, inst_b])
    users = {
        "city_regulator": make_user("regulator"), "a_regulator": make_user("regulator"),
        "a_admin": make_user("admin"), "a_technician": make_user("technician"),
        "van_technician": make_user("technician"), "a_manager": w.users["market_manager"],
        "unbound_technician": make_user("technician"), "unbound_regulator": make_user("regulator"),
        "a_reviewer": make_user("reviewer"),
    }
    users["city_regulator"].orgs = [city]
    users["a_regulator"].orgs = [dist_a]
    users["a_admin"].orgs = [dist_a]
    users["a_technician"].stations = [stations["STA"]]
    users["a_reviewer"].stations = [stations["STA"]]
    users["van_technician"].stations = [stations["VAN"]]
    db.session.flush()
    tech = Actor(w.users["technician"], "test")  # unbound, sees all in the test configuration
    now = utcnow()
    round_b = create_round(tech, w.site_b, (now - timedelta(hours=8)).date())
    event_b = create_event(Actor(w.users["admin"], "test"), code="JY-TEST-B", kind="banquet", name="乙区家宴",
                           starts_on=date.today(), ends_on=date.today(), people=80, site_id=w.site_b.id)
    csv = ("通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间\n"
           f"1,{w.batch_b.code},韭菜,乙市场 B-01,农药残留,12.0,%,GB/T 5009.199-2003,50,合格,王丽,"
           f"{to_local(now - timedelta(hours=7)):%Y-%m-%d %H:%M:%S}\n").encode("utf-8")
    report = run_import(tech, csv, ImportOptions(filename="b.csv"), now=now)
    db.session.flush()
    result_b = db.session.query(Result).filter(Result.batch_id == w.batch_b.id).order_by(Result.id).first()
    forget_scope()
    return Tree(w, users, round_b, event_b, db.session.get(Import, report.import_id), result_b, inst_a, inst_b,
                stations["STA"], stations["STB"], stations["VAN"])


def fill_b(template: str, t: Tree) -> str:
    """The same URL about B's objects."""
    w = t.w
    swapped = template.replace("{batch_a}", w.batch_b.code).replace("{round_a}", str(t.round_b.id)) \
        .replace("{result_a}", str(t.result_b.id)).replace("{import_a}", str(t.import_b.id)) \
        .replace("{stall_a}", str(w.stall_b.id)).replace("{event}", t.event_b.code) \
        .replace("site=MA", "site=MB").replace("/sites/MA", "/sites/MB")
    return fill(swapped, w)


#: B's words: none may show on a page, an export or an API answer of someone who does not reach B.
def b_words(t: Tree) -> list[str]:
    return [t.w.batch_b.code, "乙市场", t.event_b.code, "乙区家宴", "B-01"]


def _text(response) -> str:
    ctype = response.headers.get("Content-Type", "")
    if "spreadsheetml" in ctype:
        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                         for c in row if c is not None)
    if "pdf" in ctype and shutil.which("pdftotext"):  # CI has it (README: PDF text checks)
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(response.get_data())
            f.flush()
            return subprocess.run(["pdftotext", "-enc", "UTF-8", f.name, "-"], capture_output=True, check=True,
                                  timeout=120).stdout.decode("utf-8")
    if "pdf" in ctype or "image" in ctype:
        return ""
    return response.get_data(as_text=True)


B_OBJECT_KEYS = ("{batch_a}", "{round_a}", "{result_a}", "{import_a}", "{stall_a}", "{event}", "site=MA", "/sites/MA")


def _about_a(template: str) -> bool:
    return any(k in template for k in B_OBJECT_KEYS)


def logout(client):
    client.post("/logout", data={"csrf_token": client.csrf("/account")})


def _walk(client, t: Tree, who: str, sees_b: bool, api_token):
    """Every GET route about A's objects and lists, then the same about B's."""
    user = t.users[who]
    problems = []

    def check(ok, what):
        if not ok:
            problems.append(what)

    client.login(user)
    from lims.rules.permissions import can

    for endpoint, (permission, template) in GET_ROUTES.items():
        if template is None or permission == PUBLIC or (permission not in ("login",) and not can(user.role, permission)):
            continue
        response = client.get(fill(template, t.w))
        check(response.status_code in (200, 302), (who, endpoint, response.status_code))
        body = _text(response)
        response.close()
        if not sees_b:
            for word in b_words(t):
                check(word not in body, (who, endpoint, word))
        if _about_a(template):
            response = client.get(fill_b(template, t))
            response.close()
            if sees_b:
                check(response.status_code in (200, 302, 409), (who, endpoint, "B", response.status_code))
            else:
                check(response.status_code in (404, 422), (who, endpoint, "B", response.status_code))
    headers = api_token(user)
    for (endpoint, method), (permission, template) in API_ROUTES.items():
        if method != "GET" or template is None or not can(user.role, permission):
            continue
        response = client.get(fill(template, t.w), headers=headers)
        check(response.status_code == 200, (who, endpoint, response.status_code))
        if not sees_b:
            body = _text(response)
            for word in b_words(t):
                check(word not in body, (who, endpoint, word))
            b_url = fill_b(template.replace("/sites/MA", "/sites/MB"), t)
            if b_url != fill(template, t.w):
                check(client.get(b_url, headers=headers).status_code in (404, 422), (who, endpoint, "B"))
    client.post("/logout", data={"csrf_token": client.csrf("/account")})
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("who", ("a_regulator", "a_admin", "a_technician", "a_reviewer", "a_manager"))
def test_district_a_people_never_meet_b(client, tree, who, api_token):
    _walk(client, tree, who, sees_b=False, api_token=api_token)


@pytest.mark.parametrize("who", ("city_regulator", "van_technician"))
def test_city_regulator_and_van_technician_meet_both(client, tree, who, api_token):
    _walk(client, tree, who, sees_b=True, api_token=api_token)
    client.login(tree.users[who])
    listing = client.get("/batches").get_data(as_text=True)
    assert tree.w.batch_a.code in listing and tree.w.batch_b.code in listing


def test_pickers_list_only_the_sites_in_scope(client, tree):
    client.login(tree.users["a_technician"])
    page = client.get("/batches/new").get_data(as_text=True)
    assert "甲市场" in page and "乙市场" not in page
    logout(client)
    client.login(tree.users["van_technician"])
    page = client.get("/batches/new").get_data(as_text=True)
    assert "甲市场" in page and "乙市场" in page


def test_unbound_staff_reach_nothing_in_production(app, client, tree, monkeypatch, api_token):
    monkeypatch.setitem(app.config, "UNBOUND_STAFF_SEE_ALL", False)
    for who in ("unbound_technician", "unbound_regulator"):
        client.login(tree.users[who])
        for path in (f"/batches/{tree.w.batch_a.code}", "/sites/MA", f"/events/{tree.w.event.code}"):
            assert client.get(path).status_code == 404, (who, path)
        listing = client.get("/batches").get_data(as_text=True)
        assert tree.w.batch_a.code not in listing and tree.w.batch_b.code not in listing
        codes = client.get("/api/v1/batches", headers=api_token(tree.users[who])).get_json()
        assert codes == []
        logout(client)


def test_regulator_is_told_only_of_positives_in_their_subtree(app, tree, ctx):
    from lims.extensions import db
    from lims.models import Notification
    from lims.notifications.services import positives_opened

    now = utcnow()
    positives_opened([(tree.w.batch_b, "有机磷")], now)
    db.session.flush()
    told = {n.user_id for n in db.session.query(Notification).filter(Notification.dedupe_key == f"positive:{tree.w.batch_b.id}")}
    assert tree.users["city_regulator"].id in told
    assert tree.users["a_regulator"].id not in told


def test_writes_only_for_served_sites_and_own_instruments(app, tree, ctx):
    from lims.batches.services import BatchInput, register_batch
    from lims.errors import InvalidInput, NotFound
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    now = utcnow()
    a_tech = Actor(tree.users["a_technician"], "test")
    with pytest.raises(NotFound):
        register_batch(a_tech, BatchInput(site=tree.w.site_b, stall=tree.w.stall_b, food="韭菜", sampled_at=now,
                                          tests=[get_item("OPC")], quantity_kg=Decimal("1")), now=now)
    batch = register_batch(a_tech, BatchInput(site=tree.w.site_a, stall=tree.w.stall_a, food="韭菜",
                                              sampled_at=now - timedelta(minutes=5), tests=[get_item("OPC")],
                                              quantity_kg=Decimal("1")), now=now)
    with pytest.raises(InvalidInput) as refused:
        record_result(a_tech, batch, ResultInput(item=get_item("OPC"), tested_at=now, value=Decimal("10"),
                                                 instrument=tree.instrument_b), now=now)
    assert "INST-B" in str(refused.value.errors["instrument"])
    with pytest.raises(NotFound):
        record_result(a_tech, tree.w.batch_b, ResultInput(item=get_item("OPC"), tested_at=now, value=Decimal("10")),
                      now=now)
    ok = record_result(a_tech, batch, ResultInput(item=get_item("OPC"), tested_at=now, value=Decimal("10"),
                                                  instrument=tree.instrument_a), now=now)
    assert ok.instrument_id == tree.instrument_a.id


def test_api_refuses_another_stations_instrument(client, tree, api_token):
    headers = api_token(tree.users["a_technician"])
    body = {"item": "OPC", "value": "10", "instrument": "INST-B",
            "tested_at": to_local(utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")}
    response = client.post(f"/api/v1/batches/{tree.w.batch_a.code}/results", headers=headers, json=body)
    assert response.status_code == 422, response.get_json()
    assert "INST-B" in str(response.get_json())


def test_round_grid_refuses_another_stations_instrument(client, tree):
    """The round grid: the technician of A's room records with the instrument of B's room."""
    client.login(tree.users["a_technician"])
    token = client.csrf(f"/rounds/{tree.w.round_a.id}/results")
    body = {"batch": tree.w.batch_a.code, "item": "OPC", "value": "10", "instrument": "INST-B",
            "tested_at": to_local(utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")}
    r = client.post(f"/rounds/{tree.w.round_a.id}/results", json=body, headers={"X-CSRFToken": token})
    assert r.status_code == 422, r.get_data(as_text=True)
    assert "INST-B" in r.get_json()["errors"]["instrument"][0]
    ok = client.post(f"/rounds/{tree.w.round_a.id}/results", json=body | {"instrument": "INST-A"},
                     headers={"X-CSRFToken": token})
    assert ok.status_code == 200, ok.get_data(as_text=True)


def test_result_form_offers_only_the_own_stations_instruments(client, tree):
    client.login(tree.users["a_technician"])
    page = client.get(f"/batches/{tree.w.batch_a.code}").get_data(as_text=True)
    assert "INST-A" in page and "INST-B" not in page


def test_import_refuses_rows_read_with_another_stations_instrument(app, tree, ctx):
    from lims.imports.services import ImportOptions, run_import

    tested = to_local(utcnow() - timedelta(hours=1))
    header = "通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间,仪器编号\n"
    rows = "".join(f"{i},{tree.w.batch_a.code},韭菜,甲市场 A-01,农药残留,12.0,%,GB/T 5009.199-2003,50,合格,王丽,"
                   f"{tested:%Y-%m-%d %H:%M:%S},{inst}\n" for i, inst in ((1, "INST-B"), (2, "INST-A")))
    report = run_import(Actor(tree.users["a_technician"], "test"), (header + rows).encode("utf-8"),
                        ImportOptions(filename="doors.csv"))
    assert report.ok == 1 and report.rejected == 1, report
    refused = [r for r in report.rows if r.status == "rejected"]
    assert refused and "INST-B" in " ".join(refused[0].messages)


def test_events_are_held_only_at_sites_in_scope(app, tree, ctx):
    from lims.errors import InvalidInput
    from lims.sites.services import create_event

    a_tech = Actor(tree.users["a_technician"], "test")
    with pytest.raises(InvalidInput) as refused:
        create_event(a_tech, code="JY-OUT-01", kind="banquet", name="越界家宴", starts_on=date.today(),
                     ends_on=date.today(), people=50, site_id=tree.w.site_b.id)
    assert "site_id" in refused.value.errors
    held = create_event(a_tech, code="JY-IN-01", kind="banquet", name="本区家宴", starts_on=date.today(),
                        ends_on=date.today(), people=50, site_id=tree.w.site_a.id)
    assert held.site_id == tree.w.site_a.id


@pytest.mark.parametrize("who, sees_b", (("a_regulator", False), ("city_regulator", True)))
def test_monthly_workbook_and_export_of_the_whole_scope(client, tree, who, sees_b):
    """Without a site the monthly workbook and the results export cover the reader's whole
    scope: district A's regulator's never name B's market, the city's do."""
    # The day the world's results were tested (eight hours ago: yesterday, locally, before 08:00).
    today = to_local(tree.w.result_a.tested_at).date()
    client.login(tree.users[who])
    for path in (f"/reports/monthly.xlsx?month={today:%Y-%m}", f"/reports/results.xlsx?from={today}&to={today}",
                 f"/reports/monthly.pdf?month={today:%Y-%m}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        text = _text(response)
        assert "甲市场" in text, path
        assert ("乙市场" in text) is sees_b, path
    page = client.get("/reports").get_data(as_text=True)
    assert ("乙市场" in page) is sees_b


def test_site_filter_narrow_wide_and_whole(app, ctx, make_site):
    """The one filter behind every scoped query: a narrow scope uses the site index, a wide one
    (a tenth of the sites or more) is matched without it, a scope of every site needs none —
    and each keeps exactly the scope's rows."""
    import sqlalchemy as sa

    from lims.accounts.scope import site_filter
    from lims.extensions import db
    from lims.models import Site

    for n in range(12):
        make_site(code=f"F{n:02d}")
    ids = db.session.execute(sa.select(Site.id).order_by(Site.id)).scalars().all()
    every = frozenset(ids)
    for scope in (frozenset(ids[:1]), frozenset(ids[:5]), every, frozenset()):
        condition = site_filter(Site.id, scope)
        got = set(db.session.execute(sa.select(Site.id).where(condition)).scalars())
        assert got == set(scope)
        sql = str(condition.compile(compile_kwargs={"literal_binds": True}))
        if scope is every:
            assert sql in ("true", "1"), sql
        elif len(scope) == 1:
            assert "+" not in sql, sql
        elif scope:
            assert "+" in sql, sql
    assert site_filter(Site.id, None) is not None


def test_a_district_administrator_manages_only_their_district(app, tree, ctx, monkeypatch):
    from lims.accounts.services import create_user, update_user
    from lims.errors import Forbidden, InvalidInput

    monkeypatch.setitem(app.config, "UNBOUND_STAFF_SEE_ALL", False)
    a_admin = Actor(tree.users["a_admin"], "test")
    password = "correct-horse-9"
    with pytest.raises(InvalidInput):  # an administrator of the whole deployment
        create_user(a_admin, username="escalate", role="admin", password=password)
    with pytest.raises(InvalidInput):  # bound to the neighbour's market: as unknown as any code
        create_user(a_admin, username="mgr_b", role="market_manager", password=password, site_codes=["MB"])
    with pytest.raises(InvalidInput):  # bound to the neighbour's room: as unknown as any code
        create_user(a_admin, username="tech_b", role="technician", password=password, station_codes=["STB"])
    with pytest.raises(Forbidden):  # the city's regulator is not theirs to change
        update_user(a_admin, tree.users["city_regulator"], display_name="x", role="regulator", active=False)
    made = create_user(a_admin, username="tech_a2", role="technician", password=password, station_codes=["STA"])
    assert [s.code for s in made.stations] == ["STA"]
    reg = create_user(a_admin, username="reg_a2", role="regulator", password=password, org_codes=["DA"])
    assert [o.code for o in reg.orgs] == ["DA"]


def test_a_filter_naming_what_is_outside_is_refused(client, tree):
    """Named as a filter, another district's site or event is unknown (422), on the page and in
    the API alike."""
    client.login(tree.users["a_regulator"])
    assert client.get(f"/batches?site={tree.w.site_b.id}").status_code == 422
    assert client.get(f"/batches?event={tree.event_b.id}").status_code == 422
    assert client.get(f"/batches?site={tree.w.site_a.id}").status_code == 200


def test_a_district_administrator_lists_only_their_district(client, tree):
    client.login(tree.users["a_admin"])
    users = client.get("/admin/users/").get_data(as_text=True)
    assert tree.users["a_technician"].username in users and tree.users["a_regulator"].username in users
    assert tree.users["city_regulator"].username not in users
    assert tree.w.other_manager.username not in users
    instruments = client.get("/admin/instruments/").get_data(as_text=True)
    assert "INST-A" in instruments and "INST-B" not in instruments
    stations = client.get("/admin/stations/").get_data(as_text=True)
    assert "检测点STA" in stations and "检测点STB" not in stations
    assert client.get(f"/admin/stations/{tree.station_b.id}").status_code == 404
    assert client.get(f"/admin/users/{tree.users['city_regulator'].id}").status_code == 404


def test_supplier_alerts_name_only_the_readers_markets(app, tree, ctx):
    """A supplier positive at A's market with a batch at B's: the city's regulator is alerted
    (naming both markets); district A's regulator sees no other market of theirs, so no alert."""
    from lims.batches.services import BatchInput, register_batch
    from lims.extensions import db
    from lims.models import Notification
    from lims.notifications.services import sweep
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, record_result

    tech = Actor(tree.w.users["technician"], "test")
    now = utcnow()
    made = []
    for site, stall in ((tree.w.site_a, tree.w.stall_a), (tree.w.site_b, tree.w.stall_b)):
        made.append(register_batch(tech, BatchInput(site=site, stall=stall, food="青菜", sampled_at=now - timedelta(hours=2),
                                                    tests=[get_item("OPC")], quantity_kg=Decimal("5"),
                                                    supplier_name="追溯测试供货商"), now=now - timedelta(hours=2)))
    record_result(tech, made[0], ResultInput(item=get_item("OPC"), tested_at=now - timedelta(hours=1),
                                             value=Decimal("70")), now=now - timedelta(hours=1))
    sweep(now)
    db.session.flush()
    alerted = {n.user_id: n.params for n in db.session.query(Notification).filter(Notification.kind == "supplier_alert")
               if n.params.get("supplier") == "追溯测试供货商"}
    assert tree.users["city_regulator"].id in alerted
    assert "乙市场" in alerted[tree.users["city_regulator"].id]["other_sites"]
    assert tree.users["a_regulator"].id not in alerted
    assert tree.users["a_admin"].id not in alerted


# --- bound administrators and the deployment's reference data (issue 14) -----------------


@pytest.fixture
def holdings(tree, make_lot, db):
    """A lot held by each district's testing organisation and one of the deployment's; a
    supplier with batches in both districts and one seen only in A."""
    from lims.models import Organisation, Supplier

    orgs = {o.code: o for o in db.session.execute(db.select(Organisation)).scalars()}
    lots = {"shared": make_lot("CLB", lot="DEPLOY-1"), "a": make_lot("CLB", lot="LOT-A-1", org_id=orgs["LA"].id),
            "b": make_lot("CLB", lot="LOT-B-1", org_id=orgs["LB"].id)}
    shared, local = Supplier(name="两区共用供货商"), Supplier(name="甲区本地供货商")
    db.session.add_all([shared, local])
    db.session.flush()
    tree.w.batch_a.supplier_id = shared.id
    tree.w.batch_b.supplier_id = shared.id
    db.session.flush()
    return {"lots": lots, "shared": shared, "local": local, "orgs": orgs}


def test_test_items_are_the_deployments_a_district_admin_reads_them_only(client, tree, holdings, api_token):
    from lims.errors import Forbidden
    from lims.reference.services import get_item, set_override, update_item

    item = get_item("OPC")
    client.login(tree.users["a_admin"])
    listing = client.get("/admin/items/").get_data(as_text=True)
    assert "OPC" in listing and f"/admin/items/{item.id}" not in listing and "/admin/items/new" not in listing
    assert client.get(f"/admin/items/{item.id}").status_code == 403
    assert client.get("/admin/items/new").status_code == 403
    token = client.csrf("/account")
    assert client.post(f"/admin/items/{item.id}", data={"csrf_token": token, "name": "改名"}).status_code == 403
    assert client.post(f"/admin/items/{item.id}/overrides", data={"csrf_token": token}).status_code == 403
    a_admin = Actor(tree.users["a_admin"], "test")
    with pytest.raises(Forbidden):
        update_item(a_admin, item, name="改名")
    with pytest.raises(Forbidden):
        set_override(a_admin, item, "vegetable", cutoff=40)
    assert get_item("OPC").name != "改名"
    logout(client)
    client.login(tree.w.users["admin"])  # the deployment's administrator
    page = client.get("/admin/items/").get_data(as_text=True)
    assert f"/admin/items/{item.id}" in page and client.get(f"/admin/items/{item.id}").status_code == 200


def test_a_district_admin_manages_the_lots_of_their_testing_organisations(client, tree, holdings, api_token, db):
    from lims.models import ReagentLot

    lots = holdings["lots"]
    headers = api_token(tree.users["a_admin"])
    seen = {lot["lot"]: lot["org"] for lot in client.get("/api/v1/reagent-lots", headers=headers).get_json()}
    assert seen.get("DEPLOY-1", "missing") is None and seen["LOT-A-1"] == "LA" and "LOT-B-1" not in seen
    assert client.get(f"/api/v1/reagent-lots/{lots['b'].id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/reagent-lots/{lots['b'].id}", headers=headers, json={"maker": "x"}).status_code == 404
    r = client.patch(f"/api/v1/reagent-lots/{lots['shared'].id}", headers=headers, json={"maker": "x"})
    assert r.status_code == 403 and r.get_json()["message"]
    assert client.patch(f"/api/v1/reagent-lots/{lots['a'].id}", headers=headers, json={"maker": "甲厂"}).status_code == 200
    # handing a lot to another district's organisation, or registering one there: refused
    assert client.patch(f"/api/v1/reagent-lots/{lots['a'].id}", headers=headers, json={"org": "LB"}).status_code == 422
    body = {"item": "CLB", "lot": "NEW-A", "expires_on": "2027-06-30"}
    assert client.post("/api/v1/reagent-lots", headers=headers, json={**body, "org": "LB"}).status_code == 422
    assert client.post("/api/v1/reagent-lots", headers=headers, json={**body, "org": "DA"}).status_code == 422
    made = client.post("/api/v1/reagent-lots", headers=headers, json=body)  # their only testing organisation
    assert made.status_code == 201 and made.get_json()["org"] == "LA"
    db.session.expire_all()
    assert db.session.get(ReagentLot, lots["b"].id).maker is None and db.session.get(ReagentLot, lots["shared"].id).maker is None
    # the same on the pages
    client.login(tree.users["a_admin"])
    page = client.get("/admin/lots/").get_data(as_text=True)
    assert "LOT-A-1" in page and "DEPLOY-1" in page and "LOT-B-1" not in page
    assert f"/admin/lots/{lots['shared'].id}" not in page and f"/admin/lots/{lots['a'].id}" in page
    assert client.get(f"/admin/lots/{lots['b'].id}").status_code == 404
    assert client.get(f"/admin/lots/{lots['shared'].id}").status_code == 403
    assert client.get(f"/admin/lots/{lots['a'].id}").status_code == 200
    logout(client)
    # the deployment's administrator sees and changes every lot; theirs are held by none
    admin = api_token(tree.w.users["admin"])
    assert {"DEPLOY-1", "LOT-A-1", "LOT-B-1"} <= {lot["lot"] for lot in client.get("/api/v1/reagent-lots", headers=admin).get_json()}
    assert client.patch(f"/api/v1/reagent-lots/{lots['b'].id}", headers=admin, json={"maker": "乙厂"}).status_code == 200
    own = client.post("/api/v1/reagent-lots", headers=admin, json={**body, "lot": "NEW-D"})
    assert own.status_code == 201 and own.get_json()["org"] is None


def test_a_shared_supplier_is_changed_only_by_the_deployment_admin(client, tree, holdings, db):
    from lims.errors import Forbidden
    from lims.sites.services import change_supplier

    shared, local = holdings["shared"], holdings["local"]
    a_admin = Actor(tree.users["a_admin"], "test")
    with pytest.raises(Forbidden):
        change_supplier(a_admin, shared, phone="0571-1")
    client.login(tree.users["a_admin"])
    listing = client.get("/admin/suppliers/").get_data(as_text=True)
    assert "两区共用供货商" in listing  # shared for traceback: seen by every district
    assert f"/admin/suppliers/{shared.id}" not in listing and f"/admin/suppliers/{local.id}" in listing
    assert client.get(f"/admin/suppliers/{shared.id}").status_code == 403
    token = client.csrf("/account")
    r = client.post(f"/admin/suppliers/{shared.id}", data={"csrf_token": token, "name": "改名供货商"})
    assert r.status_code == 403
    r = client.post(f"/admin/suppliers/{local.id}", data={"csrf_token": token, "name": "甲区本地供货商", "phone": "0571-2"})
    assert r.status_code == 302
    logout(client)
    client.login(tree.w.users["admin"])
    token = client.csrf("/account")
    r = client.post(f"/admin/suppliers/{shared.id}", data={"csrf_token": token, "name": "两区共用供货商", "phone": "0571-3"})
    assert r.status_code == 302
    db.session.expire_all()
    assert (shared.name, shared.phone, local.phone) == ("两区共用供货商", "0571-3", "0571-2")


def test_a_district_admin_places_instruments_only_at_their_stations(tree, holdings):
    from lims.errors import InvalidInput, NotFound
    from lims.reference.services import create_instrument, update_instrument

    a_admin = Actor(tree.users["a_admin"], "test")
    with pytest.raises(InvalidInput):
        create_instrument(a_admin, serial="NEW-1", model="X", channels=1, station_id=tree.station_b.id)
    with pytest.raises(InvalidInput):
        create_instrument(a_admin, serial="NEW-2", model="X", channels=1)  # at no station: the deployment's
    with pytest.raises(NotFound):
        update_instrument(a_admin, tree.instrument_b, model="Y")
    with pytest.raises(InvalidInput):
        update_instrument(a_admin, tree.instrument_a, station_id=tree.station_b.id)
    assert create_instrument(a_admin, serial="NEW-3", model="X", channels=1, station_id=tree.station_a.id).id
