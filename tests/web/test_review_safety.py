"""Issue 13: bulk review never approves positives, suspects, invalids or disagreements
without a confirmation that names exactly them — on the worklist, for a whole round, from
the batch page, in the service and over the API; the reviewer can send a result back for
a retest with a reason; the worklist filters by market, round, outcome and disagreement."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, create_round, register_batch
from lims.database import utcnow
from lims.errors import InvalidInput
from lims.models import AuditEntry, Result
from lims.reference.services import get_item
from lims.results import services
from lims.results.services import ResultInput, record_result
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


@pytest.fixture
def three(world, db):
    """Three fresh OPC results in one round at market A: 12.0 and 20.5 negative, 62.3 positive."""
    tech = Actor(world.users["technician"], "test")
    now = utcnow()
    rnd = create_round(tech, world.site_a, now.date())
    out = []
    for food, value in (("菠菜", "12.0"), ("韭菜", "62.3"), ("芹菜", "20.5")):
        b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food=food, round=rnd,
                                            sampled_at=now - timedelta(hours=1), tests=[get_item("OPC")]))
        out.append(record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=20),
                                                      value=Decimal(value))))
    db.session.commit()
    return out


def _fresh(db, results):
    db.session.expire_all()
    return [db.session.get(Result, r.id) for r in results]


def _approved(db, results):
    return [r.reviewed_at is not None for r in _fresh(db, results)]


def test_the_service_refuses_a_bulk_approval_that_does_not_name_the_positive(world, three, db):
    reviewer = Actor(world.users["reviewer"], "test")
    positive = three[1]
    with pytest.raises(InvalidInput) as exc:
        services.review(reviewer, three)
    assert "62.3" in str(exc.value.message) and positive.batch.code in str(exc.value.message)
    assert _approved(db, three) == [False, False, False]
    with pytest.raises(InvalidInput):  # a confirmation of other results does not count
        services.review(reviewer, three, confirmed=[three[0].id, positive.id])
    assert _approved(db, three) == [False, False, False]
    assert services.review(reviewer, three, confirmed=[positive.id]) == 3
    assert _approved(db, three) == [True, True, True]


def test_ticking_three_rows_with_a_positive_asks_to_confirm_it_by_name(client, world, three, db):
    client.login(world.users["reviewer"])
    ids = [str(r.id) for r in three]
    r = client.post_form("/review", {"review-result_ids": ids}, csrf_from="/review")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f'name="review-confirm" value="{three[1].id}"' in html and "62.3" in html
    assert f'name="review-confirm" value="{three[0].id}"' not in html
    assert _approved(db, three) == [False, False, False]
    # Submitting the confirmation page without ticking the positive approves nothing.
    r = client.post_form("/review", {"review-result_ids": ids, "confirming": "1"}, csrf_from="/review")
    assert r.status_code == 422 and "62.3" in r.get_data(as_text=True)
    assert _approved(db, three) == [False, False, False]
    r = client.post_form("/review", {"review-result_ids": ids, "confirming": "1",
                                     "review-confirm": [str(three[1].id)]}, csrf_from="/review")
    assert r.status_code in (302, 303)
    assert _approved(db, three) == [True, True, True]


def test_negatives_alone_are_approved_in_one_step(client, world, three, db):
    client.login(world.users["reviewer"])
    r = client.post_form("/review", {"review-result_ids": [str(three[0].id), str(three[2].id)]},
                         csrf_from="/review")
    assert r.status_code in (302, 303)
    assert _approved(db, three) == [True, False, True]


def test_approving_a_whole_round_names_its_positive_first(client, world, three, db):
    client.login(world.users["reviewer"])
    rnd = three[0].batch.round_id
    r = client.post_form("/review", {"round": str(rnd)}, csrf_from="/review")
    assert r.status_code == 200 and f'name="review-confirm" value="{three[1].id}"' in r.get_data(as_text=True)
    assert _approved(db, three) == [False, False, False]


def test_approving_a_positive_batch_from_its_page_asks_first(client, world, three, db):
    client.login(world.users["reviewer"])
    code = three[1].batch.code
    r = client.post_form(f"/batches/{code}/review", {}, csrf_from=f"/batches/{code}")
    assert r.status_code == 200 and f'name="review-confirm" value="{three[1].id}"' in r.get_data(as_text=True)
    assert _approved(db, three) == [False, False, False]


def test_the_api_refuses_a_positive_without_its_confirmation(client, world, three, db, api_token):
    headers = api_token(world.users["reviewer"])
    code = three[1].batch.code
    r = client.post(f"/api/v1/batches/{code}/review", json={}, headers=headers)
    assert r.status_code == 422 and "62.3" in r.get_data(as_text=True)
    assert _approved(db, three) == [False, False, False]
    r = client.post(f"/api/v1/batches/{code}/review", json={"confirm": [three[1].id]}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert _approved(db, three) == [False, True, False]


def test_a_reviewer_sends_a_result_back_with_a_reason(client, world, three, db):
    client.login(world.users["reviewer"])
    target = three[2]
    page = f"/review/{target.id}/reject"
    assert f'href="{page}"' in client.get("/review").get_data(as_text=True)
    r = client.post_form(page, {"reject-reason": "  "}, csrf_from=page)
    assert r.status_code == 422 and "请填写退回复测的原因" in r.get_data(as_text=True)
    assert _fresh(db, [target])[0].current is True
    r = client.post_form(page, {"reject-reason": "抑制率曲线异常，请复测"}, csrf_from=page)
    assert r.status_code in (302, 303)
    [rejected] = _fresh(db, [target])
    assert (rejected.rejected, rejected.current, rejected.review_note) == (True, False, "抑制率曲线异常，请复测")
    assert rejected.reviewed_by_id == world.users["reviewer"].id
    assert rejected.batch.status == "retest"
    entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "result.reject",
                                                           AuditEntry.subject_id == str(target.id))).scalar_one()
    assert entry.reason == "抑制率曲线异常，请复测"
    assert page not in client.get("/review").get_data(as_text=True)
    # The technician sees it in their work, until the item is tested again.
    client.post_form("/logout", csrf_from="/review")
    client.login(world.users["technician"])
    home = client.get("/").get_data(as_text=True)
    assert 'id="sent-back"' in home and "抑制率曲线异常，请复测" in home and target.batch.code in home
    tech = Actor(world.users["technician"], "test")
    record_result(tech, rejected.batch, ResultInput(item=get_item("OPC"), tested_at=utcnow() - timedelta(minutes=1),
                                                    value=Decimal("11.0")))
    db.session.commit()
    assert 'id="sent-back"' not in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Result, target.id).batch.status == "passed"


def test_a_reviewer_cannot_send_back_their_own_test(client, world, fresh_own, db):
    client.login(world.users["reviewer"])
    page = f"/review/{fresh_own.id}/reject"
    r = client.post_form(page, {"reject-reason": "重测"}, csrf_from=page)
    assert r.status_code == 403
    assert _fresh(db, [fresh_own])[0].current is True


@pytest.fixture
def fresh_own(world, db):
    reviewer = Actor(world.users["reviewer"], "test")
    now = utcnow()
    b = register_batch(reviewer, BatchInput(site=world.site_a, stall=world.stall_a, food="白菜",
                                            sampled_at=now - timedelta(hours=1), tests=[get_item("OPC")]))
    r = record_result(reviewer, b, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=5),
                                               value=Decimal("10.0")))
    db.session.commit()
    return r


def test_the_worklist_filters_by_market_round_outcome_and_disagreement(client, world, three, db):
    tech = Actor(world.users["technician"], "test")
    now = utcnow()
    b = register_batch(tech, BatchInput(site=world.site_b, stall=world.stall_b, food="豇豆",
                                        sampled_at=now - timedelta(hours=1), tests=[get_item("OPC")]))
    other = record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=10),
                                               value=Decimal("15.0"), instrument_word="不合格"))
    db.session.commit()
    assert other.disagrees
    client.login(world.users["reviewer"])
    codes = lambda q: {c for c in (r.batch.code for r in three + [other])  # noqa: E731
                       if c in client.get("/review" + q).get_data(as_text=True)}
    everything = {r.batch.code for r in three} | {b.code}
    assert codes("") == everything
    assert codes(f"?site={world.site_b.id}") == {b.code}
    assert codes(f"?round={three[0].batch.round_id}") == {r.batch.code for r in three}
    assert codes("?outcome=positive") == {three[1].batch.code}
    assert codes("?disagrees=1") == {b.code}
    assert codes("?outcome=nonsense&site=x") == everything
