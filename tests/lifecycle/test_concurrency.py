"""Optimistic versions, in-process: two people acting on the same thing from the same
starting point — the second is refused and the first one's work stands."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import assert_error, audit_entries, local_iso

LAB = "市食品检验检测中心"


@pytest.fixture
def negative_result(ctx, world, svc, now):
    b = svc.batch(world.tech, world.site_a, world.stall_a1, quantity_kg=10, now=now)
    return svc.result(world.tech, b, tc_ratio=Decimal("0.9"), now=now)


def test_two_corrections_from_the_same_version(ctx, db, world, actor_of, negative_result, now):
    from lims.errors import Conflict
    from lims.models import Result
    from lims.results.inputs import ResultInput
    from lims.results.services import correct_result

    r = negative_result
    seen = r.row_version  # both editors opened version 1 of the result
    first = correct_result(actor_of(world.tech), r, ResultInput(item=r.item, tested_at=r.tested_at,
                                                                tc_ratio=Decimal("0.3")),
                           "第一人：比值抄错", seen, now=now + timedelta(minutes=1))
    with pytest.raises(Conflict) as exc:
        correct_result(actor_of(world.tech2), r, ResultInput(item=r.item, tested_at=r.tested_at,
                                                             tc_ratio=Decimal("0.95")),
                       "第二人：比值抄错", seen, now=now + timedelta(minutes=2))
    assert exc.value.status == 409
    db.session.expire_all()
    rows = db.session.execute(sa.select(Result).where(Result.batch_id == r.batch_id).order_by(Result.id)).scalars().all()
    assert [(x.version, x.current) for x in rows] == [(1, False), (2, True)]
    stands = rows[1]
    assert stands.id == first.id and stands.tc_ratio == Decimal("0.3") and stands.outcome == "positive"
    assert stands.correction_reason == "第一人：比值抄错" and stands.entered_by_id == world.tech.id
    entries = audit_entries(db, r.batch_id, "result.correct")
    assert len(entries) == 1 and entries[0].user_id == world.tech.id
    # the batch follows the correction that stood
    assert stands.batch.status == "stopped" and stands.batch.disposition is not None


def test_the_second_editor_can_retry_on_the_new_version(ctx, db, world, actor_of, negative_result, now):
    from lims.results.inputs import ResultInput
    from lims.results.services import correct_result

    r = negative_result
    v2 = correct_result(actor_of(world.tech), r, ResultInput(item=r.item, tested_at=r.tested_at,
                                                             tc_ratio=Decimal("0.85")), "一", r.row_version, now=now)
    db.session.flush()
    v3 = correct_result(actor_of(world.tech2), v2, replace(ResultInput(item=r.item, tested_at=r.tested_at),
                                                           tc_ratio=Decimal("0.95")), "二", v2.row_version, now=now)
    assert (v3.version, v3.supersedes_id, v3.current) == (3, v2.id, True)
    assert v2.current is False


@pytest.fixture
def positive_batch(ctx, world, svc, now):
    return svc.positive(world.tech, world.site_a, world.stall_a1, quantity_kg=10, now=now - timedelta(minutes=30))


def test_two_notifications_of_the_same_disposition(ctx, db, world, actor_of, positive_batch, now):
    from lims.dispositions import services as dispositions
    from lims.errors import Conflict

    b = positive_batch
    seen = b.disposition.row_version
    first_at = now - timedelta(minutes=20)
    dispositions.notify(actor_of(world.tech), b, first_at, person="张三", expected_version=seen, now=now)
    # the second person opened the page before the first one saved
    with pytest.raises(Conflict):
        dispositions.notify(actor_of(world.manager_a), b, now - timedelta(minutes=10), person="李四",
                            expected_version=seen, now=now)
    # and without a version the state machine still refuses a second notification
    with pytest.raises(Conflict):
        dispositions.notify(actor_of(world.manager_a), b, now - timedelta(minutes=10), person="李四", now=now)
    db.session.expire_all()
    d = b.disposition
    assert d.notified_at == first_at and d.notified_person == "张三" and d.notified_by_id == world.tech.id
    assert d.objection_deadline == first_at + timedelta(hours=4)
    assert len(audit_entries(db, b.id, "disposition.notify")) == 1


def test_two_notifications_over_the_api(api, world, now, positive_batch, commit):
    commit()
    code = positive_batch.code
    first = api.post(f"/api/v1/batches/{code}/notify", world.tech, {"notified_at": local_iso(now - timedelta(minutes=20))})
    second = api.post(f"/api/v1/batches/{code}/notify", world.manager_a,
                      {"notified_at": local_iso(now - timedelta(minutes=10))})
    assert first.status_code == 200
    assert_error(second, 409)
    assert api.batch(world.tech, code)["disposition"]["notified_at"] == first.get_json()["disposition"]["notified_at"]


def test_stale_version_refuses_objection_and_lab_result(ctx, db, world, actor_of, positive_batch, now):
    from lims.dispositions import services as dispositions
    from lims.errors import Conflict

    b = positive_batch
    dispositions.notify(actor_of(world.tech), b, now - timedelta(minutes=20), now=now)
    db.session.flush()
    seen = b.disposition.row_version
    dispositions.object_to(actor_of(world.manager_a), b, now - timedelta(minutes=10), LAB, "GB/T 21313-2007",
                           expected_version=seen, now=now)
    db.session.flush()
    with pytest.raises(Conflict):
        dispositions.object_to(actor_of(world.regulator), b, now - timedelta(minutes=5), "另一实验室",
                               "GB/T 21313-2007", expected_version=seen, now=now)
    seen = b.disposition.row_version
    dispositions.record_lab_result(actor_of(world.regulator), b, LAB, "R-1", "positive", expected_version=seen, now=now)
    db.session.flush()
    with pytest.raises(Conflict):
        dispositions.record_lab_result(actor_of(world.manager_a), b, LAB, "R-2", "negative", expected_version=seen,
                                       now=now)
    assert b.disposition.status == "confirmed" and b.disposition.objection.lab_report_no == "R-1"
    assert b.disposition.objection.lab == LAB


def test_two_disposals_of_the_whole_quantity(ctx, db, world, actor_of, svc, now):
    from lims.dispositions import services as dispositions
    from lims.errors import Conflict, InvalidInput

    b = svc.positive(world.tech, world.site_a, world.stall_a1, quantity_kg=10, now=now - timedelta(hours=6))
    dispositions.notify(actor_of(world.tech), b, now - timedelta(hours=5), now=now - timedelta(hours=5))
    db.session.flush()
    seen = b.disposition.row_version
    dispositions.add_disposal(actor_of(world.manager_a), b, dispositions.DisposalInput(
        "destroy", Decimal(10), now - timedelta(minutes=10)), expected_version=seen, now=now)
    db.session.flush()
    with pytest.raises(Conflict):
        dispositions.add_disposal(actor_of(world.regulator), b, dispositions.DisposalInput(
            "destroy", Decimal(10), now - timedelta(minutes=5)), expected_version=seen, now=now)
    with pytest.raises((Conflict, InvalidInput)):
        dispositions.add_disposal(actor_of(world.regulator), b, dispositions.DisposalInput(
            "destroy", Decimal(10), now - timedelta(minutes=5)), now=now)
    assert [a.quantity_kg for a in b.disposition.actions] == [Decimal(10)]
    assert b.disposition.status == "disposed" and b.status == "disposed"


def test_two_reviewers_at_once(api, world, now, svc, ctx, commit):
    b = svc.batch(world.tech, world.site_a, world.stall_a1)
    svc.result(world.tech, b, tc_ratio=Decimal("0.9"))
    commit()
    first = api.post(f"/api/v1/batches/{b.code}/review", world.reviewer)
    second = api.post(f"/api/v1/batches/{b.code}/review", world.reviewer2)
    assert first.status_code == 200
    assert_error(second, 409)
    assert api.batch(world.tech, b.code)["results"][0]["reviewer"] == "审核员甲"
