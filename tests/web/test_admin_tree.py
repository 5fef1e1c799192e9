"""The administration of the tree: the tree page, organisation, site, station and user
forms with their bindings, the workbook upload; a district's administrator sees and manages
only their district (users list included)."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from reports.excel.tree_template import SHEETS, header_text


@pytest.fixture
def tree(app, ctx, db, make_site, make_user):
    from lims.accounts.access import Actor
    from lims.orgs.services import create_org, set_station_sites
    from lims.models import Station

    system = Actor(user=None, ip="test")
    hz = create_org(system, code="HZ", name="杭州市", kind="city")
    qt = create_org(system, code="QT", name="钱塘区", kind="district", parent="HZ", issuer_name="钱塘区市场监督管理局")
    xs = create_org(system, code="XS", name="萧山区", kind="district", parent="HZ")
    qkj = create_org(system, code="QKJ", name="钱塘快检中心", kind="testing", parent="QT")
    qa = make_site(code="QA", name="钱塘一号市场", org_id=qt.id)
    xa = make_site(code="XA", name="萧山一号市场", org_id=xs.id)
    van = Station(code="QVAN", name="钱塘快检车", kind="van", org_id=qkj.id)
    xroom = Station(code="XROOM", name="萧山快检室", kind="room")
    db.session.add_all([van, xroom])
    db.session.flush()
    set_station_sites(system, van, [qa])
    set_station_sites(system, xroom, [xa])
    admin = make_user("admin", username="deploy-admin")
    qt_admin = make_user("admin", username="qt-admin")
    qt_admin.orgs = [qt]
    qt_tech = make_user("technician", username="qt-tech")
    qt_tech.stations = [van]
    xs_reg = make_user("regulator", username="xs-reg")
    xs_reg.orgs = [xs]
    db.session.flush()
    return {"admin": admin, "qt_admin": qt_admin, "orgs": {o.code: o for o in (hz, qt, xs, qkj)}, "sites": (qa, xa),
            "van": van, "xroom": xroom, "xs_reg": xs_reg, "qt_tech": qt_tech}


def test_the_tree_page_shows_the_tree_with_counts_and_issuers(client, tree):
    client.login(tree["admin"])
    html = client.get("/admin/orgs/").get_data(as_text=True)
    names = re.findall(r'class="org-name" href="/admin/orgs/\d+">([^<]+)</a>', html)
    assert names == ["杭州市", "钱塘区", "钱塘快检中心", "萧山区"]  # parents before children
    assert "钱塘区市场监督管理局" in html
    assert "0 / 2" in html  # the city: no site of its own, two below it


def test_a_district_admin_sees_and_manages_only_their_district(client, tree):
    client.login(tree["qt_admin"])
    html = client.get("/admin/orgs/").get_data(as_text=True)
    assert "钱塘区" in html and "萧山区" not in html and "杭州市" not in html
    sites = client.get("/admin/sites/").get_data(as_text=True)
    assert "钱塘一号市场" in sites and "萧山一号市场" not in sites
    stations = client.get("/admin/stations/").get_data(as_text=True)
    assert "钱塘快检车" in stations and "萧山快检室" not in stations
    users = client.get("/admin/users/").get_data(as_text=True)
    assert "qt-tech" in users and "xs-reg" not in users and "deploy-admin" not in users
    assert client.get(f"/admin/orgs/{tree['orgs']['XS'].id}").status_code == 404
    assert client.get(f"/admin/sites/{tree['sites'][1].id}").status_code == 404
    assert client.get(f"/admin/users/{tree['xs_reg'].id}").status_code == 404
    # the forms offer only what is theirs
    form = client.get("/admin/sites/new").get_data(as_text=True)
    assert 'value="QT"' in form and 'value="XS"' not in form


def test_organisation_form_adds_and_moves_a_node_with_its_issuer(client, tree, db):
    from lims.models import Organisation

    client.login(tree["admin"])
    r = client.post_form("/admin/orgs/new?parent=QT", {
        "code": "XSS", "name": "下沙所", "kind": "office", "parent": "QT", "issuer_name": "下沙市场监督管理所",
        "seal_text": "下沙所（盖章）", "compiled_by": "王编", "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    office = db.session.execute(db.select(Organisation).where(Organisation.code == "XSS")).scalar_one()
    assert (office.parent.code, office.seal_text, office.compiled_by) == ("QT", "下沙所（盖章）", "王编")
    r = client.post_form(f"/admin/orgs/{office.id}", {"code": "XSS", "name": "下沙所", "kind": "office", "parent": "XS",
                                                      "active": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert office.parent.code == "XS" and office.path.startswith(tree["orgs"]["XS"].path)
    # an office under a city: refused next to the field, nothing changed
    r = client.post_form(f"/admin/orgs/{office.id}", {"code": "XSS", "name": "下沙所", "kind": "office", "parent": "HZ",
                                                      "active": "y"})
    assert r.status_code == 422 and "is-invalid" in r.get_data(as_text=True)


def test_station_and_site_forms_bind_to_the_tree(client, tree, db):
    from lims.models import Site, Station

    client.login(tree["qt_admin"])
    r = client.post_form("/admin/sites/new", {"code": "QB", "name": "钱塘二号市场", "kind": "market", "org": "QT",
                                              "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    r = client.post_form("/admin/stations/new", {"code": "QR", "name": "钱塘二号快检室", "kind": "room", "org": "QKJ",
                                                 "served": ["QA", "QB"], "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    station = db.session.execute(db.select(Station).where(Station.code == "QR")).scalar_one()
    assert station.org.code == "QKJ" and [s.code for s in station.sites] == ["QA", "QB"]
    assert station.organisation == "钱塘快检中心"
    # a neighbour's market cannot be chosen
    r = client.post_form("/admin/stations/new", {"code": "QS", "name": "钱塘三号", "kind": "room", "org": "QKJ",
                                                 "served": ["XA"], "active": "y"})
    assert r.status_code == 422
    assert db.session.execute(db.select(Site.org_id).where(Site.code == "QB")).scalar_one() == tree["orgs"]["QT"].id


def test_user_form_binds_by_role(client, tree, db):
    from lims.models import User

    client.login(tree["qt_admin"])
    r = client.post_form("/admin/users/new", {"username": "qt-reg", "display_name": "钱塘监管", "role": "regulator",
                                              "orgs": ["QT"], "stations": ["QVAN"], "password": "correct horse battery",
                                              "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    user = db.session.execute(db.select(User).where(User.username == "qt-reg")).scalar_one()
    assert [o.code for o in user.orgs] == ["QT"] and user.stations == []  # a regulator works by organisation
    r = client.post_form("/admin/users/new", {"username": "qt-tech2", "display_name": "检测员", "role": "technician",
                                              "stations": ["QVAN"], "password": "correct horse battery", "active": "y"})
    assert r.status_code == 302
    tech = db.session.execute(db.select(User).where(User.username == "qt-tech2")).scalar_one()
    assert [s.code for s in tech.stations] == ["QVAN"]
    # a district admin cannot bind anyone to a neighbour's station
    r = client.post_form("/admin/users/new", {"username": "qt-tech3", "display_name": "检测员", "role": "technician",
                                              "stations": ["XROOM"], "password": "correct horse battery", "active": "y"})
    assert r.status_code == 422


def _workbook(sheets):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([header_text(t, r) for _f, t, r in SHEETS[name]])
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_upload_page_lists_problems_or_loads(client, tree, db):
    from lims.models import Site

    client.login(tree["admin"])
    page = client.get("/admin/orgs/load")
    assert page.status_code == 200
    assert client.get("/admin/orgs/template.xlsx").data[:2] == b"PK"
    bad = _workbook({"场所": [("QN", "新市场", "农贸市场", "NOPE")]})
    r = client.post("/admin/orgs/load", data={"csrf_token": client.csrf("/admin/orgs/load"),
                                              "file": (io.BytesIO(bad), "tree.xlsx")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "所属机构代码" in html and "<td>2</td>" in html
    assert db.session.execute(db.select(Site).where(Site.code == "QN")).first() is None
    good = _workbook({"场所": [("QN", "新市场", "农贸市场", "QT")], "摊位": [("QN", "A-01", "王丽")]})
    r = client.post("/admin/orgs/load", data={"csrf_token": client.csrf("/admin/orgs/load"),
                                              "file": (io.BytesIO(good), "tree.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    site = db.session.execute(db.select(Site).where(Site.code == "QN")).scalar_one()
    assert site.org.code == "QT" and [s.code for s in site.stalls] == ["A-01"]
