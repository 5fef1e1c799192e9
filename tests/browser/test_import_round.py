"""Issue 13, "the import and the round belong together", in the browser: an import started from
a round's page offers the rows the file leaves unmatched the round's batches with the same stall
and food, in the order they were registered; the technician checks the choices, previews again
and commits, and the results land on those batches. The matching screen is kept at 1366 px."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser.conftest import shot

pytestmark = [pytest.mark.live, pytest.mark.browser]

HEADER = ["通道号", "样品编号", "样品名称", "被检单位", "检测项目", "检测结果", "单位", "检测依据", "标准值", "结论",
          "检测员", "检测时间"]


def _round_with_batches(live):
    """Today's round at 城东综合市场: A-01 青菜, A-01 青菜, A-02 菠菜, A-04 芹菜 (in this order).
    Returns (round id, batch codes, sampled at)."""
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, create_round, register_batch
    from lims.database import utcnow
    from lims.extensions import db
    from lims.i18n import local_day_bounds, local_today
    from lims.models import Site, Stall, User
    from lims.reference.services import get_item

    with live.app.app_context():
        tech = db.session.execute(sa.select(User).where(User.username == "wangli")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "CD")).scalar_one()
        stalls = {s.code: s for s in db.session.execute(sa.select(Stall).where(Stall.site_id == site.id)).scalars()}
        now = utcnow()
        sampled = max(now - timedelta(hours=3), local_day_bounds(local_today(now))[0])
        actor = Actor(tech, "t")
        rnd = create_round(actor, site, local_today(now))
        codes = [register_batch(actor, BatchInput(site=site, stall=stalls[stall], food=food, sampled_at=sampled,
                                                  round=rnd, tests=[get_item("OPC")], quantity_kg=Decimal(8)),
                                now=sampled).code
                 for stall, food in (("A-01", "青菜"), ("A-01", "青菜"), ("A-02", "菠菜"), ("A-04", "芹菜"))]
        db.session.commit()
        rid = rnd.id
        db.session.remove()
    return rid, codes, sampled


def _instrument_file(codes, sampled) -> bytes:
    """The tester's export: the first row carries its code; the next three name only the tested
    party (market and stall) and the food, as many testers' exports do; the last names a stall
    that has no such batch in the round."""
    from lims.i18n import to_local

    def when(minutes):
        return f"{to_local(sampled + timedelta(minutes=minutes)):%Y-%m-%d %H:%M:%S}"

    rows = [
        (1, codes[0], "青菜", "城东综合市场 A-01", "12.4", "合格", when(20)),
        (2, "", "青菜", "城东综合市场 A-01", "15.0", "合格", when(21)),
        (3, "", "菠菜", "城东综合市场 A-02", "63.0", "不合格", when(22)),
        (4, "", "芹菜", "城东综合市场 A-04", "9.8", "合格", when(23)),
        (5, "", "青菜", "城东综合市场 A-05", "11.1", "合格", when(24)),
    ]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEADER)
    for channel, code, food, party, value, word, at in rows:
        w.writerow([channel, code, food, party, "农药残留", value, "%", "GB/T 5009.199-2003", "50", word, "王丽", at])
    return out.getvalue().encode("utf-8")


def test_an_import_from_a_round_matches_unmatched_rows_to_its_batches(page_for, live, tmp_path):
    rid, codes, sampled = _round_with_batches(live)
    path = tmp_path / "农残速测仪导出.csv"
    with live.app.app_context():  # local times as the tester prints them
        path.write_bytes(_instrument_file(codes, sampled))

    page = page_for("wangli")
    page.goto(f"{live.url}/rounds/{rid}/results")
    page.get_by_role("link", name="导入文件").click()
    page.wait_for_url(re.compile(rf"/imports/new\?round={rid}$"))
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="预览").click()
    page.wait_for_url("**/imports/preview/*")

    # Rows 3–5 named no batch: each is given the round's batch of its stall and food, in order
    # (the second 青菜 of A-01, since the first is the coded row's); row 6's stall has none in
    # the round and is left for the technician. The preview is the file as committing takes it.
    assert "3 行无样品编号的记录对应到本轮" in page.locator(".round-matches").inner_text()
    chosen = {n: page.locator(f"select[name=assign-{n}]").input_value() for n in (3, 4, 5, 6)}
    assert chosen == {3: codes[1], 4: codes[2], 5: codes[3], 6: ""}
    offered = page.locator("select[name=assign-6] option").all_inner_texts()
    assert offered[0] == "不指定批次" and [o.split(" · ")[0] for o in offered[1:]] == codes  # every batch, in order
    assert page.locator("tr .text-success", has_text="本轮同一摊位、同一食品").count() == 3
    assert page.locator(".import-counts .stat-value").first.inner_text() == "4"  # ready: the coded row and three
    assert page.locator(".alert-danger").count() == 0  # the positive is matched: no "unmatched positive" alarm
    assert "其中 1 条为阳性" in page.locator(".sticky-actions").inner_text()
    page.set_viewport_size({"width": 1366, "height": page.evaluate("document.documentElement.scrollHeight")})
    shot(page, "import-round-matching-1366")
    page.set_viewport_size({"width": 1366, "height": 768})

    # The technician may decline a choice (and preview again), or keep it: what the commit
    # takes is what the page shows.
    page.select_option("select[name=assign-5]", "")
    page.get_by_role("button", name="重新预览").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name=re.compile("确认导入 3 条结果")).is_enabled()
    assert page.locator("select[name=assign-5]").input_value() == ""  # declined stays declined
    page.select_option("select[name=assign-5]", codes[3])
    page.get_by_role("button", name="重新预览").click()
    page.wait_for_load_state()
    commit = page.get_by_role("button", name=re.compile("确认导入 4 条结果"))
    assert page.locator("select[name=assign-6]").input_value() == ""
    commit.click()
    page.wait_for_url(re.compile(r"/imports/\d+"))
    assert "已导入 4 条结果" in page.locator(".alert-success").inner_text()

    from lims.extensions import db
    from lims.models import Batch, Result

    with live.app.app_context():
        got = dict(db.session.execute(
            sa.select(Batch.code, sa.func.count(Result.id)).join(Result, Result.batch_id == Batch.id)
            .where(Batch.round_id == rid).group_by(Batch.code)).all())
        status = dict(db.session.execute(sa.select(Batch.code, Batch.status).where(Batch.round_id == rid)).all())
        batches = db.session.execute(sa.select(sa.func.count(Batch.id)).where(Batch.round_id == rid)).scalar_one()
        db.session.remove()
    assert got == {code: 1 for code in codes}  # each batch of the round got its result, none twice
    assert status[codes[2]] == "stopped"  # the 菠菜 positive stops its sale
    assert batches == 4  # no duplicate batch was created
