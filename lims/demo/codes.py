"""The codes the demo gives its batches.

A round's batches are numbered ``SITE-YYMMDD-001``…; positives followed through the services
get ``SITE-YYMMDD-Pnn``, a number drawn at random (as a technician's tube label would be) but
never one already handed out for that site and day."""
from __future__ import annotations

import random
from datetime import date


class DemoCodes:
    """Hands out batch codes that never collide, whatever the seed and the day."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._positives: dict[tuple[str, date], set[int]] = {}

    @staticmethod
    def round_code(site_code: str, day: date, i: int) -> str:
        """The ``i``-th (0-based) batch of a site's round on ``day``."""
        return f"{site_code}-{day:%y%m%d}-{i + 1:03d}"

    def positive_code(self, site_code: str, day: date) -> str:
        """A fresh ``P`` code for a positive of ``site_code`` on ``day``."""
        taken = self._positives.setdefault((site_code, day), set())
        free = [n for n in range(10, 100) if n not in taken]
        # A day with more positives than two-digit numbers goes on with three digits.
        n = self.rng.choice(free) if free else 100 + len(taken) - 90
        taken.add(n)
        return f"{site_code}-{day:%y%m%d}-P{n}"
