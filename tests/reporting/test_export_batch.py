"""The results export (Excel) and the batch test report (检测报告单)."""
from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.reporting.conftest import sheet_rows, workbook
from tests.reporting.world import FORMULA_FOOD, loc

D = Decimal


def export(actor, first, last):
    from lims.reporting.exports import export_results

    buf = io.BytesIO()
    n = export_results(actor, first, last, buf)
    wb = workbook(buf.getvalue())
    rows = sheet_rows(wb.worksheets[0])
    header, body = rows[0], rows[1:]
    return n, wb, [dict(zip(header, r)) for r in body], wb.worksheets[0]


# --- results export --------------------------------------------------------------------


def test_export_has_exactly_the_reviewed_current_results_of_the_period(world, actors, ctx):
    n, wb, rows, _ = export(actors["regulator"], date(2026, 11, 1), date(2026, 11, 30))
    # November's 220 current results minus a9 (not reviewed); a3 v1 (superseded), o2 (Oct 31 23:59
    # local), x0 (Dec 1 00:00:00 local) and x1 are not in it
    assert n == 219 and len(rows) == 219
    codes = [r["样品编号"] for r in rows]
    assert "SA-A9" not in codes and "SA-O2" not in codes and "SA-X0" not in codes and "SA-X1" not in codes
    assert codes.count("SA-A1") == 3 and codes.count("SA-A3") == 1
    assert "SA-A4" in codes and "SA-A10" in codes and "SA-O3" in codes  # both ends of the local month
    assert codes.count("SI-E3") == 0  # registered, never tested
    assert [r["检测时间"] for r in rows] == sorted(r["检测时间"] for r in rows)
    assert rows[0]["检测时间"] == datetime(2026, 11, 1, 1, 0)  # a4: 2026-10-31 17:00 UTC, local wall time
    assert rows[-1]["检测时间"] == datetime(2026, 11, 30, 23, 59, 59)
    outcomes = [r["结论"] for r in rows]
    assert (outcomes.count("阴性"), outcomes.count("阳性"), outcomes.count("可疑"), outcomes.count("无效")) == \
        (207, 10, 1, 1)
    notes = {r[0]: r[1] for r in sheet_rows(wb.worksheets[1]) if r[0]}
    assert notes["结果条数"] == 219 and notes["统计期间"] == "2026-11-01 – 2026-11-30"


def test_export_fields(world, actors, ctx):
    _, _, rows, _ = export(actors["regulator"], date(2026, 11, 1), date(2026, 11, 30))
    by_key = {(r["样品编号"], r["检测项目代码"]): r for r in rows}
    a1 = by_key[("SA-A1", "CLB")]
    assert {k: a1[k] for k in ("样品编号", "抽样时间", "抽样人", "被检场所", "场所类型", "所属辖区", "档口编号", "经营者",
                               "样品名称", "食品大类", "食品细类", "供货者", "进货数量(kg)", "检测项目", "检测依据",
                               "检测点", "检测值", "单位", "判定值", "结论", "检测时间", "检测人员", "审核时间",
                               "审核人员", "结果版本", "处置状态")} == {
        "样品编号": "SA-A1", "抽样时间": datetime(2026, 11, 3, 8, 0), "抽样人": "检测员甲", "被检场所": "城东农贸市场",
        "场所类型": "农贸市场", "所属辖区": "上城区", "档口编号": "A01", "经营者": "王丽", "样品名称": "猪肉",
        "食品大类": "畜禽肉及副产品", "食品细类": "畜肉", "供货者": "鑫源肉业", "进货数量(kg)": 20, "检测项目": "克伦特罗",
        "检测依据": "KJ 201706", "检测点": "城东快检室", "检测值": 0.21, "单位": "T/C", "判定值": "0.5", "结论": "阳性",
        "检测时间": datetime(2026, 11, 3, 9, 0), "检测人员": "检测员甲", "审核时间": datetime(2026, 11, 3, 9, 20),
        "审核人员": "审核员乙", "结果版本": 1, "处置状态": "已处置完毕"}
    assert by_key[("SA-A1", "RAC")]["处置状态"] is None  # only positives carry a disposition status
    a3 = by_key[("SA-A3", "CLB")]
    assert (a3["结论"], a3["结果版本"], a3["更正原因"], a3["检测值"]) == ("阴性", 2, "T 线读数录入错误", 0.95)
    b2 = by_key[("SB-B2", "OPC")]
    assert (b2["检测值"], b2["单位"], b2["检测点"], b2["处置状态"]) == (55, "%", "快检车1号", "已处置完毕")
    # stored "stopped", the window has passed: it reads as confirmed
    assert by_key[("SB-B1", "OPC")]["处置状态"] == "确认阳性，待处置"
    assert by_key[("SA-A2", "RAC")]["处置状态"] == "复检阴性，已放行"
    assert by_key[("SA-A8", "CPF")]["处置状态"] == "实验室复检中"
    e2 = by_key[("SI-E2", "H2O2")]
    assert (e2["活动"], e2["档口编号"], e2["检测值"], e2["定性结果"], e2["单位"]) == ("张家婚宴", None, None, "检出", "mg/kg")
    e1 = by_key[("SI-E1", "ENR")]
    assert (e1["食品大类"], e1["食品细类"]) == (None, None)
    a5 = by_key[("SA-A5", "PCM")]
    assert a5["结论"] == "可疑" and a5["处置状态"] is None


