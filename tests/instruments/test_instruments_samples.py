"""The four example files from the instrument documentation parse to the right readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from instruments import Reading, SkippedRow


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def test_pesticide_sample_reads_every_channel(parse, sample):
    result = parse(sample("pesticide_tester.csv"), filename="pesticide_tester.csv")

    assert result.format == "pesticide-csv"
    assert result.header_row == 3  # two title lines above the header
    assert result.problems == []
    assert result.rows_seen == 12  # the 合计 line is not a data row
    assert [r.row for r in result.readings] == list(range(4, 15))
    assert result.skipped == [SkippedRow(15, "no_data")]  # channel 12 reads NA

    first = result.readings[0]
    assert first == Reading(
        row=4,
        format="pesticide-csv",
        channel="1",
        sample_code="S-20261120-001",
        food="青菜",
        tested_party="城东综合市场 A-01",
        item="农药残留",
        value=Decimal("12.4"),
        unit="%",
        method="GB/T 5009.199-2003",
        cutoff=Decimal("50"),
        instrument_word="合格",
        instrument_outcome="negative",
        tester="王丽",
        tested_at=utc(2026, 11, 20, 1, 11, 5),  # 09:11:05 in Shanghai
    )


def test_pesticide_sample_keeps_the_instruments_words(parse, sample):
    readings = {r.sample_code: r for r in parse(sample("pesticide_tester.csv")).readings}

    assert readings["S-20261120-003"].value == Decimal("62.3")
    assert readings["S-20261120-003"].instrument_word == "不合格"
    assert readings["S-20261120-003"].instrument_outcome == "positive"
    assert readings["S-20261120-011"].tested_at == utc(2026, 11, 20, 1, 21, 5)
    assert "S-20261120-012" not in readings  # the empty channel is no reading at all
    assert all(r.site is None and r.stall is None for r in readings.values())
    assert all(r.tested_at.tzinfo is dt.timezone.utc for r in readings.values())


def test_analyzer_sample_maps_each_item_kind(parse, sample):
    result = parse(sample("analyzer.csv"), filename="analyzer.csv")

    assert result.format == "analyzer-csv"
    assert result.header_row == 1
    assert result.problems == [] and result.skipped == []
    by_row = {r.row: r for r in result.readings}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7]

    nitrite = by_row[2]
    assert nitrite == Reading(
        row=2,
        format="analyzer-csv",
        channel="1",
        item="亚硝酸盐",
        food="卤猪肉",
        sample_code="S-20261120-201",
        category="熟食卤味",
        tested_party="城北农贸市场 C-01",
        value=Decimal("12.6"),
        unit="mg/kg",
        instrument_word="合格",
        instrument_outcome="negative",
        tested_at=utc(2026, 11, 20, 3, 3),
        tester="陈敏",
        reagent="亚硝酸盐速测试剂",
        reagent_lot="R1-2611",
        instrument="DY-3500(I)",
    )

    formaldehyde = by_row[4]  # 未检出 stays a word, never 0
    assert formaldehyde.value is None
    assert formaldehyde.value_text == "未检出"
    assert formaldehyde.qualitative == "negative"

    pesticide = by_row[5]  # inhibition %: absorbances are not deltas
    assert pesticide.value == Decimal("24.0")
    assert pesticide.unit == "%"
    assert (pesticide.control_delta, pesticide.sample_delta) == (None, None)
    assert (pesticide.t_line, pesticide.c_line, pesticide.tc_ratio) == (None, None, None)

    clenbuterol = by_row[6]  # colloidal gold: RESULT_DL is T/C, ABS_1 = T, ABS_2 = C
    assert clenbuterol.tc_ratio == Decimal("0.85")
    assert clenbuterol.value == Decimal("0.85")
    assert clenbuterol.t_line == Decimal("72.04")
    assert clenbuterol.c_line == Decimal("84.54")

    failed = by_row[7]
    assert (failed.instrument_word, failed.instrument_outcome) == ("不合格", "positive")
    assert failed.value == Decimal("48.3")


def test_gold_sample_keeps_all_three_signals(parse, sample):
    result = parse(sample("gold_reader.xlsx"), filename="gold_reader.xlsx")

    assert result.format == "gold-xlsx"
    assert result.header_row == 2  # below the merged title cell
    assert result.problems == [] and result.skipped == []
    assert result.rows_seen == 6  # the 共 6 条记录 footer is not a data row
    assert [r.row for r in result.readings] == [3, 4, 5, 6, 7, 8]

    first = result.readings[0]
    assert first == Reading(
        row=3,
        format="gold-xlsx",
        channel="1",
        sample_code="S-20261120-101",
        food="猪肉",
        tested_party="城东综合市场 B-01",
        item="克伦特罗",
        reading_mode="ratio",
        reagent_lot="KJ-2611-01",
        c_line=Decimal("1.21"),
        t_line=Decimal("1.05"),
        tc_ratio=Decimal("0.868"),
        value=Decimal("0.868"),
        instrument_word="阴性",
        instrument_outcome="negative",
        tested_at=utc(2026, 11, 20, 2, 31),  # a real Excel date cell, 10:31 Shanghai
        tester="李强",
    )
    words = [(r.instrument_word, r.instrument_outcome) for r in result.readings]
    assert words == [
        ("阴性", "negative"), ("阳性", "positive"), ("阴性", "negative"),
        ("可疑", "suspect"), ("无效", "invalid"), ("阴性", "negative"),
    ]
    invalid = result.readings[4]
    assert (invalid.c_line, invalid.t_line, invalid.tc_ratio) == (
        Decimal("0.04"), Decimal("0"), Decimal("0"))
    assert invalid.channel == "1"  # channels repeat across runs


def test_template_sample_fills_site_and_stall(parse, sample):
    result = parse(sample("template_example.xlsx"), filename="template_example.xlsx")

    assert result.format == "template-xlsx"
    assert result.header_row == 1
    assert result.problems == [] and result.skipped == []
    first, second, third = result.readings
    assert first == Reading(
        row=2,
        format="template-xlsx",
        station="1号快检室",
        tested_party="城东综合市场",
        site="城东综合市场",
        stall="A-01",
        food="青菜",
        category="蔬菜",
        item="有机磷和氨基甲酸酯类农药",
        value=Decimal("18.5"),
        unit="%",
        instrument_word="合格",
        instrument_outcome="negative",
        tester="王丽",
        tested_at=utc(2026, 11, 20, 1, 30),  # text time, local
        reagent_lot="NC-2611",
        supplier="萧山蔬菜合作社",
        origin="杭州萧山",
        quantity_kg=Decimal("40"),
    )
    assert (second.value, second.value_text, second.qualitative) == (None, "阴性", "negative")
    assert second.unit is None and second.sample_code is None
    assert (third.value, third.instrument_outcome, third.note) == (
        Decimal("55.2"), "positive", "已热处理")
