"""What /api/v1/batches answers, pinned byte for byte (interfaces.md), and the number of SQL
statements it takes: a page of 30 batches costs as many statements as a page of 5. The same
for the web batch page: more results, neighbours (traceback) or disposal actions cost no more
statements, and its traceback lists and counts as it did.

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
import sqlalchemy as sa

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


def _described(schema, prefix="") -> set[str]:
    """The paths of the fields the OpenAPI description gives an answer, nested ones included."""
    from marshmallow import fields

    paths = set()
    for name, field in schema.fields.items():
        paths.add(prefix + name)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            paths |= _described(inner.schema, f"{prefix}{name}.")
    return paths


def _answered(answer, prefix="") -> set[str]:
    if isinstance(answer, list):
        return set().union(*(_answered(a, prefix) for a in answer))
    if isinstance(answer, dict):
        return set().union(*({prefix + k} | _answered(v, f"{prefix}{k}.") for k, v in answer.items()))
    return set()


def test_the_answers_are_what_the_openapi_description_says(api, world, svc, pinned_batches, commit):
    """The answers are made without marshmallow (lims.api.batches.batch_answer): the schemas
    that describe them name exactly their fields, nested ones included."""
    from lims.api.batches import BatchSchema, ResultSchema

    objected = svc.positive(world.tech, world.site_a, world.stall_a1, quantity_kg=5).code
    commit()
    now = datetime.now(timezone.utc)
    assert api.post(f"/api/v1/batches/{objected}/notify", world.manager_a,
                    {"notified_at": (now - timedelta(hours=1)).isoformat()}).status_code == 200
    answered = api.post(f"/api/v1/batches/{objected}/objection", world.manager_a, {
        "requested_at": now.isoformat(), "lab": "市食品检验检测中心", "method": "GB/T 21313-2007"})
    assert answered.status_code == 201, answered.get_json()
    answers = [answered.get_json()] + [api.get(f"/api/v1/batches/{code}", world.regulator).get_json()
                                       for code in ("PIN-0001", "PIN-0002", "PIN-0003", objected)]
    assert answers[0] == answers[-1]  # a write answers as a read does
    assert answers[0]["disposition"]["objection"]["lab"] == "市食品检验检测中心"
    free_form = ("pending_change.changes.", "pending_change.before.")  # fields.Dict: the fields changed
    assert {p for p in _answered(answers) if not p.startswith(free_form)} == _described(BatchSchema())
    assert _answered(answers[1]["results"]) == _described(ResultSchema())


def test_a_write_answers_the_batch_as_a_read_of_it_does(api, world, pinned_batches):
    """Writes answer from the batch they changed, reads from rows (lims.batches.rows): the same."""
    informed = api.post("/api/v1/batches/PIN-0001/regulator", world.reviewer,
                        json={"informed_at": (NOW - timedelta(days=3)).isoformat()})
    assert informed.status_code == 200, informed.get_json()
    assert informed.get_json()["disposition"]["regulator_informed_at"]
    assert informed.get_json() == api.get("/api/v1/batches/PIN-0001", world.regulator).get_json()
    made = api.post("/api/v1/batches", world.tech, json={
        "site": "PIN01", "stall": "P-01", "food": "韭菜", "tests": ["CLB"], "quantity_kg": 2, "origin": "山东寿光",
        "supplier": {"name": "城郊蔬菜批发行", "phone": "0571-0000"}, "sampled_at": datetime.now(timezone.utc).isoformat()})
    assert made.status_code == 201, made.get_json()
    assert made.get_json() == api.get(f"/api/v1/batches/{made.get_json()['code']}", world.regulator).get_json()


def _statements(db):
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):  # the test's own transaction
            seen.append(statement)

    return seen, count


def _count_statements(db, do, seen=None):
    seen_here, count = _statements(db)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = do()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    if seen is not None:
        seen.extend(seen_here)
    return len(seen_here), response


def _site_with_batches(n, world, svc, actor_of, make_site, make_stall, make_user, db):
    """``n`` batches, each with everything the answer shows: its own stall, supplier, tester and
    reviewer, a superseded result, a positive with disposal actions or a waiting correction."""
    from lims.batches import changes
    from lims.dispositions.services import DisposalInput, add_disposal, notify
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, correct_result, review

    site = make_site()
    now = datetime.now(timezone.utc)
    reviewer = actor_of(world.reviewer)
    for i in range(n):
        tester = make_user("technician")
        stall = make_stall(site=site)
        b = svc.batch(tester, site, stall, tests=("CLB", "OPC"), quantity_kg=5, supplier=f"供应商{i}-{site.code}",
                      sampled_at=now - timedelta(days=2, minutes=i), now=now)
        first = svc.result(tester, b, tc_ratio=0.9, now=now, tested_at=now - timedelta(days=1))
        second = correct_result(actor_of(tester), first, ResultInput(item=get_item("CLB"), tc_ratio=Decimal("0.8"),
                                                                     tested_at=now - timedelta(days=1)),
                                "录入错误", None, now=now)
        if i % 2:
            svc.result(tester, b, item="CLB", tc_ratio=0.2, now=now, tested_at=now - timedelta(hours=20))
            notify(actor_of(tester), b, now - timedelta(hours=19), now=now)
            add_disposal(reviewer, b, DisposalInput("stop_sale", Decimal("5"), now - timedelta(hours=18)), now=now)
        else:
            review(reviewer, [second], None, now)
            changes.correct_batch(actor_of(tester), b, {"food": f"牛肉{i}"}, "品名写错", now=now)
    db.session.commit()
    return site


def test_a_page_of_thirty_batches_takes_as_many_statements_as_a_page_of_five(
        api, world, svc, actor_of, make_site, make_stall, make_user, db, ctx):
    few = _site_with_batches(5, world, svc, actor_of, make_site, make_stall, make_user, db)
    many = _site_with_batches(30, world, svc, actor_of, make_site, make_stall, make_user, db)
    api.get("/api/v1/batches", world.regulator, query={"site": few.code})  # the token, warmed
    counts = {}
    for site, n in ((few, 5), (many, 30)):
        counts[n], response = _count_statements(
            db, lambda: api.get("/api/v1/batches", world.regulator, query={"site": site.code}))
        body = response.get_json()
        assert len(body) == n
        assert all(b["superseded_results"] and b["results"] for b in body)
        assert sum(1 for b in body if b["disposition"] and b["disposition"]["disposals"]) == n // 2
        assert sum(1 for b in body if b["pending_change"]) == n - n // 2
    assert counts[30] == counts[5], counts


def test_one_batch_takes_as_many_statements_however_much_it_holds(
        api, world, svc, actor_of, make_user, make_site, make_stall, db, ctx):
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, correct_result

    site = make_site()
    now = datetime.now(timezone.utc)
    small = svc.batch(world.tech, site, make_stall(site=site), quantity_kg=5, supplier="甲商行", now=now)
    svc.result(world.tech, small, tc_ratio=0.9, now=now, tested_at=now - timedelta(hours=1))
    large = svc.batch(world.tech, site, make_stall(site=site), quantity_kg=5, supplier="乙商行", now=now)
    result = svc.result(world.tech, large, tc_ratio=0.9, now=now, tested_at=now - timedelta(hours=1))
    for k in range(4):  # each version by another technician
        tester = actor_of(make_user("technician"))
        result = correct_result(tester, result, ResultInput(item=get_item("CLB"), tc_ratio=Decimal(f"0.8{k}"),
                                                            tested_at=now - timedelta(hours=1)), f"第{k}次更正", None, now=now)
    db.session.commit()
    api.get(f"/api/v1/batches/{small.code}", world.regulator)  # the token, warmed
    counts, seen = {}, []
    for code in (small.code, large.code):
        counts[code], response = _count_statements(
            db, lambda: api.get(f"/api/v1/batches/{code}", world.regulator), seen)
    assert len(response.get_json()["superseded_results"]) == 4
    assert counts[small.code] == counts[large.code], counts
    # the items and people are shown by name: their categories, overrides and scope are not read
    assert not [s for s in seen if "test_item_categories" in s or "test_item_overrides" in s], seen


# --- the web batch page ---------------------------------------------------------------------------


def _page_statements(client, db, code, seen=None):
    db.session.commit()
    db.session.expire_all()
    count, response = _count_statements(db, lambda: client.get(f"/batches/{code}"), seen)
    assert code in response.get_data(as_text=True)
    return count


def _negative(svc, world, site, stall, supplier, now):
    b = svc.batch(world.tech, site, stall, quantity_kg=5, supplier=supplier, now=now,
                  sampled_at=now - timedelta(hours=3))
    return b, svc.result(world.tech, b, tc_ratio=0.9, now=now, tested_at=now - timedelta(hours=2))


def test_the_batch_page_takes_as_many_statements_however_many_results_and_neighbours(
        client, world, svc, actor_of, make_user, make_site, make_stall, db, ctx):
    """More result versions by more testers and reviewers, and more batches from the same
    supplier at more stalls (the traceback), cost no more statements."""
    from lims.reference.services import get_item
    from lims.results.services import ResultInput, correct_result, review

    site = make_site()
    now = datetime.now(timezone.utc)
    small, _ = _negative(svc, world, site, make_stall(site=site), "甲商行", now)
    _negative(svc, world, site, make_stall(site=site), "甲商行", now)
    large, result = _negative(svc, world, site, make_stall(site=site), "乙商行", now)
    for k in range(4):  # each version by another technician, each reviewed by another reviewer
        result = correct_result(actor_of(make_user("technician")), result, ResultInput(
            item=get_item("CLB"), tc_ratio=Decimal(f"0.8{k}"), tested_at=now - timedelta(hours=2)),
            f"第{k}次更正", None, now=now)
        review(actor_of(make_user("reviewer")), [result], None, now)
    for _ in range(6):
        _negative(svc, world, site, make_stall(site=site), "乙商行", now)
    warm, _ = _negative(svc, world, site, make_stall(site=site), "丙商行", now)
    db.session.commit()
    client.login(world.regulator)
    _page_statements(client, db, warm.code)
    counts = {n: _page_statements(client, db, b.code) for n, b in (("small", small), ("large", large))}
    assert counts["small"] == counts["large"], counts


def test_the_batch_page_takes_as_many_statements_however_many_disposal_actions(
        client, world, svc, actor_of, make_site, make_stall, db, ctx):
    from lims.dispositions.services import DisposalInput, add_disposal, notify

    site = make_site()
    now = datetime.now(timezone.utc)
    reviewer = actor_of(world.reviewer)
    positives = []
    for actions in (1, 3, 1):
        b = svc.positive(world.tech, site, make_stall(site=site), quantity_kg=10, now=now)
        notify(actor_of(world.tech), b, now - timedelta(days=2), now=now)
        for k in range(actions):
            add_disposal(reviewer, b, DisposalInput("stop_sale", Decimal("10"), now - timedelta(hours=40 - k),
                                                    place=f"摊位{k}"), now=now)
        positives.append(b)
    db.session.commit()
    client.login(world.regulator)
    _page_statements(client, db, positives[2].code)
    seen = []
    counts = {n: _page_statements(client, db, b.code, seen) for n, b in zip(("one action", "three actions"), positives)}
    assert counts["one action"] == counts["three actions"], counts
    # the timeline reads the test items' names and rules together, once a page
    assert sum(1 for s in seen if " ".join(s.split()).startswith("SELECT test_items.code,")) == 2, seen
    # the items are offered and shown by name: their categories and overrides are not read
    assert not [s for s in seen if "test_item_categories" in s or "test_item_overrides" in s], seen


def test_the_batch_page_asks_for_no_names_when_nobody_is_named(
        client, world, make_site, make_stall, db, ctx):
    """A batch with nobody in its audit trail (here: none, as a batch loaded from elsewhere):
    no query for nobody's name."""
    from lims.models import Batch

    site = make_site()
    b = Batch(code="NOBODY-01", site=site, stall=make_stall(site=site), food="猪肉",
              sampled_at=datetime.now(timezone.utc) - timedelta(hours=1), status="registered")
    db.session.add(b)
    db.session.commit()
    client.login(world.regulator)
    seen = []
    _page_statements(client, db, b.code, seen)
    assert not [s for s in seen if " ".join(s.split()).startswith("SELECT users.id, users.display_name")], seen


