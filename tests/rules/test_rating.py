"""The black list weighs volume: a count of positives is read against the batches tested."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from lims.rules.rating import ListRules, StallRecord, black_listed

AS_OF = date(2026, 11, 30)
TWO = (AS_OF - timedelta(days=10), AS_OF - timedelta(days=40))


@pytest.mark.parametrize("tested,listed", [
    (140, False),  # 2 of 140 = 1.4 %: a busy stall, not a bad one
    (41, False),   # 4.9 %
    (40, True),    # exactly 5 %
    (10, True),    # 20 %
    (0, True),     # nothing else recorded: the positives are all there is
])
def test_black_list_weighs_the_batches_tested(tested, listed):
    assert black_listed(StallRecord(TWO, 0, tested), AS_OF) is listed


def test_black_list_needs_the_count_too():
    assert not black_listed(StallRecord(TWO[:1], 0, 1), AS_OF)  # 100 % of one batch is one positive


def test_black_list_rate_is_configurable_and_the_window_count_falls_back():
    strict = ListRules(black_min_rate=Decimal("1"))
    assert black_listed(StallRecord(TWO, 0, 140), AS_OF, strict)
    assert not black_listed(StallRecord(TWO, 140), AS_OF)  # no black-window count: the red window's
