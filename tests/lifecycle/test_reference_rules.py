"""Reference data an administrator edits decides verdicts, so an item or a lot that cannot
judge correctly is refused, field by field, and nothing of it is kept; accepted changes are
audited."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.errors import InvalidInput, NotFound
from lims.reference import services as reference

D = Decimal
BASE = dict(name="测试项目", analyte="测试", principle="colorimetric", method="测试方法", unit="mg/kg")


def _count(db, model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


@pytest.mark.parametrize("values, field", [
    (dict(principle="magic", rule="limit", limit_value=D(1), limit_sign="<="), "principle"),
    (dict(rule="guess"), "rule"),
    (dict(principle="enzyme_inhibition", rule="inhibition"), "cutoff"),
    (dict(principle="enzyme_inhibition", rule="inhibition", cutoff=D(120)), "cutoff"),
    (dict(principle="colloidal_gold", rule="gold", gold_mode="ratio", a=D("0.5")), "a"),
    (dict(principle="colloidal_gold", rule="gold", gold_mode="ratio", a=D("0.9"), b=D("0.5")), "b"),
    (dict(principle="colloidal_gold", rule="gold", a=D("0.5"), b=D("0.8")), "gold_mode"),
    (dict(rule="limit", limit_sign="<="), "limit_value"),
    (dict(rule="limit", limit_value=D(30), limit_sign="≠"), "limit_sign"),
])
def test_an_item_that_cannot_judge_is_refused_and_not_kept(ctx, db, admin_actor, values, field):
    from lims.models import TestItem

    before = _count(db, TestItem)
    with pytest.raises(InvalidInput) as refused:
        reference.create_item(admin_actor, "ZZ1", **(BASE | values))
    assert field in refused.value.errors
    assert _count(db, TestItem) == before


def test_an_item_that_judges_is_created_audited_and_judges(ctx, db, admin_actor):
    from lims.models import AuditEntry
    from lims.rules.judging import Signals, judge

    item = reference.create_item(admin_actor, " zz2 ", **(BASE | dict(rule="limit", limit_value=D(30), limit_sign="<=")))
    assert item.code == "ZZ2"
    assert db.session.execute(sa.select(AuditEntry).where(AuditEntry.subject_type == "test_item",
                                                          AuditEntry.subject_id == str(item.id))).scalars().first()
    rule = reference.decision_rule_for(item)
    assert judge(rule, Signals(value=D(30))).outcome == "negative"
    assert judge(rule, Signals(value=D("30.1"))).outcome == "positive"


def test_an_update_that_breaks_the_rule_is_refused_and_the_item_unchanged(ctx, db, admin_actor):
    item = reference.get_item("CLB")
    a, b = item.a, item.b
    with pytest.raises(InvalidInput):
        reference.update_item(admin_actor, item, a=D("0.9"), b=D("0.1"))
    db.session.expire_all()
    item = reference.get_item("CLB")
    assert (item.a, item.b) == (a, b)


def test_a_changed_category_list_is_audited_with_before_and_after(ctx, db, admin_actor):
    from lims.models import AuditEntry, FoodCategory

    item = reference.get_item("OPC")
    had = sorted(c.code for c in item.categories)
    others = [c.code for c in db.session.execute(sa.select(FoodCategory).order_by(FoodCategory.id)).scalars()
              if c.code not in had]
    codes = had[:1] + others[:1]
    reference.update_item(admin_actor, item, category_codes=codes)
    entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "test_item.update")
                               .order_by(AuditEntry.seq.desc())).scalars().first()
    assert entry.before == {"categories": had} and entry.after == {"categories": sorted(codes)}
    assert sorted(c.code for c in reference.get_item("OPC").categories) == sorted(codes)


def test_an_override_is_set_changed_and_removed_with_its_audit(ctx, db, admin_actor):
    from lims.models import AuditEntry, FoodCategory

    item = reference.get_item("OPC")
    category = db.session.execute(sa.select(FoodCategory).order_by(FoodCategory.id)).scalars().first()
    override = reference.set_override(admin_actor, item, category.code, cutoff=D(60), note="试行")
    assert reference.decision_rule_for(item, category).cutoff == D(60)
    same = reference.set_override(admin_actor, item, category.code, cutoff=D(65))
    assert same.id == override.id and reference.decision_rule_for(item, category).cutoff == D(65)
    reference.remove_override(admin_actor, item, override.id)
    assert reference.decision_rule_for(item, category).cutoff == item.cutoff
    actions = db.session.execute(sa.select(AuditEntry.action).where(
        AuditEntry.subject_type == "test_item_override").order_by(AuditEntry.seq)).scalars().all()
    assert actions[-1] == "test_item_override.delete"
    with pytest.raises(NotFound):
        reference.remove_override(admin_actor, item, override.id)


@pytest.mark.parametrize("item_code, values, field", [
    ("CLB", dict(lot="  ", expires_on=date(2027, 1, 1)), "lot"),
    ("CLB", dict(lot="KJ-9", expires_on=None), "expires_on"),
    ("CLB", dict(lot="KJ-9", expires_on=date(2027, 1, 1), mode="both"), "mode"),
    ("CLB", dict(lot="KJ-9", expires_on=date(2027, 1, 1), a=D("0.8"), b=D("0.4")), "b"),
    ("CLB", dict(lot="KJ-9", expires_on=date(2027, 1, 1), c_min=D("-0.1")), "c_min"),
    ("OPC", dict(lot="EZ-9", expires_on=date(2027, 1, 1), a=D("0.4"), b=D("0.8")), "mode"),
])
def test_a_lot_that_cannot_judge_is_refused_and_not_kept(ctx, db, admin_actor, item_code, values, field):
    from lims.models import ReagentLot

    before = _count(db, ReagentLot)
    with pytest.raises(InvalidInput) as refused:
        reference.create_lot(admin_actor, reference.get_item(item_code), **values)
    assert field in refused.value.errors
    assert _count(db, ReagentLot) == before


def test_a_lot_with_its_own_thresholds_decides_its_cards(ctx, db, admin_actor):
    item = reference.get_item("CLB")
    lot = reference.create_lot(admin_actor, item, lot=" KJ-2612 ", expires_on=date(2027, 6, 30), mode="ratio",
                               c_min=D("0.1"), a=D("0.6"), b=D("0.9"))
    assert lot.lot == "KJ-2612" and reference.find_lot(item, "KJ-2612 ") == lot
    rule = reference.decision_rule_for(item, None, lot)
    assert (rule.a, rule.b, rule.gold_mode) == (D("0.6"), D("0.9"), "ratio")
    with pytest.raises(InvalidInput):
        reference.update_lot(admin_actor, lot, a=D("0.95"))
    db.session.expire_all()
    assert reference.get_lot(lot.id).a == D("0.6")
