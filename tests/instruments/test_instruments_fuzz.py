"""Property-based tests: whatever the bytes, a parser yields readings, problems and skips, or
raises ParseError — nothing else."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments import ParseError, Reading, RowProblem, SkippedRow, iter_file, parse_file
from instruments.times import TimeReader, resolve_zone
from instruments.values import parse_decimal

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "instruments"
NOW = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)
LATEST = NOW + dt.timedelta(minutes=5)
CSV_SAMPLES = sorted(p.name for p in DATA_DIR.iterdir() if p.suffix in (".csv", ".txt"))
XLSX_SAMPLES = sorted(p.name for p in DATA_DIR.iterdir() if p.suffix == ".xlsx")
SAMPLES = {name: (DATA_DIR / name).read_bytes() for name in CSV_SAMPLES + XLSX_SAMPLES}

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_SLOW = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_stream(data: bytes, **kwargs) -> list:
    """Parse ``data``; assert only ParseError escapes and every item is well formed."""
    try:
        name, stream = iter_file(data, now=NOW, **kwargs)
        items = []
        with stream:
            for item in stream:
                items.append(item)
    except ParseError as error:
        assert error.code and error.message
        return []
    previous_row = 0
    for item in items:
        assert type(item) in (Reading, RowProblem, SkippedRow)
        assert item.row >= previous_row >= 0  # row order
        previous_row = item.row
        if type(item) is Reading:
            assert item.format == name
            assert item.item
            assert item.tested_at.tzinfo is dt.timezone.utc and item.tested_at <= LATEST
            assert item.value is None or (isinstance(item.value, Decimal) and item.value.is_finite())
            assert item.qualitative in (None, "negative", "positive", "suspect", "invalid")
            assert item.instrument_outcome in (None, "negative", "positive", "suspect", "invalid")
            assert (item.value is None) or (item.value_text is None)
            item.record_key()
        elif type(item) is RowProblem:
            assert item.message.startswith(f"Row {item.row}")
        else:
            assert item.reason == "no_data"
    return items


@FUZZ
@given(data=st.binary(max_size=4096), filename=st.sampled_from([None, "r.csv", "r.xlsx", "r.xls"]))
def test_random_bytes(data, filename):
    check_stream(data, filename=filename)


@FUZZ
@given(name=st.sampled_from(CSV_SAMPLES), data=st.data())
def test_mutated_text_samples(name, data):
    content = bytearray(SAMPLES[name])
    for _ in range(data.draw(st.integers(0, 8), label="flips")):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans(), label="truncate"):
        content = content[: data.draw(st.integers(0, len(content)))]
    lines = bytes(content).split(b"\n")
    for _ in range(data.draw(st.integers(0, 3), label="junk lines")):
        junk = data.draw(st.one_of(
            st.binary(max_size=60),
            st.text(max_size=60).map(lambda t: t.encode("utf-8")),
            st.sampled_from([b"\xe5\x90\x88\xe8\xae\xa1\xef\xbc\x9a12", b",,,,", b'"', b"\t\t\t"]),
        ))
        lines.insert(data.draw(st.integers(0, len(lines))), junk)
    check_stream(b"\n".join(lines), filename=name)


@FUZZ_SLOW
@given(name=st.sampled_from(XLSX_SAMPLES), data=st.data())
def test_mutated_workbook_bytes(name, data):
    content = bytearray(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 6), label="flips")):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans(), label="truncate"):
        content = content[: data.draw(st.integers(0, len(content)))]
    check_stream(bytes(content), filename=name)


WORDS = ["阴性", "阳性", "合格", "不合格", "可疑", "无效", "未检出", "ND", "NA", "--", "32766", "超标",
         "定性消线法", "定性比色法", "克伦特罗", "农药残留", "合计：3 条", "共 2 条记录", "%", "T/C",
         "2026-11-20 09:31:05", "2026/11/20 9:31", "20261120093105", "2099-01-01", "２４．５％"]
CELL = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.text(max_size=20),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.times(),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6),
)
ILLEGAL_XML = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def clean(value):
    """openpyxl refuses control characters in strings; drop them (they cannot be in a file)."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch not in ILLEGAL_XML and not 0xD800 <= ord(ch) <= 0xDFFF)
    return value


