"""Which parameters decide a test: the precedence of the item, its food-category overrides,
the reagent lot and the method (domain.md §3).

Pure, and independent of the order the overrides come in: a reagent lot's declared thresholds
beat the most specific food category's override, which beats its parent category's, which
beats the item's own values; each parameter is taken from the first of those that sets it.
An enzyme-inhibition method that prescribes its cut-off (GB/T 5009.199: 50 %, NY/T 448: 70 %)
is followed, as the instrument's own program follows it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from lims.rules.judging import DecisionRule, cutoff_for_method

#: The parameters of a :class:`DecisionRule` besides the rule itself.
PARAMETERS = ("cutoff", "control_min", "gold_mode", "c_min", "a", "b", "limit_value", "limit_sign",
              "detection_limit")
#: What a food category's override may set.
OVERRIDE_PARAMETERS = ("cutoff", "limit_value", "a", "b")
#: What a reagent lot may declare (its mode is the gold card's reading mode).
LOT_PARAMETERS = ("gold_mode", "c_min", "a", "b")


def decision_rule(rule: str, item: Mapping[str, object], *, lineage: Sequence[int] = (),
                  overrides: Iterable[tuple[int, Mapping[str, object]]] = (),
                  lot: Mapping[str, object] | None = None, method: str | None = None) -> DecisionRule:
    """The rule that judges one test.

    ``item`` holds the item's own parameters; ``lineage`` is the food category's id followed by
    its ancestors' (most specific first); ``overrides`` are ``(category id, parameters)`` pairs
    in any order (those of other categories are ignored); ``lot`` the reagent lot's declared
    parameters. ``None`` means "not set here": the next in precedence decides."""
    by_category = {category_id: values for category_id, values in overrides}
    layers = [by_category[c] for c in lineage if c in by_category]  # most specific first
    values = {}
    for key in PARAMETERS:
        value = lot.get(key) if lot is not None and key in LOT_PARAMETERS else None
        if value is None and key in OVERRIDE_PARAMETERS:
            value = next((layer[key] for layer in layers if layer.get(key) is not None), None)
        values[key] = item.get(key) if value is None else value
    if rule == "inhibition":
        prescribed: Decimal | None = cutoff_for_method(method)
        if prescribed is not None:
            values["cutoff"] = prescribed
    return DecisionRule(rule=rule, **values)
