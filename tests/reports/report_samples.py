"""Realistic Chinese sample data for the report renderers (tests, screenshots, timings).

Everything is deterministic (seeded): a month of rapid tests in one district with six
markets, positives with dispositions, a rural banquet, stalls on the red and black lists.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from reports.data import (
    BatchReport,
    Board,
    BoardEntry,
    BreakdownRow,
    DailyCount,
    DisposalAction,
    DispositionSummary,
    EventBatch,
    EventRow,
    EventSummary,
    Issuer,
    ItemResult,
    ListedStall,
    MonthlyFigures,
    MonthlyReport,
    ObjectionSummary,
    PositiveRow,
    RatingRule,
    ResultExportRow,
    ResultLine,
    SampleLabel,
    SiteRating,
)

CST = timezone(timedelta(hours=8), "CST")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (UTC+8) datetime on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


DISTRICT = "上城区"
REGULATOR = Issuer(name="杭州市上城区市场监督管理局", unit=None, phone="0571-87011234")

# site name, kind, station
SITES = (
    ("城东综合市场", "market", "城东综合市场快检室"),
    ("城北农贸市场", "market", "城北农贸市场快检室"),
    ("下沙综合市场", "market", "下沙综合市场快检室"),
    ("大自然市场", "market", "快检车1号"),
    ("新农都水产市场", "wholesale", "新农都快检室"),
    ("联华超市（庆春店）", "supermarket", "快检车1号"),
)


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    method: str
    principle: str
    unit: str
    cutoff: str
    foods: tuple[tuple[str, str, str], ...]  # food, category l1, category l2
    quantitative: bool
    banned: bool


VEG = (("青菜", "蔬菜", "叶菜类"), ("菠菜", "蔬菜", "叶菜类"), ("芹菜", "蔬菜", "叶菜类"),
       ("韭菜", "蔬菜", "鳞茎类"), ("小白菜", "蔬菜", "芸薹属类"), ("豇豆", "蔬菜", "豆类"),
       ("黄瓜", "蔬菜", "瓜类"), ("生菜", "蔬菜", "叶菜类"))
MEAT = (("猪肉", "畜禽肉及副产品", "畜肉"), ("牛肉", "畜禽肉及副产品", "畜肉"),
        ("羊肉", "畜禽肉及副产品", "畜肉"), ("猪肝", "畜禽肉及副产品", "畜肉"))
FISH = (("草鱼", "水产品", "淡水鱼"), ("鲈鱼", "水产品", "淡水鱼"), ("鲫鱼", "水产品", "淡水鱼"),
        ("基围虾", "水产品", "虾"), ("黄鳝", "水产品", "淡水鱼"))
SOAKED = (("鱿鱼", "水产品", "海水鱼"), ("虾仁", "水产品", "虾"), ("牛百叶", "畜禽肉及副产品", "畜肉"))

ITEMS = (
    Item("OPC", "有机磷和氨基甲酸酯类农药", "GB/T 5009.199-2003", "酶抑制法", "%", "≥ 50", VEG, True, False),
    Item("CLB", "克伦特罗", "KJ 201706", "胶体金免疫层析法", "μg/kg", "0.5", MEAT, False, True),
    Item("RAC", "莱克多巴胺", "KJ 201706", "胶体金免疫层析法", "μg/kg", "0.5", MEAT, False, True),
    Item("MG", "孔雀石绿", "KJ 201701", "胶体金免疫层析法", "μg/kg", "2", FISH, False, True),
    Item("NF", "硝基呋喃类代谢物", "KJ 201705", "胶体金免疫层析法", "μg/kg", "0.5", FISH, False, True),
    Item("HCHO", "甲醛", "KJ 201909", "比色法", "mg/kg", "检出即阳性", SOAKED, False, False),
    Item("SO2", "二氧化硫", "KJ 201908", "比色法", "g/kg", "≤ 0.2",
         (("生姜", "蔬菜", "根茎类"), ("银耳", "干货及调味品", "干制食用菌"), ("黄花菜", "干货及调味品", "脱水蔬菜")),
         True, False),
    Item("NO2", "亚硝酸盐", "KJ 201911", "比色法", "mg/kg", "≤ 30",
         (("卤牛肉", "熟食卤味", "酱卤肉"), ("咸菜", "蔬菜", "腌制蔬菜")), True, False),
    Item("PCM", "腐霉利", "KJ 201710", "胶体金免疫层析法", "mg/kg", "0.2", (("韭菜", "蔬菜", "鳞茎类"),), False, False),
    Item("RGL", "吊白块", "KJ 201905", "比色法", "", "检出即阳性", (("腐竹", "豆制品", "干豆制品"), ("米粉", "粮食及制品", "米制品")), False, True),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
GIVEN = ("建国", "丽", "伟", "芳", "秀英", "强", "敏", "静", "军", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平")
SUPPLIERS = ("萧山蔬菜专业合作社", "临平蔬菜批发部", "嘉兴生猪屠宰场", "杭州肉类联合加工厂", "湖州南浔水产养殖场",
             "德清水产专业合作社", "舟山海鲜冷链有限公司", "绍兴干货批发行", "金华火腿食品厂", "安吉竹乡食品商行")
ORIGINS = ("杭州萧山", "杭州临平", "嘉兴", "湖州南浔", "湖州德清", "舟山", "绍兴柯桥", "金华", "山东寿光", "江苏盐城")
TESTERS = ("王丽", "陈静", "张伟", "刘芳", "周杰")
REVIEWERS = ("李强", "赵敏", "孙涛")


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


# --------------------------------------------------------------------------- batch report


def batch_report(*, positive: bool = False, extra_results: int = 0, verify: bool = True) -> BatchReport:
    """A batch test report: 青菜 with one negative test, or 韭菜 positive with a disposition."""
    day = date(2026, 11, 20)
    issuer = Issuer(name="杭州市上城区市场监督管理局", unit="城东综合市场快检室", phone="0571-87011234")
    if not positive:
        results = [
            ResultLine(item="有机磷和氨基甲酸酯类农药", outcome="negative", method="GB/T 5009.199-2003",
                       reagent_lot="NC-2611", reagent_maker="杭州绿洁科技", instrument="LK-12 农药残留速测仪 (SN 2301)",
                       value=Decimal("12.4"), unit="%", cutoff="≥ 50", tested_at=at(day, 9, 31), tested_by="王丽",
                       reviewed_at=at(day, 10, 5), reviewed_by="李强"),
        ]
        food, category, stall, operator = "青菜", "蔬菜 / 叶菜类", "A-01", "王建国"
        supplier, origin, qty = "萧山蔬菜专业合作社", "杭州萧山", Decimal("40")
        disposition = None
    else:
        results = [
            ResultLine(item="有机磷和氨基甲酸酯类农药", outcome="positive", method="GB/T 5009.199-2003",
                       reagent_lot="NC-2611", reagent_maker="杭州绿洁科技", instrument="LK-12 农药残留速测仪 (SN 2301)",
                       value=Decimal("63.5"), unit="%", cutoff="≥ 50", tested_at=at(day, 9, 12), tested_by="王丽",
                       reviewed_at=at(day, 9, 40), reviewed_by="李强", note="已按要求热处理后检测"),
            ResultLine(item="腐霉利", outcome="negative", method="KJ 201710", reagent_lot="PCM-2610",
                       reagent_maker="北京勤邦生物", instrument="GR-6 胶体金读卡仪 (SN 1187)", value_text="阴性",
                       unit="mg/kg", cutoff="0.2", tested_at=at(day, 9, 20), tested_by="王丽",
                       reviewed_at=at(day, 9, 40), reviewed_by="李强"),
        ]
        food, category, stall, operator = "韭菜", "蔬菜 / 鳞茎类", "B-07", "陈秀英"
        supplier, origin, qty = "临平蔬菜批发部", "杭州临平", Decimal("15.5")
        disposition = DispositionSummary(
            status="disposed",
            notified_at=at(day, 9, 50),
            objection_deadline=at(day, 13, 50),
            objection=ObjectionSummary(requested_at=at(day, 11, 20), lab="浙江省食品药品检验研究院",
                                       method="GB 23200.113-2018 气相色谱-质谱联用法", report_no="ZJFDC-2026-11873",
                                       lab_outcome="positive", lab_value="毒死蜱 0.36 mg/kg", fee=Decimal("480.00")),
            actions=(
                DisposalAction(action="下架/停售", quantity_kg=Decimal("15.5"), done_at=at(day, 9, 55),
                               place="B-07 档口", done_by="陈秀英", supervisor="市场管理员 吴涛"),
                DisposalAction(action="销毁", quantity_kg=Decimal("15.5"), done_at=at(day + timedelta(days=1), 15, 30),
                               method="粉碎后无害化处理", place="市场垃圾处理站", done_by="吴涛", supervisor="城东所 林平"),
            ),
            quantity_kg=Decimal("15.5"),
            disposed_kg=Decimal("15.5"),
            remaining_kg=Decimal("0"),
            due_at=at(day + timedelta(days=1), 16, 0),
        )
    extra_items = ("克百威", "氧乐果", "毒死蜱", "甲胺磷", "乙酰甲胺磷", "敌敌畏", "灭多威", "涕灭威", "久效磷", "对硫磷")
    for i in range(extra_results):
        results.append(ResultLine(item=extra_items[i % len(extra_items)], outcome="negative", method="KJ 201710",
                                  reagent_lot=f"KJ-26{i:02d}", instrument="GR-6 胶体金读卡仪 (SN 1187)",
                                  value_text="阴性", unit="mg/kg", cutoff="0.02", tested_at=at(day, 10, i % 60),
                                  tested_by="陈静", reviewed_at=at(day, 11, 0), reviewed_by="李强"))
    return BatchReport(
        issuer=issuer,
        report_no="CD-2026-11-0207" if not positive else "CD-2026-11-0213",
        batch_code="CD20261120-0007" if not positive else "CD20261120-0013",
        site="城东综合市场",
        stall=stall,
        operator=operator,
        food=food,
        category=category,
        supplier=supplier,
        origin=origin,
        quantity_kg=qty,
        purchase_date=day,
        certificate_no="ZJ330102-2611-0088" if not positive else None,
        sampled_at=at(day, 8, 15),
        sampled_by="李娜",
        results=tuple(results),
        disposition=disposition,
        verify_url="https://lims.example.gov.cn/public/reports/CD-2026-11-0207?k=9f3a2c" if verify else None,
        issued_at=at(day, 10, 6),
    )


# --------------------------------------------------------------------------- monthly report


@dataclass(frozen=True)
class TestRecord:
    """One generated test (the unit the monthly figures are counted from)."""

    batch: str
    day: datetime
    site: str
    site_kind: str
    station: str
    stall: str
    operator: str
    food: str
    category: str
    category_l2: str
    supplier: str
    origin: str
    quantity: Decimal
    item: Item
    outcome: str
    value: Decimal | None
    value_text: str | None
    tester: str
    reviewer: str


def _reading(item: Item, outcome: str, rng: random.Random) -> tuple[Decimal | None, str | None]:
    if item.code == "OPC":
        if outcome == "positive":
            return Decimal(str(round(rng.uniform(51, 82), 1))), None
        return Decimal(str(round(rng.uniform(2, 38), 1))), None
    if item.quantitative:
        if outcome == "positive":
            return (Decimal(str(round(rng.uniform(0.25, 0.6), 2))) if item.code == "SO2"
                    else Decimal(str(round(rng.uniform(35, 80), 1)))), None
        return (Decimal(str(round(rng.uniform(0.01, 0.15), 2))) if item.code == "SO2"
                else Decimal(str(round(rng.uniform(2, 20), 1)))), None
    if item.code == "HCHO" and outcome == "positive":
        return Decimal(str(round(rng.uniform(12, 60), 1))), None
    words = {"negative": "未检出" if item.code in ("HCHO", "RGL") else "阴性", "positive": "阳性",
             "suspect": "可疑", "invalid": "无效"}
    return None, words[outcome]


def generate_tests(year: int = 2026, month: int = 11, seed: int = 7, scale: float = 1.0) -> list[TestRecord]:
    """About 2,500 tests in one month over the six sample sites (positives ≈ 1 %)."""
    rng = random.Random(seed)
    start = date(year, month, 1)
    days = (date(year + (month == 12), month % 12 + 1, 1) - start).days
    stalls = {site: [(f"{chr(65 + i // 12)}-{i % 12 + 1:02d}", person(rng)) for i in range(30)] for site, _, _ in SITES}
    records: list[TestRecord] = []
    counter = 0
    positive_rate = {"城东综合市场": 0.006, "城北农贸市场": 0.012, "下沙综合市场": 0.02, "大自然市场": 0.004,
                     "新农都水产市场": 0.015, "联华超市（庆春店）": 0.0}
    for d in range(days):
        day = start + timedelta(days=d)
        for site, kind, station in SITES:
            if kind == "supermarket" and day.weekday() >= 5:
                continue
            n = int(rng.randint(10, 18) * scale)
            for _ in range(n):
                counter += 1
                code = f"{_initials(site)}{day:%Y%m%d}-{counter % 10000:04d}"
                first = rng.choice(ITEMS[:5] * 3 + ITEMS[5:]) if kind != "wholesale" else rng.choice(ITEMS[3:6])
                food, cat, cat2 = rng.choice(first.foods)
                # a batch is tested for every item that applies to its food, about half the time
                tests = [first] + [it for it in ITEMS if it is not first and any(f == food for f, _, _ in it.foods)
                                   and rng.random() < 0.5]
                stall, operator = rng.choice(stalls[site])
                supplier, origin = rng.choice(SUPPLIERS), rng.choice(ORIGINS)
                quantity = Decimal(rng.choice((5, 8, 10, 12.5, 15, 20, 25, 40, 60, 120))).quantize(Decimal("0.1"))
                sampled = at(day, rng.randint(7, 10), rng.randint(0, 59))
                for item in tests:
                    roll = rng.random()
                    p = positive_rate[site] * (0.3 if item.banned else 1.6)
                    outcome = ("positive" if roll < p else "suspect" if roll < p + 0.004
                               else "invalid" if roll < p + 0.007 else "negative")
                    value, text = _reading(item, outcome, rng)
                    records.append(TestRecord(
                        batch=code, day=sampled, site=site, site_kind=kind, station=station, stall=stall,
                        operator=operator, food=food, category=cat, category_l2=cat2, supplier=supplier,
                        origin=origin, quantity=quantity, item=item, outcome=outcome, value=value, value_text=text,
                        tester=rng.choice(TESTERS), reviewer=rng.choice(REVIEWERS)))
    return records


def _initials(site: str) -> str:
    return {"城东综合市场": "CD", "城北农贸市场": "CB", "下沙综合市场": "XS", "大自然市场": "DZR",
            "新农都水产市场": "XND", "联华超市（庆春店）": "LH"}.get(site, "ZZ")


def _breakdown(records: list[TestRecord], key) -> tuple[BreakdownRow, ...]:
    groups: dict[str, list[TestRecord]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    rows = []
    for name, rs in groups.items():
        c = Counter(r.outcome for r in rs)
        rows.append(BreakdownRow(name=name, tests=len(rs), negatives=c["negative"], positives=c["positive"],
                                 suspects=c["suspect"], invalids=c["invalid"], batches=len({r.batch for r in rs})))
    rows.sort(key=lambda row: -row.tests)
    return tuple(rows)


def _figures(records: list[TestRecord], rng: random.Random) -> MonthlyFigures:
    c = Counter(r.outcome for r in records)
    positives = c["positive"]
    overdue = 1 if positives > 3 else 0
    objections = min(2, positives)
    return MonthlyFigures(
        batches=len({r.batch for r in records}), tests=len(records), negatives=c["negative"],
        positives=positives, suspects=c["suspect"], invalids=c["invalid"],
        dispositions_closed=max(0, positives - overdue - (1 if positives > 5 else 0)),
        kg_disposed=sum((r.quantity for r in records if r.outcome == "positive"), Decimal(0)),
        overdue_dispositions=overdue, objections=objections,
        objections_released=1 if objections > 1 else 0,
        objections_confirmed=1 if objections else 0, objections_pending=0)


RATING_RULES = (
    RatingRule(colour="red", condition="检出禁用物质阳性（β-受体激动剂、孔雀石绿、氯霉素、硝基呋喃类、罗丹明B 等），"
                                       "或阳性率 > 5%，或处置超期超过 48 小时"),
    RatingRule(colour="orange", condition="阳性率 > 3%，或存在超期未处置"),
    RatingRule(colour="yellow", condition="阳性率 > 1.5%，或有档口列入黑榜"),
    RatingRule(colour="blue", condition="有阳性，且均已按时处置"),
    RatingRule(colour="green", condition="无阳性，且完成本月计划抽检批次"),
)
LIST_RULES = (
    "黑榜：90 天内快检阳性 2 次及以上的档口。",
    "红榜（诚信经营）：90 天内抽检不少于 20 批次且 180 天内无阳性的档口。",
)


def _ratings(by_site: tuple[BreakdownRow, ...], records: list[TestRecord]) -> tuple[SiteRating, ...]:
    out = []
    for row in by_site:
        banned = [r for r in records if r.site == row.name and r.outcome == "positive" and r.item.banned]
        rate = row.positive_rate
        if banned:
            out.append(SiteRating(site=row.name, colour="red", reason=f"检出禁用物质 {banned[0].item.name} 阳性 {len(banned)} 起"))
        elif rate is not None and rate > Decimal("0.03"):
            out.append(SiteRating(site=row.name, colour="orange", reason=f"阳性率 {rate * 100:.2f}% 超过 3%"))
        elif rate is not None and rate > Decimal("0.015"):
            out.append(SiteRating(site=row.name, colour="yellow", reason=f"阳性率 {rate * 100:.2f}% 超过 1.5%"))
        elif row.positives:
            out.append(SiteRating(site=row.name, colour="blue", reason=f"阳性 {row.positives} 起，均已按时处置"))
        else:
            out.append(SiteRating(site=row.name, colour="green", reason="无阳性，完成计划抽检"))
    return tuple(out)


def monthly_report(seed: int = 7) -> MonthlyReport:
    """November 2026 in 上城区: six sites, about 2,500 tests, positives with dispositions."""
    rng = random.Random(seed + 1)
    records = generate_tests(2026, 11, seed)
    previous = generate_tests(2026, 10, seed + 100)
    by_site = _breakdown(records, lambda r: r.site)
    positives = []
    statuses = ("disposed",) * 6 + ("released", "confirmed", "disputed")
    for r in sorted((r for r in records if r.outcome == "positive"), key=lambda r: r.day):
        status = rng.choice(statuses)
        positives.append(PositiveRow(
            tested_at=r.day, site=r.site, stall=r.stall, food=r.food, supplier=r.supplier, item=r.item.name,
            value=r.value, value_text=r.value_text, unit=r.item.unit or None, disposition_status=status,
            kg_disposed=r.quantity if status == "disposed" else Decimal(0), batch_code=r.batch))
    daily = Counter(r.day.date() for r in records)
    daily_pos = Counter(r.day.date() for r in records if r.outcome == "positive")
    return MonthlyReport(
        issuer=REGULATOR,
        month=date(2026, 11, 1),
        scope="district",
        scope_name=DISTRICT,
        report_no="SC-KJ-2026-11",
        current=_figures(records, rng),
        previous=_figures(previous, rng),
        by_site=by_site,
        by_category=_breakdown(records, lambda r: r.category),
        by_item=_breakdown(records, lambda r: r.item.name),
        by_station=_breakdown(records, lambda r: r.station),
        positives=tuple(positives),
        ratings=_ratings(by_site, records),
        red_list=(
            ListedStall(site="城东综合市场", stall="A-03", operator="周建国", batches_90d=46, positives_90d=0),
            ListedStall(site="大自然市场", stall="C-11", operator="林秀英", batches_90d=38, positives_90d=0),
            ListedStall(site="联华超市（庆春店）", stall="生鲜区", operator="联华超市", batches_90d=64, positives_90d=0,
                        note="连续 12 个月无阳性"),
        ),
        black_list=(
            ListedStall(site="下沙综合市场", stall="B-07", operator="陈秀英", batches_90d=21, positives_90d=3,
                        note="韭菜农残阳性 2 次、豇豆 1 次"),
            ListedStall(site="新农都水产市场", stall="D-02", operator="黄勇", batches_90d=18, positives_90d=2),
        ),
        events=(
            EventRow(name="李家村王氏婚宴", kind="banquet", starts_on=date(2026, 11, 8), venue="李家村文化礼堂",
                     batches=12, positives=0, people_served=320),
            EventRow(name="2026 年上城区中小学生运动会", kind="major_event", starts_on=date(2026, 11, 17),
                     ends_on=date(2026, 11, 19), venue="上城区体育中心 运动员餐厅", batches=54, positives=1,
                     people_served=2600),
        ),
        daily=tuple(DailyCount(day=d, tests=daily[d], positives=daily_pos[d]) for d in sorted(daily)),
        rating_rules=RATING_RULES,
        list_rules=LIST_RULES,
        planned_batches=2400,
        generated_at=at(date(2026, 12, 1), 9, 0),
    )


def empty_monthly_report() -> MonthlyReport:
    """A month with no data at all (new district, or a site that was closed)."""
    return MonthlyReport(
        issuer=REGULATOR, month=date(2026, 2, 1), scope="site", scope_name="城北农贸市场",
        current=MonthlyFigures(), previous=None, rating_rules=RATING_RULES, list_rules=LIST_RULES,
        generated_at=at(date(2026, 3, 1), 9, 0))


def large_monthly_report(sites: int = 50, items: int = 30, positives: int = 600, seed: int = 3) -> MonthlyReport:
    """A big district month: 50 sites, 30 items, ~600 positives (for timing)."""
    rng = random.Random(seed)
    site_names = [f"{rng.choice(('城东', '城西', '城南', '城北', '江滨', '湖墅', '望江', '闸弄口'))}第{i + 1}农贸市场"
                  for i in range(sites)]
    item_names = [ITEMS[i % len(ITEMS)].name + ("" if i < len(ITEMS) else f"（{i // len(ITEMS) + 1}）")
                  for i in range(items)]

    def rows(names: list[str], total_pos: int) -> tuple[BreakdownRow, ...]:
        out = []
        share = [rng.random() for _ in names]
        total = sum(share)
        for name, s in zip(names, share):
            pos = int(total_pos * s / total)
            tests = rng.randint(800, 1600)
            sus, inv = rng.randint(0, 6), rng.randint(0, 4)
            out.append(BreakdownRow(name=name, tests=tests, negatives=tests - pos - sus - inv, positives=pos,
                                    suspects=sus, invalids=inv, batches=tests // 2))
        return tuple(out)

    by_site = rows(site_names, positives)
    pos_rows = []
    start = date(2026, 11, 1)
    for i in range(positives):
        item = ITEMS[i % len(ITEMS)]
        food = item.foods[i % len(item.foods)][0]
        value, text = _reading(item, "positive", rng)
        pos_rows.append(PositiveRow(
            tested_at=at(start + timedelta(days=i % 30), 8 + i % 3, i % 60), site=site_names[i % sites],
            stall=f"A-{i % 40 + 1:02d}", food=food, supplier=SUPPLIERS[i % len(SUPPLIERS)], item=item.name,
            value=value, value_text=text, unit=item.unit or None,
            disposition_status=("disposed", "confirmed", "released")[i % 3], kg_disposed=Decimal("12.5")))
    tests = sum(r.tests for r in by_site)
    figures = MonthlyFigures(batches=tests // 2, tests=tests, negatives=sum(r.negatives for r in by_site),
                             positives=positives, suspects=sum(r.suspects for r in by_site),
                             invalids=sum(r.invalids for r in by_site), dispositions_closed=positives - 9,
                             kg_disposed=Decimal("7012.5"), overdue_dispositions=4, objections=11,
                             objections_released=3, objections_confirmed=7, objections_pending=1)
    colours = ("red", "orange", "yellow", "blue", "green")
    return MonthlyReport(
        issuer=REGULATOR, month=start, scope="district", scope_name="示例大区", current=figures, previous=figures,
        by_site=by_site, by_category=rows(["蔬菜", "水果", "畜禽肉及副产品", "水产品", "鲜蛋", "豆制品", "粮食及制品",
                                           "食用油", "干货及调味品", "熟食卤味", "其他"], positives),
        by_item=rows(item_names, positives), by_station=rows([f"快检室{i + 1}" for i in range(20)], positives),
        positives=tuple(pos_rows),
        ratings=tuple(SiteRating(site=s, colour=colours[i % 5], reason="阳性率 2.10% 超过 1.5%") for i, s in
                      enumerate(site_names)),
        red_list=tuple(ListedStall(site=site_names[i], stall=f"A-{i:02d}", operator=person(rng), batches_90d=30)
                       for i in range(20)),
        black_list=tuple(ListedStall(site=site_names[i], stall=f"B-{i:02d}", operator=person(rng), batches_90d=25,
                                     positives_90d=2) for i in range(15)),
        events=tuple(EventRow(name=f"家宴{i + 1}", kind="banquet", starts_on=start + timedelta(days=i), batches=10,
                              people_served=200) for i in range(12)),
        daily=tuple(DailyCount(day=start + timedelta(days=d), tests=tests // 30, positives=positives // 30)
                    for d in range(30)),
        rating_rules=RATING_RULES, list_rules=LIST_RULES, generated_at=at(date(2026, 12, 1), 9, 0))


# --------------------------------------------------------------------------- board, labels, event


def board() -> Board:
    """城东综合市场's board for 2026-11-20: negatives, one disposed positive, one in handling, one invalid."""
    day = date(2026, 11, 20)
    entries = [
        BoardEntry(stall="A-01", operator="王建国", food="青菜", item="有机磷和氨基甲酸酯类农药", outcome="negative",
                   tested_at=at(day, 9, 31), wording="本次快检未发现问题"),
        BoardEntry(stall="A-02", operator="李丽", food="菠菜", item="有机磷和氨基甲酸酯类农药", outcome="negative",
                   tested_at=at(day, 9, 33), wording="本次快检未发现问题"),
        BoardEntry(stall="A-05", operator="欧阳明", food="豇豆", item="有机磷和氨基甲酸酯类农药", outcome="invalid",
                   tested_at=at(day, 9, 40), wording="复测中"),
        BoardEntry(stall="B-03", operator="张伟", food="猪肉", item="克伦特罗", outcome="negative", tested_at=at(day, 9, 50), wording="本次快检未发现问题"),
        BoardEntry(stall="B-03", operator="张伟", food="猪肉", item="莱克多巴胺", outcome="negative", tested_at=at(day, 9, 51), wording="本次快检未发现问题"),
        BoardEntry(stall="B-07", operator="陈秀英", food="韭菜", item="有机磷和氨基甲酸酯类农药", outcome="positive",
                   disposition_status="disposed", handling="已下架，15.5 kg 在市场管理员监督下销毁",
                   tested_at=at(day, 9, 12), wording="阳性，已按规定处置"),
        BoardEntry(stall="C-02", operator="刘芳", food="草鱼", item="孔雀石绿", outcome="negative", tested_at=at(day, 10, 2), wording="本次快检未发现问题"),
        BoardEntry(stall="C-04", operator="黄勇", food="鱿鱼", item="甲醛", outcome="positive",
                   disposition_status="stopped", handling="已停止销售，封存 8 kg，等待处置", tested_at=at(day, 10, 15), wording="阳性，处置中"),
        BoardEntry(stall="C-06", operator="赵敏", food="基围虾", item="硝基呋喃类代谢物", outcome="suspect",
                   tested_at=at(day, 10, 20), wording="复测中"),
        BoardEntry(stall="D-01", operator="周杰", food="黄豆芽", item="亚硝酸盐", outcome="negative", tested_at=at(day, 10, 31), wording="本次快检未发现问题"),
        BoardEntry(stall="D-03", operator="徐静", food="腐竹", item="吊白块", outcome="negative", tested_at=at(day, 10, 40), wording="本次快检未发现问题"),
        BoardEntry(stall="D-08", operator="孙涛", food="生姜", item="二氧化硫", outcome="negative", tested_at=at(day, 10, 45), wording="本次快检未发现问题"),
    ]
    return Board(market="城东综合市场", day=day, entries=tuple(entries), complaint_phone="12315 / 0571-87011234",
                 operator_org="杭州城东市场经营管理有限公司", station="城东综合市场快检室", updated_at=at(day, 11, 2),
                 printed_on=day)


