"""The audit trail of a batch's life: who, when, from where, before/after; the hash chain;
tampering detected by ``verify`` and by ``flask lims audit verify``; the batch timeline."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.lifecycle.conftest import SHANGHAI, audit_entries, batch_by_code, local_iso

LAB = "市食品检验检测中心"


@pytest.fixture
def lifecycle(api, world, now, db):
    """A batch taken through its whole life over the API; returns its code."""
    t = lambda **kw: local_iso(now - timedelta(**kw))  # noqa: E731
    code = api.register(world.tech, site=world.site_a.code, stall=world.stall_a1.code, food="猪肉", quantity_kg=10,
                        sampled_at=t(hours=8), tests=["CLB"], supplier={"name": "城南肉类批发部"}).get_json()["code"]
    posted = api.result(world.tech, code, item="CLB", signals={"c": 100, "t": 20}, tested_at=t(hours=7, minutes=50),
                        instrument_outcome="阳性")
    assert posted.status_code == 201
    # A positive is approved only with a confirmation that names it (issue 13).
    assert api.post(f"/api/v1/batches/{code}/review", world.reviewer,
                    {"note": "复核", "confirm": [posted.get_json()["id"]]}).status_code == 200
    assert api.post(f"/api/v1/batches/{code}/notify", world.manager_a,
                    {"notified_at": t(hours=3), "person": "张三"}).status_code == 200
    assert api.post(f"/api/v1/batches/{code}/objection", world.manager_a,
                    {"requested_at": t(hours=2), "lab": LAB, "method": "GB/T 21313-2007"}).status_code == 201
    assert api.post(f"/api/v1/batches/{code}/lab-result", world.regulator,
                    {"lab": LAB, "report_no": "JC-88", "outcome": "positive", "fee": 600}).status_code == 201
    assert api.post(f"/api/v1/batches/{code}/regulator", world.manager_a, {"informed_at": t(hours=1)}).status_code == 200
    assert api.post(f"/api/v1/batches/{code}/disposals", world.manager_a,
                    {"action": "destroy", "quantity_kg": 10, "done_at": t(minutes=30), "supervisor": "刘监管"}
                    ).status_code == 201
    assert api.batch(world.tech, code)["status"] == "disposed"
    return code


def test_every_step_is_audited_with_actor_ip_and_before_after(db, world, lifecycle):
    batch = batch_by_code(db, lifecycle)
    entries = [e for e in audit_entries(db, batch.id) if not e.action.endswith(".state")]
    # the batch's status, moved by its result and its disposition, is audited as it moves
    assert [e.state["status"] for e in audit_entries(db, batch.id, "batch.state")] == [
        "stopped", "disputed", "confirmed", "disposed"]
    assert [e.action for e in entries] == [
        "batch.create", "result.create", "disposition.open", "result.review", "disposition.notify",
        "disposition.objection", "disposition.lab_result", "disposition.inform_regulator", "disposition.disposal"]
    by = {e.action: e for e in entries}
    who = {"batch.create": world.tech, "result.create": world.tech, "disposition.open": world.tech,
           "result.review": world.reviewer, "disposition.notify": world.manager_a,
           "disposition.objection": world.manager_a, "disposition.lab_result": world.regulator,
           "disposition.inform_regulator": world.manager_a, "disposition.disposal": world.manager_a}
    for action, user in who.items():
        e = by[action]
        assert (e.user_id, e.actor, e.ip) == (user.id, user.username, "127.0.0.1"), action
        assert e.batch_id == batch.id and e.at is not None
    assert by["batch.create"].after["code"] == lifecycle
    assert by["result.create"].after["outcome"] == "positive" and by["result.create"].after["instrument_word"] == "阳性"
    assert by["disposition.open"].after["status"] == "stopped"
    assert by["result.review"].reason == "复核" and by["result.review"].after["outcome"] == "positive"
    assert by["disposition.objection"].before == {"status": "stopped"}
    assert by["disposition.objection"].after["status"] == "disputed"
    assert by["disposition.lab_result"].before == {"status": "disputed"}
    assert by["disposition.lab_result"].after["status"] == "confirmed"
    assert by["disposition.lab_result"].after["report_no"] == "JC-88"
    assert by["disposition.disposal"].before == {"status": "confirmed"}
    assert by["disposition.disposal"].after["status"] == "disposed"
    assert by["disposition.disposal"].after["supervisor"] == "刘监管"
    # entries are numbered in the order they were written (a database sequence on PostgreSQL:
    # numbers a rolled-back transaction took are not reused), each with its own keyed seal
    entries = audit_entries(db)
    seqs = [e.seq for e in entries]
    assert seqs == sorted(set(seqs)) and all(e.mac and e.pos is None for e in entries)


def test_verify_is_ok_after_a_whole_lifecycle(db, lifecycle):
    from lims.audit.services import verify

    result = verify()
    assert result.ok and result.broken_seq is None and result.problem is None
    assert result.checked == len(audit_entries(db))


def _unguard(db):
    """Remove the append-only guard inside this test's transaction (rolled back afterwards)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("DROP TRIGGER audit_entries_no_update"))
        db.session.execute(sa.text("DROP TRIGGER audit_entries_no_delete"))
    else:
        db.session.execute(sa.text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))