def test_export_neutralises_formulas(world, actors, ctx):
    _, _, rows, ws = export(actors["regulator"], date(2026, 11, 27), date(2026, 11, 27))
    food_col = [c.value for c in ws[1]].index("样品名称")
    cells = [row[food_col] for row in ws.iter_rows(min_row=2)]
    formula = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert len(formula) == 1
    cell = formula[0]
    assert cell.data_type == "s", "a text cell, not a formula"
    assert cell.value == "'" + FORMULA_FOOD
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    # Nov 27: h1 and SF's three batches
    assert len(rows) == 4


def test_export_local_day_boundaries(world, actors, ctx):
    _, _, rows, _ = export(actors["regulator"], date(2026, 10, 31), date(2026, 10, 31))
    assert [r["样品编号"] for r in rows] == ["SA-O2"]  # Oct 31 23:59 local; a4 (17:00 UTC) is Nov 1
    _, _, rows, _ = export(actors["regulator"], date(2026, 12, 1), date(2026, 12, 1))
    assert [r["样品编号"] for r in rows] == ["SA-X0", "SA-X1"]


def test_export_for_the_market_manager(world, actors, ctx):
    n, _, rows, _ = export(actors["manager"], date(2026, 10, 1), date(2026, 11, 30))
    assert n == 69  # SB: 67 in November, ob1 and ob2 in October
    assert {r["被检场所"] for r in rows} == {"城西农贸市场"}


# --- batch report ----------------------------------------------------------------------


def get(code):
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.models import Batch

    return db.session.execute(sa.select(Batch).where(Batch.code == code)).scalar_one()


def test_batch_report_of_a_disposed_positive(world, ctx):
    from lims.reporting.batch import build_batch_report

    r = build_batch_report(get("SA-A1"))
    assert (r.report_no, r.batch_code, r.site, r.food, r.stall, r.operator, r.supplier, r.quantity_kg) == \
        ("KJ-SA-A1", "SA-A1", "城东农贸市场", "猪肉", "A01", "王丽", "鑫源肉业", D(20))
    assert r.category == "畜禽肉及副产品 › 畜肉"
    assert r.sampled_by == "检测员甲"
    lines = {x.item: x for x in r.results}
    assert set(lines) == {"克伦特罗", "莱克多巴胺", "沙丁胺醇"}
    clb = lines["克伦特罗"]
    assert (clb.outcome, clb.value, clb.unit, clb.cutoff, clb.tested_by, clb.reviewed_by) == \
        ("positive", D("0.21"), "T/C", "A 0.5", "检测员甲", "审核员乙")
    assert clb.tested_at == loc(2026, 11, 3, 9) and clb.tested_at.utcoffset().total_seconds() == 8 * 3600
    d = r.disposition
    assert (d.status, d.quantity_kg, d.disposed_kg, d.remaining_kg, d.overdue, d.objection) == \
        ("disposed", D(20), D(20), D(0), False, None)  # stop_sale is not counted as disposed
    assert [(a.quantity_kg, a.done_at) for a in d.actions] == [
        (D(20), loc(2026, 11, 3, 9, 40)), (D(15), loc(2026, 11, 4, 9)), (D(5), loc(2026, 11, 4, 10))]
    token = __import__("lims.reporting.common", fromlist=["verify_token"]).verify_token("SA-A1")
    assert r.verify_url.endswith(f"/public/verify/SA-A1/{token}")


