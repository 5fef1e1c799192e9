"""decision_rule_for gives the same rule whichever of a category's and its parent's
overrides was stored first, and whichever of the two categories was created first: the
relationship loads overrides in no particular order (SQLite by category id, PostgreSQL as
the rows lie)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from lims.reference import services as reference


@pytest.mark.parametrize("categories_first", ["parent", "child"])
@pytest.mark.parametrize("overrides_first", ["parent", "child"])
def test_every_insertion_order_gives_the_same_rule(ctx, db, admin_actor, categories_first, overrides_first):
    from lims.models import FoodCategory, TestItem

    made = {}
    for role in (categories_first, "child" if categories_first == "parent" else "parent"):
        made[role] = FoodCategory(code=f"T-{role.upper()}", name=f"测试{role}", level=2 if role == "child" else 1)
        db.session.add(made[role])
        db.session.flush()
    made["child"].parent_id = made["parent"].id
    db.session.flush()

    item = reference.get_item("CBF")
    values = {"parent": {"a": D("0.3"), "b": D("0.9")}, "child": {"a": D("0.4")}}
    for role in (overrides_first, "child" if overrides_first == "parent" else "parent"):
        reference.set_override(admin_actor, item, made[role].code, **values[role])
    db.session.flush()
    db.session.expire_all()  # the overrides are loaded again, in the database's order
    item = db.session.get(TestItem, item.id)

    rule = reference.decision_rule_for(item, db.session.get(FoodCategory, made["child"].id))
    assert (rule.a, rule.b) == (D("0.4"), D("0.9"))  # the child's own A, its parent's B
    rule = reference.decision_rule_for(item, db.session.get(FoodCategory, made["parent"].id))
    assert (rule.a, rule.b) == (D("0.3"), D("0.9"))
