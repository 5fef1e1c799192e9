"""Fixtures for the importer tests: the markets the example files name, their batches,
users, file builders and small helpers to count what an import changed.

The example files were tested on 2026-11-20 (Asia/Shanghai). Service-level tests pass
``NOW`` (the next morning) to ``run_import``; the web, API and CLI paths use the real
clock, which is later still."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 21, 0, 0, tzinfo=timezone.utc)  # 08:00 local, the morning after the tests
SAMPLED = datetime(2026, 11, 20, 0, 30, tzinfo=timezone.utc)  # 08:30 local, before every test time

TESTS_DIR = Path(__file__).resolve().parent.parent
INSTRUMENT_DATA = TESTS_DIR / "data" / "instruments"  # copies of /work/shared/samples and parser variants
IMPORT_DATA = TESTS_DIR / "data" / "imports"

# Sample code → (site, stall, food) for the example files.
PESTICIDE_FOODS = ["青菜", "菠菜", "芹菜", "小白菜", "油麦菜", "生菜", "韭菜", "空心菜", "豇豆", "黄瓜", "番茄",
                   "茄子"]
PESTICIDE_BATCHES = {f"S-20261120-{n:03d}": ("城东综合市场", f"A-{n:02d}", food)
                     for n, food in enumerate(PESTICIDE_FOODS, start=1)}
GOLD_BATCHES = {f"S-20261120-{100 + n}": ("城东综合市场", f"B-{n:02d}", food)
                for n, food in enumerate(["猪肉", "猪肝", "牛肉", "鲫鱼", "草鱼", "基围虾"], start=1)}
ANALYZER_BATCHES = {f"S-20261120-{200 + n}": ("城北农贸市场", f"C-{n:02d}", food)
                    for n, food in enumerate(["卤猪肉", "银耳", "鱿鱼", "青菜", "猪肉", "酱鸭"], start=1)}
ALL_BATCHES = {**PESTICIDE_BATCHES, **GOLD_BATCHES, **ANALYZER_BATCHES}


def sample_bytes(name: str) -> bytes:
    return (INSTRUMENT_DATA / name).read_bytes()


def data_bytes(name: str) -> bytes:
    return (IMPORT_DATA / name).read_bytes()


def row_label(n: int) -> re.Pattern:
    """How a problem names its row, in Chinese ("第 7 行") or in English ("Row 7")."""
    return re.compile(rf"(第\s*{n}\s*行|Row {n}\b|row {n}\b)")


def local(y, mo, d, h, mi, s=0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI).astimezone(timezone.utc)


# --- file builders ---------------------------------------------------------------------------

PESTICIDE_HEADER = ["通道号", "样品编号", "样品名称", "被检单位", "检测项目", "检测结果", "单位", "检测依据", "标准值",
                    "结论", "检测员", "检测时间"]


def pesticide_row(channel, code, food="青菜", party="城东综合市场 A-01", item="农药残留", value="12.4",
                  method="GB/T 5009.199-2003", cutoff="50", word="合格", tester="王丽",
                  when="2026-11-20 09:11:05", **extra):
    row = {"通道号": str(channel), "样品编号": code, "样品名称": food, "被检单位": party, "检测项目": item,
           "检测结果": value, "单位": "%", "检测依据": method, "标准值": cutoff, "结论": word, "检测员": tester,
           "检测时间": when}
    row.update(extra)
    return row


def make_csv(rows: list[dict], header: list[str] | None = None, *, title: list[str] = (), footer: list[str] = (),
             encoding="utf-8", delimiter=",", newline="\r\n") -> bytes:
    header = header or list(rows[0]) if rows else header
    out = io.StringIO()
    for line in title:
        out.write(line + newline)
    w = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(h, "") for h in header])
    for line in footer:
        out.write(line + newline)
    return out.getvalue().encode(encoding)


ANALYZER_HEADER = ["NO", "CHANNEL", "ITEM", "SAMPLE", "SAMPLE_CODE", "SAMPLE_CLASS", "SOURCE", "ABS_1", "ABS_2",
                   "RESULT_DL", "RESULT_DX", "RESULT_DX_DESC", "RESULT_UNIT", "DETECT_TIME", "OPERATOR", "REAGENT",
                   "REAGENT_LOT", "INSTRUMENT"]


def analyzer_row(no, code, item="亚硝酸盐", food="卤猪肉", klass="熟食卤味", source="城北农贸市场 C-01", value="12.6",
                 dx="1", desc="合格", unit="mg/kg", when="2026-11-20 11:03:00", lot="", channel=None, **extra):
    row = {"NO": str(no), "CHANNEL": str(channel or no), "ITEM": item, "SAMPLE": food, "SAMPLE_CODE": code,
           "SAMPLE_CLASS": klass, "SOURCE": source, "ABS_1": "0.412", "ABS_2": "", "RESULT_DL": value,
           "RESULT_DX": dx, "RESULT_DX_DESC": desc, "RESULT_UNIT": unit, "DETECT_TIME": when, "OPERATOR": "陈敏",
           "REAGENT": "", "REAGENT_LOT": lot, "INSTRUMENT": "DY-3500(I)"}
    row.update(extra)
    return row


TEMPLATE_HEADER = ["检测点名称", "被检单位*", "档口编号", "样品编号", "样品名称*", "食品类别", "检测项目*", "检测值*", "单位",
                   "检测结论*", "检测人员*", "检测时间*", "试剂批号", "供货者", "产地", "进货数量(kg)", "备注"]


def template_row(party="城东综合市场", stall="A-01", code=None, food="青菜", category="蔬菜",
                 item="有机磷和氨基甲酸酯类农药", value=18.5, unit="%", word="合格", tester="王丽",
                 when="2026-11-20 09:30:00", lot=None, supplier=None, origin=None, qty=None, note=None):
    return ["1号快检室", party, stall, code, food, category, item, value, unit, word, tester, when, lot, supplier,
            origin, qty, note]


def make_xlsx(header: list, rows: list[list], *, title: str | None = None, footer: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "检测记录"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    if footer:
        ws.append([footer])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path, monkeypatch) -> Path:
    """A DATA_DIR of this test's own: stored originals and pending previews of other tests
    (whose database rows were rolled back) must not be seen here."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setitem(app.config, "DATA_DIR", str(path))
    return path


