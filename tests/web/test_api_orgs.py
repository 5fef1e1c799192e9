"""/api/v1/orgs, /api/v1/stations and ``org`` on /api/v1/sites: drawn by administrators —
a district's administrator only inside their district — and listed as the caller sees them."""
from __future__ import annotations

import pytest


@pytest.fixture
def tree(app, ctx, db, make_site, make_user, api_token):
    from lims.accounts.access import Actor
    from lims.orgs.services import create_org

    system = Actor(user=None, ip="test")
    hz = create_org(system, code="HZ", name="杭州市", kind="city")
    qt = create_org(system, code="QT", name="钱塘区", kind="district", parent="HZ")
    xs = create_org(system, code="XS", name="萧山区", kind="district", parent="HZ")
    qa = make_site(code="QA", name="钱塘一号市场", org_id=qt.id)
    xa = make_site(code="XA", name="萧山一号市场", org_id=xs.id)
    admin = make_user("admin")  # the deployment's
    qt_admin = make_user("admin")
    qt_admin.orgs = [qt]
    qt_reg = make_user("regulator")
    qt_reg.orgs = [qt]
    tech = make_user("technician")
    db.session.flush()
    return {"admin": api_token(admin), "qt_admin": api_token(qt_admin), "qt_reg": api_token(qt_reg),
            "tech": api_token(tech), "sites": (qa, xa), "orgs": (hz, qt, xs)}


def test_the_deployment_admin_draws_the_tree(client, tree):
    h = tree["admin"]
    r = client.post("/api/v1/orgs", json={"code": "xss", "name": "下沙所", "kind": "office", "parent": "QT",
                                          "issuer_name": "钱塘区市场监督管理局下沙市场监督管理所",
                                          "seal_text": "下沙所（盖章）", "compiled_by": "王编"}, headers=h)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"code": "XSS", "name": "下沙所", "kind": "office", "parent": "QT",
                            "issuer_name": "钱塘区市场监督管理局下沙市场监督管理所", "seal_text": "下沙所（盖章）",
                            "compiled_by": "王编", "reviewed_by": None, "signed_by": None, "active": True}
    # a site under the office, a testing organisation with a van serving both markets
    r = client.post("/api/v1/sites", json={"code": "QB", "name": "下沙市场", "kind": "market", "org": "XSS"}, headers=h)
    assert r.status_code == 201 and r.get_json()["org"] == "XSS"
    assert client.post("/api/v1/orgs", json={"code": "T1", "name": "快检公司", "kind": "testing", "parent": "HZ"},
                       headers=h).status_code == 201
    r = client.post("/api/v1/stations", json={"code": "VAN1", "name": "快检车一号", "kind": "van", "org": "T1",
                                              "sites": ["QB", "XA"]}, headers=h)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["sites"] == ["QB", "XA"] and r.get_json()["org"] == "T1"
    # a move carries the subtree along; an office cannot hang under a city's testing company
    r = client.patch("/api/v1/orgs/XSS", json={"parent": "XS"}, headers=h)
    assert r.status_code == 200 and r.get_json()["parent"] == "XS"
    r = client.patch("/api/v1/orgs/XSS", json={"parent": "T1"}, headers=h)
    assert r.status_code == 422 and "parent" in r.get_json()["errors"]
    # a site belongs to a district or an office, a station to a testing organisation
    r = client.post("/api/v1/sites", json={"code": "QC", "name": "市直市场", "kind": "market", "org": "HZ"}, headers=h)
    assert r.status_code == 422 and "org" in r.get_json()["errors"]
    r = client.post("/api/v1/stations", json={"code": "R9", "name": "室", "kind": "room", "org": "QT"}, headers=h)
    assert r.status_code == 422 and "org" in r.get_json()["errors"]
    r = client.post("/api/v1/stations", json={"code": "R9", "name": "室", "kind": "room", "org": "T1",
                                              "sites": ["NOPE"]}, headers=h)
    assert r.status_code == 422 and "sites" in r.get_json()["errors"]
    codes = [o["code"] for o in client.get("/api/v1/orgs", headers=h).get_json()]
    assert set(codes) == {"HZ", "QT", "XS", "XSS", "T1"}


