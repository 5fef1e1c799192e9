"""Reports for every node of the organisation tree, over the hand-built district of
``world`` spread over a city: 杭州市 → 钱塘区 (SA, SB directly, SC through its office
下沙所) and 萧山区 (every other site). The expected figures are the hand counts of
test_figures/test_monthly split by site (printed reports count reviewed results only)."""
from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from tests.reporting.world import MONTH

D = Decimal


@pytest.fixture
def tree(world, db, make_user, app, ctx):
    from lims.accounts.access import Actor
    from lims.models import Organisation
    from lims.orgs.services import create_org

    system = Actor(user=None, ip="test")
    hz = create_org(system, code="HZ", name="杭州市", kind="city")
    qt = create_org(system, code="QT", name="钱塘区", kind="district", parent="HZ", issuer_name="杭州市钱塘区市场监督管理局",
                    seal_text="钱塘区市场监督管理局快检专用章", compiled_by="张编制", reviewed_by="李审核")
    office = create_org(system, code="XSS", name="下沙市场监管所", kind="office", parent="QT")
    xs = create_org(system, code="XS", name="萧山区", kind="district", parent="HZ")
    for code, site in world.sites.items():
        site.org_id = (qt if code in ("SA", "SB") else office if code == "SC" else xs).id
    db.session.flush()
    city_reg = make_user("regulator", display_name="市监管员")
    city_reg.orgs = [hz]
    district_reg = make_user("regulator", display_name="区监管员")
    district_reg.orgs = [qt]
    neighbour_reg = make_user("regulator", display_name="萧山监管员")
    neighbour_reg.orgs = [xs]
    db.session.flush()
    return {"city": Actor(city_reg, "test"), "district": Actor(district_reg, "test"),
            "neighbour": Actor(neighbour_reg, "test"), "orgs": {o.code: o for o in (hz, qt, office, xs)},
            "Organisation": Organisation}


def _fig(f):
    return (f.batches, f.tests, f.positives, f.overdue_dispositions, f.kg_disposed)


def test_a_district_report_holds_only_its_own_sites(tree, world):
    from lims.reporting.monthly import build_monthly

    r = build_monthly(tree["district"], MONTH)  # the regulator's own node by default
    assert (r.scope, r.scope_name) == ("district", "钱塘区")
    assert {row.name for row in r.by_site} == {"城东农贸市场", "城西农贸市场", "城南农贸市场"}
    # SA 10 batches / 12 tests / 4 positives printed, SB 67/67/2, SC 40/40/1; kg 20 + 8 + 3; b1 overdue
    assert _fig(r.current) == (117, 119, 7, 1, D("31"))
    assert r.report_no == "YB-202611-QT"
    # its units: the office (with SC) first, then the markets directly under the district
    assert [(u.name, u.kind, _fig(u.figures)) for u in r.by_unit] == [
        ("下沙市场监管所", "office", (40, 40, 1, 0, D("3"))),
        ("城东农贸市场", "site", (10, 12, 4, 0, D("20"))),
        ("城西农贸市场", "site", (67, 67, 2, 1, D("8"))),
    ]
    # the issuer is the district's own, with its seal and signatories
    assert r.issuer.name == "杭州市钱塘区市场监督管理局"
    assert (r.signatures.compiled_by, r.signatures.reviewed_by, r.signatures.seal) == (
        "张编制", "李审核", "钱塘区市场监督管理局快检专用章")


def test_a_city_report_compares_its_districts(tree, world):
    from lims.reporting.monthly import build_monthly

    r = build_monthly(tree["city"], MONTH)
    assert (r.scope, r.scope_name) == ("city", "杭州市")
    assert [(u.name, u.kind, _fig(u.figures)) for u in r.by_unit] == [
        ("钱塘区", "district", (117, 119, 7, 1, D("31"))),
        ("萧山区", "district", (100, 100, 3, 1, D("3.5"))),  # SD 70, SE 5, SF 3, SH 20, SI 2; h1 overdue
    ]
    assert _fig(r.current) == (217, 219, 10, 2, D("34.5"))
    # the city is the tree's root and names no issuer of its own: the configured one (here the
    # organisation most stations belong to) would be the deployment's; the city prints its own name
    assert r.issuer.name == "杭州市"


