"""The monthly report as a whole (build_monthly) and as it is printed: the PDF read back
with pdftotext and the workbook read back with openpyxl carry the hand-counted figures."""
from __future__ import annotations

from lims.reporting.text import text_for

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from lims.reporting.text import text_for
from tests.wording import ZH_STATUS
from tests.reporting.conftest import sheet_rows, states_numbers, workbook
from tests.reporting.test_figures import (BY_CATEGORY, BY_ITEM, BY_SITE, BY_STATION, DAILY, NOVEMBER, OCTOBER,
                                          POSITIVES, as_tuple, figures_tuple, positive_tuple)
from tests.reporting.world import MONTH, SHANGHAI

D = Decimal

# The printed report counts reviewed results only: a9 (SA, 菠菜, OPC−, tested Nov 25 at 城东快检室,
# not reviewed) is left out of every figure below and counted apart. Everything else as in
# test_figures, counted by hand.
PRINTED_NOVEMBER = {**NOVEMBER, "batches": 217, "tests": 219, "negatives": 207}
PRINTED_BY_SITE = [("城东农贸市场", 12, 6, 4, 1, 1, 10) if row[0] == "城东农贸市场" else row for row in BY_SITE]
PRINTED_BY_CATEGORY = [("蔬菜", 77, 71, 4, 1, 1, 77) if row[0] == "蔬菜" else row for row in BY_CATEGORY]
PRINTED_BY_ITEM = [("有机磷和氨基甲酸酯类农药", 74, 71, 2, 0, 1, 74) if row[0] == "有机磷和氨基甲酸酯类农药" else row
                   for row in BY_ITEM]
PRINTED_BY_STATION = [("城东快检室", 12, 6, 4, 1, 1, 10) if row[0] == "城东快检室" else row for row in BY_STATION]
PRINTED_DAILY = {**DAILY, 25: (30, 0)}

RATED = [  # site, colour, numbers the reason must state
    ("城东农贸市场", "red", ()),  # names 克伦特罗
    ("镇南农贸市场", "red", ("1", "92.5", "48")),
    ("家宴服务中心", "red", ("50.0%", "5.0%")),
    ("城西农贸市场", "orange", ("2",)),
    ("城南农贸市场", "yellow", ("2.5%", "1.5%")),
    ("城北农贸市场", "blue", ("1",)),
    ("城中超市", "green", ("5", "5")),
    ("镇东农贸市场", None, ("3", "10")),
    ("新建市场", None, ("0", "8")),
]


def flat(text: str) -> str:
    """pdftotext output without any whitespace (CJK sentences wrap anywhere)."""
    return re.sub(r"\s+", "", text)


# --- the data ------------------------------------------------------------------------


def test_build_monthly_district(world, actors, ctx):
    from lims.reporting.monthly import build_monthly

    r = build_monthly(actors["regulator"], date(2026, 11, 20))
    assert (r.month, r.scope, r.scope_name, r.report_no) == (MONTH, "district", "上城区", "YB-202611")
    assert r.generated_at == datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    assert r.generated_at.utcoffset() == timedelta(hours=8)
    assert figures_tuple(r.current) == PRINTED_NOVEMBER and r.unreviewed == 1
    assert figures_tuple(r.previous) == OCTOBER
    assert [as_tuple(x) for x in r.by_site] == PRINTED_BY_SITE
    assert [as_tuple(x) for x in r.by_category] == PRINTED_BY_CATEGORY
    assert [as_tuple(x) for x in r.by_item] == PRINTED_BY_ITEM
    assert [as_tuple(x) for x in r.by_station] == PRINTED_BY_STATION
    assert [positive_tuple(p) for p in r.positives] == POSITIVES
    assert [(x.site, x.colour) for x in r.ratings] == [(s, c) for s, c, _ in RATED]
    for rating, (_, _, numbers) in zip(r.ratings, RATED):
        assert states_numbers(rating.reason, numbers), (rating.site, numbers, rating.reason)
    assert "克伦特罗" in r.ratings[0].reason and "莱克多巴胺" not in r.ratings[0].reason
    assert [(s.site, s.stall, s.batches_90d, s.positives_90d) for s in r.black_list] == \
        [("城东农贸市场", "A01", 3, 2), ("城东农贸市场", "A02", 10, 2)]
    assert [(s.site, s.stall, s.batches_90d, s.positives_90d) for s in r.red_list] == [("城北农贸市场", "D01", 20, 0)]
    assert [(e.name, e.batches, e.positives, e.people_served) for e in r.events] == [("张家婚宴", 2, 1, 200)]
    assert [(d.day.day, d.tests, d.positives) for d in r.daily] == \
        [(d, *PRINTED_DAILY.get(d, (0, 0))) for d in range(1, 31)]
    # planned: SA 10 + SB 30 + SC 40 + SD 70 + SE 5 + SF 10 + SH 20 + SL 8 (SI has no plan; SJ, SK not rated)
    assert r.planned_batches == 193
    assert [x.colour for x in r.rating_rules] == ["red", "orange", "yellow", "blue", "green"]
    assert "5" in r.rating_rules[0].condition and "48" in r.rating_rules[0].condition
    assert "3" in r.rating_rules[1].condition and "1.5" in r.rating_rules[2].condition
    assert len(r.list_rules) == 4 and "laboratory" not in r.list_rules[3]  # worded in Chinese
    assert all(n in r.list_rules[0] for n in ("2", "90")) and all(n in r.list_rules[1] for n in ("20", "90", "180"))
    assert "24" in r.list_rules[2]


