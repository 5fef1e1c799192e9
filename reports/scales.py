"""Axis scales for charts: round tick values that cover the data."""

from __future__ import annotations

import math


def nice_ticks(maximum: float, *, integer: bool = False, target: int = 5) -> list[float]:
    """Evenly spaced round tick values from 0 up to at least ``maximum``.

    Steps are 1, 2, 2.5 or 5 times a power of ten, about ``target`` intervals. With
    ``integer`` the step is at least 1 (counts). A non-positive maximum gives the
    scale of 1 (or 0.01 for fractional data) so that an empty chart still has an axis.
    """
    if target < 1:
        raise ValueError("target must be at least 1")
    if not math.isfinite(maximum) or maximum <= 1e-12:  # nothing (or noise) to show
        maximum = 1.0 if integer else 0.01
    raw_step = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = magnitude * 10
    factors = (1, 2, 5, 10) if integer and magnitude <= 1 else (1, 2, 2.5, 5, 10)
    for factor in factors:
        if raw_step <= factor * magnitude * (1 + 1e-9):
            step = factor * magnitude
            break
    if integer:
        step = max(1, math.ceil(step))
    count = max(1, math.ceil(maximum / step - 1e-9))
    digits = max(0, 3 - math.floor(math.log10(step)))
    return [_clean(i * step, digits) for i in range(count + 1)]


def _clean(value: float, digits: int) -> float:
    """Remove floating-point noise (0.30000000000000004 → 0.3) at the step's precision."""
    rounded = round(value, digits)
    return float(int(rounded)) if rounded == int(rounded) else rounded