def _cli_verify(app):
    result = app.test_cli_runner().invoke(args=["lims", "audit", "verify"])
    text = result.output + (getattr(result, "stderr", "") or "")
    return result.exit_code, text


def seal_all(db) -> int:
    from lims.audit.services import seal

    n = seal()
    db.session.flush()
    db.session.expire_all()
    return n


def _before(db, seq) -> int:
    return sum(1 for e in audit_entries(db) if e.seq < seq)


@pytest.mark.parametrize("sealed", [True, False])
def test_changing_an_entry_is_named_by_its_seq(app, db, lifecycle, sealed):
    from lims.audit.services import verify
    from lims.models import AuditEntry

    if sealed:
        assert seal_all(db) == len(audit_entries(db))
    code, text = _cli_verify(app)
    assert code == 0 and "intact" in text
    batch = batch_by_code(db, lifecycle)
    target = audit_entries(db, batch.id, "result.create")[0]
    seq, after = target.seq, dict(target.after)
    after["outcome"] = "negative"  # someone "fixes" a positive in the trail
    _unguard(db)
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.seq == seq).values(after=after))
    db.session.expire_all()
    result = verify()
    assert not result.ok and result.broken_seq == seq and result.problem == "hash"
    assert result.checked == _before(db, seq)
    code, text = _cli_verify(app)
    assert code == 1
    assert f"#{seq}" in text and "hash" in text


def _forge_mac(target, key, **changes):
    from lims.audit.chain import entry_mac

    values = dict(seq=target.seq, at=target.at, user_id=target.user_id, actor=target.actor, ip=target.ip,
                  action=target.action, subject_type=target.subject_type, subject_id=target.subject_id,
                  batch_id=target.batch_id, before=target.before, after=target.after, reason=target.reason,
                  row_id=target.row_id, state=target.state, row_seal=target.row_seal)
    values.update(changes)
    return entry_mac(key, **values)


@pytest.mark.parametrize("sealed", [True, False])
def test_resealing_a_changed_entry_without_the_key_is_caught_there(db, lifecycle, sealed):
    from lims.audit.chain import link_hash
    from lims.audit.services import verify
    from lims.models import AuditEntry

    if sealed:
        seal_all(db)
    batch = batch_by_code(db, lifecycle)
    target = audit_entries(db, batch.id, "disposition.lab_result")[0]
    after = dict(target.after, outcome="negative", status="released")
    _unguard(db)
    for key in (b"a key the forger guessed", b"another guess at the key"):
        mac = _forge_mac(target, key, after=after)
        link = link_hash(key, target.prev_hash, target.pos, mac) if sealed else None
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.seq == target.seq)
                           .values(after=after, mac=mac, hash=link))
        db.session.expire_all()
        result = verify()
        assert not result.ok and result.broken_seq == target.seq and result.problem == "hash"


def test_resealing_a_changed_sealed_entry_with_the_key_still_breaks_the_next_link(app, db, lifecycle):
    from lims.audit.chain import link_hash
    from lims.audit.key import audit_key
    from lims.audit.services import verify
    from lims.models import AuditEntry

    seal_all(db)
    batch = batch_by_code(db, lifecycle)
    target = audit_entries(db, batch.id, "disposition.lab_result")[0]
    after = dict(target.after, outcome="negative", status="released")
    mac = _forge_mac(target, audit_key(), after=after)
    _unguard(db)
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.seq == target.seq).values(
        after=after, mac=mac, hash=link_hash(audit_key(), target.prev_hash, target.pos, mac)))
    db.session.expire_all()
    result = verify()
    following = db.session.execute(sa.select(AuditEntry.seq).where(AuditEntry.pos == target.pos + 1)).scalar()
    assert not result.ok and result.broken_seq == following and result.problem == "link"
    assert result.broken_pos == target.pos + 1


def test_deleting_the_last_sealed_entry_is_caught(app, db, lifecycle):
    from lims.audit.services import verify
    from lims.models import AuditEntry, AuditHead

    seal_all(db)
    last = db.session.execute(sa.select(sa.func.max(AuditEntry.pos))).scalar()
    assert db.session.get(AuditHead, 1).seq == last
    _unguard(db)
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.pos == last))
    db.session.expire_all()
    result = verify()
    assert not result.ok and result.problem == "head" and result.broken_pos == last
    assert result.checked == last - 1
    code, text = _cli_verify(app)
    assert code == 1 and f"#{last}" in text and "head" in text


