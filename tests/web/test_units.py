"""Issue 13, values shown in their units: one helper (lims.formatting) formats every reading —
a gold card as "T/C 0.917" (never "T 0.917 ≥ B 0.8" for a ratio, never a bare "μg/kg" with no
reading), a visual reading as "阴性" (no unit), a limit test's limit with its unit; forms and
grids show 25 and 12, not 25.0000 and 12.000; joined messages keep one stop."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest

from lims import formatting
from lims.accounts.access import Actor
from lims.batches.services import BatchInput, create_round, register_batch
from lims.database import utcnow
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result


def _result(**kw):
    base = dict(value=None, value_text=None, qualitative=None, control_delta=None, sample_delta=None, c_line=None,
                t_line=None, tc_ratio=None, computed_value=None, reading_mode=None, unit=None, item=None)
    return SimpleNamespace(**{**base, **kw})


GOLD = SimpleNamespace(rule="gold", unit="μg/kg", gold_mode="ratio")
LINE_GOLD = SimpleNamespace(rule="gold", unit="μg/kg", gold_mode="line")
INHIBITION = SimpleNamespace(rule="inhibition", unit="%", gold_mode=None)
LIMIT = SimpleNamespace(rule="limit", unit="g/kg", gold_mode=None)


@pytest.mark.parametrize("result,item,expected", [
    (_result(c_line=Decimal("1.200"), t_line=Decimal("1.100"), computed_value=Decimal("0.917")), GOLD, "T/C 0.917"),
    (_result(tc_ratio=Decimal("0.9170"), computed_value=Decimal("0.917")), GOLD, "T/C 0.917"),
    (_result(c_line=Decimal("900"), t_line=Decimal("650"), computed_value=Decimal("650")), LINE_GOLD, "T 650"),
    (_result(value=Decimal("12.0000"), unit="%", computed_value=Decimal("12.0")), INHIBITION, "12%"),
    (_result(control_delta=Decimal("0.5"), sample_delta=Decimal("0.2"), computed_value=Decimal("60.0")), INHIBITION,
     "60%"),
    (_result(value=Decimal("0.4500"), unit="g/kg"), LIMIT, "0.45 g/kg"),
    (_result(value_text="<0.1", unit="g/kg"), LIMIT, "<0.1 g/kg"),
    (_result(qualitative="negative", unit="μg/kg"), GOLD, "阴性"),
    (_result(value_text="阴性", unit="μg/kg"), GOLD, "阴性"),
])
def test_a_reading_says_what_it_is(app, ctx, result, item, expected):
    assert formatting.reading(result, item) == expected


def test_numbers_lose_their_padding_and_messages_their_doubled_stops():
    assert formatting.number(Decimal("25.0000")) == "25" and formatting.number(Decimal("12.000")) == "12"
    assert formatting.number(Decimal("100")) == "100" and formatting.number(Decimal("0.9170")) == "0.917"
    assert formatting.number(Decimal("1E+2")) == "100" and formatting.number(None) == ""
    assert formatting.join_sentences(["“abc”不是数字。", "缺少读数。"]) == "“abc”不是数字；缺少读数。"
    assert formatting.join_sentences(["One.", "", "Two."]) == "One；Two."
    assert formatting.with_unit(Decimal("0.40"), "g/kg") == "0.4 g/kg" and formatting.with_unit("—", "") == "—"


@pytest.fixture
def results(app, db, make_site, make_stall, make_user, ctx):
    site = make_site(code="UN", name="单位市场")
    stall = make_stall(site=site, code="U-01")
    tech = Actor(make_user("technician"), "t")
    now = utcnow()
    rnd = create_round(tech, site, now.date())
    meat = register_batch(tech, BatchInput(site=site, stall=stall, food="猪里脊肉", round=rnd, quantity_kg=Decimal("12"),
                                           tests=[get_item("CLB")], sampled_at=now - timedelta(hours=2)))
    dried = register_batch(tech, BatchInput(site=site, stall=stall, food="黄花菜干", round=rnd,
                                            tests=[get_item("SO2")], sampled_at=now - timedelta(hours=2)))
    visual = register_batch(tech, BatchInput(site=site, stall=stall, food="牛肉", round=rnd,
                                             tests=[get_item("CLB")], sampled_at=now - timedelta(hours=2)))
    at = now - timedelta(minutes=30)
    gold = record_result(tech, meat, ResultInput(item=get_item("CLB"), c_line=Decimal("1.2"), t_line=Decimal("1.1"),
                                                 tested_at=at, confirm_warnings=True))
    limit = record_result(tech, dried, ResultInput(item=get_item("SO2"), value=Decimal("25.0000"), tested_at=at,
                                                   confirm_warnings=True))
    qual = record_result(tech, visual, ResultInput(item=get_item("CLB"), qualitative="negative", tested_at=at,
                                                   confirm_warnings=True))
    db.session.commit()
    return SimpleNamespace(round=rnd, meat=meat, gold=gold, limit=limit, qual=qual, tech=tech.user,
                           reviewer=make_user("reviewer"))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_pages_show_readings_in_their_units(client, results, app):
    from tests.conftest import Client

    client.login(results.reviewer)
    review = _text(client.get("/review").get_data(as_text=True))
    assert "T/C 0.917" in review and "T/C 0.917 ≥ B 0.8" in review and "T 0.917" not in review.replace("T/C 0.917", "")
    assert "C 1.2 · T 1.1" in review
    assert "25 g/kg" in review and "超过限量 0.1 g/kg" in review
    assert "阴性 μg/kg" not in review
    client = Client(app.test_client())
    client.login(results.tech)
    grid = _text(client.get(f"/rounds/{results.round.id}/results").get_data(as_text=True))
    assert re.search(r"T/C 0\.917 · \d{4}-\d\d-\d\d", grid), grid
    assert not re.search(r"μg/kg · \d{4}", grid)
    batch = _text(client.get(f"/batches/{results.meat.code}").get_data(as_text=True))
    assert "T/C 0.917" in batch and "12 kg" in batch and "12.000" not in batch


def test_the_correction_form_shows_the_value_as_typed(client, results):
    client.login(results.tech)
    html = client.get(f"/results/{results.limit.id}/correct").get_data(as_text=True)
    assert re.search(r'name="fix-value"[^>]*value="25"', html) or re.search(r'value="25"[^>]*name="fix-value"', html)
    assert "25.0000" not in html
