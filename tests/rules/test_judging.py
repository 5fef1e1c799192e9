"""lims.rules.judging: verdicts recomputed from raw signals (domain.md §3).

Every boundary of every rule is tested exactly and on either side. Expected values are
worked out by hand from domain.md, never by calling the code under test."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal as D

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lims.rules.judging import (
    DecisionRule,
    InvalidReading,
    Signals,
    check_entry,
    cutoff_for_method,
    disagrees,
    judge,
    judge_colloidal_gold,
    judge_enzyme_inhibition,
    judge_limit,
    judge_presence,
    normalise_word,
    parse_number,
)

PROPERTY = settings(database=None, deadline=None, max_examples=300)

# --- enzyme inhibition (GB/T 5009.199 ≥ 50 %, NY/T 448 ≥ 70 %, control ΔA0 ≥ 0.3) ------------


def _sig(**kw) -> Signals:
    return Signals(**{k: (D(v) if isinstance(v, str) else v) for k, v in kw.items()})


ENZYME_CASES = [
    # printed inhibition only, cut-off 50 (GB/T 5009.199)
    pytest.param(dict(value="49.9"), "50", None, "negative", "inhibition_below_cutoff", "49.9", False,
                 id="gbt-49.9-below-cutoff-50-negative"),
    pytest.param(dict(value="50"), "50", None, "positive", "inhibition_at_or_above_cutoff", "50", False,
                 id="gbt-50.0-at-cutoff-50-positive"),
    pytest.param(dict(value="50.1"), "50", None, "positive", "inhibition_at_or_above_cutoff", "50.1", False,
                 id="gbt-50.1-above-cutoff-50-positive"),
    # cut-off 70 (NY/T 448)
    pytest.param(dict(value="69.9"), "70", None, "negative", "inhibition_below_cutoff", "69.9", False,
                 id="nyt-69.9-below-cutoff-70-negative"),
    pytest.param(dict(value="70"), "70", None, "positive", "inhibition_at_or_above_cutoff", "70", False,
                 id="nyt-70.0-at-cutoff-70-positive"),
    pytest.param(dict(value="70.1"), "70", None, "positive", "inhibition_at_or_above_cutoff", "70.1", False,
                 id="nyt-70.1-above-cutoff-70-positive"),
    pytest.param(dict(value="55"), "70", None, "negative", "inhibition_below_cutoff", "55", False,
                 id="nyt-55-positive-under-gbt-but-negative-under-nyt"),
    # recomputed from the deltas: (ΔA0 − ΔAt) / ΔA0 × 100
    pytest.param(dict(control_delta="0.600", sample_delta="0.300"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", False, id="deltas-0.600-0.300-give-50.0-positive"),
    pytest.param(dict(control_delta="0.600", sample_delta="0.301"), "50", None, "negative",
                 "inhibition_below_cutoff", "49.8", False, id="deltas-0.600-0.301-give-49.8-negative"),
    pytest.param(dict(control_delta="0.500", sample_delta="0.150"), "70", None, "positive",
                 "inhibition_at_or_above_cutoff", "70.0", False, id="deltas-0.500-0.150-give-70.0-positive-at-70"),
    pytest.param(dict(control_delta="0.500", sample_delta="0.1505"), "70", None, "negative",
                 "inhibition_below_cutoff", "69.9", False, id="deltas-0.500-0.1505-give-69.9-negative-at-70"),
    pytest.param(dict(control_delta="0.800", sample_delta="0.800"), "50", None, "negative",
                 "inhibition_below_cutoff", "0.0", False, id="deltas-equal-give-0-negative"),
    pytest.param(dict(control_delta="0.500", sample_delta="0"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "100.0", False, id="sample-delta-0-gives-exactly-100-positive"),
    # control validity ΔA0 ≥ 0.3
    pytest.param(dict(control_delta="0.299", sample_delta="0.100"), "50", None, "invalid", "control_below_min",
                 None, False, id="control-0.299-below-0.3-invalid"),
    pytest.param(dict(control_delta="0.300", sample_delta="0.150"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", False, id="control-0.300-at-min-valid"),
    pytest.param(dict(control_delta="0.301", sample_delta="0.200"), "50", None, "negative",
                 "inhibition_below_cutoff", "33.6", False, id="control-0.301-above-min-valid"),
    pytest.param(dict(control_delta="0.200", value="80"), "50", None, "invalid", "control_below_min", None, False,
                 id="invalid-control-beats-a-positive-printed-value"),
    pytest.param(dict(control_delta="0.250", sample_delta="0.100"), "50", "0.2", "positive",
                 "inhibition_at_or_above_cutoff", "60.0", False, id="item-control-min-0.2-makes-0.25-valid"),
    pytest.param(dict(control_delta="0.350", sample_delta="0.100"), "50", "0.4", "invalid", "control_below_min",
                 None, False, id="item-control-min-0.4-makes-0.35-invalid"),
    # printed value vs recomputed value (0.600/0.300 → 50.0): mismatch only beyond 1 point
    pytest.param(dict(control_delta="0.600", sample_delta="0.300", value="51.0"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", False, id="printed-1.0-points-above-no-mismatch"),
    pytest.param(dict(control_delta="0.600", sample_delta="0.300", value="51.1"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", True, id="printed-1.1-points-above-mismatch"),
    pytest.param(dict(control_delta="0.600", sample_delta="0.300", value="49.0"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", False, id="printed-1.0-points-below-no-mismatch"),
    pytest.param(dict(control_delta="0.600", sample_delta="0.300", value="48.9"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", True, id="printed-1.1-points-below-mismatch"),
    pytest.param(dict(control_delta="0.600", sample_delta="0.300", value="20"), "50", None, "positive",
                 "inhibition_at_or_above_cutoff", "50.0", True, id="recomputed-positive-overrides-printed-negative"),
    pytest.param(dict(control_delta="0.600", sample_delta="0.480", value="85"), "50", None, "negative",
                 "inhibition_below_cutoff", "20.0", True, id="recomputed-negative-overrides-printed-positive"),
    # out of range
    pytest.param(dict(value="100.1"), "50", None, "invalid", "inhibition_out_of_range", "100.1", False,
                 id="printed-above-100-invalid"),
    pytest.param(dict(value="100"), "50", None, "positive", "inhibition_at_or_above_cutoff", "100", False,
                 id="printed-exactly-100-positive"),
    pytest.param(dict(control_delta="0.500", sample_delta="-0.010"), "50", None, "invalid",
                 "inhibition_out_of_range", "102.0", False, id="negative-sample-delta-gives-over-100-invalid"),
    pytest.param(dict(control_delta="0.500", sample_delta="0.600"), "50", None, "negative",
                 "inhibition_below_cutoff", "-20.0", False, id="sample-delta-above-control-negative-inhibition-negative"),
    pytest.param(dict(value="-3.5"), "50", None, "negative", "inhibition_below_cutoff", "-3.5", False,
                 id="printed-negative-inhibition-negative"),
]


@pytest.mark.parametrize("signals, cutoff, control_min, outcome, reason, computed, mismatch", ENZYME_CASES)
def test_enzyme_inhibition(signals, cutoff, control_min, outcome, reason, computed, mismatch):
    j = judge_enzyme_inhibition(_sig(**signals), D(cutoff), None if control_min is None else D(control_min))
    assert (j.outcome, j.reason, j.signal_mismatch) == (outcome, reason, mismatch)
    if computed is not None:
        assert j.computed_value == D(computed)
    if outcome in ("positive", "negative"):
        assert j.threshold == D(cutoff)


@pytest.mark.parametrize("signals, cutoff, control_min, outcome, reason, computed, mismatch", ENZYME_CASES)
def test_enzyme_inhibition_through_judge(signals, cutoff, control_min, outcome, reason, computed, mismatch):
    rule = DecisionRule("inhibition", cutoff=D(cutoff), control_min=None if control_min is None else D(control_min))
    j = judge(rule, _sig(**signals))
    assert (j.outcome, j.reason, j.signal_mismatch) == (outcome, reason, mismatch)


def test_invalid_control_reports_the_minimum():
    j = judge_enzyme_inhibition(_sig(control_delta="0.299", sample_delta="0.1"), D(50))
    assert j.threshold == D("0.3")
    assert j.params["control"] == D("0.299")
    assert j.params["minimum"] == D("0.3")


def test_recomputed_inhibition_is_rounded_to_one_decimal():
    # (0.7 − 0.3) / 0.7 × 100 = 57.142857… → 57.1
    j = judge_enzyme_inhibition(_sig(control_delta="0.7", sample_delta="0.3"), D(50))
    assert j.computed_value == D("57.1")
    assert j.computed_value.as_tuple().exponent == -1


@pytest.mark.parametrize("signals", [
    pytest.param(dict(), id="nothing"),
    pytest.param(dict(control_delta="0.6"), id="control-only"),
    pytest.param(dict(sample_delta="0.3"), id="sample-only"),
])
def test_enzyme_inhibition_without_a_reading_is_refused(signals):
    with pytest.raises(InvalidReading) as caught:
        judge_enzyme_inhibition(_sig(**signals), D(50))
    assert caught.value.code == "missing_reading"


@PROPERTY
@given(
    a0=st.decimals(min_value=D("0.300"), max_value=D("3.000"), places=3),
    fraction=st.decimals(min_value=D(0), max_value=D(1), places=4),
    cutoff=st.sampled_from([D(50), D(70)]),
)
@example(a0=D("0.300"), fraction=D("0.5002"), cutoff=D(50))  # 49.98 %: shown 50.0, negative
def test_property_recomputed_inhibition_is_a_percentage_and_decides(a0, fraction, cutoff):
    """For a valid control and 0 ≤ ΔAt ≤ ΔA0 the inhibition lies in [0, 100] and the outcome
    is positive exactly when the unrounded inhibition reaches the cut-off (49.98 % is shown as
    50.0 % and is below a 50 % cut-off)."""
    at = (a0 * fraction).quantize(D("0.0001"))
    j = judge_enzyme_inhibition(Signals(control_delta=a0, sample_delta=at), cutoff)
    assert j.outcome in ("positive", "negative")
    assert D(0) <= j.computed_value <= D(100)
    exact = (a0 - at) / a0 * 100
    assert (j.outcome == "positive") == (exact >= cutoff)
    assert j.computed_value == exact.quantize(D("0.1"), rounding=ROUND_HALF_UP)
    # more sample activity → less inhibition (never more)
    lower = judge_enzyme_inhibition(Signals(control_delta=a0, sample_delta=a0), cutoff)
    assert lower.computed_value <= j.computed_value


@PROPERTY
@given(a0=st.decimals(min_value=D("0.000"), max_value=D("0.299"), places=3),
       at=st.decimals(min_value=D("-1"), max_value=D("1"), places=3))
def test_property_control_below_min_is_always_invalid(a0, at):
    assert judge_enzyme_inhibition(Signals(control_delta=a0, sample_delta=at), D(50)).outcome == "invalid"


# --- colloidal gold (competitive: low T means positive) -------------------------------------

LINE = dict(mode="line", c_min=D(100), a=D(300), b=D(700))
RATIO = dict(mode="ratio", c_min=D(100), a=D("0.30"), b=D("0.70"))

GOLD_CASES = [
    # line mode: C ≤ C_min invalid, T ≤ A positive, T ≥ B negative, between suspect
    pytest.param(LINE, dict(c_line="100", t_line="800"), "invalid", "c_line_below_min", None, False,
                 id="line-C-equal-Cmin-invalid"),
    pytest.param(LINE, dict(c_line="99", t_line="800"), "invalid", "c_line_below_min", None, False,
                 id="line-C-below-Cmin-invalid"),
    pytest.param(LINE, dict(c_line="101", t_line="800"), "negative", "gold_at_or_above_b", "800", False,
                 id="line-C-just-above-Cmin-valid"),
    pytest.param(LINE, dict(c_line="900", t_line="0"), "positive", "gold_at_or_below_a", "0", False,
                 id="line-no-T-line-is-positive"),
    pytest.param(LINE, dict(c_line="900", t_line="299"), "positive", "gold_at_or_below_a", "299", False,
                 id="line-T-below-A-positive"),
    pytest.param(LINE, dict(c_line="900", t_line="300"), "positive", "gold_at_or_below_a", "300", False,
                 id="line-T-equal-A-positive"),
    pytest.param(LINE, dict(c_line="900", t_line="301"), "suspect", "gold_between_a_and_b", "301", False,
                 id="line-T-just-above-A-suspect"),
    pytest.param(LINE, dict(c_line="900", t_line="500"), "suspect", "gold_between_a_and_b", "500", False,
                 id="line-T-between-suspect"),
    pytest.param(LINE, dict(c_line="900", t_line="699"), "suspect", "gold_between_a_and_b", "699", False,
                 id="line-T-just-below-B-suspect"),
    pytest.param(LINE, dict(c_line="900", t_line="700"), "negative", "gold_at_or_above_b", "700", False,
                 id="line-T-equal-B-negative"),
    pytest.param(LINE, dict(c_line="900", t_line="701"), "negative", "gold_at_or_above_b", "701", False,
                 id="line-T-above-B-negative"),
    pytest.param(LINE, dict(c_line="50", tc_ratio="0.9", t_line="800"), "invalid", "c_line_below_min", None, False,
                 id="line-invalid-card-beats-everything"),
    # ratio mode: the same with T/C
    pytest.param(RATIO, dict(c_line="100", t_line="90"), "invalid", "c_line_below_min", None, False,
                 id="ratio-C-equal-Cmin-invalid"),
    pytest.param(RATIO, dict(c_line="1000", t_line="299"), "positive", "gold_at_or_below_a", "0.299", False,
                 id="ratio-TC-below-A-positive"),
    pytest.param(RATIO, dict(c_line="1000", t_line="300"), "positive", "gold_at_or_below_a", "0.300", False,
                 id="ratio-TC-computed-equal-A-positive"),
    pytest.param(RATIO, dict(c_line="1000", t_line="500"), "suspect", "gold_between_a_and_b", "0.500", False,
                 id="ratio-TC-computed-between-suspect"),
    pytest.param(RATIO, dict(c_line="1000", t_line="700"), "negative", "gold_at_or_above_b", "0.700", False,
                 id="ratio-TC-computed-equal-B-negative"),
    pytest.param(RATIO, dict(c_line="1000", t_line="701"), "negative", "gold_at_or_above_b", "0.701", False,
                 id="ratio-TC-above-B-negative"),
    pytest.param(RATIO, dict(c_line="300", t_line="100"), "suspect", "gold_between_a_and_b", "0.333", False,
                 id="ratio-computed-TC-rounded-to-3-places"),
    pytest.param(RATIO, dict(tc_ratio="0.30"), "positive", "gold_at_or_below_a", "0.30", False,
                 id="ratio-given-TC-equal-A-positive"),
    pytest.param(RATIO, dict(tc_ratio="0.70"), "negative", "gold_at_or_above_b", "0.70", False,
                 id="ratio-given-TC-equal-B-negative"),
    pytest.param(RATIO, dict(tc_ratio="0.5"), "suspect", "gold_between_a_and_b", "0.5", False,
                 id="ratio-given-TC-between-suspect"),
    pytest.param(RATIO, dict(c_line="1000", t_line="500", tc_ratio="0.52"), "suspect", "gold_between_a_and_b",
                 "0.500", False, id="ratio-given-TC-0.02-from-T-over-C-no-mismatch"),
    pytest.param(RATIO, dict(c_line="1000", t_line="500", tc_ratio="0.48"), "suspect", "gold_between_a_and_b",
                 "0.500", False, id="ratio-given-TC-0.02-below-T-over-C-no-mismatch"),
    pytest.param(RATIO, dict(c_line="1000", t_line="500", tc_ratio="0.521"), "suspect", "gold_between_a_and_b",
                 None, True, id="ratio-given-TC-0.021-from-T-over-C-mismatch"),
    pytest.param(RATIO, dict(c_line="1000", t_line="500", tc_ratio="0.479"), "suspect", "gold_between_a_and_b",
                 None, True, id="ratio-given-TC-0.021-below-T-over-C-mismatch"),
    pytest.param(dict(RATIO, c_min=None), dict(c_line="0", tc_ratio="0.8"), "negative", "gold_at_or_above_b", "0.8",
                 False, id="ratio-C-zero-without-Cmin-uses-given-TC"),
]


@pytest.mark.parametrize("rule, signals, outcome, reason, signal, mismatch", GOLD_CASES)
def test_colloidal_gold(rule, signals, outcome, reason, signal, mismatch):
    j = judge_colloidal_gold(_sig(**signals), rule["mode"], rule["c_min"], rule["a"], rule["b"])
    assert (j.outcome, j.reason, j.signal_mismatch) == (outcome, reason, mismatch)
    if signal is not None:
        assert j.computed_value == D(signal)
    if outcome == "invalid":
        assert j.threshold == rule["c_min"]
    elif outcome == "positive":
        assert j.threshold == rule["a"]
    elif outcome == "negative":
        assert j.threshold == rule["b"]


@pytest.mark.parametrize("rule, signals, outcome, reason, signal, mismatch", GOLD_CASES)
def test_colloidal_gold_through_judge(rule, signals, outcome, reason, signal, mismatch):
    dr = DecisionRule("gold", gold_mode=rule["mode"], c_min=rule["c_min"], a=rule["a"], b=rule["b"])
    j = judge(dr, _sig(**signals))
    assert (j.outcome, j.reason, j.signal_mismatch) == (outcome, reason, mismatch)


def test_gold_ratio_outcome_follows_the_raw_lines_not_the_printed_ratio():
    j = judge_colloidal_gold(_sig(c_line="1000", t_line="250", tc_ratio="0.90"), "ratio", D(100), D("0.30"),
                             D("0.70"))
    assert j.signal_mismatch is True
    assert j.outcome == "positive"


def test_gold_mode_defaults_to_ratio():
    j = judge(DecisionRule("gold", a=D("0.3"), b=D("0.7")), _sig(c_line="1000", t_line="200"))
    assert (j.outcome, j.computed_value, j.params["mode"]) == ("positive", D("0.2"), "ratio")


@pytest.mark.parametrize("value, outcome", [
    pytest.param("0.30", "positive", id="single-value-0.30-as-TC-equal-A-positive"),
    pytest.param("0.5", "suspect", id="single-value-0.5-as-TC-suspect"),
    pytest.param("0.70", "negative", id="single-value-0.70-as-TC-equal-B-negative"),
])
def test_a_single_reader_value_is_taken_as_tc_ratio(value, outcome):
    rule = DecisionRule("gold", gold_mode="ratio", c_min=D(100), a=D("0.30"), b=D("0.70"))
    j = judge(rule, _sig(value=value))
    assert j.outcome == outcome
    assert j.computed_value == D(value)


def test_single_value_beside_t_and_c_is_checked_as_the_printed_ratio():
    rule = DecisionRule("gold", gold_mode="ratio", a=D("0.30"), b=D("0.70"))
    assert judge(rule, _sig(value="0.80", c_line="1000", t_line="800")).signal_mismatch is False
    assert judge(rule, _sig(value="0.85", c_line="1000", t_line="800")).signal_mismatch is True


@pytest.mark.parametrize("mode, signals", [
    pytest.param("line", dict(c_line="900"), id="line-mode-without-T"),
    pytest.param("line", dict(c_line="900", tc_ratio="0.5"), id="line-mode-with-only-a-ratio"),
    pytest.param("ratio", dict(c_line="900"), id="ratio-mode-C-only"),
    pytest.param("ratio", dict(t_line="300"), id="ratio-mode-T-only"),
])
def test_gold_without_a_usable_reading_is_refused(mode, signals):
    with pytest.raises(InvalidReading) as caught:
        judge_colloidal_gold(_sig(**signals), mode, D(100), D(300), D(700))
    assert caught.value.code == "missing_reading"


@PROPERTY
@given(t1=st.decimals(min_value=0, max_value=2000, places=1), t2=st.decimals(min_value=0, max_value=2000, places=1))
def test_property_gold_line_outcome_never_gets_more_positive_as_t_rises(t1, t2):
    """Competitive assay: a stronger T line can only move positive → suspect → negative."""
    rank = {"positive": 0, "suspect": 1, "negative": 2}
    low, high = sorted((t1, t2))
    j_low = judge_colloidal_gold(Signals(c_line=D(900), t_line=low), "line", D(100), D(300), D(700))
    j_high = judge_colloidal_gold(Signals(c_line=D(900), t_line=high), "line", D(100), D(300), D(700))
    assert rank[j_low.outcome] <= rank[j_high.outcome]


# --- quantitative limits and presence -------------------------------------------------------

@pytest.mark.parametrize("value, limit, sign, outcome, reason", [
    pytest.param("29.9", "30", "<=", "negative", "within_limit", id="le-below-limit-negative"),
    pytest.param("30", "30", "<=", "negative", "within_limit", id="le-equal-limit-negative"),
    pytest.param("30.0001", "30", "<=", "positive", "exceeds_limit", id="le-just-above-limit-positive"),
    pytest.param("29.9", "30", "<", "negative", "within_limit", id="lt-below-limit-negative"),
    pytest.param("30", "30", "<", "positive", "exceeds_limit", id="lt-equal-limit-positive"),
    pytest.param("31", "30", "<", "positive", "exceeds_limit", id="lt-above-limit-positive"),
    pytest.param("0", "0.1", "<=", "negative", "within_limit", id="le-zero-negative"),
])
def test_limit(value, limit, sign, outcome, reason):
    j = judge_limit(D(value), D(limit), sign)
    assert (j.outcome, j.reason, j.computed_value, j.threshold) == (outcome, reason, D(value), D(limit))
    rule = DecisionRule("limit", limit_value=D(limit), limit_sign=sign)
    assert judge(rule, Signals(value=D(value))).outcome == outcome


def test_limit_sign_defaults_to_at_most():
    assert judge(DecisionRule("limit", limit_value=D(30), limit_sign=None), Signals(value=D(30))).outcome == "negative"
    assert judge_limit(D(30), D(30)).outcome == "negative"


@pytest.mark.parametrize("value, lod, outcome, reason", [
    pytest.param("0", None, "negative", "not_detected", id="no-lod-zero-not-detected"),
    pytest.param("0.001", None, "positive", "detected", id="no-lod-anything-above-zero-detected"),
    pytest.param("0.49", "0.5", "negative", "not_detected", id="lod-just-below-not-detected"),
    pytest.param("0.5", "0.5", "positive", "detected", id="lod-at-limit-detected"),
    pytest.param("12", "0.5", "positive", "detected", id="lod-far-above-detected"),
])
def test_presence(value, lod, outcome, reason):
    lod_d = None if lod is None else D(lod)
    j = judge_presence(D(value), lod_d)
    assert (j.outcome, j.reason, j.threshold) == (outcome, reason, lod_d)
    assert judge(DecisionRule("presence", detection_limit=lod_d), Signals(value=D(value))).outcome == outcome


# --- judge(): visual readings and refusals --------------------------------------------------

@pytest.mark.parametrize("rule", [
    DecisionRule("inhibition", cutoff=D(50)),
    DecisionRule("gold", gold_mode="line", a=D(300), b=D(700)),
    DecisionRule("limit", limit_value=D(30)),
    DecisionRule("presence"),
], ids=lambda r: r.rule)
@pytest.mark.parametrize("word", ["negative", "positive", "suspect", "invalid"])
def test_visual_reading_without_signals_is_taken_as_entered(rule, word):
    j = judge(rule, Signals(qualitative=word))
    assert (j.outcome, j.reason) == (word, "visual_reading")


def test_signals_win_over_a_visual_reading():
    j = judge(DecisionRule("limit", limit_value=D(30)), Signals(value=D(45), qualitative="negative"))
    assert j.outcome == "positive"


@pytest.mark.parametrize("rule, signals, code", [
    pytest.param(DecisionRule("limit", limit_value=D(30)), Signals(), "missing_reading", id="nothing-at-all"),
    pytest.param(DecisionRule("limit", limit_value=D(30)), Signals(qualitative="阳性"), "missing_reading",
                 id="visual-word-not-an-outcome"),
    pytest.param(DecisionRule("limit", limit_value=D(30)), Signals(qualitative="no_data"), "missing_reading",
                 id="visual-no-data-is-not-a-verdict"),
    pytest.param(DecisionRule("limit", limit_value=D(30)), Signals(t_line=D(300)), "missing_reading",
                 id="limit-rule-without-a-value"),
    pytest.param(DecisionRule("presence"), Signals(c_line=D(300)), "missing_reading",
                 id="presence-rule-without-a-value"),
    pytest.param(DecisionRule("inhibition"), Signals(value=D(60)), "item_not_configured",
                 id="inhibition-without-cutoff"),
    pytest.param(DecisionRule("gold", b=D(700)), Signals(t_line=D(200)), "item_not_configured",
                 id="gold-without-A"),
    pytest.param(DecisionRule("gold", a=D(300)), Signals(t_line=D(200)), "item_not_configured",
                 id="gold-without-B"),
    pytest.param(DecisionRule("limit"), Signals(value=D(10)), "item_not_configured", id="limit-without-limit"),
])
def test_judge_refuses(rule, signals, code):
    with pytest.raises(InvalidReading) as caught:
        judge(rule, signals)
    assert caught.value.code == code
    assert str(caught.value) == code


# --- parse_number ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    pytest.param("24.5", "24.5", id="plain"),
    pytest.param("２４．５", "24.5", id="full-width-digits-and-point"),
    pytest.param("24.5%", "24.5", id="trailing-percent"),
    pytest.param("24.5 %", "24.5", id="space-before-percent"),
    pytest.param("２４．５％", "24.5", id="full-width-percent"),
    pytest.param("  24.5\t", "24.5", id="surrounding-spaces"),
    pytest.param("\u300024.5\u3000", "24.5", id="ideographic-spaces"),
    pytest.param("1,234.5", "1234.5", id="thousands-separator"),
    pytest.param("1,234,567", "1234567", id="two-thousands-separators"),
    pytest.param("１，２３４", "1234", id="full-width-thousands-separator"),
    pytest.param("-1,234", "-1234", id="negative-with-thousands-separator"),
    pytest.param("12,345.", "12345", id="thousands-separator-trailing-point"),
    pytest.param("1,234.5%", "1234.5", id="thousands-separator-and-percent"),
    pytest.param("1e-3", "0.001", id="scientific-lower"),
    pytest.param("2.5E2", "250", id="scientific-upper"),
    pytest.param("-3", "-3", id="negative"),
    pytest.param("+3", "3", id="explicit-plus"),
    pytest.param(".5", "0.5", id="leading-point"),
    pytest.param("5.", "5", id="trailing-point"),
    pytest.param("0", "0", id="zero"),
    pytest.param(7, "7", id="int"),
    pytest.param(0.1, "0.1", id="float-keeps-its-shortest-repr"),
    pytest.param(D("3.14"), "3.14", id="decimal-passes-through"),
])
def test_parse_number_accepts(text, expected):
    result = parse_number(text)
    assert isinstance(result, D)
    assert result == D(expected)


def test_parse_number_float_is_exact_to_its_repr():
    assert str(parse_number(0.1)) == "0.1"
    assert str(parse_number(24.5)) == "24.5"


@pytest.mark.parametrize("text", [
    pytest.param("ND", id="ND-is-qualitative-never-zero"),
    pytest.param("nd", id="nd-lower"),
    pytest.param("未检出", id="未检出-is-qualitative-never-zero"),
    pytest.param("阴性", id="阴性"),
    pytest.param("abc", id="letters"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("%", id="percent-only"),
    pytest.param("--", id="dashes"),
    pytest.param("NaN", id="text-NaN"),
    pytest.param("inf", id="text-inf"),
    pytest.param("Infinity", id="text-Infinity"),
    pytest.param("1.2.3", id="two-points"),
    pytest.param("1e", id="bare-exponent"),
    pytest.param("2 4", id="space-inside"),
    pytest.param("24.5mg/kg", id="unit-attached"),
    pytest.param("0x10", id="hex"),
    pytest.param("<0.5", id="less-than-sign"),
    pytest.param(float("nan"), id="float-nan"),
    pytest.param(float("inf"), id="float-inf"),
    pytest.param(float("-inf"), id="float-minus-inf"),
    pytest.param(True, id="bool-True"),
    pytest.param(False, id="bool-False"),
    pytest.param(None, id="None"),
])
def test_parse_number_refuses(text):
    with pytest.raises(InvalidReading) as caught:
        parse_number(text)
    assert caught.value.code == "not_a_number"
    assert caught.value.params["value"] == str(text)


@pytest.mark.parametrize("text", [
    pytest.param("0,5", id="decimal-comma-would-read-5"),
    pytest.param("24,5", id="decimal-comma-would-read-245"),
    pytest.param("1,2,3", id="malformed-groups"),
    pytest.param("1234,567", id="group-of-four-before-comma"),
    pytest.param(",5", id="leading-comma"),
    pytest.param("1,234.5,6", id="comma-after-the-point"),
])
def test_parse_number_refuses_a_comma_that_is_not_a_thousands_separator(text):
    """Regression (was: every comma stripped, '0,5' → 5): a decimal comma is never guessed."""
    with pytest.raises(InvalidReading) as caught:
        parse_number(text)
    assert caught.value.code == "not_a_number"


@PROPERTY
@given(d=st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**6, max_value=10**6, places=4),
       fullwidth=st.booleans(), percent=st.booleans(), pad=st.sampled_from(["", " ", "  ", "\u3000"]))
def test_property_parse_number_reads_back_what_was_written(d, fullwidth, percent, pad):
    text = f"{d:f}"
    if fullwidth:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789.-"})
    text = pad + text + ("％" if fullwidth and percent else "%" if percent else "") + pad
    assert parse_number(text) == d


# --- normalise_word (domain.md §3) ----------------------------------------------------------

@pytest.mark.parametrize("word, outcome", [
    # negative
    ("阴性", "negative"), ("未检出", "negative"), ("合格", "negative"), ("ND", "negative"),
    ("nd", "negative"), ("Nd", "negative"), ("ＮＤ", "negative"), ("N.D.", "negative"),
    (" 阴性 ", "negative"), ("阴性\r\n", "negative"), ("\u3000合格\u3000", "negative"),
    ("negative", "negative"), ("NEGATIVE", "negative"),
    # positive
    ("阳性", "positive"), ("不合格", "positive"), ("超标", "positive"), ("检出", "positive"),
    (" 不合格", "positive"), ("Positive", "positive"), ("ＰＯＳＩＴＩＶＥ", "positive"),
    # suspect
    ("可疑", "suspect"), ("疑似", "suspect"), ("疑似 ", "suspect"), ("Suspect", "suspect"),
    # invalid
    ("无效", "invalid"), (" 无效", "invalid"), ("INVALID", "invalid"),
    # no data
    ("NA", None), ("na", None), ("ＮＡ", None), ("N/A", None), ("", None), ("   ", None), ("\u3000", None),
    ("--", None), ("－－", None), ("32766", None), ("３２７６６", None), (None, None),
], ids=lambda v: repr(v))
def test_normalise_word(word, outcome):
    assert normalise_word(word) == outcome


def test_未检出_is_not_read_as_检出():
    assert normalise_word("未检出") == "negative"
    assert normalise_word("检出") == "positive"
    assert normalise_word("不合格") == "positive"
    assert normalise_word("合格") == "negative"


@pytest.mark.parametrize("word", ["blue", "阴阳", "123"])
def test_normalise_word_unknown_is_none(word):
    assert normalise_word(word) is None


# --- cutoff_for_method ----------------------------------------------------------------------

@pytest.mark.parametrize("method, cutoff", [
    pytest.param("GB/T 5009.199-2003", D(50), id="GBT-5009.199-2003"),
    pytest.param("GB/T5009.199", D(50), id="GBT5009.199-no-space"),
    pytest.param("gb/t 5009.199-2003", D(50), id="lower-case"),
    pytest.param("ＧＢ／Ｔ　５００９．１９９－２００３", D(50), id="full-width"),
    pytest.param("NY/T 448-2001", D(70), id="NYT-448-2001"),
    pytest.param("NY/T448", D(70), id="NYT448-no-space"),
    pytest.param("ＮＹ／Ｔ　４４８", D(70), id="NYT-full-width"),
    pytest.param("GB/T 5009.19-2008", None, id="GBT-5009.19-organochlorine-is-another-standard"),
    pytest.param("GB 23200.113-2018", None, id="lab-method-unknown"),
    pytest.param("KJ 201706", None, id="KJ-has-no-inhibition-cutoff"),
    pytest.param("", None, id="empty"),
    pytest.param(None, None, id="None"),
])
def test_cutoff_for_method(method, cutoff):
    assert cutoff_for_method(method) == cutoff


# --- disagrees ------------------------------------------------------------------------------

@pytest.mark.parametrize("ours, instrument, mismatch, expected", [
    pytest.param("positive", "positive", False, False, id="same-word-agrees"),
    pytest.param("negative", "negative", False, False, id="same-negative-agrees"),
    pytest.param("positive", "negative", False, True, id="instrument-says-negative-disagrees"),
    pytest.param("negative", "positive", False, True, id="instrument-says-positive-disagrees"),
    pytest.param("suspect", "negative", False, True, id="suspect-vs-negative-disagrees"),
    pytest.param("negative", None, False, False, id="no-instrument-word-agrees"),
    pytest.param("negative", None, True, True, id="no-word-but-signal-mismatch-disagrees"),
    pytest.param("positive", "positive", True, True, id="same-word-but-signal-mismatch-disagrees"),
])
def test_disagrees(ours, instrument, mismatch, expected):
    assert disagrees(ours, instrument, mismatch) is expected


def test_disagrees_default_has_no_signal_mismatch():
    assert disagrees("negative", "negative") is False
    assert disagrees("negative", "positive") is True


# --- check_entry ----------------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


@pytest.mark.parametrize("kwargs, expected", [
    pytest.param(dict(tested_at=NOW), [], id="now-is-fine"),
    pytest.param(dict(tested_at=NOW - timedelta(days=3)), [], id="days-ago-is-fine"),
    pytest.param(dict(tested_at=NOW + 5 * MIN), [], id="future-within-5-min-tolerance"),
    pytest.param(dict(tested_at=NOW + 5 * MIN + SEC), [("tested_in_future", "tested_at", False)],
                 id="future-beyond-5-min-refused"),
    pytest.param(dict(tested_at=NOW + timedelta(days=1)), [("tested_in_future", "tested_at", False)],
                 id="tomorrow-refused"),
    pytest.param(dict(tested_at=NOW, sampled_at=NOW - timedelta(hours=1)), [], id="tested-after-sampling"),
    pytest.param(dict(tested_at=NOW, sampled_at=NOW), [], id="tested-at-sampling-time"),
    pytest.param(dict(tested_at=NOW, sampled_at=NOW + 5 * MIN), [], id="before-sampling-within-clock-skew"),
    pytest.param(dict(tested_at=NOW - 5 * MIN - SEC, sampled_at=NOW),
                 [("tested_before_sampling", "tested_at", False)], id="before-sampling-beyond-5-min-refused"),
    pytest.param(dict(tested_at=NOW - timedelta(hours=2), sampled_at=NOW),
                 [("tested_before_sampling", "tested_at", False)], id="hours-before-sampling-refused"),
    pytest.param(dict(tested_at=NOW, lot_expires_on=date(2026, 11, 20), tested_on_local=date(2026, 11, 20)), [],
                 id="lot-used-on-its-expiry-day"),
    pytest.param(dict(tested_at=NOW, lot_expires_on=date(2026, 11, 30), tested_on_local=date(2026, 11, 20)), [],
                 id="lot-before-expiry"),
    pytest.param(dict(tested_at=NOW, lot_expires_on=date(2026, 11, 19), tested_on_local=date(2026, 11, 20)),
                 [("reagent_lot_expired", "reagent_lot", False)], id="lot-used-the-day-after-expiry-refused"),
    pytest.param(dict(tested_at=NOW, item_active=False), [("item_inactive", "item", False)],
                 id="inactive-item-refused"),
    pytest.param(dict(tested_at=NOW, item_applies=False), [("item_not_for_category", "item", True)],
                 id="item-not-for-category-is-a-warning"),
    pytest.param(dict(tested_at=NOW + timedelta(hours=1), sampled_at=NOW + timedelta(hours=3),
                      lot_expires_on=date(2026, 1, 1), tested_on_local=date(2026, 11, 20),
                      item_active=False, item_applies=False),
                 [("tested_in_future", "tested_at", False), ("tested_before_sampling", "tested_at", False),
                  ("reagent_lot_expired", "reagent_lot", False), ("item_inactive", "item", False),
                  ("item_not_for_category", "item", True)], id="every-problem-at-once"),
])
def test_check_entry(kwargs, expected):
    problems = check_entry(now=NOW, **kwargs)
    assert [(p.code, p.field, p.warning) for p in problems] == expected


def test_check_entry_expired_lot_names_the_expiry_date():
    [problem] = check_entry(tested_at=NOW, now=NOW, lot_expires_on=date(2026, 11, 19),
                            tested_on_local=date(2026, 11, 20))
    assert problem.params == {"expires_on": date(2026, 11, 19)}


def test_check_entry_expiry_follows_the_local_date_not_the_utc_date():
    # 2026-11-20 17:00 UTC is already 2026-11-21 01:00 in Shanghai: a lot expiring on the 20th is expired.
    tested_at = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)
    problems = check_entry(tested_at=tested_at, now=tested_at, lot_expires_on=date(2026, 11, 20),
                           tested_on_local=date(2026, 11, 21))
    assert [p.code for p in problems] == ["reagent_lot_expired"]
