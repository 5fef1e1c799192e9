"""What /api/v1/batches answers, pinned byte for byte (interfaces.md).

The pinned batches cover every part of the answer: current and superseded results, a
disposition with its disposal actions, a correction waiting for a reviewer, a voided batch.
Their times are fixed in the past, so the answer depends on nothing but the code; ids are
replaced by the names of the rows they point at."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

PINNED = Path(__file__).with_name("batch_output_pinned.json")
NOW = datetime(2026, 1, 12, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def pinned_batches(world, svc, actor_of, make_site, make_stall, db, commit, ctx):
    """Four batches at site PIN01; returns the names of the results and changes by their ids."""
    from lims.batches import changes
    from lims.dispositions.services import DisposalInput, add_disposal, notify
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, correct_result, review

    site = make_site(code="PIN01", name="钉住农贸市场")
    stall = make_stall(site=site, code="P-01", operator="赵六")
    tech, reviewer = actor_of(world.tech), actor_of(world.reviewer)

    b1 = svc.batch(world.tech, site, stall, food="猪肉", tests=("CLB",), code="PIN-0001", quantity_kg=10,
                   supplier="城郊肉类批发行", sampled_at=NOW - timedelta(days=4), now=NOW - timedelta(days=4))
    positive = svc.result(world.tech, b1, tc_ratio=0.2, confirm_warnings=True, tested_at=NOW - timedelta(days=3, hours=20),
                          now=NOW - timedelta(days=3, hours=20))
    notify(tech, b1, NOW - timedelta(days=3, hours=18), person="赵六", now=NOW - timedelta(days=3, hours=18))
    add_disposal(reviewer, b1, DisposalInput("stop_sale", Decimal("10"), NOW - timedelta(days=3, hours=17),
                                         place="摊位", done_by="赵六", supervisor="检测员甲"),
                 now=NOW - timedelta(days=3, hours=17))
    add_disposal(reviewer, b1, DisposalInput("destroy", Decimal("4.5"), NOW - timedelta(days=3, hours=10),
                                         place="市场无害化处理点", method="深埋", done_by="赵六", supervisor="检测员甲",
                                         note="部分销毁"), now=NOW - timedelta(days=3, hours=10))

    b2 = svc.batch(world.tech, site, stall, food="青菜", tests=("CLB",), code="PIN-0002", quantity_kg=3,
                   sampled_at=NOW - timedelta(days=3), now=NOW - timedelta(days=3))
    first = svc.result(world.tech, b2, tc_ratio=0.9, confirm_warnings=True, tested_at=NOW - timedelta(days=2, hours=22),
                       now=NOW - timedelta(days=2, hours=22))
    second = correct_result(tech, first, ResultInput(item=get_item("CLB"), tc_ratio=Decimal("0.85"),
                                                     tested_at=NOW - timedelta(days=2, hours=22)),
                            "录入错误", None, now=NOW - timedelta(days=2, hours=21))
    review(reviewer, [second], "复核无误", NOW - timedelta(days=2, hours=20))
    waiting = changes.correct_batch(tech, b2, {"food": "小青菜"}, "品名写错", now=NOW - timedelta(days=2)).change

    b3 = svc.batch(world.tech, site, stall, food="牛肉", tests=("CLB",), code="PIN-0003",
                   sampled_at=NOW - timedelta(days=2), now=NOW - timedelta(days=2))
    changes.void_batch(tech, b3, "重复登记", now=NOW - timedelta(days=1, hours=23))

    svc.batch(world.tech, site, make_stall(site=site, code="P-02", operator="钱七"), food="鸡蛋", tests=("CLB",), code="PIN-0004",
              sampled_at=NOW - timedelta(days=1), now=NOW - timedelta(days=1))
    commit()
    return {"result": {positive.id: "PIN-0001 CLB", first.id: "PIN-0002 CLB v1", second.id: "PIN-0002 CLB v2"},
            "change": {waiting.id: "PIN-0002's correction"}}


def _named(answer, names, kind="result"):
    """The answer with its row ids replaced by the names of their rows (ids differ between runs)."""
    if isinstance(answer, list):
        return [_named(a, names, kind) for a in answer]
    if isinstance(answer, dict):
        return {k: (names[kind][v] if k == "id" else _named(v, names, "change" if k == "pending_change" else kind))
                for k, v in answer.items()}
    return answer


def test_the_list_and_a_batch_answer_exactly_what_they_answered(api, world, pinned_batches):
    listed = api.get("/api/v1/batches", world.regulator, query={"site": "PIN01"})
    assert listed.status_code == 200, listed.get_json()
    answers = {"list": _named(listed.get_json(), pinned_batches)}
    for code in ("PIN-0001", "PIN-0002", "PIN-0003", "PIN-0004"):
        one = api.get(f"/api/v1/batches/{code}", world.regulator)
        assert one.status_code == 200, one.get_json()
        answers[code] = _named(one.get_json(), pinned_batches)
    text = json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True)
    assert text == PINNED.read_text(encoding="utf-8")
    # what the pinned answers hold, so that they cannot be empty of what they pin
    assert [b["code"] for b in answers["list"]] == ["PIN-0004", "PIN-0003", "PIN-0002", "PIN-0001"]
    assert len(answers["PIN-0001"]["disposition"]["disposals"]) == 2
    assert answers["PIN-0002"]["superseded_results"] and answers["PIN-0002"]["pending_change"]["id"]
    assert answers["PIN-0003"]["voided"] is True
