"""The organisation tree: paths, moves, and the sites each binding reaches."""
import pytest
from lims.accounts.access import Actor
from lims.extensions import db

def test_tree_paths_moves_and_scopes(app):
    from lims.orgs.services import create_org, update_org, set_station_sites
    from lims.accounts.scope import sites_in_scope
    from lims.models import Site, Station, User
    with app.app_context():
        a = Actor(user=None)
        p = create_org(a, code="zj", name="浙江省", kind="province")
        c = create_org(a, code="hz", name="杭州市", kind="city", parent="ZJ")
        d1 = create_org(a, code="qt", name="钱塘区", kind="district", parent="HZ")
        d2 = create_org(a, code="xs", name="萧山区", kind="district", parent="HZ")
        t = create_org(a, code="t1", name="快检公司", kind="testing", parent="QT")
        assert d1.path == f"/{p.id}/{c.id}/{d1.id}/"
        s1 = Site(code="S1", name="一", kind="market", org_id=d1.id); s2 = Site(code="S2", name="二", kind="market", org_id=d2.id)
        db.session.add_all([s1, s2]); db.session.flush()
        st = Station(code="ST", name="站", kind="van", org_id=t.id); db.session.add(st); db.session.flush()
        set_station_sites(a, st, [s1, s2])
        u = User(username="r", display_name="r", role="regulator", password_hash="x"); u.orgs = [d1]
        v = User(username="c", display_name="c", role="regulator", password_hash="x"); v.orgs = [c]
        w = User(username="t", display_name="t", role="technician", password_hash="x"); w.stations = [st]
        db.session.add_all([u, v, w]); db.session.flush()
        assert sites_in_scope(u) == {s1.id}
        assert sites_in_scope(v) == {s1.id, s2.id}
        assert sites_in_scope(w) == {s1.id, s2.id}
        update_org(a, d1, parent="ZJ")
        assert d1.path == f"/{p.id}/{d1.id}/"
        assert sites_in_scope(v) == {s2.id}
        with pytest.raises(Exception):
            update_org(a, p, parent="QT")
        db.session.rollback()