def test_a_neighbour_without_issuer_prints_its_own_name_and_reaches_only_itself(tree, world):
    from lims.errors import InvalidInput
    from lims.reporting.monthly import build_monthly

    r = build_monthly(tree["neighbour"], MONTH)
    assert r.scope_name == "萧山区" and r.issuer.name == "萧山区"
    assert r.signatures.seal == "萧山区（盖章）" and r.signatures.compiled_by is None
    assert "城东农贸市场" not in {row.name for row in r.by_site}
    with pytest.raises(InvalidInput):
        build_monthly(tree["neighbour"], MONTH, org_code="QT")  # a neighbouring district: named, refused
    with pytest.raises(InvalidInput):
        build_monthly(tree["district"], MONTH, org_code="HZ")  # above one's own node
    # the city's regulator asks for a district below: that district, nothing more
    assert build_monthly(tree["city"], MONTH, org_code="xs").scope_name == "萧山区"


def test_the_deployment_admin_sees_the_node_covering_everything(tree, actors):
    from lims.reporting.monthly import build_monthly

    r = build_monthly(actors["admin"], MONTH)
    assert (r.scope_name, r.report_no) == ("杭州市", "YB-202611")  # the whole deployment keeps its key
    assert [u.name for u in r.by_unit] == ["钱塘区", "萧山区"]


def test_a_report_titled_after_a_district_never_includes_another(tree, world, pdftext):
    """The issue's bug: a report titled 钱塘区 silently including a 萧山区 market."""
    from lims.reporting.monthly import monthly_pdf, monthly_xlsx
    from tests.reporting.conftest import workbook

    text = re.sub(r"\s+", "", pdftext(monthly_pdf(tree["city"], MONTH, org_code="QT")))
    assert "钱塘区" in text and "杭州市钱塘区市场监督管理局" in text and "张编制" in text
    for name in ("城北农贸市场", "城中超市", "镇东农贸市场", "镇南农贸市场", "家宴服务中心", "萧山区"):
        assert name not in text, name
    wb = workbook(monthly_xlsx(tree["city"], MONTH))
    units = [row for row in wb["下级单位对比"].iter_rows(values_only=True)]
    assert [r[0] for r in units[1:]] == ["钱塘区", "萧山区", "合计"]
    assert [r[3] for r in units[1:]] == [119, 100, 219]


def test_units_add_up_to_the_headline_over_random_trees(tree, world, db):
    """For random trees drawn over the same sites, every node's units partition its sites:
    their figures add up to the node's headline."""
    from lims.accounts.access import Actor
    from lims.orgs.services import create_org
    from lims.reporting import figures
    from reports.data import MonthlyFigures, add_figures
    from tests.reporting.world import NOW

    start, end = figures.month_bounds(MONTH)
    system = Actor(user=None, ip="test")
    sites = list(world.sites.values())
    for seed in range(4):
        rng = random.Random(seed)
        root = create_org(system, code=f"R{seed}", name=f"省{seed}", kind="province")
        nodes = [root]
        for n in range(rng.randint(2, 5)):
            parent = rng.choice([o for o in nodes if o.kind != "office"])
            kind = {"province": rng.choice(("city", "district")), "city": "district", "district": "office"}[parent.kind]
            nodes.append(create_org(system, code=f"R{seed}N{n}", name=f"节点{seed}-{n}", kind=kind, parent=parent.code))
        for site in sites:
            site.org_id = rng.choice([o for o in nodes if o.kind in ("district", "office")] or [root]).id
        db.session.flush()
        for node in nodes:
            scope = figures.node_scope(node, None).reviewed()
            total = MonthlyFigures()
            for unit in figures.unit_rows(scope, start, end, NOW):
                total = add_figures(total, unit.figures)
            head = figures.headline(scope, start, end, NOW)
            assert total == head, (seed, node.code)


