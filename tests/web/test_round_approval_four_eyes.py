"""Approving a whole round from the worklist follows the four-eyes rule of
``lims.rules.permissions`` (through ``Actor.may_act_on``): the reviewer's own results — tested
or only entered by them — stay pending, the others are approved."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, create_round, register_batch
from lims.database import utcnow
from lims.models import Result
from lims.reference.services import get_item
from lims.results import services
from lims.results.services import ResultInput, record_result
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


@pytest.fixture
def round_results(world, db):
    """A round of four negative OPC results: two by the technician, one tested by the reviewer,
    one the reviewer entered for a tester named in the sheet (tested_by: the reviewer too, as
    no user has that name)."""
    tech = Actor(world.users["technician"], "test")
    reviewer = Actor(world.users["reviewer"], "test")
    now = utcnow()
    rnd = create_round(tech, world.site_a, now.date())
    out = []
    for who, food, tester in ((tech, "菠菜", None), (reviewer, "韭菜", None), (tech, "芹菜", None),
                              (reviewer, "生菜", "外聘检测员")):
        b = register_batch(tech, BatchInput(site=world.site_a, stall=world.stall_a, food=food, round=rnd,
                                            sampled_at=now - timedelta(hours=1), tests=[get_item("OPC")]))
        out.append(record_result(who, b, ResultInput(item=get_item("OPC"), tested_at=now - timedelta(minutes=20),
                                                     value=Decimal("12.0"), tester_name=tester)))
    db.session.commit()
    return rnd, out


def _approved(db, results):
    db.session.expire_all()
    return [db.session.get(Result, r.id).reviewed_at is not None for r in results]


def test_approving_a_round_leaves_the_reviewers_own_results_pending(client, world, round_results, db):
    rnd, results = round_results
    client.login(world.users["reviewer"])
    r = client.post_form("/review", {"round": str(rnd.id)}, csrf_from="/review")
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:1000]
    assert _approved(db, results) == [True, False, True, False]


def test_the_round_choice_comes_from_the_permission_table(world, round_results, monkeypatch):
    """Without the four-eyes rule in the table, the reviewer's own results would be offered:
    the service reads the table (no copy of the rule in a query)."""
    rnd, results = round_results
    reviewer = Actor(world.users["reviewer"], "test")
    assert [r.id for r in services.round_reviewable(reviewer, rnd.id)] == [results[0].id, results[2].id]
    from lims.rules import permissions

    monkeypatch.setattr(permissions, "FOUR_EYES", frozenset())
    assert [r.id for r in services.round_reviewable(reviewer, rnd.id)] == [r.id for r in results]


def test_a_technician_is_refused(world, round_results):
    from lims.errors import Forbidden

    rnd, _ = round_results
    with pytest.raises(Forbidden):
        services.round_reviewable(Actor(world.users["technician"], "test"), rnd.id)
