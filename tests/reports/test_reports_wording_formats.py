"""Label tables, value formatting and data-class rates."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from reports.data import BreakdownRow, MonthlyFigures
from reports.formats import (
    count_change_text,
    date_range_text,
    datetime_text,
    kg_text,
    month_bounds,
    rate_change_points,
    rate_text,
    reading_text,
)
from reports.i18n import EN, ZH_CN, labels

CST = timezone(timedelta(hours=8))


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_english_table_is_complete_and_keeps_placeholders():
    assert set(ZH_CN) == set(EN)
    for key in ZH_CN:
        assert fields(ZH_CN[key]) == fields(EN[key]), key
        assert EN[key].strip(), key


def test_chinese_fixed_wording_never_claims_safety():
    for key, text in ZH_CN.items():
        assert "安全" not in text, key
        assert "合格食品" not in text, key
    for key, text in EN.items():
        assert "safe " not in f"{text.lower()} ", key


def test_unknown_codes_and_languages():
    L = labels()
    assert L.outcome("positive") == "阳性"
    # Status words are data from the application's wording table, not a second table here.
    assert L.status("disposed") == "disposed"
    words = L.with_status_words({"disposed": "已处置完毕"})
    assert words.status("disposed") == "已处置完毕" and words.outcome("positive") == "阳性"
    assert L.with_status_words(None) is L and L.status("disposed") == "disposed"
    assert L.status("brand_new_status") == "brand_new_status"
    assert L.outcome(None) == "—"
    with pytest.raises(ValueError):
        labels("de")


def test_datetimes_print_local_wall_time():
    assert datetime_text(datetime(2026, 11, 20, 9, 31, 59, tzinfo=CST)) == "2026-11-20 09:31"
    assert datetime_text(None) == "—"
    assert date_range_text(date(2026, 11, 17), date(2026, 11, 19)) == "2026-11-17 ~ 2026-11-19"
    assert date_range_text(date(2026, 11, 17), None) == "2026-11-17"
    assert month_bounds(date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))


@pytest.mark.parametrize(("value", "text"), [(Decimal("15.50"), "15.5"), (Decimal("40"), "40"), (Decimal("0.005"), "0.01"),
                                             (Decimal("1234.565"), "1234.57"), (Decimal("0"), "0"), (None, "—")])
def test_kilograms(value, text):
    assert kg_text(value) == text


def test_readings_keep_qualitative_words():
    assert reading_text(Decimal("12.4"), None, "%") == "12.4 %"
    assert reading_text(None, "未检出", "mg/kg") == "未检出"  # never turned into 0
    assert reading_text(Decimal("0.30"), None, None) == "0.30"
    assert reading_text(None, None, "%") == "—"


def test_rates_and_changes():
    assert rate_text(Decimal(17) / Decimal(2317)) == "0.73%"
    assert rate_text(None) == "—"
    assert rate_change_points(Decimal("0.0073"), Decimal("0.005")) == "+0.23"
    assert rate_change_points(Decimal("0.005"), Decimal("0.005")) == "0.00"
    assert rate_change_points(None, Decimal("0.005")) == "—"
    assert count_change_text(10, 12) == "-2"
    assert count_change_text(Decimal("321.75"), Decimal("100")) == "+221.75"
    assert count_change_text(3, None) == "—"


def test_figures_rates_exclude_suspect_and_invalid():
    f = MonthlyFigures(tests=110, negatives=95, positives=5, suspects=6, invalids=4, dispositions_closed=4)
    assert f.pass_rate == Decimal("0.95")
    assert f.positive_rate == Decimal("0.05")
    assert f.disposal_rate == Decimal("0.8")
    empty = MonthlyFigures()
    assert empty.pass_rate is None and empty.positive_rate is None and empty.disposal_rate is None
    assert BreakdownRow(name="x", tests=3, negatives=0, positives=0, suspects=2, invalids=1).positive_rate is None