def test_dashboard_and_export_for_a_node(tree, world, client, now):
    from datetime import date

    from lims.reporting.exports import export_results
    from tests.reporting.conftest import workbook
    import io

    city_user = tree["city"].user
    client.login(city_user)
    html = client.get("/dashboard?period=month&month=2026-11").get_data(as_text=True)
    assert "杭州市" in html and 'value="XS"' in html
    html = client.get("/dashboard?period=month&month=2026-11&org=XS").get_data(as_text=True)
    assert "萧山区 ·" in html
    assert client.get("/dashboard?period=month&month=2026-11&org=NOPE").status_code == 422
    out = io.BytesIO()
    rows = export_results(tree["city"], date(2026, 11, 1), date(2026, 11, 30), out, "QT")
    assert rows == 119  # the district's reviewed results of November
    sheet = workbook(out.getvalue()).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    column = next(i for i, h in enumerate(header) if h and "辖区" in str(h))
    districts = {r[column] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] and not str(r[0]).startswith("导出")}
    assert districts == {"钱塘区"}  # SC, under the district's office, is in the district too


def test_a_batch_report_is_issued_by_the_testing_organisation_that_ran_it(tree, world, db):
    from lims.accounts.access import Actor
    from lims.orgs.services import create_org
    from lims.reporting.batch import build_batch_report

    batch = world.batches["a1"]
    assert build_batch_report(batch).issuer.name == "上城区市场监督管理局"  # the station's organisation text
    lab = create_org(Actor(user=None, ip="test"), code="QT-KJ", name="钱塘快检中心", kind="testing", parent="QT",
                     issuer_name="杭州市钱塘区食品快速检测中心")
    batch.station.org_id = lab.id
    db.session.flush()
    db.session.expire(batch.station, ["org"])
    assert build_batch_report(batch).issuer.name == "杭州市钱塘区食品快速检测中心"


def test_a_district_issues_its_own_report(tree, world, db):
    from lims.models import IssuedReport
    from lims.reporting.monthly import build_monthly, issue_monthly

    row = issue_monthly(tree["district"], MONTH)
    assert (row.scope_key, row.number, row.scope_name) == ("org:QT", "YB-202611-QT", "钱塘区")
    assert build_monthly(tree["district"], MONTH).issue.current
    assert build_monthly(tree["city"], MONTH).issue is None  # the city's report is another report
    # a site that happens to bear the district's code is not that report
    world.sites["SA"].code = "QT"
    db.session.flush()
    assert build_monthly(tree["city"], MONTH, site_code="QT").issue is None
    assert db.session.execute(db.select(db.func.count(IssuedReport.id))).scalar_one() == 1


def test_report_pages_offer_the_nodes_and_a_job_refuses_a_foreign_one(tree, world, client, db):
    from lims.errors import InvalidInput
    from lims.jobs.services import start_monthly_report
    from lims.models import Job

    client.login(tree["city"].user)
    html = client.get("/reports").get_data(as_text=True)
    assert 'name="org"' in html and 'value="QT"' in html and 'value="XS"' in html
    r = client.get("/reports/monthly.xlsx?month=2026-11&org=QT")
    assert r.status_code == 200 and "monthly-2026-11-QT.xlsx" in r.headers["Content-Disposition"]
    jobs = db.session.execute(db.select(db.func.count(Job.id))).scalar_one()
    with pytest.raises(InvalidInput):
        start_monthly_report(tree["district"], MONTH, None, "pdf", "zh_CN", "XS")
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar_one() == jobs


