"""One source of figures (issue 12): a number shown in two outputs is the same number. Each
figure is computed through every output that shows it — the monthly report (data, PDF), the
dashboard, the event page and summary PDF, the market board (data, PDF, public page) — for
the same scope and period, and compared."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from lims.reporting.text import text_for
from tests.reporting.world import MONTH, NOW, Builder, loc




def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def stat(html: str, label: str) -> str:
    values = {lab: v for v, lab in re.findall(
        r'<div class="stat-value[^"]*">([^<]*)</div><div class="stat-label">([^<]*)</div>', html)}
    return values[label]


def test_event_figures_are_the_monthly_reports(world, actors, client, ctx, pdftext, db):
    """张家婚宴: tested and positive batches, the same in the monthly report (data and PDF),
    the event page and the event summary PDF — also once a batch is left untested."""
    from lims.events.services import build_summary, summary_pdf
    from lims.reporting.monthly import build_monthly, monthly_pdf

    client.login(actors["regulator_user"])
    for step in ("as built", "one more tested"):
        if step == "one more tested":
            b = Builder(db, world.results["e1"].tested_by, world.results["e1"].reviewed_by)
            b.result(world.batches["e3"], "ENR", "negative", loc(2026, 11, 15, 10), tc=world.results["e1"].tc_ratio)
            db.session.commit()
        (row,) = [e for e in build_monthly(actors["regulator"], MONTH).events if e.name == "张家婚宴"]
        summary = build_summary(actors["regulator"], world.event).figures
        assert (row.batches, row.positives) == (summary.tested_batches, summary.positive_batches), step
        html = client.get("/events/EV-2611-01").get_data(as_text=True)
        assert (stat(html, "已检批次"), stat(html, "阳性批次")) == (str(row.batches), str(row.positives)), step
        text = flat(pdftext(summary_pdf(actors["regulator"], world.event)))
        assert f"已检{row.batches}批次" in text and f"阳性{row.positives}批次" in text, step
        monthly = [re.sub(r"\s{2,}", "|", line.strip())
                   for line in pdftext(monthly_pdf(actors["regulator"], MONTH), layout=True).splitlines()]
        assert any(line.startswith("张家婚宴|") and line.endswith(f"|{row.batches}|{row.positives}|200")
                   for line in monthly), step
    assert (row.batches, row.positives) == (3, 1)  # e1, e2 (positive), e3 now tested


def test_the_board_counts_what_the_monthly_figures_count(app, db, make_user, ctx, clock, client, pdftext):
    """A market's day: the board (entries, PDF, public page) and the figures of the monthly
    report and dashboard (headline, by-site breakdown) for that site and day agree on tests,
    negatives and positives (every positive public, no repeats)."""
    from lims.reporting import figures
    from lims.reporting.board import board_entries, board_pdf

    clock(NOW)
    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site = b.site("OS", "一源市场", 10)
    stall = b.stall(site, "K1", "钱某")
    b.negatives(site, stall, 7, (2026, 11, 20), "OPC", "青菜", "VEG-LEAF", computed=D("10"))
    batch = b.batch(site, "韭菜", loc(2026, 11, 20, 8, 30), stall=stall, category="VEG-LEAF", status="disposed",
                    verdict="positive", quantity=D("5"))
    r = b.result(batch, "OPC", "positive", loc(2026, 11, 20, 10, 30), computed=D("70"))
    b.disposition(batch, r, "disposed", loc(2026, 11, 20, 11), closed_at=loc(2026, 11, 20, 16))
    b.result(b.batch(site, "菠菜", loc(2026, 11, 20, 8, 40), stall=stall, category="VEG-LEAF"), "OPC", "negative",
             loc(2026, 11, 20, 11, 30), computed=D("12"), reviewed=False)  # not reviewed: on neither
    db.session.commit()
    day = date(2026, 11, 20)
    start, end = figures.month_bounds(MONTH)
    day_start, day_end = start + timedelta(days=19), start + timedelta(days=20)
    scope = figures.Scope(frozenset({site.id}), site.name, "site", reviewed_only=True, key=site.code)
    head = figures.headline(scope, day_start, day_end, NOW)
    (by_site,) = figures.breakdown(scope, day_start, day_end, "site")
    entries = board_entries(site, day, NOW)
    counted = (len(entries), sum(e.outcome == "negative" for e in entries), sum(e.outcome == "positive" for e in entries))
    assert counted == (head.tests, head.negatives, head.positives) == \
        (by_site.tests, by_site.negatives, by_site.positives) == (8, 7, 1)
    text = flat(pdftext(board_pdf(site, day)))
    words = text_for("zh_CN")
    count = words.ngettext("{total} result on {day}", "{total} results on {day}", 8).format(total=8, day=day)
    summary = words._("{count}: {negatives} no problem found, {positives} positive, {retests} being retested.")
    assert flat(summary.format(count=count, negatives=7, positives=1, retests=0)) in text
    # the month: the daily count of the 20th (monthly chart and workbook) is the board's
    (d20,) = [d for d in figures.daily(scope, start, end) if d.day == day]
    assert (d20.tests, d20.positives) == (head.tests, head.positives)


D = Decimal
