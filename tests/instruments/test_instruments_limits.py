"""Bounds and streaming: big, hostile and endless files stay cheap."""

from __future__ import annotations

import datetime as dt
import gc
import io
import struct
import tracemalloc
import zipfile

import pytest

from instruments import Limits, ParseError, Reading, iter_file, parse_file
from instruments import excel

HEADER = "通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间"


def pesticide_file(rows: int, encoding: str = "gb18030") -> bytes:
    start = dt.datetime(2026, 1, 1, 8, 0, 0)
    lines = ["农药残留速测仪 检测数据", "导出时间：2026-11-20 10:05", HEADER]
    for n in range(rows):
        when = start + dt.timedelta(seconds=37 * n)
        lines.append(
            f"{n % 12 + 1},S-{n:08d},青菜,城东综合市场 A-{n % 99:02d},农药残留,{n % 800 / 10},%,"
            f"GB/T 5009.199-2003,50,合格,王丽,{when:%Y-%m-%d %H:%M:%S}"
        )
    lines.append(f"合计：{rows} 条")
    return "\r\n".join(lines).encode(encoding)


def test_a_file_over_the_size_limit_is_refused_before_reading(now, make_xlsx):
    data = pesticide_file(50)
    with pytest.raises(ParseError) as caught:
        iter_file(data, now=now, limits=Limits(max_bytes=len(data) - 1))
    assert caught.value.code == "too_large"
    assert caught.value.params["size"] == len(data)
    assert "MB" in caught.value.message
    workbook = make_xlsx([["检测项目", "T/C", "检测时间"]])
    with pytest.raises(ParseError) as caught:
        iter_file(workbook, now=now, limits=Limits(max_bytes=1000))
    assert caught.value.code == "too_large"
    assert len(parse_file(data, now=now, limits=Limits(max_bytes=len(data))).readings) == 50


def test_too_many_rows_stops_the_stream(now):
    name, stream = iter_file(pesticide_file(10), now=now, limits=Limits(max_rows=5))
    items = []
    with pytest.raises(ParseError) as caught:
        for item in stream:
            items.append(item)
    assert caught.value.code == "too_many_rows"
    assert caught.value.message == "The file has more than 5 data rows. Split it into smaller files."
    assert [item.row for item in items] == [4, 5, 6, 7, 8]
    with pytest.raises(ParseError):
        parse_file(pesticide_file(10), now=now, limits=Limits(max_rows=9))
    assert len(parse_file(pesticide_file(10), now=now, limits=Limits(max_rows=10)).readings) == 10


def test_the_stream_is_lazy_and_memory_stays_flat_on_a_100000_row_file(now):
    data = pesticide_file(100_000)
    tracemalloc.start()
    try:
        name, stream = iter_file(data, now=now)
        first = next(stream)
        assert isinstance(first, Reading) and first.row == 4
        assert stream.rows_seen == 1  # nothing read ahead
        peaks = []
        count = 1
        for _ in stream:
            count += 1
            if count % 25_000 == 0:
                peaks.append(tracemalloc.get_traced_memory()[1])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert stream.rows_seen == 100_000
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert peaks[-1] == peaks[0]  # flat: the peak was reached early and never grew


def test_parse_file_collects_what_the_stream_yields(now):
    data = pesticide_file(30)
    name, stream = iter_file(data, now=now)
    streamed = list(stream)
    result = parse_file(data, now=now)
    assert result.readings == streamed
    assert (result.format, result.header_row, result.rows_seen) == ("pesticide-csv", 3, 30)


def xlsx_with_member(make_xlsx, name: str, payload: bytes) -> bytes:
    buffer = io.BytesIO(make_xlsx([["检测项目", "T/C", "检测时间"], ["克伦特罗", 0.5, "2026-11-20 09:00"]]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, payload)
    return buffer.getvalue()


@pytest.fixture
def workbook_never_opened(monkeypatch):
    """Fail the test if the workbook is handed to openpyxl."""

    def refuse(data):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(excel, "_load_workbook", refuse)


def refused_without_inflating(data: bytes, now, limits=Limits()) -> ParseError:
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as caught:
            iter_file(data, filename="bomb.xlsx", now=now, limits=limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    return caught.value


def test_a_member_with_an_extreme_compression_ratio(make_xlsx, now, workbook_never_opened):
    data = xlsx_with_member(make_xlsx, "xl/media/image1.bin", b"\x00" * (8 * 1024 * 1024))
    assert len(data) < 64 * 1024
    error = refused_without_inflating(data, now)
    assert error.code == "zip_bomb"
    assert error.params["member"] == "xl/media/image1.bin"


def test_a_member_declaring_a_huge_size(make_xlsx, now, workbook_never_opened):
    data = bytearray(make_xlsx([["检测项目", "T/C", "检测时间"]]))
    # Rewrite every central-directory entry to claim ~4 GB uncompressed.
    position = data.find(b"PK\x01\x02")
    while position != -1:
        struct.pack_into("<I", data, position + 24, 0xFFFF_FFF0)
        position = data.find(b"PK\x01\x02", position + 4)
    error = refused_without_inflating(bytes(data), now)
    assert error.code == "zip_bomb"
    assert error.params["size"] == 0xFFFF_FFF0
    assert "safe size" in error.message


def test_the_total_expanded_size_is_bounded(make_xlsx, now, workbook_never_opened):
    data = make_xlsx([["检测项目", "T/C", "检测时间"]])
    error = refused_without_inflating(data, now, Limits(max_uncompressed_bytes=1000))
    assert error.code == "zip_bomb"


def test_an_archive_with_too_many_members(now, workbook_never_opened):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(10_001):
            archive.writestr(f"x/{n}", b"")
    with pytest.raises(ParseError) as caught:
        iter_file(buffer.getvalue(), now=now)
    assert caught.value.code == "zip_bomb"


def test_a_normal_workbook_passes_the_archive_check(make_xlsx):
    excel.check_archive(make_xlsx([["a"]]), Limits())


def test_closing_the_stream_closes_the_workbook(sample, now):
    name, stream = iter_file(sample("gold_reader.xlsx"), now=now)
    archive = stream._table._workbook._archive
    next(stream)
    stream.close()
    assert archive.fp is None
    assert list(stream) == []


def test_an_exhausted_stream_has_closed_its_workbook(sample, now):
    name, stream = iter_file(sample("gold_reader.xlsx"), now=now)
    archive = stream._table._workbook._archive
    assert len(list(stream)) == 6
    assert archive.fp is None


def test_an_abandoned_stream_leaves_nothing_behind(sample, now):
    # -W error turns any ResourceWarning or unraisable exception into a failure.
    for name in ("gold_reader.xlsx", "pesticide_tester.csv"):
        iter_file(sample(name), now=now)
        fmt, stream = iter_file(sample(name), now=now)
        next(stream)
        del stream
    gc.collect()


def test_now_must_be_aware_and_the_zone_known(sample, now):
    with pytest.raises(ValueError):
        iter_file(sample("analyzer.csv"), now=dt.datetime(2026, 11, 21))
    with pytest.raises(ValueError):
        iter_file(sample("analyzer.csv"), now=now, tz="Mars/Olympus")