def test_build_monthly_one_site(world, actors, ctx):
    from lims.reporting.monthly import build_monthly

    r = build_monthly(actors["regulator"], MONTH, "sc")
    assert (r.scope, r.scope_name, r.report_no) == ("site", "城南农贸市场", "YB-202611-SC")
    assert (r.current.batches, r.current.tests, r.current.negatives, r.current.positives) == (40, 40, 39, 1)
    assert (r.current.dispositions_closed, r.current.kg_disposed) == (1, D(3))  # returned: out of circulation
    assert (r.previous.batches, r.previous.tests) == (0, 0)
    assert r.previous.positive_rate is None and r.previous.disposal_rate is None
    assert [(x.site, x.colour) for x in r.ratings] == [("城南农贸市场", "yellow")]
    assert [p.batch_code for p in r.positives] == ["SC-C1"] and r.positives[0].kg_disposed == D(3)
    assert r.events == () and r.red_list == () and r.black_list == ()
    assert r.planned_batches == 40


def test_build_monthly_for_the_market_manager(world, actors, ctx):
    """The manager of 城西农贸市场 asks for the district and gets their market only."""
    from lims.errors import NotFound
    from lims.reporting.monthly import build_monthly

    r = build_monthly(actors["manager"], MONTH)
    assert (r.scope, r.scope_name) == ("site", "城西农贸市场")
    assert (r.current.batches, r.current.tests, r.current.negatives, r.current.positives) == (67, 67, 65, 2)
    assert (r.current.dispositions_closed, r.current.kg_disposed, r.current.overdue_dispositions,
            r.current.closed_late) == (1, D(8), 1, 1)
    assert (r.previous.batches, r.previous.tests, r.previous.suspects) == (2, 2, 1)
    assert [as_tuple(x) for x in r.by_site] == [("城西农贸市场", 67, 65, 2, 0, 0, 67)]
    assert [as_tuple(x) for x in r.by_item] == [("有机磷和氨基甲酸酯类农药", 67, 65, 2, 0, 0, 67)]
    assert [p.batch_code for p in r.positives] == ["SB-B2", "SB-B1"]
    assert [(x.site, x.colour) for x in r.ratings] == [("城西农贸市场", "orange")]
    assert r.events == () and r.red_list == () and r.black_list == ()
    assert sum(d.tests for d in r.daily) == 67 and len(r.daily) == 30
    assert r.planned_batches == 30
    with pytest.raises(NotFound):
        build_monthly(actors["manager"], MONTH, "SA")


def test_build_monthly_of_the_running_month_lists_as_of_today(world, actors, ctx, clock):
    """Printed on Nov 29, the lists are as of Nov 29 (E01's Sep 1 positive still counts)."""
    from lims.reporting.monthly import build_monthly

    clock(datetime(2026, 11, 29, 4, 0, tzinfo=SHANGHAI))
    r = build_monthly(actors["regulator"], MONTH)
    assert [s.stall for s in r.black_list] == ["A01", "A02", "E01"]


# --- the PDF -------------------------------------------------------------------------

L = text_for("zh_CN", ZH_STATUS)  # the words users read; every number below is counted by hand