def sample_labels(count: int = 30) -> list[SampleLabel]:
    """``count`` labels of one sampling round at 城东综合市场."""
    rng = random.Random(11)
    day = date(2026, 11, 20)
    foods = [f for item in ITEMS for f, _, _ in item.foods]
    return [SampleLabel(batch_code=f"CD20261120-{i + 1:04d}", food=rng.choice(foods), site="城东综合市场",
                        stall=f"{'ABCD'[i % 4]}-{i % 12 + 1:02d}", sampled_at=at(day, 7 + i // 20, (i * 3) % 60),
                        sampled_by="李娜") for i in range(count)]


def event_summary() -> EventSummary:
    """A rural banquet with nine batches, all negative except one suspect retest."""
    day = date(2026, 11, 8)
    batches = []
    menu = (
        ("青菜", "萧山蔬菜专业合作社", "杭州萧山", [("有机磷和氨基甲酸酯类农药", "negative", Decimal("8.6"), None, "%")]),
        ("猪肉", "嘉兴生猪屠宰场", "嘉兴", [("克伦特罗", "negative", None, "阴性", "μg/kg"),
                                          ("莱克多巴胺", "negative", None, "阴性", "μg/kg"),
                                          ("沙丁胺醇", "negative", None, "阴性", "μg/kg")]),
        ("草鱼", "湖州南浔水产养殖场", "湖州南浔", [("孔雀石绿", "negative", None, "阴性", "μg/kg"),
                                                ("硝基呋喃类代谢物", "suspect", None, "可疑", "μg/kg")]),
        ("基围虾", "舟山海鲜冷链有限公司", "舟山", [("甲醛", "negative", None, "未检出", "mg/kg")]),
        ("卤牛肉", "金华火腿食品厂", "金华", [("亚硝酸盐", "negative", Decimal("6.2"), None, "mg/kg")]),
        ("腐竹", "绍兴干货批发行", "绍兴柯桥", [("吊白块", "negative", None, "未检出", None)]),
        ("黄瓜", "临平蔬菜批发部", "杭州临平", [("有机磷和氨基甲酸酯类农药", "negative", Decimal("11.3"), None, "%")]),
        ("鸡肉", "德清水产专业合作社", "湖州德清", [("恩诺沙星", "negative", None, "阴性", "μg/kg")]),
        ("银耳", "绍兴干货批发行", "绍兴柯桥", [("二氧化硫", "negative", Decimal("0.05"), None, "g/kg")]),
    )
    for i, (food, supplier, origin, tests) in enumerate(menu):
        batches.append(EventBatch(
            code=f"JY20261108-{i + 1:03d}", food=food, supplier=supplier, origin=origin,
            quantity_kg=Decimal(str(5 + i * 2.5)), sampled_at=at(day, 7, 10 + i * 4), venue="李家村文化礼堂厨房",
            results=tuple(ItemResult(item=a, outcome=o, value=v, value_text=t, unit=u) for a, o, v, t, u in tests),
            handling="暂停使用，已复测" if any(o != "negative" for _, o, _, _, _ in tests) else None))
    return EventSummary(
        issuer=Issuer(name="杭州市上城区市场监督管理局", unit="快检车1号"),
        name="李家村王氏婚宴", kind="banquet", starts_on=day, ends_on=None, host="王建华（东家）",
        organiser="李家村农村家宴中心", venues=("李家村文化礼堂",), people_served=320, tables=32,
        batches=tuple(batches), report_no="JY-2026-11-008", generated_at=at(day, 11, 30))


# --------------------------------------------------------------------------- Excel export rows


def export_rows(count: int | None = None, seed: int = 5) -> Iterator[ResultExportRow]:
    """Result export rows generated lazily (``count`` rows; None: one month of sample tests)."""
    rng = random.Random(seed)
    records: Iterator[TestRecord]
    if count is None:
        records = iter(generate_tests(2026, 11, seed))
    else:
        records = _cycle_tests(count, seed)
    for i, r in enumerate(records):
        yield ResultExportRow(
            batch_code=r.batch, sampled_at=r.day - timedelta(minutes=40), sampled_by="李娜", site=r.site,
            site_kind=r.site_kind, district=DISTRICT, stall=r.stall, operator=r.operator, food=r.food,
            category_l1=r.category, category_l2=r.category_l2, supplier=r.supplier, origin=r.origin,
            quantity_kg=r.quantity, item_code=r.item.code, item_name=r.item.name, method=r.item.method,
            principle=r.item.principle, reagent_lot=f"{r.item.code}-2611", reagent_maker="杭州绿洁科技",
            instrument="LK-12 (SN 2301)", station=r.station, channel=str(i % 12 + 1), value=r.value,
            value_text=r.value_text, unit=r.item.unit or None, cutoff=r.item.cutoff, outcome=r.outcome,
            instrument_outcome=r.outcome if rng.random() > 0.01 else "negative",
            disagrees=False, tested_at=r.day, tester=r.tester, reviewed_at=r.day + timedelta(minutes=35),
            reviewer=r.reviewer, version=1,
            disposition_status="disposed" if r.outcome == "positive" else None)


def _cycle_tests(count: int, seed: int) -> Iterator[TestRecord]:
    month = generate_tests(2026, 11, seed, scale=0.2)
    for i in range(count):
        yield month[i % len(month)]
