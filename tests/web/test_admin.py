"""Administration pages: create and edit reference data and users, with errors next to
the field in the user's language, and an audit entry for every change."""
from __future__ import annotations

import sqlalchemy as sa

from lims.models import AuditEntry, ReagentLot, Site, Stall, TestItem, User


def _audit_count(db, action):
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == action)).scalar_one()


def test_create_a_site_and_a_stall(client, make_user, db):
    client.login(make_user("admin"))
    r = client.post_form("/admin/sites/new", {"code": "hz-01", "name": "湖滨菜场", "kind": "market",
                                               "planned_monthly_batches": "300", "active": "y"})
    assert r.status_code == 302
    site = db.session.execute(sa.select(Site).where(Site.code == "HZ-01")).scalar_one()
    assert site.planned_monthly_batches == 300
    r = client.post_form("/admin/stalls/new", {"site_id": str(site.id), "code": "a-7", "operator": "王建国",
                                                "active": "y"})
    assert r.status_code == 302
    stall = db.session.execute(sa.select(Stall).where(Stall.site_id == site.id)).scalar_one()
    assert stall.code == "A-7" and len(stall.public_code) == 10
    assert _audit_count(db, "site.create") == 1 and _audit_count(db, "stall.create") == 1


def test_errors_are_next_to_the_field_in_chinese(client, make_user, make_site):
    make_site(code="DUP", name="重复市场")
    client.login(make_user("admin"))
    r = client.post_form("/admin/sites/new", {"code": "DUP", "name": "另一个", "kind": "market"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="code"' in html and "is-invalid" in html
    assert "已被使用" in html or "已存在" in html or "已占用" in html
    r = client.post_form("/admin/sites/new", {"code": "", "name": "", "kind": "market"})
    assert r.status_code == 422 and html.count("invalid-feedback") >= 1


def test_reagent_lot_thresholds_are_checked(client, make_user, db):
    client.login(make_user("admin"))
    clb = db.session.execute(sa.select(TestItem).where(TestItem.code == "CLB")).scalar_one()
    r = client.post_form("/admin/lots/new", {"item_id": str(clb.id), "lot": "CLB-1", "expires_on": "2030-01-01",
                                              "mode": "ratio", "a": "0.9", "b": "0.5", "active": "y"})
    assert r.status_code == 422
    assert db.session.execute(sa.select(ReagentLot).where(ReagentLot.lot == "CLB-1")).first() is None
    r = client.post_form("/admin/lots/new", {"item_id": str(clb.id), "lot": "CLB-1", "expires_on": "2030-01-01",
                                              "mode": "ratio", "c_min": "0.1", "a": "0.5", "b": "0.8", "active": "y"})
    assert r.status_code == 302
    assert _audit_count(db, "reagent_lot.create") == 1


def test_edit_a_test_item_and_its_override(client, make_user, db):
    client.login(make_user("admin"))
    opc = db.session.execute(sa.select(TestItem).where(TestItem.code == "OPC-NY")).scalar_one()
    page = client.get(f"/admin/items/{opc.id}")
    assert page.status_code == 200
    data = {"code": opc.code, "name": opc.name, "principle": "enzyme_inhibition", "rule": "inhibition",
            "cutoff": "70", "control_min": "0.3", "method": opc.method, "unit": "%", "verified": "y", "active": "y",
            "categories": ["VEG", "FRU"], "gold_mode": "", "limit_sign": ""}
    assert client.post_form(f"/admin/items/{opc.id}", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(TestItem, opc.id).verified is True
    r = client.post_form(f"/admin/items/{opc.id}/overrides", {"ov-category": "VEG-BULB", "ov-cutoff": "75"},
                         csrf_from=f"/admin/items/{opc.id}")
    assert r.status_code == 302
    db.session.expire_all()
    assert [o.cutoff for o in db.session.get(TestItem, opc.id).overrides] == [75]


def test_users_with_roles_and_sites(client, make_user, make_site, db):
    make_site(code="MM")
    client.login(make_user("admin"))
    r = client.post_form("/admin/users/new", {"username": "mgr1", "display_name": "管理员甲", "role": "market_manager",
                                               "password": "long enough pw", "active": "y"})
    assert r.status_code == 422  # a market manager needs a site
    r = client.post_form("/admin/users/new", {"username": "mgr1", "display_name": "管理员甲", "role": "market_manager",
                                               "sites": ["MM"], "password": "long enough pw", "active": "y"})
    assert r.status_code == 302
    user = db.session.execute(sa.select(User).where(User.username == "mgr1")).scalar_one()
    assert [s.code for s in user.sites] == ["MM"] and user.password_hash != "long enough pw"
    assert _audit_count(db, "user.create") == 1


def test_admin_lists_search_and_filter(client, make_user, make_site, make_stall):
    site = make_site(code="SF", name="搜索市场")
    make_stall(site=site, code="Z-99")
    client.login(make_user("admin"))
    assert "搜索市场" in client.get("/admin/sites/?q=搜索").get_data(as_text=True)
    assert "Z-99" in client.get(f"/admin/stalls/?site={site.id}").get_data(as_text=True)
    assert client.get("/admin/stalls/?site=abc").status_code == 400
    assert client.get("/admin/nothing/").status_code == 404