def workbook(header, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["检测记录"])
    sheet.append(header)
    for row in rows:
        sheet.append([clean(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOLD_HEADER = ["序号", "通道", "样品编号", "样品名称", "被检单位", "检测项目", "检测方法", "卡批号",
               "C值", "T值", "T/C", "检测结果", "判定结果", "检测时间", "检测人员"]
TEMPLATE_HEADER = ["检测点名称", "被检单位*", "档口编号", "样品编号", "样品名称*", "食品类别",
                   "检测项目*", "检测值*", "单位", "检测结论*", "检测人员*", "检测时间*", "试剂批号",
                   "供货者", "产地", "进货数量(kg)", "备注"]


@FUZZ_SLOW
@given(header=st.sampled_from([GOLD_HEADER, TEMPLATE_HEADER]),
       rows=st.lists(st.lists(CELL, min_size=0, max_size=20), max_size=8))
def test_random_cells_in_a_workbook(header, rows):
    check_stream(workbook(header, rows), filename="random.xlsx")


TEXT_CELL = st.one_of(st.sampled_from(WORDS), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12))
PESTICIDE_HEADER = ["通道号", "样品编号", "样品名称", "被检单位", "检测项目", "检测结果", "单位",
                    "检测依据", "标准值", "结论", "检测员", "检测时间", "ΔA0", "ΔAt"]


@FUZZ
@given(rows=st.lists(st.lists(TEXT_CELL, max_size=16), max_size=12),
       delimiter=st.sampled_from([",", "\t"]), newline=st.sampled_from(["\r\n", "\n"]))
def test_random_cells_in_a_pesticide_csv(rows, delimiter, newline):
    lines = [delimiter.join(PESTICIDE_HEADER)]
    for row in rows:
        lines.append(delimiter.join(
            '"' + cell.replace('"', '""') + '"' if any(c in cell for c in '",\t\r\n') else cell
            for cell in row))
    text = newline.join(lines)
    items = check_stream(text.encode("utf-8"))
    # The same text in GB18030 (where it can be written) reads the same.
    try:
        gb = text.encode("gb18030")
    except UnicodeEncodeError:
        return
    assert check_stream(gb) == items


@FUZZ
@given(number=st.decimals(allow_nan=False, allow_infinity=False, places=4,
                          min_value=-10**9, max_value=10**9))
def test_numbers_round_trip_in_every_spelling(number):
    plain = format(number, "f")
    assert parse_decimal(plain) == number
    full_width = plain.translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－"))
    assert parse_decimal(full_width + "％") == number
    assert parse_decimal(f" {plain} % ") == number


SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@FUZZ
@given(moment=st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2026, 11, 20)))
def test_times_round_trip_in_every_spelling(moment):
    moment = moment.replace(microsecond=0)
    reader = TimeReader(resolve_zone("Asia/Shanghai"), NOW)
    expected = moment.replace(tzinfo=SHANGHAI).astimezone(dt.timezone.utc)
    to_minute = expected.replace(second=0)
    assert reader.read(moment.strftime("%Y-%m-%d %H:%M:%S")) == expected
    assert reader.read(moment.strftime("%Y-%m-%dT%H:%M:%S")) == expected
    assert reader.read(moment.strftime("%Y%m%d%H%M%S")) == expected
    assert reader.read(f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}") == to_minute
    assert reader.read(expected.strftime("%Y-%m-%dT%H:%M:%SZ")) == expected
    assert reader.read(moment.strftime("%Y-%m-%d %H:%M:%S+08:00")) == expected


@FUZZ
@given(data=st.binary(max_size=2048))
def test_parse_file_agrees_with_the_stream(data):
    try:
        result = parse_file(data, now=NOW)
    except ParseError:
        return
    items = check_stream(data)
    assert result.readings == [i for i in items if type(i) is Reading]
    assert result.problems == [i for i in items if type(i) is RowProblem]
    assert result.skipped == [i for i in items if type(i) is SkippedRow]


TIME_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-/:.T Z+年月日时分秒上下午APM", max_size=40),
    st.builds(lambda d, z: d.isoformat(" ") + z,
              st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
              st.sampled_from(["", "Z", "+08:00", "-12:00", "+14:00", " +0800", " GMT+8"])),
)


@FUZZ
@given(text=TIME_TEXT)
def test_any_time_text_reads_as_a_utc_time_or_a_problem_code(text):
    when = TimeReader(resolve_zone("Asia/Shanghai"), NOW).read(text)
    if isinstance(when, str):
        assert when in ("missing_value", "bad_time", "future_time")
    else:
        assert when.tzinfo is dt.timezone.utc
        assert dt.datetime(1999, 12, 31, tzinfo=dt.timezone.utc) < when <= LATEST


@FUZZ
@given(text=st.text(min_size=1, max_size=50).filter(str.strip))
def test_any_text_is_a_finite_number_or_none(text):
    number = parse_decimal(text.strip())
    assert number is None or number.is_finite()
