"""Judging a result from its raw signals and the test item's rule (domain.md §3).

We never trust the instrument's own verdict blindly: the outcome is recomputed here,
the instrument's word is kept beside it, and a disagreement is flagged for the reviewer.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from instruments.outcomes import outcome_of

OUTCOMES = ("negative", "positive", "suspect", "invalid")
PRINCIPLES = ("enzyme_inhibition", "colloidal_gold", "colorimetric", "other")
RULES = ("inhibition", "gold", "limit", "presence")
GOLD_MODES = ("line", "ratio")
LIMIT_SIGNS = ("<=", "<")

# Method cut-offs hard-coded in the instruments' own programs [practice].
METHOD_CUTOFFS = {"GB/T 5009.199": Decimal(50), "NY/T 448": Decimal(70)}
DEFAULT_CONTROL_MIN = Decimal("0.3")  # ΔA0 of a valid control [verify]
INHIBITION_MISMATCH = Decimal(1)  # percentage points between printed and recomputed value
RATIO_MISMATCH = Decimal("0.02")
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between instrument PC and server


class InvalidReading(ValueError):
    """A value that cannot be judged; ``code`` names the reason for the message catalogue."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def normalise_word(word: str | None) -> str | None:
    """Map an instrument's or technician's word (阴性, 不合格, 可疑, ND…) to an outcome, or None.

    The vocabulary is ``instruments.outcomes``: the parsers read the same words the same way."""
    return outcome_of(word)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 1,234.5 — never a decimal comma


def parse_number(text) -> Decimal:
    """A reading typed or sent as text → Decimal; full-width digits and a trailing % allowed.

    Raises InvalidReading('not_a_number') for anything else (never turns "ND" into 0)."""
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise InvalidReading("not_a_number", value=str(text))
        return text
    if isinstance(text, bool):
        raise InvalidReading("not_a_number", value=str(text))
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise InvalidReading("not_a_number", value=str(text))
        return Decimal(repr(text))
    raw = unicodedata.normalize("NFKC", str(text)).strip().rstrip("%").strip()
    if "," in raw:
        if not _THOUSANDS.match(raw):
            raise InvalidReading("not_a_number", value=str(text))
        raw = raw.replace(",", "")
    if not _NUMBER.match(raw):
        raise InvalidReading("not_a_number", value=str(text))
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise InvalidReading("not_a_number", value=str(text)) from None


def cutoff_for_method(method: str | None) -> Decimal | None:
    """The inhibition cut-off a method prescribes (≥ 50 % GB/T 5009.199, ≥ 70 % NY/T 448)."""
    if not method:
        return None
    key = unicodedata.normalize("NFKC", method).upper().replace(" ", "")
    for prefix, cutoff in METHOD_CUTOFFS.items():
        if prefix.replace(" ", "") in key:
            return cutoff
    return None


@dataclass(frozen=True)
class DecisionRule:
    """The parameters that decide one item for one food category (overrides applied)."""

    rule: str
    cutoff: Decimal | None = None
    control_min: Decimal | None = None
    gold_mode: str | None = None
    c_min: Decimal | None = None
    a: Decimal | None = None
    b: Decimal | None = None
    limit_value: Decimal | None = None
    limit_sign: str | None = "<="
    detection_limit: Decimal | None = None


@dataclass(frozen=True)
class Signals:
    """What was measured. Any field may be missing; ``qualitative`` is a visual reading."""

    value: Decimal | None = None
    qualitative: str | None = None
    control_delta: Decimal | None = None
    sample_delta: Decimal | None = None
    c_line: Decimal | None = None
    t_line: Decimal | None = None
    tc_ratio: Decimal | None = None


@dataclass(frozen=True)
class Judgement:
    outcome: str
    reason: str  # a code explained by lims.messages
    computed_value: Decimal | None = None
    threshold: Decimal | None = None
    signal_mismatch: bool = False
    params: dict = field(default_factory=dict)


