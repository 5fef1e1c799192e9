"""lims.rules.decision: reagent lot > most specific food category > parent category > item,
whatever order the overrides come in."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lims.rules.decision import OVERRIDE_PARAMETERS, PARAMETERS, decision_rule

LIMIT_ITEM = {"limit_value": D(30), "limit_sign": "<="}
GOLD_ITEM = {"gold_mode": "ratio", "c_min": D("0.1"), "a": D("0.5"), "b": D("0.8")}
CHILD, PARENT, OTHER = 11, 1, 12


def test_the_child_category_beats_its_parent_in_either_order():
    child, parent = (CHILD, {"limit_value": D(5)}), (PARENT, {"limit_value": D(10)})
    for overrides in ([parent, child], [child, parent]):
        rule = decision_rule("limit", LIMIT_ITEM, lineage=(CHILD, PARENT), overrides=overrides)
        assert rule.limit_value == D(5)


def test_a_parameter_the_child_leaves_unset_comes_from_the_parent_in_either_order():
    child, parent = (CHILD, {"a": D("0.4")}), (PARENT, {"a": D("0.3"), "b": D("0.9")})
    for overrides in ([parent, child], [child, parent]):
        rule = decision_rule("gold", GOLD_ITEM, lineage=(CHILD, PARENT), overrides=overrides)
        assert (rule.a, rule.b) == (D("0.4"), D("0.9"))


def test_the_lot_beats_every_category_and_the_item():
    rule = decision_rule("gold", GOLD_ITEM, lineage=(CHILD, PARENT),
                         overrides=[(CHILD, {"a": D("0.4")}), (PARENT, {"b": D("0.9")})],
                         lot={"gold_mode": "line", "c_min": None, "a": D("0.45"), "b": None})
    assert (rule.gold_mode, rule.c_min, rule.a, rule.b) == ("line", D("0.1"), D("0.45"), D("0.9"))


def test_overrides_of_other_categories_are_ignored_and_the_item_decides_without_any():
    assert decision_rule("limit", LIMIT_ITEM, lineage=(CHILD, PARENT),
                         overrides=[(OTHER, {"limit_value": D(1)})]).limit_value == D(30)
    assert decision_rule("limit", LIMIT_ITEM).limit_value == D(30)


@pytest.mark.parametrize("method, cutoff", [("GB/T 5009.199-2003", D(50)), ("NY/T 448-2001", D(70)), (None, D(60))])
def test_the_method_prescribes_an_inhibition_cutoff_over_the_overrides(method, cutoff):
    rule = decision_rule("inhibition", {"cutoff": D(50)}, lineage=(CHILD,), overrides=[(CHILD, {"cutoff": D(60)})],
                         method=method)
    assert rule.cutoff == cutoff


# --- every order -------------------------------------------------------------------------------

_values = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2))
_layer = st.fixed_dictionaries({k: _values for k in OVERRIDE_PARAMETERS})
_item = st.fixed_dictionaries({k: _values for k in PARAMETERS if k not in ("gold_mode", "limit_sign")})
_lot = st.one_of(st.none(), st.fixed_dictionaries({"gold_mode": st.sampled_from([None, "line", "ratio"]),
                                                   "c_min": _values, "a": _values, "b": _values}))


def _expected(item, child, parent, lot):
    """The precedence written out by hand, parameter by parameter."""
    out = {}
    for key in PARAMETERS:
        chain = [lot.get(key) if lot else None, child.get(key), parent.get(key), item.get(key)]
        out[key] = next((v for v in chain if v is not None), None)
    return out


@given(item=_item, child=_layer, parent=_layer, other=_layer, lot=_lot, data=st.data())
def test_any_order_of_the_overrides_gives_the_same_rule(item, child, parent, other, lot, data):
    overrides = data.draw(st.permutations([(CHILD, child), (PARENT, parent), (OTHER, other)]))
    rule = decision_rule("gold", item, lineage=(CHILD, PARENT), overrides=overrides, lot=lot)
    assert {k: getattr(rule, k) for k in PARAMETERS} == _expected(item, child, parent, lot)