def test_batch_report_objections(world, ctx):
    from lims.reporting.batch import build_batch_report

    released = build_batch_report(get("SA-A2")).disposition
    assert released.status == "released" and released.objection.lab_outcome == "negative"
    assert released.objection.report_no == "LAB-2026-001" and released.objection.fee == D(300)
    assert released.disposed_kg == 0
    pending = build_batch_report(get("SA-A8")).disposition
    assert pending.status == "disputed" and pending.objection.lab_outcome is None
    overdue = build_batch_report(get("SH-H1")).disposition
    assert overdue.status == "confirmed" and overdue.overdue is True and overdue.remaining_kg == D(5)
    window_passed = build_batch_report(get("SB-B1")).disposition
    assert window_passed.status == "confirmed" and window_passed.overdue is True


def test_batch_report_only_current_reviewed_results(world, db, ctx):
    from lims.errors import Conflict
    from lims.reporting.batch import build_batch_report
    from tests.reporting.world import Builder

    r = build_batch_report(get("SA-A3"))
    assert [(x.item, x.outcome, x.value) for x in r.results] == [("克伦特罗", "negative", D("0.95"))]  # not v1
    # an unreviewed batch: no final report, a draft is fine
    with pytest.raises(Conflict):
        build_batch_report(get("SA-A9"))
    draft = build_batch_report(get("SA-A9"), draft=True)
    assert [(x.item, x.outcome, x.reviewed_at) for x in draft.results] == [("有机磷和氨基甲酸酯类农药", "negative", None)]
    # one reviewed and one unreviewed result: still refused
    b = Builder(db, world.users["tech"], world.users["reviewer"])
    b.result(world.batches["a1"], "CLB", "negative", loc(2026, 11, 3, 11), reviewed=False, tc=D("0.9"))
    db.session.flush()
    db.session.expire(world.batches["a1"], ["results"])
    with pytest.raises(Conflict):
        build_batch_report(get("SA-A1"))
    # the repeat after an invalid test replaces it on the report
    b.result(world.batches["a6"], "OPC", "negative", loc(2026, 11, 12, 11), computed=D("15.0"))
    db.session.flush()
    db.session.expire(world.batches["a6"], ["results"])
    lines = build_batch_report(get("SA-A6")).results
    assert [(x.item, x.outcome, x.value, x.unit) for x in lines] == [("有机磷和氨基甲酸酯类农药", "negative", D("15.0"), "%")]


def test_batch_report_pdf(world, ctx, pdftext):
    from lims.reporting.batch import batch_report_pdf

    f = re.sub(r"\s+", "", pdftext(batch_report_pdf(get("SA-A3"))))
    assert "SA-A3" in f and "城东农贸市场" in f and "猪肝" in f and "克伦特罗" in f
    assert re.search(r"0\.950*T/C", f)
    assert not re.search(r"0\.30*T/C", f)  # the superseded reading
    assert "草稿" not in re.sub(r"\s+", "", pdftext(batch_report_pdf(get("SA-A3")), raw=True))
    draft = re.sub(r"\s+", "", pdftext(batch_report_pdf(get("SA-A9"), draft=True), raw=True))
    assert "菠菜" in draft and "草稿" in draft