def test_the_batch_page_lists_the_untested_neighbours_first_and_counts_them_all(
        client, world, svc, make_site, make_stall, db, ctx):
    """The traceback: 13 other batches of the supplier at two sites, 5 of them untested; ten
    listed, the untested first, newest first in each part; a link to all 13."""
    import re

    now = datetime.now(timezone.utc)
    site, other = make_site(), make_site()
    batch, _ = _negative(svc, world, site, make_stall(site=site), "丁商行", now)
    neighbours = []
    for k in range(13):
        at = (site, other)[k % 2]
        b = svc.batch(world.tech, at, make_stall(site=at), supplier="丁商行", now=now,
                      sampled_at=now - timedelta(hours=4, minutes=k))
        if k % 3:
            svc.result(world.tech, b, tc_ratio=0.9, now=now, tested_at=now - timedelta(hours=2))
        neighbours.append(b)
    db.session.commit()
    client.login(world.regulator)
    page = client.get(f"/batches/{batch.code}").get_data(as_text=True)
    section = page[page.index('id="traceback"'):page.index('id="results"')]
    assert "该供货者另有 13 个批次，分布在 2 个被检场所；其中 5 个尚未检测。" in section
    untested = [b.code for b in neighbours if b.status == "registered"]
    tested = [b.code for b in neighbours if b.status != "registered"]
    assert len(untested) == 5
    listed = re.findall(r'href="/batches/([^"]+)"', section)
    assert listed == (untested + tested)[:10]
    assert "该供货者全部 13 个批次" in section
