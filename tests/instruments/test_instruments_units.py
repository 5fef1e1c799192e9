"""The small pieces: numbers, words, times, headers, messages, readings, and the house rules."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import pickle
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import instruments
from instruments import ParseError, Reading, RowProblem, SkippedRow
from instruments.base import ReadingDraft, build_reading
from instruments.columns import header_key
from instruments.outcomes import is_no_data_word, outcome_of
from instruments.problems import FILE_PROBLEMS, PROBLEMS, ROW_PROBLEMS, render
from instruments.times import TimeReader, resolve_zone
from instruments.values import classify_reading, parse_decimal

PACKAGE = Path(instruments.__file__).resolve().parent
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 21, tzinfo=UTC)


@pytest.mark.parametrize("text,expected", [
    ("12.4", "12.4"), ("-3", "-3"), ("+5", "5"), (".5", "0.5"), ("5.", "5"), ("0", "0"),
    ("12.40", "12.40"), ("24.5%", "24.5"), ("24.5 %", "24.5"), ("２４．５％", "24.5"),
    ("－１．２", "-1.2"), ("\u22123.2", "-3.2"), ("1,234.5", "1234.5"), ("12,345,678", "12345678"),
    ("1 234", "1234"),
    ("abc", None), ("1.2.3", None), ("1e5", None), ("NaN", None), ("inf", None),
    ("1_000", None), ("12,34", None), ("%", None), ("--", None), ("1" * 41, None), ("0x1F", None),
])
def test_numbers(text, expected):
    number = parse_decimal(text)
    assert (None if number is None else str(number)) == expected


def test_numbers_do_not_depend_on_the_callers_decimal_context():
    import decimal

    with decimal.localcontext() as context:
        context.traps[decimal.InvalidOperation] = False
        context.prec = 2
        assert parse_decimal("1.2.3") is None
        assert parse_decimal("123.456") == Decimal("123.456")


@pytest.mark.parametrize("text,expected", [
    ("12.4", ("number", Decimal("12.4"), None, None)),
    (" 0 ", ("number", Decimal("0"), None, None)),
    ("未检出", ("word", None, "未检出", "negative")),
    ("ND", ("word", None, "ND", "negative")),
    ("n.d.", ("word", None, "n.d.", "negative")),
    ("阴性", ("word", None, "阴性", "negative")),
    ("阳性", ("word", None, "阳性", "positive")),
    ("可疑", ("word", None, "可疑", "suspect")),
    ("无效", ("word", None, "无效", "invalid")),
    ("", ("no_data", None, None, None)),
    ("  ", ("no_data", None, None, None)),
    ("NA", ("no_data", None, None, None)),
    ("n/a", ("no_data", None, None, None)),
    ("--", ("no_data", None, None, None)),
    ("—", ("no_data", None, None, None)),
    ("32766", ("no_data", None, None, None)),
    ("32766.0", ("no_data", None, None, None)),
    ("３２７６６", ("no_data", None, None, None)),
    ("#N/A", ("no_data", None, None, None)),
    ("32767", ("number", Decimal("32767"), None, None)),
    ("abc", ("not_a_number", None, None, None)),
])
def test_reading_cells(text, expected):
    assert classify_reading(text) == expected


def test_nd_is_never_zero():
    kind, number, word, qualitative = classify_reading("ND")
    assert number is None and word == "ND"


@pytest.mark.parametrize("word,outcome", [
    ("阴性", "negative"), ("未检出", "negative"), ("合格", "negative"), ("ND", "negative"),
    ("negative", "negative"), ("Pass", "negative"), ("PASS", "negative"),
    ("阳性", "positive"), ("不合格", "positive"), ("超标", "positive"), ("positive", "positive"),
    ("fail", "positive"), ("可疑", "suspect"), ("疑似", "suspect"), ("无效", "invalid"),
    (" 合 格 ", "negative"), ("ｐａｓｓ", "negative"),
    ("很好", None), ("", None), ("合格率", None),
])
def test_outcome_words(word, outcome):
    assert outcome_of(word) == outcome


@pytest.mark.parametrize("text,expected", [
    ("NA", True), ("--", True), ("", True), ("32766", True), ("N/A", True),
    ("0", False), ("阴性", False),
])
def test_no_data_words(text, expected):
    assert is_no_data_word(text) is expected


@pytest.fixture
def times():
    return TimeReader(resolve_zone("Asia/Shanghai"), NOW)


@pytest.mark.parametrize("text,expected", [
    ("2026-11-20 09:31:05", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026/11/20 9:31", dt.datetime(2026, 11, 20, 1, 31, tzinfo=UTC)),
    ("2026-11-20T09:31:05", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("20261120093105", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("202611200931", dt.datetime(2026, 11, 20, 1, 31, tzinfo=UTC)),
    ("20261120T093105", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026-11-20T01:31:05Z", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026-11-20 01:31:05 UTC", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026-11-20 09:31:05+08:00", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026-11-20 09:31:05 +0800", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026-11-20 09:31:05 GMT+8", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026-11-20 03:31:05-0500", dt.datetime(2026, 11, 20, 8, 31, 5, tzinfo=UTC)),
    ("2026-11-20 09:31:05.250", dt.datetime(2026, 11, 20, 1, 31, 5, 250000, tzinfo=UTC)),
    ("２０２６－１１－２０　０９：３１：０５", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026年11月20日 9时31分", dt.datetime(2026, 11, 20, 1, 31, tzinfo=UTC)),
    ("2026年11月20日9:31:05", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("2026/11/20 下午 3:31", dt.datetime(2026, 11, 20, 7, 31, tzinfo=UTC)),
    ("2026/11/20 9:31:05 PM", dt.datetime(2026, 11, 20, 13, 31, 5, tzinfo=UTC)),
    ("2026/11/20 12:05 AM", dt.datetime(2026, 11, 19, 16, 5, tzinfo=UTC)),
    ("2026.11.20 09:31", dt.datetime(2026, 11, 20, 1, 31, tzinfo=UTC)),
    ("2026-11-20", dt.datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
    ("20261120", dt.datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
    ("46346.396", dt.datetime(2026, 11, 20, 1, 30, 14, tzinfo=UTC)),  # Excel serial
    ("  2026-11-20 09:31:05  ", dt.datetime(2026, 11, 20, 1, 31, 5, tzinfo=UTC)),
    ("", "missing_value"),
    ("2026-11-21 08:05:00", dt.datetime(2026, 11, 21, 0, 5, tzinfo=UTC)),  # now + 5 min
    ("2026-11-21 08:05:01", "future_time"),
    ("2026-02-30 10:00", "bad_time"), ("2026-11-20 24:00", "bad_time"),
    ("1999-12-31 23:59", "bad_time"), ("2000-01-01T00:30:00+08:00", "bad_time"),
    ("9999-12-31T23:59:59-08:00", "bad_time"), ("0001-01-01T00:00:00+08:00", "bad_time"),
    ("11/20/2026 09:31", "bad_time"), ("昨天", "bad_time"), ("12345", "bad_time"),
    ("2026-11-20 09:31:05+25:00", "bad_time"),
])
def test_times(times, text, expected):
    assert times.read(text) == expected


def test_time_results_are_utc_whatever_the_zone():
    reader = TimeReader(resolve_zone("America/New_York"), NOW)
    summer = reader.read("2026-07-01 12:00")
    winter = reader.read("2026-11-20 12:00")
    assert (summer.hour, winter.hour) == (16, 17)
    assert summer.tzinfo is UTC and winter.tzinfo is UTC


def test_zones():
    assert resolve_zone("Asia/Shanghai").utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=8)
    fixed = dt.timezone(dt.timedelta(hours=8))
    assert resolve_zone(fixed) is fixed
    with pytest.raises(ValueError):
        resolve_zone("Nowhere/Atlantis")
    with pytest.raises(ValueError):
        TimeReader(fixed, dt.datetime(2026, 1, 1))


def test_shanghai_works_without_a_tz_database(monkeypatch):
    import instruments.times as times_module

    def missing(name):
        raise times_module.ZoneInfoNotFoundError(name)

    monkeypatch.setattr(times_module, "ZoneInfo", missing)
    zone = resolve_zone("Asia/Shanghai")
    assert zone.utcoffset(None) == dt.timedelta(hours=8)


@pytest.mark.parametrize("written,key", [
    ("抑制率(%)", "抑制率(%)"), ("抑制率（%）", "抑制率(%)"), (" 检测\u3000时间 ", "检测时间"),
    ("ΔA0", "δa0"), ("△A0", "δa0"), ("ΔA₀", "δa0"), ("ΔAₜ", "δat"), ("T/C值", "t/c值"),
    ("被检单位*", "被检单位"), ("＊被检单位", "被检单位"), ("检测时间：", "检测时间"),
    ("SAMPLE_CODE", "samplecode"), ("Sample Code", "samplecode"),
])
def test_header_keys(written, key):
    assert header_key(written) == key


def test_every_problem_template_is_marked_for_translation():
    tree = ast.parse((PACKAGE / "problems.py").read_text(encoding="utf-8"))
    dicts = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.AnnAssign)
             and getattr(node.target, "id", "") in ("FILE_PROBLEMS", "ROW_PROBLEMS")]
    assert len(dicts) == 2
    for table in dicts:
        for value in table.values:
            assert isinstance(value, ast.Call) and value.func.id == "N_", ast.dump(value)
    assert set(PROBLEMS) == set(FILE_PROBLEMS) | set(ROW_PROBLEMS)
    assert not set(FILE_PROBLEMS) & set(ROW_PROBLEMS)


def test_every_problem_code_raised_in_the_package_has_a_template():
    codes = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "ParseError", "RowProblem"
            ):
                for argument in node.args:
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        codes.add(argument.value)
    codes -= {"no_data"}
    assert codes, "no codes found: the scan is broken"
    assert codes <= set(PROBLEMS), codes - set(PROBLEMS)
    expected = {"future_time", "bad_time", "not_a_number", "missing_value", "missing_column",
                "unknown_format", "legacy_xls", "too_large", "too_many_rows", "zip_bomb",
                "corrupt_file", "undecodable", "empty_file", "no_header", "unknown_word"}
    assert expected <= set(PROBLEMS)


def test_problem_messages():
    problem = RowProblem(7, "检测时间", "future_time", {"value": "2099-01-01 00:00"})
    assert problem.template == "Row {row}: the test time {value} is in the future."
    assert problem.message == "Row 7: the test time 2099-01-01 00:00 is in the future."
    assert RowProblem(3, "检测值*", "missing_value").message == "Row 3: 检测值* is empty but is required."
    assert render("{a} {b}", {"a": 1}) == "1 {b}"
    assert render("{value}", {"value": "{x}"}) == "{x}"


def test_parse_error_carries_code_params_template_and_message():
    error = ParseError("too_many_rows", {"limit": 5})
    assert (error.code, error.params) == ("too_many_rows", {"limit": 5})
    assert error.template == "The file has more than {limit} data rows. Split it into smaller files."
    assert error.message == str(error) == "The file has more than 5 data rows. Split it into smaller files."
    assert isinstance(error, Exception)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.params, copy.message) == (error.code, error.params, error.message)


def reading(**changes) -> Reading:
    fields = dict(row=4, format="pesticide-csv", item="农药残留", sample_code="S-1", channel="1",
                  tested_party="城东 A-01", food="青菜",
                  tested_at=dt.datetime(2026, 11, 20, 1, 11, 5, tzinfo=UTC))
    fields.update(changes)
    return Reading(**fields)


def test_record_key_recognises_the_same_record_in_another_export():
    same = reading(row=99, sample_code=" s-1 ", value=Decimal("12.4"),
                   tested_at=dt.datetime(2026, 11, 20, 9, 11, 5,
                                         tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert reading().record_key() == same.record_key()
    assert reading(sample_code="Ｓ-1").record_key() == reading().record_key()
    assert reading(channel="2").record_key() != reading().record_key()
    assert reading(item="甲醛").record_key() != reading().record_key()
    assert reading(tested_at=reading().tested_at + dt.timedelta(seconds=1)).record_key() != (
        reading().record_key())
    assert reading(sample_code="S-2").record_key() != reading().record_key()


def test_record_key_without_a_sample_code_uses_party_and_food():
    key = reading(sample_code=None).record_key()
    assert key == reading(sample_code=None, tested_party="城东  A-01").record_key()
    assert key != reading(sample_code=None, food="菠菜").record_key()
    assert key != reading(sample_code=None, tested_party="城西 A-01").record_key()
    assert key != reading().record_key()


def _key_as_first_written(r: Reading) -> str:
    """The record key as imports stored it from the start: keys already in databases must match."""
    import json
    import unicodedata

    def text(t):
        return " ".join(unicodedata.normalize("NFKC", t or "").split()).casefold()

    who = ["code", text(r.sample_code)] if r.sample_code else ["party", text(r.tested_party), text(r.food)]
    return json.dumps([*who, text(r.item), text(r.channel), r.tested_at.astimezone(UTC).isoformat()],
                      ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(code=st.one_of(st.none(), st.text(max_size=12)), party=st.one_of(st.none(), st.text(max_size=12)),
       food=st.one_of(st.none(), st.text(max_size=8)), item=st.text(min_size=1, max_size=10),
       channel=st.one_of(st.none(), st.text(max_size=4)),
       at=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                       timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=8))])))
def test_record_keys_keep_the_form_they_were_first_stored_in(code, party, food, item, channel, at):
    r = reading(sample_code=code, tested_party=party, food=food, item=item, channel=channel, tested_at=at)
    assert r.record_key() == _key_as_first_written(r)


def test_record_keys_of_awkward_text_are_still_json():
    for awkward in ('S"1', "S\\1", "S\x011", "Ｓ\u2028１", "ß-1"):
        r = reading(sample_code=awkward, channel='"')
        assert r.record_key() == _key_as_first_written(r)


def test_readings_are_frozen_slotted_and_built_fast_equal_to_slow():
    slow = reading(value=Decimal("1.5"))
    fast = build_reading(**{f.name: getattr(slow, f.name) for f in dataclasses.fields(Reading)})
    assert type(fast) is Reading
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value = Decimal("2")
    assert not hasattr(fast, "__dict__")
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert dataclasses.replace(fast, row=5).row == 5
    draft = ReadingDraft()
    draft.row, draft.format, draft.item, draft.tested_at = 4, "x", "y", slow.tested_at
    sealed = draft.seal()
    assert type(sealed) is Reading and sealed.value is None


def test_reading_has_the_contracted_fields():
    assert [f.name for f in dataclasses.fields(Reading)] == [
        "row", "format", "sample_code", "food", "tested_party", "site", "stall", "station",
        "item", "method", "cutoff", "value", "value_text", "qualitative", "unit",
        "control_delta", "sample_delta", "c_line", "t_line", "tc_ratio", "reading_mode",
        "instrument_word", "instrument_outcome", "tester", "tested_at", "reagent",
        "reagent_lot", "instrument", "channel", "category", "supplier", "origin",
        "quantity_kg", "note",
    ]
    assert [f.name for f in dataclasses.fields(RowProblem)] == ["row", "column", "code", "params"]
    assert [f.name for f in dataclasses.fields(SkippedRow)] == ["row", "reason"]


def _modules():
    return sorted(PACKAGE.glob("*.py"))


def test_instruments_imports_only_the_standard_library_and_openpyxl():
    allowed = set(sys.stdlib_module_names) | {"openpyxl", "instruments", "__future__"}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_public_functions_and_classes_have_docstrings():
    missing = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    missing.append(f"{path.name}:{node.lineno} {node.name}")
    # Row readers are closures returned by documented row_reader methods.
    assert [m for m in missing if not m.endswith(" read")] == []


def test_no_grab_bag_modules():
    names = {path.stem for path in _modules()}
    assert not names & {"utils", "helpers", "misc", "common", "manager"}
