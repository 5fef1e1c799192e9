"""The dashboard shows the month asked for (?month=), beside the month before and the same
month a year earlier; its colours follow the values (a disposal rate with no positives is
"—" on a grey card, never "0.00 %" on a green one)."""
from __future__ import annotations

import re
from datetime import date

from tests.reporting.world import loc

DEC_4 = loc(2026, 12, 4, 10, 0)


def card(html: str, label: str) -> str:
    """The stat card whose label is ``label``."""
    for block in re.findall(r'<div class="card stat-card.*?</div></div>', html, re.S):
        if f'<div class="stat-label">{label}</div>' in block:
            return block
    raise AssertionError(f"no card {label}")


def test_dashboard_of_a_chosen_month(world, actors, ctx):
    from lims.dashboard.services import dashboard

    d = dashboard(actors["regulator"], DEC_4, date(2026, 11, 1))
    assert d.month == date(2026, 11, 1) and not d.running
    assert (d.current.batches, d.current.tests, d.current.positives) == (218, 220, 10)
    assert (d.previous.tests, d.previous.positives) == (5, 2)  # October
    assert (d.last_year.tests, d.last_year.positive_rate, d.last_year.disposal_rate) == (0, None, None)
    assert [s.stall for s in d.black] == ["A01", "A02"]  # as of Nov 30
    sa = next(r for r in d.coverage if r.site == "城东农贸市场")
    assert (sa.stalls, sa.stalls_tested, sa.foods) == (2, 2, 11)  # the dashboard counts a9's 菠菜 (not reviewed)
    now = dashboard(actors["regulator"], DEC_4)
    assert now.month == date(2026, 12, 1) and now.running and now.current.tests == 2


def test_dashboard_page_takes_the_month_and_colours_follow_values(world, actors, client, clock):
    clock(DEC_4)
    client.login(actors["regulator_user"])
    html = client.get("/dashboard?month=2026-11").get_data(as_text=True)
    assert '<div class="stat-value">220</div>' in html and 'value="2026-11"' in html
    assert "覆盖" in html or "Coverage" in html
    disposal = card(html, "处置率")
    assert "60.00%" in disposal and "border-danger" in disposal  # 6 of 10 closed, 2 overdue: red
    html = client.get("/dashboard").get_data(as_text=True)  # December: no positives yet
    disposal = card(html, "处置率")
    assert '<div class="stat-value">—</div>' in disposal and "border-secondary" in disposal
    assert "0.00%" not in disposal.split("stat-label")[0]


def test_dashboard_refuses_bad_and_future_months(world, actors, client, clock):
    clock(DEC_4)
    client.login(actors["regulator_user"])
    for month in ("2026-13", "nope", "2027-01"):
        r = client.get(f"/dashboard?month={month}")
        assert r.status_code in (400, 422), (month, r.status_code)