def summary(batches, tests, negatives, positives, suspects, invalids, pass_rate, positive_rate, disposal_rate, kg):
    """The renderer's summary sentence filled with hand-counted numbers, without whitespace."""
    return flat("本月共检测 {batches} 批次、{tests} 项次，其中阴性 {negatives} 项次、阳性 {positives} 项次、可疑 {suspects} 项次、无效 {invalids} 项次；合格率 {pass_rate}，阳性率 {positive_rate}，处置率 {disposal_rate}，已处置 {kg} kg。".format(
        batches=batches, tests=tests, negatives=negatives, positives=positives, suspects=suspects,
        invalids=invalids, pass_rate=pass_rate, positive_rate=positive_rate, disposal_rate=disposal_rate, kg=kg))


FIGURE_ROWS = [  # label, this month, last month, change (rates change in percentage points)
    ("检测批次", "217", "5", "+212"), ("检测项次", "219", "5", "+214"), ("阴性项次", "207", "2", "+205"),
    ("阳性项次", "10", "2", "+8"), ("可疑项次（须复测）", "1", "1", "0"), ("无效项次（须复测）", "1", "0", "+1"),
    ("合格率", "95.39%", "50.00%", "+45.39 pp"), ("阳性率", "4.61%", "50.00%", "-45.39 pp"),
    ("处置率", "60.00%", "100.00%", "-40.00 pp"), ("已办结处置", "6", "2", "+4"),
    ("已处置数量(kg)", "34.5", "14", "+20.5"), ("超期未处置（截至打印时）", "2", "0", "+2"), ("超期办结", "1", "0", "+1"),
    ("异议复检申请", "3", "0", "+3"),
    ("复检阴性（放行）", "1", "0", "+1"), ("复检阳性（确认）", "1", "0", "+1"),
    ("复检待出结果", "1", "0", "+1"),
]


def test_monthly_pdf_carries_the_figures(world, actors, ctx, pdftext):
    from lims.reporting.monthly import build_monthly, issue_monthly, monthly_pdf

    issue_monthly(actors["regulator"], MONTH)  # the issued report: no draft watermark across the tables
    pdf = monthly_pdf(actors["regulator"], MONTH)
    text = pdftext(pdf)
    f = flat(text)
    assert flat("{year}年{month}月".format(year=2026, month=11)) in f and flat("月度快检报告") in f
    assert "上城区" in f and "YB-202611" in f
    assert "2026-11-01~2026-11-30" in f
    assert flat("计划抽检批次") + "193" in f
    # the summary sentence, with rates as reports.formats.rate_text prints them (two decimals)
    assert summary(217, 219, 207, 10, 1, 1, "95.39%", "4.61%", "60.00%", "34.5") in f
    assert flat("本月另有 {count} 项检测结果尚未审核，未计入本报告的任何数字。".format(count=1)) in f
    rows = [re.sub(r"\s{2,}", "|", line.strip()) for line in pdftext(pdf, layout=True).splitlines()]
    expected = ["|".join((label, cur, prev, change.replace("pp", "个百分点")))
                for label, cur, prev, change in FIGURE_ROWS]
    expected += [  # breakdown rows: name, batches, tests, N, P, S, I, positive rate
        "城北农贸市场|70|70|69|1|0|0|1.43%", "城西农贸市场|67|67|65|2|0|0|2.99%",
        "城东农贸市场|10|12|6|4|1|1|40.00%", "镇南农贸市场|20|20|19|1|0|0|5.00%",
        "家宴服务中心|2|2|1|1|0|0|50.00%", "合计" + "|217|219|207|10|1|1|4.61%",
        "蔬菜|77|77|71|4|1|1|5.33%", "畜禽肉及副产品|8|10|8|2|0|0|20.00%", "—|1|1|1|0|0|0|0.00%",
        "腐霉利|1|1|0|0|1|0|—", "快检车1号|137|137|134|3|0|0|2.19%", "城东快检室|10|12|6|4|1|1|40.00%",
        "|".join(("张家婚宴", L.event_kind("banquet"), "2026-11-15", "张家大院", "2", "1", "200")),
        # coverage: SA's two stalls both tested, ten foods (a9's 菠菜 is not reviewed: not counted)
        "城东农贸市场|2|2|0|100.00%|10"]
    for row in expected:
        assert row in rows, row
    # every rated site with its colour and its reason (with the numbers)
    report = build_monthly(actors["regulator"], MONTH)
    for rating in report.ratings:
        assert flat(rating.site) in f and flat(rating.reason) in f, rating
    counts = {"red": 3, "orange": 1, "yellow": 1, "blue": 1, "green": 1}
    assert flat("、".join(f"{L.colour(c)} {n}" for c, n in counts.items())) in f
    assert flat(L.colour("none")) in f
    # positives: readings as printed (T/C for gold cards, % for enzyme inhibition), kg disposed
    assert flat("本月阳性 {count} 项次，已处置 {kg} kg。".format(count=10, kg="34.5")) in f
    for word in ("鑫源肉业", "老字号腊味", "T/C", "凉拌海蜇", "检出"):
        assert word in f, word
    for status in ("disposed", "released", "disputed", "confirmed"):
        assert flat(L.status(status)) in f, status
    assert re.search(r"0\.210*T/C", f) and re.search(r"71(\.0*)?%", f) and re.search(r"55(\.0*)?%", f)
    assert "54.8" not in f  # the instrument's printed value is not the reading shown
    # the lists
    assert "王丽" in f and "欧阳娜娜" in f and "吴九" in f and "郑十" not in f
    assert "本月" in f  # a Chinese report speaks of 本月
    assert "Monthly" not in text


