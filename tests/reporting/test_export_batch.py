"""The results export (Excel) and the batch test report (检测报告单)."""
from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.reporting.conftest import sheet_rows, workbook
from lims.reporting.text import text_for
from tests.wording import ZH_STATUS
from tests.reporting.world import FORMULA_FOOD, loc

D = Decimal
L = text_for("zh_CN", ZH_STATUS)  # the words users read; the numbers below are counted by hand


def export(actor, first, last):
    """(row count, workbook, rows as dicts keyed by ResultExportRow field, sheet)."""
    from lims.reporting.exports import export_results
    from reports.excel.results_export import COLUMNS, export_headers

    buf = io.BytesIO()
    n = export_results(actor, first, last, buf)
    wb = workbook(buf.getvalue())
    rows = sheet_rows(wb.worksheets[0])
    header, body = rows[0], rows[1:]
    assert list(header) == export_headers(L)
    fields = [name for name, _, _, _ in COLUMNS]
    return n, wb, [dict(zip(fields, r)) for r in body], wb.worksheets[0]


# --- results export --------------------------------------------------------------------


def test_export_has_exactly_the_reviewed_current_results_of_the_period(world, actors, ctx):
    n, wb, rows, _ = export(actors["regulator"], date(2026, 11, 1), date(2026, 11, 30))
    # November's 220 current results minus a9 (not reviewed); a3 v1 (superseded), o2 (Oct 31 23:59
    # local), x0 (Dec 1 00:00:00 local) and x1 are not in it
    assert n == 219 and len(rows) == 219
    codes = [r["batch_code"] for r in rows]
    assert "SA-A9" not in codes and "SA-O2" not in codes and "SA-X0" not in codes and "SA-X1" not in codes
    assert codes.count("SA-A1") == 3 and codes.count("SA-A3") == 1
    assert "SA-A4" in codes and "SA-A10" in codes and "SA-O3" in codes  # both ends of the local month
    assert codes.count("SI-E3") == 0  # registered, never tested
    assert [r["tested_at"] for r in rows] == sorted(r["tested_at"] for r in rows)
    assert rows[0]["tested_at"] == datetime(2026, 11, 1, 1, 0)  # a4: 2026-10-31 17:00 UTC, local wall time
    assert rows[-1]["tested_at"] == datetime(2026, 11, 30, 23, 59, 59)
    outcomes = [r["outcome"] for r in rows]
    assert [outcomes.count(L.outcome(o)) for o in ("negative", "positive", "suspect", "invalid")] == [207, 10, 1, 1]
    notes = {r[0]: r[1] for r in sheet_rows(wb.worksheets[1]) if r[0]}
    assert notes["结果条数"] == 219 and notes["统计期间"] == "2026-11-01 – 2026-11-30"


def test_export_fields(world, actors, ctx):
    _, _, rows, _ = export(actors["regulator"], date(2026, 11, 1), date(2026, 11, 30))
    by_key = {(r["batch_code"], r["item_code"]): r for r in rows}
    a1 = by_key[("SA-A1", "CLB")]
    assert {k: a1[k] for k in ("batch_code", "sampled_at", "sampled_by", "site", "site_kind", "district", "stall", "operator",
                               "food", "category_l1", "category_l2", "supplier", "quantity_kg", "item_name", "method",
                               "station", "value", "unit", "cutoff", "outcome", "tested_at", "tester", "reviewed_at",
                               "reviewer", "version", "disposition_status")} == {
        "batch_code": "SA-A1", "sampled_at": datetime(2026, 11, 3, 8, 0), "sampled_by": "检测员甲", "site": "城东农贸市场",
        "site_kind": L.site_kind("market"), "district": "上城区", "stall": "A01", "operator": "王丽", "food": "猪肉",
        "category_l1": "畜禽肉及副产品", "category_l2": "畜肉", "supplier": "鑫源肉业", "quantity_kg": 20, "item_name": "克伦特罗",
        "method": "KJ 201706", "station": "城东快检室", "value": 0.21, "unit": "T/C", "cutoff": "0.5", "outcome": L.outcome("positive"),
        "tested_at": datetime(2026, 11, 3, 9, 0), "tester": "检测员甲", "reviewed_at": datetime(2026, 11, 3, 9, 20),
        "reviewer": "审核员乙", "version": 1, "disposition_status": L.status("disposed")}
    assert by_key[("SA-A1", "RAC")]["disposition_status"] is None  # only positives carry a disposition status
    a3 = by_key[("SA-A3", "CLB")]
    assert (a3["outcome"], a3["version"], a3["correction_reason"], a3["value"]) == (L.outcome("negative"), 2, "T 线读数录入错误", 0.95)
    b2 = by_key[("SB-B2", "OPC")]
    assert (b2["value"], b2["unit"], b2["station"], b2["disposition_status"]) == (55, "%", "快检车1号", L.status("disposed"))
    # stored "stopped", the window has passed: it reads as confirmed
    assert by_key[("SB-B1", "OPC")]["disposition_status"] == L.status("confirmed")
    assert by_key[("SA-A2", "RAC")]["disposition_status"] == L.status("released")
    assert by_key[("SA-A8", "CPF")]["disposition_status"] == L.status("disputed")
    e2 = by_key[("SI-E2", "H2O2")]
    assert (e2["event"], e2["stall"], e2["value"], e2["value_text"], e2["unit"]) == ("张家婚宴", None, None, "检出", "mg/kg")
    e1 = by_key[("SI-E1", "ENR")]
    assert (e1["category_l1"], e1["category_l2"]) == (None, None)
    a5 = by_key[("SA-A5", "PCM")]
    assert a5["outcome"] == L.outcome("suspect") and a5["disposition_status"] is None


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
    assert [r["batch_code"] for r in rows] == ["SA-O2"]  # Oct 31 23:59 local; a4 (17:00 UTC) is Nov 1
    _, _, rows, _ = export(actors["regulator"], date(2026, 12, 1), date(2026, 12, 1))
    assert [r["batch_code"] for r in rows] == ["SA-X0", "SA-X1"]


def test_export_for_the_market_manager(world, actors, ctx):
    n, _, rows, _ = export(actors["manager"], date(2026, 10, 1), date(2026, 11, 30))
    assert n == 69  # SB: 67 in November, ob1 and ob2 in October
    assert {r["site"] for r in rows} == {"城西农贸市场"}


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
    mark = max("未审核 / 草稿 DRAFT".split(), key=len)  # "未审核 / 草稿 DRAFT" → its longest word
    assert mark not in re.sub(r"\s+", "", pdftext(batch_report_pdf(get("SA-A3")), raw=True))
    draft = re.sub(r"\s+", "", pdftext(batch_report_pdf(get("SA-A9"), draft=True), raw=True))
    assert "菠菜" in draft and mark in draft
