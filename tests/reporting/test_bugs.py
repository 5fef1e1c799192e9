"""Bugs found while checking the reports' figures by hand, each kept as a regression test."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.reporting.world import MONTH

D = Decimal


def test_rating_reason_states_a_rate_above_its_threshold(app, ctx):
    from lims.reporting.monthly import rating_reason
    from lims.rules.rating import SiteMonth, rate_site

    rating = rate_site(SiteMonth(negatives=32, positives=1, batches=33, planned_batches=30))
    assert (rating.colour, rating.reason) == ("orange", "rate_above")
    rate, threshold = re.findall(r"(\d+(?:\.\d+)?)%", rating_reason(rating))
    assert D(rate) > D(threshold), rating_reason(rating)


def test_kg_disposed_counted_once_per_batch(world, actors, db, ctx, pdftext):
    from lims.reporting.monthly import build_monthly, monthly_pdf

    world.results["a1_sal"].outcome = "positive"  # a1 (20 kg, all disposed) positive for CLB and SAL
    db.session.flush()
    report = build_monthly(actors["regulator"], MONTH)
    assert report.current.positives == 11
    f = re.sub(r"\s+", "", pdftext(monthly_pdf(actors["regulator"], MONTH)))
    template = re.escape(re.sub(r"\s+", "", "本月阳性 {count} 项次，已处置 {kg} kg。"))
    printed = re.search(template.replace(r"\{count\}", r"(\d+)").replace(r"\{kg\}", r"([\d.]+)"), f)
    assert printed and printed.groups() == ("11", "34.5")


def test_verify_page_shows_what_the_report_shows(app, db, make_user, clock, client):
    from lims.reporting.batch import build_batch_report
    from lims.reporting.common import verify_token
    from tests.reporting.world import Builder, loc

    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("VR", "核验市场", 10)
    batch = b.batch(site, "菠菜", loc(2026, 11, 20, 7), stall=b.stall(site, "V1", "孙丽"), code="VR-1",
                    category="VEG-LEAF")
    b.result(batch, "OPC", "invalid", loc(2026, 11, 20, 8), computed=None, control_delta=D("0.1"))
    b.result(batch, "OPC", "negative", loc(2026, 11, 20, 11), computed=D("8"))
    db.session.commit()
    clock(loc(2026, 11, 20, 18))
    with app.test_request_context("/"):
        lines = build_batch_report(batch).results
        token = verify_token("VR-1")
    assert [x.outcome for x in lines] == ["negative"]
    html = client.get(f"/public/verify/VR-1/{token}").get_data(as_text=True)
    assert html.count('class="pub-result outcome-') == 1 and "复测中" not in html


def test_export_principle_in_words(world, actors, ctx):
    import io
    from datetime import date

    from lims.reporting.exports import export_results
    from tests.reporting.conftest import sheet_rows, workbook

    buf = io.BytesIO()
    export_results(actors["regulator"], date(2026, 11, 3), date(2026, 11, 3), buf)
    rows = sheet_rows(workbook(buf.getvalue()).worksheets[0])
    col = rows[0].index("检测原理")
    assert not {r[col] for r in rows[1:]} & {"colloidal_gold", "enzyme_inhibition", "colorimetric", "other"}


def test_readings_printed_as_read(world, actors, ctx, pdftext):
    from lims.reporting.monthly import monthly_pdf

    f = re.sub(r"\s+", "", pdftext(monthly_pdf(actors["regulator"], MONTH)))
    assert "0.21T/C" in f and "45.2mg/kg" in f
    assert "0.2100" not in f and "45.2000" not in f and "55.0000" not in f


def test_the_batch_list_reads_each_batchs_objections_with_the_page(world, actors, db, ctx, clock):
    """Issue 14, scope must not cost: a page of the batch list loaded its batches' objections
    one disposition at a time (batch_state reads them), so a district whose newest batches held
    more positives paid more queries than the administrator's page."""
    import sqlalchemy as sa

    from lims.batches.queries import BatchFilter, batch_state, page_batches
    from lims.database import utcnow

    now = utcnow()
    page = page_batches(actors["admin"], BatchFilter(), now, 1, per_page=500)
    assert sum(1 for b in page.items if b.disposition is not None) >= 3
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        states = [batch_state(b, now) for b in page.items]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert states and seen == []


@pytest.mark.parametrize("page", ["", "&page=1"])
def test_the_api_batch_list_loads_suppliers_tests_and_disposals_with_the_page(world, actors, db, client, api_token,
                                                                              page):
    """The API's page of batches read each batch's supplier and planned tests, and each
    disposition's objections, disposals and photos, one at a time (both kinds of page)."""
    import sqlalchemy as sa

    headers = api_token(actors["admin_user"])
    db.session.commit()
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        data = client.get(f"/api/v1/batches?outcome=positive{page}", headers=headers).get_json()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert sum(1 for b in data if b["disposition"]) >= 3
    for table in ("suppliers", "disposal_actions", "objections", "photos", "test_items"):
        reads = [s for s in seen if f"FROM {table} " in s or f"FROM {table}\n" in s]
        assert len(reads) <= 1, (table, len(reads))
