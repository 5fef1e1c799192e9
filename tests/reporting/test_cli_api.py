"""The report commands (flask lims report …, flask lims export results), the API report
routes and the dashboard figures, on the hand-built district of world.py."""
from __future__ import annotations

import re

import pytest

from tests.reporting.conftest import sheet_rows, workbook
from tests.reporting.test_monthly import summary
from tests.reporting.world import loc

NOVEMBER_SUMMARY = summary(217, 219, 207, 10, 1, 1, "95.39%", "4.61%", "60.00%", "34.5")  # a9 unreviewed: out
SB_SUMMARY = summary(67, 67, 65, 2, 0, 0, "97.01%", "2.99%", "50.00%", "8")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def run(*args):
        db.session.flush()
        return runner.invoke(args=["lims", *args])

    return run


# --- CLI ---------------------------------------------------------------------------------


def test_cli_monthly_report(world, actors, cli, tmp_path, pdftext):
    out = tmp_path / "m.pdf"
    result = cli("report", "monthly", "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    f = flat(pdftext(out.read_bytes()))
    assert NOVEMBER_SUMMARY in f
    assert "YB-202611" in f and "上城区" in f


def test_cli_monthly_report_of_one_site_and_as_xlsx(world, actors, cli, tmp_path, pdftext):
    out = tmp_path / "sb.pdf"
    result = cli("report", "monthly", "--month", "2026-11", "--site", "SB", "--out", str(out))
    assert result.exit_code == 0, result.output
    f = flat(pdftext(out.read_bytes()))
    assert "YB-202611-SB" in f and SB_SUMMARY in f and "城东农贸市场" not in f
    xlsx = tmp_path / "m.xlsx"
    result = cli("report", "monthly", "--month", "2026-11", "--xlsx", "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    overview = {r[0]: r[1:4] for r in sheet_rows(workbook(xlsx.read_bytes())["总体情况"]) if r[0]}
    assert tuple(overview["检测项次"]) == (219, 5, 214)
    bad = cli("report", "monthly", "--month", "2026-13", "--out", str(tmp_path / "x.pdf"))
    assert bad.exit_code != 0
    unknown_site = cli("report", "monthly", "--month", "2026-11", "--site", "NOPE", "--out", str(tmp_path / "y.pdf"))
    assert unknown_site.exit_code == 1 and not (tmp_path / "y.pdf").exists()


def test_cli_monthly_as_the_market_manager(world, actors, cli, tmp_path, pdftext):
    out = tmp_path / "mm.pdf"
    result = cli("report", "monthly", "--month", "2026-11", "--user", actors["manager_user"].username,
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    f = flat(pdftext(out.read_bytes()))
    assert "城西农贸市场" in f and "城东农贸市场" not in f and SB_SUMMARY in f


def test_cli_batch_report(world, actors, cli, tmp_path, pdftext):
    out = tmp_path / "b.pdf"
    result = cli("report", "batch", "sa-a1", "--out", str(out))
    assert result.exit_code == 0, result.output
    f = flat(pdftext(out.read_bytes()))
    assert "SA-A1" in f and "猪肉" in f and "克伦特罗" in f and "鑫源肉业" in f
    missing = cli("report", "batch", "NO-SUCH", "--out", str(tmp_path / "n.pdf"))
    assert missing.exit_code == 1 and not (tmp_path / "n.pdf").exists()
    unreviewed = cli("report", "batch", "SA-A9", "--out", str(tmp_path / "u.pdf"))
    assert unreviewed.exit_code == 1 and not (tmp_path / "u.pdf").exists()
    draft = cli("report", "batch", "SA-A9", "--draft", "--out", str(tmp_path / "d.pdf"))
    assert draft.exit_code == 0 and (tmp_path / "d.pdf").read_bytes().startswith(b"%PDF")


def test_cli_export_results(world, actors, cli, tmp_path):
    out = tmp_path / "r.xlsx"
    result = cli("export", "results", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "219" in result.output
    rows = sheet_rows(workbook(out.read_bytes()).worksheets[0])
    assert len(rows) == 1 + 219
    food = rows[0].index("样品名称")
    assert "'=HYPERLINK(\"http://e.vil\",\"x\")" in [r[food] for r in rows]
    out2 = tmp_path / "r2.xlsx"
    result = cli("export", "results", "--from", "2026-12-01", "--to", "2026-12-01", "--out", str(out2))
    assert result.exit_code == 0 and len(sheet_rows(workbook(out2.read_bytes()).worksheets[0])) == 3  # x0, x1


def test_cli_reports_need_an_administrator(world, cli, tmp_path):
    """Without --user the commands act as the first administrator; there is none here."""
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.models import User

    assert db.session.execute(sa.select(sa.func.count()).where(User.role == "admin")).scalar_one() == 0
    result = cli("report", "monthly", "--month", "2026-11", "--out", str(tmp_path / "m.pdf"))
    assert result.exit_code == 1 and not (tmp_path / "m.pdf").exists()


# --- API ---------------------------------------------------------------------------------


@pytest.fixture
def api(client, db, api_token):
    def get(path, user=None, **kw):
        headers = api_token(user) if user is not None else {}
        db.session.commit()  # a failed request rolls the session back to here
        return client.get(path, headers=headers, **kw)

    return get


def test_api_monthly_pdf(world, actors, api, pdftext):
    assert api("/api/v1/reports/monthly.pdf?month=2026-11").status_code == 401
    r = api("/api/v1/reports/monthly.pdf?month=2026-11", actors["regulator_user"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    f = flat(pdftext(r.data))
    assert NOVEMBER_SUMMARY in f
    r = api("/api/v1/reports/monthly.pdf?month=2026-11&site=SD", actors["regulator_user"])
    assert r.status_code == 200 and summary(70, 70, 69, 1, 0, 0, "98.57%", "1.43%", "100.00%", "2") in flat(pdftext(r.data))
    assert api("/api/v1/reports/monthly.pdf?month=11-2026", actors["regulator_user"]).status_code == 422


def test_api_monthly_pdf_for_the_market_manager(world, actors, api, pdftext):
    r = api("/api/v1/reports/monthly.pdf?month=2026-11", actors["manager_user"])
    assert r.status_code == 200
    f = flat(pdftext(r.data))
    assert "城西农贸市场" in f and SB_SUMMARY in f
    for other in ("城东农贸市场", "城北农贸市场", "家宴服务中心", "张家婚宴"):
        assert other not in f
    assert api("/api/v1/reports/monthly.pdf?month=2026-11&site=SA", actors["manager_user"]).status_code == 404


def test_api_batch_report(world, actors, api, pdftext):
    assert api("/api/v1/batches/SA-A1/report.pdf").status_code == 401
    r = api("/api/v1/batches/SA-A1/report.pdf", actors["regulator_user"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "克伦特罗" in flat(pdftext(r.data))
    assert api("/api/v1/batches/SA-A9/report.pdf", actors["regulator_user"]).status_code == 409  # unreviewed
    assert api("/api/v1/batches/NO-SUCH/report.pdf", actors["regulator_user"]).status_code == 404
    # the manager of 城西 sees their batch and not 城东's
    assert api("/api/v1/batches/SB-B2/report.pdf", actors["manager_user"]).status_code == 200
    assert api("/api/v1/batches/SA-A1/report.pdf", actors["manager_user"]).status_code == 404


# --- dashboard ---------------------------------------------------------------------------


def test_dashboard_figures_for_the_market_manager(world, actors, ctx):
    """Nov 30 20:00 local: b1 is not due yet (Dec 1 19:30), b2 was closed 5.5 h late."""
    from lims.dashboard.services import dashboard

    now = loc(2026, 11, 30, 20, 0)
    d = dashboard(actors["manager"], now)
    assert (d.current.batches, d.current.tests, d.current.negatives, d.current.positives) == (67, 67, 65, 2)
    # b2 was closed late: counted as closed late, not as an open overdue case
    assert (d.current.dispositions_closed, d.current.overdue_dispositions, d.current.closed_late) == (1, 0, 1)
    assert (d.previous.tests, d.previous.suspects) == (2, 1)
    assert (d.today.tests, d.today.positives, d.today.batches) == (1, 1, 1)  # b1
    assert [(site.code, rating.colour, rating.reason) for site, rating, _ in d.ratings] == [("SB", "orange", "overdue")]
    assert d.red == [] and d.black == []
    assert [(r.name, r.tests) for r in d.by_item] == [("有机磷和氨基甲酸酯类农药", 67)]
    assert sum(x.tests for x in d.daily) == 67 + 2  # the month and the 30 days before it (ob1, ob2)


def test_dashboard_figures_for_the_district(world, actors, ctx):
    from lims.dashboard.services import dashboard

    now = loc(2026, 11, 30, 20, 0)
    d = dashboard(actors["regulator"], now)
    assert (d.current.batches, d.current.tests, d.current.positives) == (218, 220, 10)
    # at Nov 30 20:00 local: h1 (due Nov 28 13:30: 54.5 h) is open and overdue; b2 was closed 5.5 h late
    assert (d.current.overdue_dispositions, d.current.closed_late) == (1, 1)
    colours = {site.code: (rating.colour, rating.reason) for site, rating, _ in d.ratings}
    assert colours["SH"] == ("red", "overdue_long")  # 54.5 h > 48 h
    assert colours["SB"] == ("orange", "overdue")
    assert [s.stall for s in d.black] == ["A01", "A02"] and [s.stall for s in d.red] == ["D01"]


def test_dashboard_page_explains_each_colour_and_draws_its_charts(world, actors, client, db, clock):
    """The regulator's page: every rated site with its colour word and the reason in numbers,
    the three charts (daily, by item, by site) drawn, the lists."""
    import re

    from lims.dashboard.services import dashboard
    from lims.reporting.monthly import rating_reason

    clock(loc(2026, 11, 30, 20, 0))
    client.login(actors["regulator_user"])
    html = client.get("/dashboard").get_data(as_text=True)
    d = dashboard(actors["regulator"], loc(2026, 11, 30, 20, 0))
    assert d.ratings
    for site, rating, reason in d.ratings:
        assert site.name in html and reason == rating_reason(rating) and reason in html, site.code
    assert "54.5" in html  # the longest overdue disposition, in hours
    titles = re.findall(r"<title id=\"chart-[0-9a-f]+-t\">([^<]+)</title>", html)
    assert titles == ["每日检测项次与阳性数", "各检测项目阳性数（2026-11）", "各食品类别阳性数（2026-11）",
                      "各市场阳性率（2026-11）"], titles  # the period (and the rating's month) named
    assert "built-in method" not in html
    assert "蔬菜 4, " in html and "畜禽肉及副产品 2" in html  # positives by category (BY_CATEGORY in test_figures)
    for stall in d.black[:15]:
        assert f"{stall.site} {stall.stall}" in html