# --- the world the example files talk about ---------------------------------------------------


# --- the world the example files talk about ------------------------------------------------------


class World:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def stall(self, site_name: str, code: str):
        return self.stalls[(site_name, code)]


@pytest.fixture
def world(ctx, db, make_site, make_stall, make_user):
    """城东综合市场 (stalls A-01…A-12, B-01…B-06), 城北农贸市场 (C-01…C-06), 城南菜场 (D-01)
    and one user of every role that matters here."""
    east = make_site(code="CDZH", name="城东综合市场")
    north = make_site(code="CBNM", name="城北农贸市场")
    south = make_site(code="CNCC", name="城南菜场")
    stalls = {}
    for site, codes in ((east, [f"A-{n:02d}" for n in range(1, 13)] + [f"B-{n:02d}" for n in range(1, 7)]),
                        (north, [f"C-{n:02d}" for n in range(1, 7)]), (south, ["D-01"])):
        for code in codes:
            stalls[(site.name, code)] = make_stall(site=site, code=code)
    from lims.accounts.access import Actor

    tech = make_user("technician", display_name="检测员小周")
    w = World(east=east, north=north, south=south, stalls=stalls, sites={s.name: s for s in (east, north, south)},
              tech=tech, actor=Actor(user=tech, ip="test"), admin=make_user("admin", display_name="管理员"),
              reviewer=make_user("reviewer"), manager=make_user("market_manager", sites=[east]),
              regulator=make_user("regulator"))
    return w


@pytest.fixture
def register(world, db):
    """register(code, site, stall, food, sampled_at=SAMPLED, category=None) → Batch."""
    from lims.batches.services import BatchInput, find_category, register_batch

    def make(code, site_name, stall_code, food, sampled_at=SAMPLED, category=None, tests=()):
        return register_batch(world.actor, BatchInput(
            site=world.sites[site_name], stall=world.stall(site_name, stall_code), food=food, sampled_at=sampled_at,
            code=code, category=find_category(category) if category else None, tests=list(tests)), NOW)

    return make


@pytest.fixture
def batches(register):
    """Every batch the four example files name (the template file names none)."""
    return {code: register(code, *spec) for code, spec in ALL_BATCHES.items()}


@pytest.fixture
def run(world):
    """run(data, filename, actor=None, now=NOW, **options) → ImportReport via the service."""
    from lims.imports.services import ImportOptions, run_import

    def go(data: bytes, filename: str, actor=None, now=NOW, **options):
        return run_import(actor or world.actor, data, ImportOptions(filename=filename, **options), now=now)

    return go


@pytest.fixture
def counts(db):
    """counts() → the number of rows in the tables an import may touch."""
    from lims.models import AuditEntry, Batch, Disposition, Import, ImportRow, Notification, Result

    def take() -> dict:
        db.session.flush()
        return {m.__name__: db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                for m in (Result, Batch, Import, ImportRow, AuditEntry, Disposition, Notification)}

    return take


@pytest.fixture
def lot(world, make_lot):
    """lot(item, code, expires_on=…, **thresholds) → a registered reagent lot."""

    def make(item, code, expires_on=date(2027, 6, 30), **kw):
        return make_lot(item=item, lot=code, expires_on=expires_on, **kw)

    return make


def results_of(db, import_id) -> dict:
    """{import_row: Result} of one import."""
    from lims.models import Result

    rows = db.session.execute(sa.select(Result).where(Result.import_id == import_id)).scalars().all()
    return {r.import_row: r for r in rows}


def rows_by_number(report) -> dict:
    return {r.row: r for r in report.rows}
