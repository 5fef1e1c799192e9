"""The demo's batch codes never collide, whatever the seed and the day it is built."""
from __future__ import annotations

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from lims.demo.codes import DemoCodes

SITES = ("CD", "CB", "XS", "DZR", "XND", "LH", "SXC", "JYZX", "TYZX")


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), today=st.dates(date(2024, 1, 1), date(2040, 12, 31)),
       positives=st.lists(st.tuples(st.sampled_from(SITES), st.integers(0, 3), st.integers(1, 12)), max_size=30))
def test_demo_codes_never_collide(seed, today, positives):
    from datetime import timedelta

    codes = DemoCodes(random.Random(seed))
    seen = set()
    for site, ago, n in positives:
        day = today - timedelta(days=ago)
        for i in range(40):
            seen.add(codes.round_code(site, day, i))
        for _ in range(n):
            code = codes.positive_code(site, day)
            assert code not in seen, code
            assert code.startswith(f"{site}-{day:%y%m%d}-P")
            seen.add(code)


def test_a_crowded_day_still_gets_fresh_codes():
    # More positives than two-digit numbers: the codes grow a digit rather than repeat.
    codes = DemoCodes(random.Random(7))
    day = date(2026, 11, 23)
    made = [codes.positive_code("CB", day) for _ in range(150)]
    assert len(set(made)) == 150
    assert "CB-261123-P85" in made
    # Another site or day starts afresh.
    assert codes.positive_code("CD", day).startswith("CD-261123-P")