def test_monthly_pdf_in_english(world, actors, ctx, pdftext):
    from flask_babel import force_locale

    from lims.reporting.monthly import monthly_pdf

    with force_locale("en"):
        text = pdftext(monthly_pdf(actors["regulator"], MONTH))
    f = flat(text)
    assert "本月" not in text and flat("月度快检报告") not in f
    assert flat("Monthly Rapid Test Report") in f
    for n in ("95.39%", "4.61%", "60.00%", "34.5", "217", "城东农贸市场", "92.5"):
        assert n in f, n


def test_monthly_pdf_for_the_market_manager_shows_nothing_else(world, actors, ctx, pdftext):
    from lims.reporting.monthly import monthly_pdf

    f = flat(pdftext(monthly_pdf(actors["manager"], MONTH)))
    assert "城西农贸市场" in f
    assert summary(67, 67, 65, 2, 0, 0, "97.01%", "2.99%", "50.00%", "8") in f
    for other in ("城东农贸市场", "城南农贸市场", "城北农贸市场", "镇南农贸市场", "家宴服务中心", "城中超市", "镇东农贸市场",
                  "新建市场", "张家婚宴", "王丽", "吴九", "鑫源肉业"):
        assert other not in f, other
    # the district is not its scope (the issuing body, 上城区市场监督管理局, tests its market: it is printed)
    assert flat(L.with_note("上城区", L.scope("district"))) not in f


# --- the workbook ---------------------------------------------------------------------

SHEETS = dict(zip(("headline", "by_site", "coverage", "by_category", "by_item", "by_station", "positives", "ratings", "lists",
                   "events", "daily"),
                  ("总体情况", "分市场", "覆盖率", "分食品类别", "分检测项目", "分检测点", "阳性明细", "五色预警", "红黑榜", "活动保障", "每日趋势")))


