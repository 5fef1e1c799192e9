"""How numbers and readings read on every page: one place, so a reading always carries what
it is (抑制率 %, T/C, T, its unit) and no quantity shows the column's padding ("12.000").

- :func:`number` — a decimal without trailing zeros ("25.0000" → "25", "0.9170" → "0.917").
- :func:`reading` — a result as technicians say it: "12.5%" for an inhibition, "T/C 0.917"
  (or "T 1.1" in line mode) for a gold card, "0.35 mg/kg" for a measured value, "<0.1 mg/kg"
  for a reader's text, "阴性" (no unit) for a visual reading.
- :func:`with_unit` — "0.4 mg/kg"; a value without a unit stays bare.
- :func:`join_sentences` — several messages in one line without doubled punctuation
  ("“abc”不是数字；缺少读数。", never "。；")."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lims import labels

_END = "。．.;；!！"


def number(value) -> str:
    """A decimal as people write it: no padding zeros, no exponent; "" for None."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            return str(value)
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def with_unit(value, unit: str | None) -> str:
    """``value`` followed by its unit ("%" is written close: "12.5%")."""
    text = value if isinstance(value, str) else number(value)
    if not text:
        return ""
    unit = (unit or "").strip()
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def signal_name(result, item=None) -> str:
    """What a gold card's number is: the T/C ratio unless its item is judged on the T line alone
    (the item's mode is what the judgement used; the reader's own word only without an item)."""
    item = item if item is not None else getattr(result, "item", None)
    mode = getattr(item, "gold_mode", None) or getattr(result, "reading_mode", None) or "ratio"
    return "T" if mode == "line" else "T/C"


def reading(result, item=None) -> str:
    """A result's reading in its own terms (see the module docstring)."""
    item = item or getattr(result, "item", None)
    rule = getattr(item, "rule", None)
    unit = result.unit or (getattr(item, "unit", None) or "")
    if rule == "inhibition":
        shown = result.computed_value if result.computed_value is not None else result.value
        if shown is not None:
            return with_unit(shown, "%")
    if rule == "gold":
        name = signal_name(result, item)
        if name == "T/C":
            signal = next((v for v in (result.tc_ratio, result.computed_value, result.value) if v is not None), None)
        else:
            signal = next((v for v in (result.t_line, result.computed_value, result.value) if v is not None), None)
        if signal is not None:
            return f"{name} {number(signal)}"
    if result.value is not None:
        return with_unit(result.value, unit)
    if result.value_text:
        text = result.value_text.strip()
        return with_unit(text, unit) if re.search(r"\d", text) else text
    if result.qualitative:
        return str(labels.OUTCOME_LABELS.get(result.qualitative, result.qualitative))
    return ""


def raw_signals(result) -> str:
    """The raw signals behind a reading: "ΔA0 0.52 · ΔAt 0.11" or "C 1.2 · T 1.1"."""
    parts = []
    if result.control_delta is not None or result.sample_delta is not None:
        parts += [f"ΔA0 {number(result.control_delta) or '—'}", f"ΔAt {number(result.sample_delta) or '—'}"]
    if result.c_line is not None or result.t_line is not None:
        parts += [f"C {number(result.c_line) or '—'}", f"T {number(result.t_line) or '—'}"]
    return " · ".join(parts)


def join_sentences(messages, sep: str = "；") -> str:
    """Messages in one line: each but the last loses its own closing stop."""
    items = [str(m).strip() for m in messages if m and str(m).strip()]
    if not items:
        return ""
    return sep.join([m.rstrip(_END) for m in items[:-1]] + [items[-1]])
