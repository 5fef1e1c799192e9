"""The event page and its summary PDF count batches and tests apart, say which batches were
not tested, and never claim "all negative" while a batch is untested."""
from __future__ import annotations

import re

from tests.reporting.world import Builder, loc

ALL_NEGATIVE = "全部批次均已检测且均为阴性"


def _figures(html: str) -> dict[str, str]:
    return {label: value for value, label in re.findall(
        r'<div class="stat-value[^"]*">([^<]*)</div><div class="stat-label">([^<]*)</div>', html)}


def test_event_page_and_pdf_state_untested_batches(world, actors, client, db, ctx, pdftext):
    from lims.events.services import build_summary, summary_pdf

    client.login(actors["regulator_user"])
    world.results["e2"].outcome = "negative"  # e1, e2 negative; e3 (米酒) registered, never tested
    db.session.commit()
    html = client.get("/events/EV-2611-01").get_data(as_text=True)
    figures = _figures(html)
    assert figures["抽检批次"] == "3" and figures["已检批次"] == "2" and figures["未检批次"] == "1"
    assert figures["阴性批次"] == "2" and figures["阳性批次"] == "0"
    assert "检测 2 项次：阴性 2 项次" in html
    assert ALL_NEGATIVE not in html and "1 批次未检测或未检完，不作结论" in html
    text = re.sub(r"\s+", "", pdftext(summary_pdf(actors["regulator"], world.event)))
    assert "共抽检3批次：已检2批次（阴性2批次，阳性0批次，须复测0批次），未检1批次；检测2项次" in text
    assert "均为阴性" not in text and "未检测" in text

    b = Builder(db, world.results["e1"].tested_by, world.results["e1"].reviewed_by)
    b.result(world.batches["e3"], "ENR", "negative", loc(2026, 11, 15, 10), tc=world.results["e1"].tc_ratio)
    db.session.commit()
    assert build_summary(actors["regulator"], world.event).figures.all_negative
    html = client.get("/events/EV-2611-01").get_data(as_text=True)
    assert ALL_NEGATIVE in html and _figures(html)["未检批次"] == "0"
    text = re.sub(r"\s+", "", pdftext(summary_pdf(actors["regulator"], world.event)))
    assert ALL_NEGATIVE in text


def test_a_planned_item_without_result_leaves_the_batch_untested(world, actors, db, ctx):
    from lims.events.services import build_summary

    world.results["e2"].outcome = "negative"
    world.batches["e1"].planned_items.append(Builder(db, None, None).item("CLB"))
    db.session.flush()
    summary = build_summary(actors["regulator"], world.event)
    e1 = next(b for b in summary.batches if b.code == "SI-E1")
    assert e1.untested == ("克伦特罗",) and e1.verdict == "untested"
    assert summary.figures.untested_batches == 2 and not summary.figures.all_negative


def test_a_positive_still_being_handled_says_where_it_stands(world, actors, db, ctx):
    from lims.events.services import build_summary

    for action in list(world.batches["e2"].disposition.actions):
        db.session.delete(action)
    db.session.flush()
    db.session.expire(world.batches["e2"].disposition, ["actions"])
    world.batches["e2"].disposition.status = "stopped"
    world.batches["e2"].disposition.objection_deadline = None
    db.session.flush()
    e2 = next(b for b in build_summary(actors["regulator"], world.event).batches if b.code == "SI-E2")
    assert e2.handling == "已停售"
