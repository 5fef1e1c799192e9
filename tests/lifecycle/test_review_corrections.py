"""Review (four eyes) over the API and corrections as new versions (domain.md §6)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import assert_error, audit_entries, batch_by_code, local_iso


@pytest.fixture
def batch_with_results(api, world, now):
    """A pork batch with CLB and RAC recorded over the API by ``recorders`` (one per item)."""

    def make(*recorders):
        items = ["CLB", "RAC"][:len(recorders)]
        code = api.register(world.tech, site=world.site_a.code, stall=world.stall_a1.code, food="猪肉",
                            sampled_at=local_iso(now - timedelta(hours=3)), tests=items).get_json()["code"]
        for user, item in zip(recorders, items):
            r = api.result(user, code, item=item, value=0.9, tested_at=local_iso(now - timedelta(hours=1)))
            assert r.status_code == 201, r.get_json()
        return code

    return make


def review(api, user, code, **body):
    return api.post(f"/api/v1/batches/{code}/review", user, body)


def reviewed_flags(db, code):
    from lims.models import Result

    batch = batch_by_code(db, code)
    return [r.reviewed_at is not None for r in db.session.execute(
        sa.select(Result).where(Result.batch_id == batch.id).order_by(Result.id)).scalars()]


def test_reviewer_approves_the_batch(api, world, now, db, batch_with_results):
    code = batch_with_results(world.tech, world.tech2)
    before = api.batch(world.tech, code)
    assert before["reviewed"] is False and [r["reviewed"] for r in before["results"]] == [False, False]
    r = review(api, world.reviewer, code, note="数据核对无误")
    assert r.status_code == 200, r.get_json()
    b = r.get_json()
    assert b["reviewed"] is True
    assert all(x["reviewed"] and x["reviewer"] == "审核员甲" and x["reviewed_at"] for x in b["results"])
    assert api.batch(world.regulator, code)["reviewed"] is True
    assert reviewed_flags(db, code) == [True, True]
    entries = audit_entries(db, batch_by_code(db, code).id, "result.review")
    assert len(entries) == 2
    assert {e.after["item"] for e in entries} == {"CLB", "RAC"}
    assert all(e.user_id == world.reviewer.id and e.ip == "127.0.0.1" and e.reason == "数据核对无误" for e in entries)


def test_admin_may_review(api, world, db, batch_with_results):
    code = batch_with_results(world.tech)
    assert review(api, world.admin, code).status_code == 200
    assert reviewed_flags(db, code) == [True]


def test_reviewer_who_tested_is_refused_and_nothing_is_approved(api, world, db, batch_with_results):
    code = batch_with_results(world.reviewer)
    assert_error(review(api, world.reviewer, code), 403)
    assert reviewed_flags(db, code) == [False]
    assert not audit_entries(db, batch_by_code(db, code).id, "result.review")


def test_one_own_result_blocks_the_whole_batch(api, world, db, batch_with_results):
    code = batch_with_results(world.tech, world.reviewer)
    assert_error(review(api, world.reviewer, code), 403)
    assert reviewed_flags(db, code) == [False, False]
    # another reviewer may approve both
    assert review(api, world.reviewer2, code).status_code == 200
    assert reviewed_flags(db, code) == [True, True]


@pytest.mark.parametrize("role", ["technician", "market_manager", "regulator"])
def test_other_roles_may_not_review(api, world, db, batch_with_results, role):
    code = batch_with_results(world.tech2)
    user = {"technician": world.tech, "market_manager": world.manager_a, "regulator": world.regulator}[role]
    assert_error(review(api, user, code), 403)
    assert reviewed_flags(db, code) == [False]


def test_nothing_pending_is_409(api, world, batch_with_results):
    empty = batch_with_results()
    assert_error(review(api, world.reviewer, empty), 409)
    code = batch_with_results(world.tech)
    assert review(api, world.reviewer, code).status_code == 200
    assert_error(review(api, world.reviewer2, code), 409)


def test_review_of_unknown_batch_is_404(api, world):
    assert_error(review(api, world.reviewer, "NOPE-0000"), 404)


def test_review_note_too_long_is_422(api, world, batch_with_results, db):
    code = batch_with_results(world.tech)
    assert_error(review(api, world.reviewer, code, note="长" * 201), 422, "note")
    assert reviewed_flags(db, code) == [False]


def test_a_new_result_after_review_makes_the_batch_unreviewed(api, world, now, batch_with_results):
    code = batch_with_results(world.tech)
    review(api, world.reviewer, code)
    api.result(world.tech, code, item="CLB", value=0.9, tested_at=local_iso(now - timedelta(minutes=30)))
    b = api.batch(world.tech, code)
    assert b["reviewed"] is False
    assert [r["reviewed"] for r in b["results"]] == [True, False]


# --- corrections --------------------------------------------------------------------------------


@pytest.fixture
def reviewed_result(ctx, world, svc, actor_of, now):
    """A reviewed negative CLB result (T/C 0.9) recorded by the technician."""
    from lims.results.services import review

    batch = svc.batch(world.tech, world.site_a, world.stall_a1, quantity_kg=10, now=now)
    result = svc.result(world.tech, batch, tc_ratio=Decimal("0.9"), now=now)
    review(actor_of(world.reviewer), [result], now=now)
    return result


def correction(result, **kw):
    from lims.results.services import ResultInput

    base = ResultInput(item=result.item, tested_at=result.tested_at, tc_ratio=result.tc_ratio)
    return replace(base, **kw)


def test_correction_is_a_new_version_with_its_reason(ctx, db, world, actor_of, reviewed_result, now):
    from lims.batches.queries import batch_state
    from lims.models import Result
    from lims.results.services import correct_result

    old = reviewed_result
    old_id, old_version = old.id, old.row_version
    new = correct_result(actor_of(world.tech2), old, correction(old, tc_ratio=Decimal("0.85")), "  抄错了比值  ",
                         expected_version=old_version, now=now + timedelta(minutes=5))
    db.session.flush()
    assert new.id != old_id and new.version == 2 and new.current is True
    assert new.correction_reason == "抄错了比值" and new.supersedes_id == old_id
    assert new.tc_ratio == Decimal("0.85") and new.outcome == "negative"
    assert new.reviewed_at is None and new.reviewed_by_id is None
    db.session.expire_all()
    kept = db.session.get(Result, old_id)
    assert kept is not None and kept.current is False and kept.version == 1
    assert kept.tc_ratio == Decimal("0.9") and kept.reviewed_at is not None
    batch = new.batch
    assert [r.id for r in batch.current_results] == [new.id]
    assert batch_state(batch, now).reviewed is False
    (e,) = audit_entries(db, batch.id, "result.correct")
    assert e.reason == "抄错了比值" and e.user_id == world.tech2.id
    assert e.before["version"] == 1 and e.after["version"] == 2
    assert e.before["tc_ratio"] == "0.9" or Decimal(e.before["tc_ratio"]) == Decimal("0.9")
    assert Decimal(e.after["tc_ratio"]) == Decimal("0.85")


def test_correction_shown_over_the_api(api, db, world, actor_of, reviewed_result, now, commit):
    from lims.results.services import correct_result

    code = reviewed_result.batch.code
    correct_result(actor_of(world.tech), reviewed_result, correction(reviewed_result, tc_ratio=Decimal("0.85")),
                   "抄错", expected_version=reviewed_result.row_version, now=now)
    commit()
    b = api.batch(world.tech, code)
    assert [(r["version"], r["current"], r["correction_reason"]) for r in b["results"]] == [(2, True, "抄错")]
    assert [(r["version"], r["current"]) for r in b["superseded_results"]] == [(1, False)]
    assert b["reviewed"] is False
    # the reviewer may now approve the new version
    assert api.post(f"/api/v1/batches/{code}/review", world.reviewer).status_code == 200
    assert api.batch(world.tech, code)["reviewed"] is True


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_correction_reason_is_mandatory(ctx, db, world, actor_of, reviewed_result, now, reason):
    from lims.errors import InvalidInput
    from lims.models import Result
    from lims.results.services import correct_result

    with pytest.raises(InvalidInput) as exc:
        correct_result(actor_of(world.tech), reviewed_result, correction(reviewed_result, tc_ratio=Decimal("0.2")),
                       reason, expected_version=reviewed_result.row_version, now=now)
    assert exc.value.status == 422 and "reason" in exc.value.errors
    batch = reviewed_result.batch
    rows = db.session.execute(sa.select(Result).where(Result.batch_id == batch.id)).scalars().all()
    assert len(rows) == 1 and rows[0].current is True
    assert batch.disposition is None


def test_stale_expected_version_is_a_conflict(ctx, db, world, actor_of, svc, now):
    from lims.errors import Conflict
    from lims.models import Result
    from lims.results.services import correct_result, review

    batch = svc.batch(world.tech, world.site_a, world.stall_a1, now=now)
    result = svc.result(world.tech, batch, tc_ratio=Decimal("0.9"), now=now)
    seen = result.row_version  # the editor opened the result …
    review(actor_of(world.reviewer), [result], now=now)  # … and meanwhile it was reviewed
    db.session.flush()
    assert result.row_version != seen
    with pytest.raises(Conflict) as exc:
        correct_result(actor_of(world.tech), result, correction(result, tc_ratio=Decimal("0.2")), "改", seen, now=now)
    assert exc.value.status == 409
    rows = db.session.execute(sa.select(Result).where(Result.batch_id == batch.id)).scalars().all()
    assert [(r.version, r.current) for r in rows] == [(1, True)]


def test_superseded_version_cannot_be_corrected(ctx, db, world, actor_of, reviewed_result, now):
    from lims.errors import Conflict
    from lims.results.services import correct_result

    old = reviewed_result
    correct_result(actor_of(world.tech), old, correction(old, tc_ratio=Decimal("0.85")), "一", None, now=now)
    with pytest.raises(Conflict):
        correct_result(actor_of(world.tech), old, correction(old, tc_ratio=Decimal("0.7")), "二", None, now=now)


def test_correction_to_positive_opens_the_disposition(ctx, db, world, actor_of, reviewed_result, now):
    from lims.results.services import correct_result

    new = correct_result(actor_of(world.tech), reviewed_result, correction(reviewed_result, tc_ratio=Decimal("0.3")),
                         "比值看错", reviewed_result.row_version, now=now)
    batch = new.batch
    assert new.outcome == "positive"
    assert batch.status == "stopped" and batch.verdict == "positive"
    assert batch.disposition is not None and batch.disposition.status == "stopped"
    assert batch.disposition.result_id == new.id


def test_correction_is_refused_for_bad_input(ctx, db, world, actor_of, reviewed_result, now):
    from lims.errors import InvalidInput
    from lims.results.services import correct_result

    with pytest.raises(InvalidInput) as exc:
        correct_result(actor_of(world.tech), reviewed_result,
                       correction(reviewed_result, tested_at=now + timedelta(hours=1)), "时间", None, now=now)
    assert "tested_at" in exc.value.errors
    assert reviewed_result.current is True


@pytest.mark.parametrize("role", ["market_manager", "regulator"])
def test_correction_roles(ctx, world, actor_of, reviewed_result, now, role):
    from lims.errors import Forbidden
    from lims.results.services import correct_result

    user = world.manager_a if role == "market_manager" else world.regulator
    with pytest.raises(Forbidden):
        correct_result(actor_of(user), reviewed_result, correction(reviewed_result), "x", None, now=now)


def test_who_entered_a_correction_may_not_review_it(api, db, world, actor_of, reviewed_result, now, commit):
    from lims.results.services import correct_result

    code = reviewed_result.batch.code
    # the first reviewer corrects the result they reviewed: the new version is theirs
    correct_result(actor_of(world.reviewer), reviewed_result, correction(reviewed_result, tc_ratio=Decimal("0.85")),
                   "复核时发现抄错", reviewed_result.row_version, now=now)
    commit()
    assert_error(api.post(f"/api/v1/batches/{code}/review", world.reviewer), 403)
    assert api.batch(world.tech, code)["reviewed"] is False
    assert api.post(f"/api/v1/batches/{code}/review", world.reviewer2).status_code == 200
