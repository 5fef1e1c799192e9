"""What the demo samples each day and which batches turn out positive — decided before
anything is written, from its own random stream, so that it can be checked on its own
(tests/demo/test_calibration.py) for any seed and date.

Calibrated on published figures: rapid-test positive rates in Chinese markets run at
roughly 0.5–2 % of batches, most of them organophosphate/carbamate pesticide screens on
leafy vegetables; banned-substance positives (β-agonists, malachite green, nitrofurans,
formaldehyde sulfoxylate) are much rarer — a few in a hundred positives. Each market has its
own rate (``district.SITE_POSITIVE_RATES``), so that the five-colour rating spreads as it
does in a real district; a few positives are disposed of late, a few are released or
confirmed by the laboratory retest."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from lims.demo import district as D

# Of the random positives: how each ends (disposed in time, disposed late, released by the
# laboratory retest, confirmed by it and then disposed of).
SCENARIOS = (("disposed", 0.855), ("disposed_late", 0.025), ("released", 0.06), ("lab_confirmed", 0.06))
BANNED_SHARE = 0.02  # share of positives that are banned substances (the rest: pesticides, SO2, nitrite…)
RECENT_DAYS = 4  # the last days get only the forced positives (their cases are still running)
# Positives that must exist on the day the demo is built (days ago → site, scenario), so that
# every disposition state can be seen; one day later each when built before 10:00.
FORCED = {0: [("CD", "unnotified"), ("XS", "window_open")], 1: [("CB", "confirmed")],
          3: [("XND", "disputed")], 4: [("CD", "confirmed_overdue")], 6: [("DZR", "released")],
          9: [("XS", "lab_confirmed")]}


@dataclass(frozen=True)
class PlannedPositive:
    scenario: str
    banned: bool


@dataclass(frozen=True)
class SiteDay:
    site: str
    day: date
    batches: int  # ordinary batches, written in bulk
    positives: tuple[PlannedPositive, ...] = ()


def batches_per_day(kind: str, rng: random.Random) -> int:
    if kind == "canteen":
        return rng.randint(6, 10)
    if kind == "supermarket":
        return rng.randint(15, 25)
    return rng.randint(20, 40)


def plan_day(day: date, today: date, rng: random.Random, sites=None) -> list[SiteDay]:
    """Every sampling site's batches and positives of one day (``sites``: the home district's
    unless given — the neighbours' are planned from a stream of their own)."""
    out = []
    ago = (today - day).days
    for code, _name, kind, _addr, _trades, _planned, *_district in (D.SITES if sites is None else sites):
        if kind == "banquet" or (kind == "canteen" and day.weekday() >= 5):
            continue
        n = rng.randint(*D.DAILY_BATCHES[code]) if code in D.DAILY_BATCHES else batches_per_day(kind, rng)
        rate = D.SITE_POSITIVE_RATES.get(code, 0.0)
        positives = []
        for _ in range(n):
            if ago > RECENT_DAYS and rng.random() < rate:
                scenario = rng.choices([s for s, _w in SCENARIOS], [w for _s, w in SCENARIOS])[0]
                positives.append(PlannedPositive(scenario, rng.random() < BANNED_SHARE))
        out.append(SiteDay(code, day, n, tuple(positives)))
    return out


def plan(seed: int, first: date, last: date, today: date) -> list[SiteDay]:
    """The days ``first`` … ``last`` of a demo built on ``today`` with ``seed``."""
    rng = random.Random(f"demo-plan-{seed}")
    out = []
    day = first
    while day <= last:
        out += plan_day(day, today, rng)
        day += timedelta(days=1)
    return out