def test_monthly_xlsx_has_the_same_numbers(world, actors, ctx):
    from lims.reporting.monthly import monthly_xlsx

    wb = workbook(monthly_xlsx(actors["regulator"], MONTH))
    sheet = {k: wb[name] for k, name in SHEETS.items()}
    assert wb.sheetnames == list(SHEETS.values())
    overview = {row[0]: row[1:4] for row in sheet_rows(sheet["headline"]) if row[0]}
    assert overview["统计期间"][0] == "2026-11-01 ~ 2026-11-30"
    assert overview["生成时间"][0] == datetime(2026, 12, 2, 10, 0)
    expected = {"检测批次": (217, 5, 212), "检测项次": (219, 5, 214), "阴性项次": (207, 2, 205),
                "阳性项次": (10, 2, 8), "可疑项次（须复测）": (1, 1, 0), "无效项次（须复测）": (1, 0, 1),
                "已办结处置": (6, 2, 4), "已处置数量(kg)": (34.5, 14, 20.5), "超期未处置（截至打印时）": (2, 0, 2),
                "超期办结": (1, 0, 1),
                "异议复检申请": (3, 0, 3), "复检阴性（放行）": (1, 0, 1),
                "复检阳性（确认）": (1, 0, 1), "复检待出结果": (1, 0, 1)}
    for key, values in expected.items():
        assert tuple(overview[key]) == values, key
    for key, (cur, prev) in {"合格率": (207 / 217, 0.5), "阳性率": (10 / 217, 0.5),
                             "处置率": (0.6, 1.0)}.items():
        got = overview[key]
        assert got[0] == pytest.approx(cur) and got[1] == pytest.approx(prev)
        assert got[2] == pytest.approx(cur - prev)
    rate_cells = [row for row in sheet["headline"].iter_rows() if row[0].value == "阳性率"][0]
    assert rate_cells[1].number_format == "0.00%"

    for key, expected_rows in (("by_site", PRINTED_BY_SITE), ("by_category", PRINTED_BY_CATEGORY),
                               ("by_item", PRINTED_BY_ITEM), ("by_station", PRINTED_BY_STATION)):
        rows = sheet_rows(sheet[key])[1:]
        assert [(r[0], r[2], r[3], r[4], r[5], r[6], r[1]) for r in rows] == expected_rows, key
        for r in rows:
            conclusive = r[3] + r[4]
            assert (r[7] is None) if not conclusive else (r[7] == pytest.approx(r[4] / conclusive)), (key, r)

    positives = sheet_rows(sheet["positives"])[1:]
    assert [(r[11], r[6], r[7], r[8], r[10]) for r in positives] == [
        ("SA-A1", 0.21, None, "T/C", 20), ("SA-A2", 0.35, None, "T/C", 0), ("SB-B2", 55, None, "%", 8),
        ("SI-E2", None, "检出", "mg/kg", 1.5), ("SA-A7", 0.3, None, "T/C", 0), ("SC-C1", 45.2, None, "mg/kg", 3),
        ("SA-A8", 0.4, None, "T/C", 0), ("SD-D1", 0.3, None, "T/C", 2), ("SH-H1", 0.35, None, "g/kg", 0),
        ("SB-B1", 71, None, "%", 0)]
    assert positives[0][:6] == (datetime(2026, 11, 3, 9, 0), "城东农贸市场", "A01", "猪肉", "鑫源肉业", "克伦特罗")
    assert [r[9] for r in positives] == [L.status(s) for s in (
        "disposed", "released", "disposed", "disposed", "confirmed", "disposed", "disputed", "disposed", "confirmed",
        "confirmed")]

    ratings = sheet_rows(sheet["ratings"])[1:10]
    assert [(r[0], r[1]) for r in ratings] == [(site, L.colour(colour or "none")) for site, colour, _ in RATED]
    for r, (_, _, numbers) in zip(ratings, RATED):
        assert states_numbers(r[2], numbers), r

    lists = sheet_rows(sheet["lists"])[1:]
    black, red = "黑榜", "红榜（诚信经营）"
    assert [r[:6] for r in lists] == [(black, "城东农贸市场", "A01", "王丽", 3, 2),
                                      (black, "城东农贸市场", "A02", "欧阳娜娜", 10, 2),
                                      (red, "城北农贸市场", "D01", "吴九", 20, 0)]
    events = sheet_rows(sheet["events"])[1:]
    assert events == [("张家婚宴", L.event_kind("banquet"), datetime(2026, 11, 15), None, "张家大院", 2, 1, 200)]
    daily = sheet_rows(sheet["daily"])[1:]
    assert daily == [(datetime(2026, 11, d), *PRINTED_DAILY.get(d, (0, 0))) for d in range(1, 31)]


def test_monthly_xlsx_coverage_is_the_pdfs(world, actors, ctx, pdftext):
    """Coverage (stalls tested ÷ stalls registered, foods tested) in the workbook, read back,
    is the PDF's coverage table, row by row; a stall never tested is counted in both."""
    from lims.extensions import db
    from lims.models import Site, Stall
    from lims.reporting.monthly import monthly_pdf, monthly_xlsx

    sa_site = db.session.query(Site).filter_by(name="城东农贸市场").one()
    db.session.add(Stall(site_id=sa_site.id, code="A99", operator="未检户", public_code="nevertested1"))
    db.session.flush()
    rows = sheet_rows(workbook(monthly_xlsx(actors["regulator"], MONTH))["覆盖率"])
    T = text_for("zh_CN")
    header_words = [T.pgettext("report column", "Site"), T.pgettext("report column", "Stalls"),
                    T.pgettext("report column", "Tested"), T.pgettext("report column", "Never tested"),
                    T._("Coverage"), T._("Foods tested")]
    assert rows[0][:6] == tuple(header_words)
    body = rows[1:]
    assert ("城东农贸市场", 3, 2, 1, pytest.approx(2 / 3), 10) in [tuple(r[:6]) for r in body]
    printed = [re.sub(r"\s{2,}", "|", line.strip())
               for line in pdftext(monthly_pdf(actors["regulator"], MONTH), layout=True).splitlines()]
    assert body
    for site, stalls, tested, untested, rate, foods in (r[:6] for r in body):
        rate_txt = "—" if rate is None else f"{Decimal(str(rate)) * 100:.2f}%"
        line = "|".join((site, str(stalls), str(tested), str(untested), rate_txt, str(foods)))
        assert line in printed, line


