"""The organisation tree page at 1366 px: the tree as the administrator sees it, a node added
below a district from the page itself."""
from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture(scope="module")
def tree(live):
    from lims.accounts.access import Actor
    from lims.extensions import db
    from lims.models import Site, Station
    from lims.orgs.services import create_org, set_station_sites

    with live.app.app_context():
        system = Actor(user=None, ip="seed")
        create_org(system, code="ZJ", name="浙江省", kind="province")
        create_org(system, code="HZ", name="杭州市", kind="city", parent="ZJ", issuer_name="杭州市市场监督管理局")
        qt = create_org(system, code="QT", name="钱塘区", kind="district", parent="HZ",
                        issuer_name="杭州市钱塘区市场监督管理局", seal_text="钱塘区市场监督管理局（盖章）",
                        compiled_by="张敏", reviewed_by="李强", signed_by="王建国")
        create_org(system, code="XS", name="萧山区", kind="district", parent="HZ", issuer_name="杭州市萧山区市场监督管理局")
        create_org(system, code="FY", name="富阳区", kind="district", parent="HZ")
        office = create_org(system, code="QT-XS", name="下沙市场监管所", kind="office", parent="QT")
        lab = create_org(system, code="QT-KJ", name="钱塘区食品快检中心", kind="testing", parent="QT")
        sites = db.session.execute(db.select(Site).order_by(Site.code)).scalars().all()
        sites[0].org_id, sites[1].org_id = qt.id, office.id
        for station in db.session.execute(db.select(Station)).scalars():
            station.org_id = lab.id
            set_station_sites(system, station, sites)
        db.session.commit()
    return live


def test_tree_page_at_1366(page_for, tree):
    page = page_for("admin")
    page.goto(f"{tree.url}/admin/orgs/")
    names = page.locator("a.org-name").all_inner_texts()
    assert names[:3] == ["浙江省", "杭州市", "钱塘区"] and "下沙市场监管所" in names
    # indented by depth: a district sits to the right of its city
    city = page.locator("a.org-name", has_text="杭州市").bounding_box()
    district = page.locator("a.org-name", has_text="钱塘区").first.bounding_box()
    assert district["x"] > city["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "org-tree-1366")
    # add a node below the district from its row
    page.locator("tr", has=page.locator("a.org-name", has_text="钱塘区")).first.get_by_role("link", name="添加下级").click()
    page.fill("#code", "QT-BY")
    page.fill("#name", "白杨市场监管所")
    page.select_option("#kind", "office")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: url.endswith("/admin/orgs/"))
    assert "白杨市场监管所" in page.locator("a.org-name").all_inner_texts()


def test_user_form_shows_the_binding_of_the_role(page_for, tree):
    page = page_for("admin")
    page.goto(f"{tree.url}/admin/users/new")
    page.select_option("#role", "technician")
    assert page.locator("#stations").is_visible() and not page.locator("#orgs").is_visible()
    assert not page.locator("#sites").is_visible()
    page.select_option("#role", "regulator")
    assert page.locator("#orgs").is_visible() and not page.locator("#stations").is_visible()
    page.select_option("#role", "market_manager")
    assert page.locator("#sites").is_visible() and not page.locator("#orgs").is_visible()