def _q1(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def judge_enzyme_inhibition(signals: Signals, cutoff: Decimal, control_min: Decimal | None = None) -> Judgement:
    """Enzyme inhibition: inhibition % = (ΔA0 − ΔAt) / ΔA0 × 100; positive when ≥ cut-off.

    The control is valid only when ΔA0 ≥ control_min (default 0.3). When both deltas are
    given the inhibition is recomputed and a printed value more than 1 point away is flagged."""
    control_min = DEFAULT_CONTROL_MIN if control_min is None else control_min
    a0, at, printed = signals.control_delta, signals.sample_delta, signals.value
    if a0 is not None and a0 < control_min:
        return Judgement("invalid", "control_below_min", threshold=control_min,
                         params={"control": a0, "minimum": control_min})
    mismatch = False
    if a0 is not None and at is not None:
        exact = (a0 - at) / a0 * 100  # compared unrounded: 49.96 % is below a 50 % cut-off
        mismatch = printed is not None and abs(printed - exact) > INHIBITION_MISMATCH
    elif printed is not None:
        exact = printed
    else:
        raise InvalidReading("missing_reading")
    shown = _q1(exact)
    if exact > 100:
        return Judgement("invalid", "inhibition_out_of_range", shown, cutoff, mismatch, {"value": shown})
    outcome = "positive" if exact >= cutoff else "negative"
    reason = "inhibition_at_or_above_cutoff" if outcome == "positive" else "inhibition_below_cutoff"
    return Judgement(outcome, reason, shown, cutoff, mismatch, {"value": shown, "cutoff": cutoff})


def judge_colloidal_gold(signals: Signals, mode: str, c_min: Decimal | None, a: Decimal, b: Decimal) -> Judgement:
    """Competitive colloidal-gold card: the T line fades as the residue rises.

    C ≤ C_min → invalid. Line mode compares T, ratio mode T/C: ≤ A positive, ≥ B negative,
    in between suspect."""
    c, t, tc = signals.c_line, signals.t_line, signals.tc_ratio
    if c is not None and c_min is not None and c <= c_min:
        return Judgement("invalid", "c_line_below_min", threshold=c_min, params={"c": c, "minimum": c_min})
    mismatch = False
    if mode == "ratio":
        if t is not None and c is not None and c > 0:
            # Judged from the raw lines, as the enzyme rule is; a printed T/C that disagrees is flagged.
            signal = (t / c).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
            mismatch = tc is not None and abs(tc - signal) > RATIO_MISMATCH
        elif tc is not None:
            signal = tc
        else:
            raise InvalidReading("missing_reading")
    else:
        if t is None:
            raise InvalidReading("missing_reading")
        signal = t
    params = {"value": signal, "a": a, "b": b, "mode": mode}
    if signal <= a:
        return Judgement("positive", "gold_at_or_below_a", signal, a, mismatch, params)
    if signal >= b:
        return Judgement("negative", "gold_at_or_above_b", signal, b, mismatch, params)
    return Judgement("suspect", "gold_between_a_and_b", signal, None, mismatch, params)


def judge_limit(value: Decimal, limit: Decimal, sign: str = "<=") -> Judgement:
    """Quantitative colorimetry: pass while value ≤ limit (or < limit), positive beyond."""
    if sign in ("<=", "≤"):
        passes = value <= limit
    elif sign == "<":
        passes = value < limit
    else:
        raise InvalidReading("item_not_configured")
    outcome = "negative" if passes else "positive"
    return Judgement(outcome, "within_limit" if passes else "exceeds_limit", value, limit,
                     params={"value": value, "limit": limit, "sign": sign})


def judge_presence(value: Decimal, detection_limit: Decimal | None) -> Judgement:
    """Banned substances: positive when detected (value at or above the detection limit)."""
    lod = detection_limit if detection_limit is not None else Decimal(0)
    detected = value >= lod if detection_limit is not None else value > 0
    return Judgement("positive" if detected else "negative", "detected" if detected else "not_detected",
                     value, detection_limit, params={"value": value})


def judge(rule: DecisionRule, signals: Signals) -> Judgement:
    """Judge one result. A visual (qualitative) reading without signals is taken as entered.

    Raises InvalidReading when there is nothing to judge or the item is not configured."""
    has_signal = any(v is not None for v in (signals.value, signals.control_delta, signals.sample_delta,
                                             signals.c_line, signals.t_line, signals.tc_ratio))
    if not has_signal:
        if signals.qualitative in OUTCOMES:
            return Judgement(signals.qualitative, "visual_reading")
        raise InvalidReading("missing_reading")
    if rule.rule == "inhibition":
        if rule.cutoff is None:
            raise InvalidReading("item_not_configured")
        return judge_enzyme_inhibition(signals, rule.cutoff, rule.control_min)
    if rule.rule == "gold":
        if rule.a is None or rule.b is None:
            raise InvalidReading("item_not_configured")
        mode = rule.gold_mode or "ratio"
        if signals.value is not None:  # a reader's single value: T/C in ratio mode, T in line mode
            if mode == "ratio" and signals.tc_ratio is None:
                signals = replace(signals, tc_ratio=signals.value)
            elif mode == "line" and signals.t_line is None:
                signals = replace(signals, t_line=signals.value)
        return judge_colloidal_gold(signals, mode, rule.c_min, rule.a, rule.b)
    if signals.value is None:
        raise InvalidReading("missing_reading")
    if rule.rule == "limit":
        if rule.limit_value is None:
            raise InvalidReading("item_not_configured")
        return judge_limit(signals.value, rule.limit_value, rule.limit_sign or "<=")
    if rule.rule == "presence":
        return judge_presence(signals.value, rule.detection_limit)
    raise InvalidReading("item_not_configured")


def disagrees(ours: str, instrument_outcome: str | None, signal_mismatch: bool = False) -> bool:
    """True when the instrument said something else, or its printed value ≠ its raw signals."""
    return signal_mismatch or (instrument_outcome is not None and instrument_outcome != ours)


# --- refusals and warnings when a result is recorded ----------------------------------


@dataclass(frozen=True)
class EntryProblem:
    code: str
    field: str
    warning: bool = False  # a warning the technician may confirm; otherwise a refusal
    params: dict = field(default_factory=dict)


def check_entry(*, tested_at: datetime, now: datetime, sampled_at: datetime | None = None,
                lot_expires_on: date | None = None, tested_on_local: date | None = None,
                item_applies: bool = True, item_active: bool = True) -> list[EntryProblem]:
    """Everything that stops a result from being recorded, plus confirmable warnings.

    ``tested_on_local`` is the local calendar date of ``tested_at`` (the lot's expiry is a
    local date)."""
    problems: list[EntryProblem] = []
    if tested_at > now + FUTURE_TOLERANCE:
        problems.append(EntryProblem("tested_in_future", "tested_at"))
    if sampled_at is not None and tested_at < sampled_at - FUTURE_TOLERANCE:
        problems.append(EntryProblem("tested_before_sampling", "tested_at"))
    if lot_expires_on is not None and tested_on_local is not None and tested_on_local > lot_expires_on:
        problems.append(EntryProblem("reagent_lot_expired", "reagent_lot", params={"expires_on": lot_expires_on}))
    if not item_active:
        problems.append(EntryProblem("item_inactive", "item"))
    if not item_applies:
        problems.append(EntryProblem("item_not_for_category", "item", warning=True))
    return problems