def test_deleting_a_middle_sealed_entry_is_a_gap(db, lifecycle):
    from lims.audit.services import verify
    from lims.models import AuditEntry

    seal_all(db)
    batch = batch_by_code(db, lifecycle)
    entry = audit_entries(db, batch.id, "disposition.objection")[0]
    _unguard(db)
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.seq == entry.seq))
    db.session.expire_all()
    result = verify()
    assert not result.ok and result.broken_pos == entry.pos and result.problem == "gap"


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_the_database_refuses_changes_to_the_trail(db, lifecycle, statement):
    from lims.audit.services import verify
    from lims.models import AuditEntry

    seq = audit_entries(db)[-1].seq
    stmt = (sa.update(AuditEntry).where(AuditEntry.seq == seq).values(reason="changed") if statement == "update"
            else sa.delete(AuditEntry).where(AuditEntry.seq == seq))
    with pytest.raises(sa.exc.DBAPIError) as exc:
        with db.session.begin_nested():
            db.session.execute(stmt)
    assert "append-only" in str(exc.value)
    db.session.expire_all()
    assert db.session.execute(sa.select(AuditEntry.reason).where(AuditEntry.seq == seq)).one_or_none() is not None
    assert verify().ok


def test_cli_verify_intact(app, db, lifecycle):
    code, text = _cli_verify(app)
    assert code == 0, text
    assert str(len(audit_entries(db))) in text


# --- timeline -----------------------------------------------------------------------------------


def test_timeline_tells_the_story_in_order(app, db, world, svc, actor_of, now):
    """Service calls with explicit times: the timeline is in the order things were recorded."""
    from lims.audit.timeline import batch_timeline
    from lims.dispositions import services as dispositions
    from lims.results.services import review

    t0 = (now - timedelta(days=1)).astimezone(SHANGHAI).replace(hour=8, minute=0, second=0, microsecond=0)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        b = svc.batch(world.tech, world.site_a, world.stall_a1, food="猪肉", tests=("CLB",), quantity_kg=10,
                      sampled_at=t0, now=t0 + timedelta(minutes=5))
        r = svc.result(world.tech, b, tc_ratio=Decimal("0.2"), tested_at=t0 + timedelta(minutes=30),
                       now=t0 + timedelta(minutes=40))
        review(actor_of(world.reviewer), [r], note="ok", now=t0 + timedelta(minutes=50), confirmed=[r.id])
        dispositions.notify(actor_of(world.manager_a), b, t0 + timedelta(hours=1), person="张三",
                            now=t0 + timedelta(hours=1))
        dispositions.object_to(actor_of(world.manager_a), b, t0 + timedelta(hours=2), LAB, "GB/T 21313-2007",
                               now=t0 + timedelta(hours=2))
        dispositions.record_lab_result(actor_of(world.regulator), b, LAB, "JC-7", "positive",
                                       now=t0 + timedelta(hours=6))
        dispositions.add_disposal(actor_of(world.manager_a), b, dispositions.DisposalInput(
            "destroy", Decimal(10), t0 + timedelta(hours=7), supervisor="刘监管"), now=t0 + timedelta(hours=7))
        story = batch_timeline(b)

    assert [e.kind for e in story] == ["batch", "positive", "disposition", "result", "disposition", "disposition",
                                       "disposition", "disposition"]
    assert [e.at for e in story] == sorted(e.at for e in story)
    assert story[0].at == t0 + timedelta(minutes=5)
    assert [e.who for e in story] == ["检测员甲", "检测员甲", "检测员甲", "审核员甲", world.manager_a.display_name,
                                      world.manager_a.display_name, world.regulator.display_name,
                                      world.manager_a.display_name]
    texts = [e.text for e in story]
    assert "猪肉" in texts[0] and "克伦特罗" in texts[0]
    assert "克伦特罗" in texts[1] and "0.2" in texts[1]
    assert "张三" in texts[4]
    # the deadline is told in local time: notified 09:00 → until 13:00
    assert (t0 + timedelta(hours=5)).strftime("%H:%M") in texts[4]
    assert LAB in texts[5] and "GB/T 21313-2007" in texts[5]
    assert "JC-7" in texts[6]
    assert "10" in texts[7] and "刘监管" in texts[7]
    assert story[3].reason == "ok"


def test_timeline_of_the_api_lifecycle(db, world, lifecycle, ctx):
    from lims.audit.timeline import batch_timeline

    batch = batch_by_code(db, lifecycle)
    story = batch_timeline(batch)
    assert len(story) == 9
    assert story[0].kind == "batch" and story[1].kind == "positive"
    assert [e.at for e in story] == sorted(e.at for e in story)
    assert all(e.text and not e.text.startswith(("disposition.", "result.", "batch.")) for e in story)