def test_monthly_xlsx_for_the_market_manager(world, actors, ctx):
    from lims.reporting.monthly import monthly_xlsx

    wb = workbook(monthly_xlsx(actors["manager"], MONTH))
    texts = {str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert "城西农贸市场" in texts
    assert not {"城东农贸市场", "城北农贸市场", "张家婚宴", "王丽", "吴九"} & texts
    overview = {row[0]: row[1:4] for row in sheet_rows(wb["总体情况"]) if row[0]}
    assert tuple(overview["检测项次"]) == (67, 2, 65)


def test_monthly_of_an_empty_month(world, actors, ctx, pdftext):
    """August 2026: nothing sampled anywhere. Zero counts, no rates ("—"), every planned
    site below plan, 31 days of zeros; the PDF still renders."""
    from lims.reporting.monthly import build_monthly, monthly_pdf

    r = build_monthly(actors["regulator"], date(2026, 8, 1))
    assert (r.current.batches, r.current.tests, r.current.positives, r.current.kg_disposed) == (0, 0, 0, 0)
    assert r.current.pass_rate is None and r.current.positive_rate is None and r.current.disposal_rate is None
    assert r.by_site == () and r.positives == () and r.events == ()
    assert [(d.tests, d.positives) for d in r.daily] == [(0, 0)] * 31
    assert [(x.site, x.colour) for x in r.ratings] == [
        ("城东农贸市场", None), ("城西农贸市场", None), ("城南农贸市场", None), ("城北农贸市场", None), ("城中超市", None),
        ("镇东农贸市场", None), ("镇南农贸市场", None), ("新建市场", None)]
    assert all(states_numbers(x.reason, ("0",)) for x in r.ratings)
    f = flat(pdftext(monthly_pdf(actors["regulator"], date(2026, 8, 1))))
    assert summary(0, 0, 0, 0, 0, 0, "—", "—", "—", "0") in f
    assert flat("本月无阳性") in f


def test_monthly_workbook_text_is_formula_safe(world, actors, db, ctx):
    from lims.reporting.monthly import monthly_xlsx

    world.stalls["A01"].operator = "=SUM(1,2)"
    world.stalls["D01"].operator = "@cmd"
    db.session.flush()
    ws = workbook(monthly_xlsx(actors["regulator"], MONTH))["红黑榜"]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    assert "'=SUM(1,2)" in cells and cells["'=SUM(1,2)"].data_type == "s"
    assert "'@cmd" in cells
    assert not any(isinstance(c.value, str) and c.value[:1] in "=@+" for row in ws.iter_rows() for c in row)


def test_the_monthly_report_prints_the_audit_trail_head(world, actors, ctx, pdftext, app):
    """A printed copy anchors the trail: its head (newest entry and hash) on the cover, the
    same as `lims audit head` prints."""
    import io

    import openpyxl

    from lims.accounts.access import Actor
    from lims.audit.services import head, record, seal
    from lims.reporting.monthly import monthly_pdf, monthly_xlsx

    record(Actor(user=None, ip="cli"), "report.test", "report", "YB")
    seal()  # the head printed is the sealed chain's
    seq, digest = head()
    f = flat(pdftext(monthly_pdf(actors["regulator"], MONTH), raw=True))  # raw: the draft watermark apart
    assert f"审计链头#{seq}{digest}" in f
    out = app.test_cli_runner().invoke(args=["lims", "audit", "head"]).output
    assert f"#{seq}" in out and digest[:8] in out
    wb = openpyxl.load_workbook(io.BytesIO(monthly_xlsx(actors["regulator"], MONTH)), read_only=True)
    values = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c]
    wb.close()
    assert f"#{seq} {digest}" in values
