"""Traceback (溯源) of a positive: the supplier's other batches in the days AROUND the
positive batch — bounded on both sides, not everything since a week before it."""
from __future__ import annotations

from tests.reporting.world import NOW, Builder, loc


def test_traceback_is_the_window_around_the_batch(app, db, make_user, ctx):
    from lims.accounts.access import Actor
    from lims.batches.services import traceback
    from lims.models import Supplier

    b = Builder(db, make_user("technician"), make_user("reviewer"))
    site, other = b.site("TA", "溯源市场", 10), b.site("TB", "邻近市场", 10)
    supplier = Supplier(name="溯源供货商")
    db.session.add(supplier)
    positive = b.batch(site, "豆芽", loc(2026, 11, 10, 8), supplier=supplier, code="TA-POS")
    days = {code: b.batch(other, "豆芽", loc(2026, 11, day, 8), supplier=supplier, code=code)
            for code, day in (("TB-01", 1), ("TB-03", 3), ("TB-05", 5), ("TB-16", 16), ("TB-17", 17),
                              ("TB-20", 20), ("TB-30", 30))}
    db.session.flush()
    found = [x.code for x in traceback(Actor(make_user("regulator"), "test"), positive, 7, NOW).shown]
    assert found == ["TB-17", "TB-16", "TB-05", "TB-03"]  # Nov 3 … Nov 17 08:00, newest first
    assert len(days) == 7