def test_one_choice_a_node_and_optionally_one_of_its_markets(tree, world, client, db, api_token):
    """The reports page offers one choice: a node of the tree the reader sees (their own by
    default) and, optionally, one market within it. A market outside the node is a clear 422
    through every door (page, background job, issuing, API) — never a 500, never a wider or
    narrower report than asked for — and nothing is made or issued."""
    from lims.errors import InvalidInput
    from lims.jobs.services import start_monthly_report
    from lims.models import IssuedReport, Job
    from lims.reporting.monthly import issue_monthly

    orgs = tree["orgs"]
    city_user = tree["city"].user
    client.login(city_user)
    page = client.get("/reports").get_data(as_text=True)
    assert f'<option value="" data-path="{orgs["HZ"].path}">杭州市（本单位）</option>' in page
    for code in ("QT", "XSS", "XS"):
        assert f'value="{code}" data-path="{orgs[code].path}"' in page
    # each market names the node it belongs to, so that only the chosen node's are offered
    assert f'value="SC" data-path="{orgs["XSS"].path}"' in page and f'value="SD" data-path="{orgs["XS"].path}"' in page
    assert "辖区内全部市场" in page and "市场（可选）" in page
    assert "所属单位" not in page and "统计范围" not in page  # the two overlapping pickers are gone
    # a market of the node (SC lies under the district's office): that market's report
    r = client.get("/reports/monthly.xlsx?month=2026-11&org=QT&site=SC")
    assert r.status_code == 200 and "monthly-2026-11-QT-SC.xlsx" in r.headers["Content-Disposition"]
    # a market outside it: refused, saying why
    r = client.get("/reports/monthly.pdf?month=2026-11&org=QT&site=SD")
    assert r.status_code == 422 and "不在钱塘区辖区内" in r.get_data(as_text=True)
    assert client.get("/reports/monthly.xlsx?month=2026-11&org=XS&site=SA").status_code == 422
    jobs = db.session.execute(db.select(db.func.count(Job.id))).scalar_one()
    with pytest.raises(InvalidInput) as refused:
        start_monthly_report(tree["city"], MONTH, "SD", "pdf", "zh_CN", "QT")
    assert "site" in refused.value.errors
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar_one() == jobs
    with pytest.raises(InvalidInput):
        issue_monthly(tree["city"], MONTH, "SD", "QT")
    assert db.session.execute(db.select(db.func.count(IssuedReport.id))).scalar_one() == 0
    db.session.commit()
    api = client.get("/api/v1/reports/monthly.pdf?month=2026-11&org=QT&site=SD", headers=api_token(city_user))
    assert api.status_code == 422 and "site" in api.get_json()["errors"]
    ok = client.get("/api/v1/reports/monthly.pdf?month=2026-11&org=XS&site=SD", headers=api_token(city_user))
    assert ok.status_code == 200 and ok.mimetype == "application/pdf"


def test_a_district_regulator_is_offered_only_their_own_part(tree, world, client):
    orgs = tree["orgs"]
    client.login(tree["district"].user)
    page = client.get("/reports").get_data(as_text=True)
    assert f'<option value="" data-path="{orgs["QT"].path}">钱塘区（本单位）</option>' in page
    assert 'value="XSS"' in page and 'value="XS"' not in page and 'value="HZ"' not in page
    assert 'value="SD"' not in page and 'value="SA"' in page
    # the neighbouring district named as the node: 422, its market: 404 (it does not exist for them)
    assert client.get("/reports/monthly.pdf?month=2026-11&org=XS").status_code == 422
    assert client.get("/reports/monthly.pdf?month=2026-11&org=QT&site=SD").status_code == 404
    # the dashboard refuses a node outside on the page, with the pickers to choose again
    r = client.get("/dashboard?period=month&month=2026-11&org=XS")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请在上方另选辖区" in html and 'id="d-org"' in html and 'id="d-period"' in html
