"""The four-eyes rule is the service's, so every door keeps it: results a reviewer imported
(entered) are refused to that reviewer over the API, on the batch page and on the review
worklist — and nothing is approved — while another reviewer may approve them."""
from __future__ import annotations

import sqlalchemy as sa

from tests.imports.conftest import make_csv, pesticide_row

CODE = "S-20261120-001"
REFUSED = "不能审核本人检测或录入的结果。"  # the service's Forbidden, flashed


def _import_as(run, user):
    from lims.accounts.access import Actor

    report = run(make_csv([pesticide_row(1, CODE)]), "own.csv", actor=Actor(user=user, ip="test"))
    assert report.status == "committed", report.error
    return report


def _results(db):
    from lims.models import Batch, Result

    db.session.expire_all()
    return db.session.execute(sa.select(Result).join(Batch, Batch.id == Result.batch_id)
                              .where(Batch.code == CODE, Result.current.is_(True))).scalars().all()


def test_an_importing_reviewer_may_not_review_through_any_door(world, batches, run, db, client, api_token):
    _import_as(run, world.reviewer)
    results = _results(db)
    assert results and all(r.entered_by_id == world.reviewer.id for r in results)
    db.session.commit()

    r = client.post(f"/api/v1/batches/{CODE}/review", json={}, headers=api_token(world.reviewer))
    assert r.status_code == 403, r.get_json()
    assert all(r.reviewed_at is None for r in _results(db))

    client.login(world.reviewer)
    r = client.post_form(f"/batches/{CODE}/review", {"review-note": ""}, csrf_from=f"/batches/{CODE}")
    assert r.status_code in (302, 303)
    assert REFUSED in client.get(r.headers["Location"]).get_data(as_text=True)
    assert all(r.reviewed_at is None for r in _results(db))

    ids = [str(x.id) for x in _results(db)]
    r = client.post_form("/review", {"review-result_ids": ids}, csrf_from="/review")
    assert r.status_code in (302, 303)
    assert REFUSED in client.get(r.headers["Location"]).get_data(as_text=True)
    assert all(r.reviewed_at is None for r in _results(db))

    r = client.post(f"/api/v1/batches/{CODE}/review", json={}, headers=api_token(world.admin))
    assert r.status_code == 200, r.get_json()
    assert all(r.reviewed_by_id == world.admin.id for r in _results(db))


def test_the_rule_comes_from_the_table(world, monkeypatch):
    """Take the action out of FOUR_EYES and the service lets the author review: the rule is
    read from the table, not written out again in the service."""
    from lims.accounts.access import Actor
    from lims.rules import permissions

    actor = Actor(user=world.reviewer)
    own = (world.reviewer.id, None)
    assert not actor.may_act_on("result.review", own)
    monkeypatch.setattr(permissions, "FOUR_EYES", frozenset())
    assert actor.may_act_on("result.review", own)