def test_a_district_admin_works_only_inside_their_district(client, tree, db):
    from lims.models import Organisation, Site, Station

    h = tree["qt_admin"]
    assert [o["code"] for o in client.get("/api/v1/orgs", headers=h).get_json()] == ["QT"]
    assert [s["code"] for s in client.get("/api/v1/sites", headers=h).get_json()] == ["QA"]
    assert client.get("/api/v1/orgs/XS", headers=h).status_code == 404
    assert client.patch("/api/v1/orgs/XS", json={"name": "x"}, headers=h).status_code == 404
    # outside: a neighbour as parent, a root, a neighbour's site, a site placed outside or nowhere
    r = client.post("/api/v1/orgs", json={"code": "XO", "name": "所", "kind": "office", "parent": "XS"}, headers=h)
    assert r.status_code == 422
    assert client.post("/api/v1/orgs", json={"code": "ROOT", "name": "省", "kind": "province"},
                       headers=h).status_code == 403
    r = client.post("/api/v1/sites", json={"code": "QZ", "name": "新市场", "kind": "market", "org": "XS"}, headers=h)
    assert r.status_code == 422 and "org" in r.get_json()["errors"]
    r = client.post("/api/v1/sites", json={"code": "QZ", "name": "新市场", "kind": "market"}, headers=h)
    assert r.status_code == 422 and "org" in r.get_json()["errors"]
    assert client.post("/api/v1/orgs", json={"code": "QT-T", "name": "区快检中心", "kind": "testing", "parent": "QT"},
                       headers=h).status_code == 201
    r = client.post("/api/v1/stations", json={"code": "QV", "name": "区快检车", "kind": "van", "org": "QT-T",
                                              "sites": ["QA", "XA"]}, headers=h)
    assert r.status_code == 422 and "sites" in r.get_json()["errors"]
    assert db.session.execute(db.select(Station).where(Station.code == "QV")).first() is None
    r = client.post("/api/v1/stations", json={"code": "QV", "name": "区快检车", "kind": "van", "org": "QT-T",
                                              "sites": ["QA"]}, headers=h)
    assert r.status_code == 201
    # inside: a site of the district
    r = client.post("/api/v1/sites", json={"code": "QZ", "name": "新市场", "kind": "market", "org": "QT"}, headers=h)
    assert r.status_code == 201
    assert db.session.execute(db.select(Site.org_id).where(Site.code == "QZ")).scalar_one() == \
        db.session.execute(db.select(Organisation.id).where(Organisation.code == "QT")).scalar_one()
    assert [s["code"] for s in client.get("/api/v1/stations", headers=h).get_json()] == ["QV"]


def test_reading_roles_see_their_part_and_may_not_draw(client, tree):
    assert [o["code"] for o in client.get("/api/v1/orgs", headers=tree["qt_reg"]).get_json()] == ["QT"]
    assert client.get("/api/v1/orgs", headers=tree["tech"]).get_json() == []
    assert client.post("/api/v1/orgs", json={"code": "A", "name": "a", "kind": "city"},
                       headers=tree["qt_reg"]).status_code == 403
    assert client.post("/api/v1/stations", json={}, headers=tree["tech"]).status_code == 403
    assert client.get("/api/v1/stations/NOPE", headers=tree["qt_reg"]).status_code == 404


def test_monthly_report_api_takes_a_node(client, tree, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_ISSUER", "测试")
    r = client.get("/api/v1/reports/monthly.pdf?month=2026-11&org=XS", headers=tree["qt_reg"])
    assert r.status_code == 422 and r.get_json()["code"] == 422
    r = client.get("/api/v1/reports/monthly.pdf?month=2026-11&org=QT", headers=tree["qt_reg"])
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


def test_a_district_admin_changing_a_shared_van_keeps_the_neighbours_markets(client, tree, db):
    from lims.accounts.access import Actor
    from lims.models import Station
    from lims.orgs.services import set_station_sites

    qa, xa = tree["sites"]
    van = Station(code="VAN", name="共用快检车", kind="van")
    db.session.add(van)
    db.session.flush()
    set_station_sites(Actor(user=None, ip="test"), van, [qa, xa])
    r = client.get("/api/v1/stations/VAN", headers=tree["qt_admin"])
    assert r.status_code == 200 and r.get_json()["sites"] == ["QA"]
    r = client.patch("/api/v1/stations/VAN", json={"sites": []}, headers=tree["qt_admin"])
    assert r.status_code == 200
    db.session.expire_all()
    assert [s.code for s in van.sites] == ["XA"]  # only what the district's admin reaches was replaced
