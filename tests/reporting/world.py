"""A district built by hand for the reporting tests: every figure the reports state can be
counted from this file alone (the expected numbers in the tests are written out as
literals, counted from the tables below, never computed by the code under test).

Report month: November 2026 (local, Asia/Shanghai = UTC+8), i.e. 2026-10-31 16:00 UTC to
2026-11-30 16:00 UTC. Previous month: October 2026. The clock is frozen at NOW =
2026-12-02 02:00 UTC (2026-12-02 10:00 local), as when the November report is printed.

Sites (code, name, planned batches/month) and what they get in November:

==== ================ ======= ===================================================================
SA   城东农贸市场       10      a1 CLB+ (banned; stop_sale 20, destroy 15, harmless 5 kg: disposed);
                              a1 also RAC−, SAL−; a2 RAC+ (banned) released after lab negative;
                              a3 CLB v1+ superseded by v2−; a4 OPC− on Nov 1 01:00 local
                              (= 2026-10-31 17:00 UTC); a5 PCM suspect; a6 OPC invalid; a7 OMT+
                              confirmed by the lab (due after NOW); a8 CPF+ objection pending;
                              a9 OPC− NOT reviewed (on screens, not in printed reports);
                              a10 OPC− at Nov 30 23:59:59 local;
                              o3 sampled Oct 31 23:10 local, tested Nov 1 01:30 local (OPC−);
                              x1 sampled and tested Dec 1 local (not November).
                              → red, banned: 克伦特罗 (not 莱克多巴胺: released)
SB   城西农贸市场       30      b1 OPC+ 71.0 % (stored "stopped", window passed; open, overdue 14.5 h);
                              b2 OPC+ 55.0 % (instrument printed 54.8) disposed 5.5 h late;
                              65 OPC− (35 on Nov 16 at B02, 30 on Nov 17 at B01)
                              → 2/67 = 2.985 % ≤ 3 → orange, 2 overdue. The market manager's site.
SC   城南农贸市场       40      c1 NO2+ 45.2 mg/kg returned (3 kg); 39 NO2− → 1/40 = 2.5 % → yellow
SD   城北农贸市场       70      d1 ENR+ harmless 2 kg; 69 ENR−: D01 20 batches (red list), D02 19,
                              D03 30 + d1 → 1/70 = 1.43 % → blue
SE   城中超市           5       5 H2O2− → green (5 of 5); stall E01 had H2O2+ on 2026-09-01 local
                              (exactly 90 days before Nov 30: outside the black list window) and
                              on 2026-10-20 → one positive in 90 days, not black-listed
SF   镇东农贸市场       10      3 OPC− (one food is a formula) → below plan, no colour (3 of 10)
SH   镇南农贸市场       20      h1 SO2+ open, due 2026-11-28 13:30 local → 92.5 h overdue; 19 SO2−
                              → 1/20 = 5.00 % (not above 5) → red, overdue > 48 h
SI   家宴服务中心       —       event 张家婚宴 (Nov 15, 200 people, venue 张家大院): e1 ENR−
                              (no category), e2 H2O2+ destroyed 1.5 kg, e3 registered, untested
                              → 1/2 = 50 % → red, rate
SJ   老菜场(停用)       5       inactive, nothing → not rated
SK   农村家宴中心       —       nothing, no plan → not rated
SL   新建市场           8       nothing → no colour, 0 of 8
==== ================ ======= ===================================================================

October (previous month): o1 CLB+ at SA/A01 (Oct 10, destroy 10 kg, disposed),
o2 OPC− at SA (Oct 31 23:59 local), o3's batch (sampled Oct 31 23:10 local), ob1 OPC− at SB,
ob2 PCM suspect at SB, oe1 H2O2+ at SE/E01 (Oct 20, destroy 4 kg, disposed).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = date(2026, 11, 1)
PREVIOUS = date(2026, 10, 1)
FORMULA_FOOD = '=HYPERLINK("http://e.vil","x")'


def loc(y, m, d, h=0, mi=0, s=0) -> datetime:
    """A local (Asia/Shanghai) wall time as an aware UTC datetime."""
    return datetime(y, m, d, h, mi, s, tzinfo=SHANGHAI).astimezone(timezone.utc)


def utc(y, m, d, h=0, mi=0, s=0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=timezone.utc)


NOW = utc(2026, 12, 2, 2, 0)
D = Decimal

_codes = itertools.count(1)


@dataclass
class World:
    sites: dict = field(default_factory=dict)
    stalls: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    stations: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    event: object = None


class Builder:
    """Thin helpers over the models; every value is given by the caller."""

    def __init__(self, db, tech, reviewer):
        from lims.reference.services import get_category, get_item

        self.db = db
        self.tech, self.reviewer = tech, reviewer
        self._item, self._cat = get_item, get_category
        self.items = {}

    def item(self, code):
        if code not in self.items:
            self.items[code] = self._item(code)
        return self.items[code]

    def site(self, code, name, planned=None, kind="market", district="上城区", active=True, phone=None):
        from lims.models import Site

        s = Site(code=code, name=name, kind=kind, district=district, planned_monthly_batches=planned,
                 active=active, phone=phone)
        self.db.session.add(s)
        return s

    def stall(self, site, code, operator, public_code=None):
        from lims.models import Stall

        s = Stall(site=site, code=code, operator=operator, public_code=public_code or f"p{next(_codes):07d}x")
        self.db.session.add(s)
        return s

    def batch(self, site, food, sampled_at, *, stall=None, category=None, code=None, quantity=None,
              supplier=None, event=None, station=None, status="passed", verdict="negative", origin=None):
        from lims.models import Batch

        b = Batch(code=code or f"{site.code}-{next(_codes):05d}", site=site, stall=stall, food=food,
                  category=self._cat(category) if category else None, sampled_at=sampled_at,
                  quantity_kg=quantity, supplier=supplier, event=event, station=station, status=status,
                  verdict=verdict, origin=origin, sampled_by=self.tech)
        self.db.session.add(b)
        return b

    def result(self, batch, item_code, outcome, tested_at, *, reviewed=True, current=True, version=1,
               supersedes=None, correction_reason=None, station=None, tc=None, computed=None, value=None,
               value_text=None, unit=None, control_delta=None):
        from lims.models import Result

        item = self.item(item_code)
        kw = {}
        if item.rule == "gold":
            kw = dict(c_line=D("1.0"), t_line=tc, tc_ratio=tc, reading_mode="ratio", cutoff=item.a,
                      unit=unit or item.unit, value=value)
        elif item.rule == "inhibition":
            control = control_delta if control_delta is not None else D("0.5")
            kw = dict(control_delta=control, computed_value=computed, value=value if value is not None else computed,
                      unit="%", cutoff=item.cutoff,
                      sample_delta=(control * (1 - computed / 100)).quantize(D("0.0001")) if computed is not None
                      else None)
        elif item.rule == "limit":
            kw = dict(value=value, unit=unit or item.unit, cutoff=item.limit_value)
        else:  # presence
            kw = dict(value=value, value_text=value_text, unit=unit or item.unit,
                      qualitative="positive" if outcome == "positive" else "negative")
        vt = kw.pop("value_text", value_text)
        if batch.site_id is None:
            self.db.session.flush()  # the batch's site id, which the result carries
        r = Result(batch=batch, site_id=batch.site_id, item=item, outcome=outcome, tested_at=tested_at, version=version, current=current,
                   supersedes=supersedes, correction_reason=correction_reason, station=station,
                   method=item.method, tested_by=self.tech, value_text=vt,
                   reviewed_at=tested_at + timedelta(minutes=20) if reviewed else None,
                   reviewed_by=self.reviewer if reviewed else None, **kw)
        self.db.session.add(r)
        return r

    def disposition(self, batch, result, status, notified_at, *, closed_at=None, due_at="auto", deadline="auto"):
        """A disposition opened 5 minutes after the positive test; the objection window
        closes 4 h after ``notified_at``, disposal is due 24 h after that (unless given)."""
        from lims.models import Disposition

        dl = notified_at + timedelta(hours=4) if deadline == "auto" else deadline
        due = dl + timedelta(hours=24) if due_at == "auto" else due_at
        d = Disposition(batch=batch, result=result, status=status, opened_at=result.tested_at + timedelta(minutes=5),
                        notified_at=notified_at, notified_person="经营者本人", objection_deadline=dl,
                        disposal_due_at=due, closed_at=closed_at)
        self.db.session.add(d)
        return d

    def action(self, disposition, action, kg, done_at, **kw):
        from lims.models import DisposalAction

        a = DisposalAction(disposition=disposition, action=action, quantity_kg=D(str(kg)), done_at=done_at,
                           done_by=kw.pop("done_by", "市场管理员"), supervisor=kw.pop("supervisor", "监管员"), **kw)
        self.db.session.add(a)
        return a

    def objection(self, disposition, requested_at, lab_outcome=None, lab_result_at=None, report_no=None):
        from lims.models import Objection

        o = Objection(disposition=disposition, requested_at=requested_at, lab="省食品检验研究院",
                      method="GB/T 22286-2008 液相色谱-串联质谱法", lab_outcome=lab_outcome,
                      lab_result_at=lab_result_at, lab_report_no=report_no, fee=D("300") if lab_outcome else None)
        self.db.session.add(o)
        return o

    def negatives(self, site, stall, n, day, item_code, food, category, *, station=None, batch_station=None,
                  first_food=None, **reading):
        """``n`` negative batches with one reviewed negative result each, sampled on local
        ``day`` from 08:00 and tested from 10:00, one minute apart."""
        y, m, d = day
        out = []
        for i in range(n):
            b = self.batch(site, first_food if (first_food and i == 0) else food, loc(y, m, d, 8, i), stall=stall,
                           category=category, station=batch_station)
            out.append(self.result(b, item_code, "negative", loc(y, m, d, 10, i), station=station, **reading))
        return out


def build_world(db, make_user) -> World:
    from lims.models import Event, EventVenue, Station, Supplier

    w = World()
    tech = make_user("technician", display_name="检测员甲")
    reviewer = make_user("reviewer", display_name="审核员乙")
    w.users.update(tech=tech, reviewer=reviewer)
    B = Builder(db, tech, reviewer)

    # --- sites, stalls, stations, suppliers -------------------------------------------
    S = w.sites
    S["SA"] = B.site("SA", "城东农贸市场", 10)
    S["SB"] = B.site("SB", "城西农贸市场", 30)
    S["SC"] = B.site("SC", "城南农贸市场", 40)
    S["SD"] = B.site("SD", "城北农贸市场", 70)
    S["SE"] = B.site("SE", "城中超市", 5, kind="supermarket")
    S["SF"] = B.site("SF", "镇东农贸市场", 10)
    S["SH"] = B.site("SH", "镇南农贸市场", 20)
    S["SI"] = B.site("SI", "家宴服务中心", None, kind="banquet")
    S["SJ"] = B.site("SJ", "老菜场", 5, active=False)
    S["SK"] = B.site("SK", "农村家宴中心", None, kind="banquet")
    S["SL"] = B.site("SL", "新建市场", 8)

    T = w.stalls
    T["A01"] = B.stall(S["SA"], "A01", "王丽")
    T["A02"] = B.stall(S["SA"], "A02", "欧阳娜娜")
    T["B01"] = B.stall(S["SB"], "B01", "李四")
    T["B02"] = B.stall(S["SB"], "B02", "赵五六")
    T["C01"] = B.stall(S["SC"], "C01", "孙七")
    T["D01"] = B.stall(S["SD"], "D01", "吴九")
    T["D02"] = B.stall(S["SD"], "D02", "郑十")
    T["D03"] = B.stall(S["SD"], "D03", "周八")
    T["E01"] = B.stall(S["SE"], "E01", "钱十一")
    T["F01"] = B.stall(S["SF"], "F01", "陈一")
    T["H01"] = B.stall(S["SH"], "H01", "冯十二")

    st1 = Station(code="ST1", name="城东快检室", kind="room", site=S["SA"], organisation="上城区市场监督管理局")
    st2 = Station(code="ST2", name="快检车1号", kind="van", organisation="上城区市场监督管理局")
    db.session.add_all([st1, st2])
    w.stations.update(ST1=st1, ST2=st2)
    pork_supplier = Supplier(name="鑫源肉业")
    cured_supplier = Supplier(name="老字号腊味")
    db.session.add_all([pork_supplier, cured_supplier])

    Bt, R = w.batches, w.results

    # --- SA: 城东农贸市场 (results on ST1, batches registered by ST2: the result's station wins)
    sa, a01, a02 = S["SA"], T["A01"], T["A02"]
    Bt["a1"] = B.batch(sa, "猪肉", loc(2026, 11, 3, 8), stall=a01, category="MEAT-LIVESTOCK", quantity=D("20"),
                       supplier=pork_supplier, station=st2, status="disposed", verdict="positive", code="SA-A1")
    R["a1"] = B.result(Bt["a1"], "CLB", "positive", loc(2026, 11, 3, 9), station=st1, tc=D("0.21"))
    R["a1_rac"] = B.result(Bt["a1"], "RAC", "negative", loc(2026, 11, 3, 9), station=st1, tc=D("1.10"))
    R["a1_sal"] = B.result(Bt["a1"], "SAL", "negative", loc(2026, 11, 3, 9), station=st1, tc=D("1.05"))
    d = B.disposition(Bt["a1"], R["a1"], "disposed", loc(2026, 11, 3, 9, 30), closed_at=loc(2026, 11, 4, 10, 5))
    B.action(d, "stop_sale", 20, loc(2026, 11, 3, 9, 40))
    B.action(d, "destroy", 15, loc(2026, 11, 4, 9, 0), method="焚烧", place="无害化处理厂")
    B.action(d, "harmless", 5, loc(2026, 11, 4, 10, 0), method="化制")

    Bt["a2"] = B.batch(sa, "牛肉", loc(2026, 11, 6, 8), stall=a01, category="MEAT-LIVESTOCK", quantity=D("10"),
                       station=st2, status="released", verdict="negative", code="SA-A2")
    R["a2"] = B.result(Bt["a2"], "RAC", "positive", loc(2026, 11, 6, 9), station=st1, tc=D("0.35"))
    d = B.disposition(Bt["a2"], R["a2"], "released", loc(2026, 11, 6, 9, 30), closed_at=loc(2026, 11, 8, 10, 5),
                      due_at=None)
    B.objection(d, loc(2026, 11, 6, 11), "negative", loc(2026, 11, 8, 10), "LAB-2026-001")

    Bt["a3"] = B.batch(sa, "猪肝", loc(2026, 11, 10, 8), stall=a02, category="MEAT-OFFAL", quantity=D("5"),
                       station=st2, code="SA-A3")
    R["a3_v1"] = B.result(Bt["a3"], "CLB", "positive", loc(2026, 11, 10, 9), station=st1, tc=D("0.30"),
                          current=False)
    R["a3"] = B.result(Bt["a3"], "CLB", "negative", loc(2026, 11, 10, 9), station=st1, tc=D("0.95"),
                       version=2, supersedes=R["a3_v1"], correction_reason="T 线读数录入错误")

    # the month's first local hour: 2026-10-31 17:00 UTC is 2026-11-01 01:00 in Shanghai
    Bt["a4"] = B.batch(sa, "青菜", utc(2026, 10, 31, 16, 30), stall=a02, category="VEG-LEAF", station=st2,
                       code="SA-A4")
    R["a4"] = B.result(Bt["a4"], "OPC", "negative", utc(2026, 10, 31, 17, 0), station=st1, computed=D("12.0"))

    Bt["a5"] = B.batch(sa, "韭菜", loc(2026, 11, 12, 8), stall=a02, category="VEG-BULB", station=st2,
                       status="retest", verdict="suspect", code="SA-A5")
    R["a5"] = B.result(Bt["a5"], "PCM", "suspect", loc(2026, 11, 12, 9), station=st1, tc=D("0.65"))
    Bt["a6"] = B.batch(sa, "白菜", loc(2026, 11, 12, 8, 5), stall=a02, category="VEG-BRASS", station=st2,
                       status="retest", verdict="invalid", code="SA-A6")
    R["a6"] = B.result(Bt["a6"], "OPC", "invalid", loc(2026, 11, 12, 9, 10), station=st1, computed=None,
                       control_delta=D("0.2"))

    Bt["a7"] = B.batch(sa, "豇豆", loc(2026, 11, 15, 8), stall=a02, category="VEG-LEG", quantity=D("8"),
                       station=st2, status="confirmed", verdict="positive", code="SA-A7")
    R["a7"] = B.result(Bt["a7"], "OMT", "positive", loc(2026, 11, 15, 9), station=st1, tc=D("0.30"))
    d = B.disposition(Bt["a7"], R["a7"], "confirmed", loc(2026, 11, 15, 9, 30),
                      due_at=loc(2026, 12, 2, 12, 0))  # lab result Dec 1 12:00 local + 24 h: after NOW
    B.objection(d, loc(2026, 11, 15, 10), "positive", loc(2026, 12, 1, 12), "LAB-2026-002")

    Bt["a8"] = B.batch(sa, "芹菜", loc(2026, 11, 20, 8), stall=a02, category="VEG-STEM", quantity=D("6"),
                       station=st2, status="disputed", verdict="positive", code="SA-A8")
    R["a8"] = B.result(Bt["a8"], "CPF", "positive", loc(2026, 11, 20, 9), station=st1, tc=D("0.40"))
    d = B.disposition(Bt["a8"], R["a8"], "disputed", loc(2026, 11, 20, 9, 30), due_at=None)
    B.objection(d, loc(2026, 11, 20, 11))

    Bt["a9"] = B.batch(sa, "菠菜", loc(2026, 11, 25, 8), stall=a02, category="VEG-LEAF", station=st2,
                       status="testing", verdict=None, code="SA-A9")
    R["a9"] = B.result(Bt["a9"], "OPC", "negative", loc(2026, 11, 25, 9), station=st1, computed=D("8.0"),
                       reviewed=False)

    # the month's last second: 2026-11-30 15:59:59 UTC is 23:59:59 local
    Bt["a10"] = B.batch(sa, "油麦菜", utc(2026, 11, 30, 15, 0), stall=a02, category="VEG-LEAF", station=st2,
                        code="SA-A10")
    R["a10"] = B.result(Bt["a10"], "OPC", "negative", utc(2026, 11, 30, 15, 59, 59), station=st1,
                        computed=D("10.0"))
    # sampled in October (local), tested in November (local)
    Bt["o3"] = B.batch(sa, "生菜", utc(2026, 10, 31, 15, 10), stall=a02, category="VEG-LEAF", station=st2,
                       code="SA-O3")
    R["o3"] = B.result(Bt["o3"], "OPC", "negative", utc(2026, 10, 31, 17, 30), station=st1, computed=D("9.0"))
    # December (local) from its first second: 2026-11-30 16:00 UTC
    Bt["x1"] = B.batch(sa, "空心菜", utc(2026, 11, 30, 16, 10), stall=a02, category="VEG-LEAF", station=st2,
                       code="SA-X1")
    R["x1"] = B.result(Bt["x1"], "OPC", "negative", utc(2026, 11, 30, 16, 20), station=st1, computed=D("7.0"))
    Bt["x0"] = B.batch(sa, "茼蒿", utc(2026, 11, 30, 15, 20), stall=a02, category="VEG-LEAF", station=st2,
                       code="SA-X0")  # sampled Nov 30 23:20 local ...
    R["x0"] = B.result(Bt["x0"], "OPC", "negative", utc(2026, 11, 30, 16, 0, 0), station=st1,
                       computed=D("6.0"))  # ... tested Dec 1 00:00:00 local: December

    # --- SA in October
    Bt["o1"] = B.batch(sa, "羊肉", loc(2026, 10, 10, 8), stall=a01, category="MEAT-LIVESTOCK", quantity=D("10"),
                       station=st2, status="disposed", verdict="positive", code="SA-O1")
    R["o1"] = B.result(Bt["o1"], "CLB", "positive", loc(2026, 10, 10, 9), station=st1, tc=D("0.18"))
    d = B.disposition(Bt["o1"], R["o1"], "disposed", loc(2026, 10, 10, 9, 30), closed_at=loc(2026, 10, 11, 9, 5))
    B.action(d, "destroy", 10, loc(2026, 10, 11, 9))
    Bt["o2"] = B.batch(sa, "芥菜", utc(2026, 10, 31, 15, 0), stall=a02, category="VEG-LEAF", station=st2,
                       code="SA-O2")
    R["o2"] = B.result(Bt["o2"], "OPC", "negative", utc(2026, 10, 31, 15, 59), station=st1, computed=D("11.0"))

    # --- SB: 城西农贸市场 (no station on the results: the batch's station ST2 counts)
    sb, b01, b02 = S["SB"], T["B01"], T["B02"]
    Bt["b1"] = B.batch(sb, "黄瓜", loc(2026, 11, 30, 14), stall=b01, category="VEG-CUC", quantity=D("12"),
                       station=st2, status="stopped", verdict="positive", code="SB-B1")
    R["b1"] = B.result(Bt["b1"], "OPC", "positive", loc(2026, 11, 30, 15), computed=D("71.0"))
    # stored "stopped": the window closed at 19:30 unused, so it reads "confirmed"; due 2026-12-01 19:30
    # local = 11:30 UTC, 14.5 h before NOW
    B.disposition(Bt["b1"], R["b1"], "stopped", loc(2026, 11, 30, 15, 30))
    Bt["b2"] = B.batch(sb, "西红柿", loc(2026, 11, 9, 8), stall=b02, category="VEG-SOLAN", quantity=D("8"),
                       station=st2, status="disposed", verdict="positive", code="SB-B2")
    R["b2"] = B.result(Bt["b2"], "OPC", "positive", loc(2026, 11, 9, 9), computed=D("55.0"), value=D("54.8"))
    # due 2026-11-10 13:30 local, closed 19:00: 5.5 h late
    d = B.disposition(Bt["b2"], R["b2"], "disposed", loc(2026, 11, 9, 9, 30), closed_at=loc(2026, 11, 10, 19))
    B.action(d, "destroy", 8, loc(2026, 11, 10, 17))
    B.negatives(sb, b02, 35, (2026, 11, 16), "OPC", "青菜", "VEG-LEAF", batch_station=st2, computed=D("5.0"))
    B.negatives(sb, b01, 30, (2026, 11, 17), "OPC", "青菜", "VEG-LEAF", batch_station=st2, computed=D("6.0"))
    # October at SB
    Bt["ob1"] = B.batch(sb, "青菜", loc(2026, 10, 15, 8), stall=b01, category="VEG-LEAF", station=st2, code="SB-OB1")
    R["ob1"] = B.result(Bt["ob1"], "OPC", "negative", loc(2026, 10, 15, 9), computed=D("4.0"))
    Bt["ob2"] = B.batch(sb, "韭菜", loc(2026, 10, 16, 8), stall=b02, category="VEG-BULB", station=st2,
                        status="retest", verdict="suspect", code="SB-OB2")
    R["ob2"] = B.result(Bt["ob2"], "PCM", "suspect", loc(2026, 10, 16, 9), tc=D("0.7"))

    # --- SC: 城南农贸市场
    sc, c01 = S["SC"], T["C01"]
    Bt["c1"] = B.batch(sc, "腊肉", loc(2026, 11, 18, 8), stall=c01, category="COOK", quantity=D("3"),
                       supplier=cured_supplier, status="disposed", verdict="positive", code="SC-C1")
    R["c1"] = B.result(Bt["c1"], "NO2", "positive", loc(2026, 11, 18, 9), value=D("45.2"))
    d = B.disposition(Bt["c1"], R["c1"], "disposed", loc(2026, 11, 18, 9, 30), closed_at=loc(2026, 11, 18, 14, 5))
    B.action(d, "return", 3, loc(2026, 11, 18, 14))
    B.negatives(sc, c01, 39, (2026, 11, 19), "NO2", "腊肠", "COOK", value=D("5.0"))

    # --- SD: 城北农贸市场 (results on ST2, batches without a station)
    sd = S["SD"]
    Bt["d1"] = B.batch(sd, "草鱼", loc(2026, 11, 21, 8), stall=T["D03"], category="AQU-FWFISH", quantity=D("2"),
                       status="disposed", verdict="positive", code="SD-D1")
    R["d1"] = B.result(Bt["d1"], "ENR", "positive", loc(2026, 11, 21, 9), station=st2, tc=D("0.30"))
    d = B.disposition(Bt["d1"], R["d1"], "disposed", loc(2026, 11, 21, 9, 30), closed_at=loc(2026, 11, 21, 15, 5))
    B.action(d, "harmless", 2, loc(2026, 11, 21, 15))
    B.negatives(sd, T["D01"], 20, (2026, 11, 23), "ENR", "鲫鱼", "AQU-FWFISH", station=st2, tc=D("1.2"))
    B.negatives(sd, T["D02"], 19, (2026, 11, 24), "ENR", "鲫鱼", "AQU-FWFISH", station=st2, tc=D("1.2"))
    B.negatives(sd, T["D03"], 30, (2026, 11, 25), "ENR", "鲫鱼", "AQU-FWFISH", station=st2, tc=D("1.2"))

    # --- SE: 城中超市
    se, e01 = S["SE"], T["E01"]
    B.negatives(se, e01, 5, (2026, 11, 26), "H2O2", "鸡爪", "MEAT-OFFAL", value_text="未检出")
    Bt["se_sep"] = B.batch(se, "鸡爪", loc(2026, 9, 1, 8), stall=e01, category="MEAT-OFFAL", quantity=D("4"),
                           status="disposed", verdict="positive", code="SE-SEP")
    R["se_sep"] = B.result(Bt["se_sep"], "H2O2", "positive", loc(2026, 9, 1, 9), value_text="检出")
    d = B.disposition(Bt["se_sep"], R["se_sep"], "disposed", loc(2026, 9, 1, 9, 30), closed_at=loc(2026, 9, 1, 15))
    B.action(d, "destroy", 4, loc(2026, 9, 1, 14, 50))
    Bt["oe1"] = B.batch(se, "鸡爪", loc(2026, 10, 20, 8), stall=e01, category="MEAT-OFFAL", quantity=D("4"),
                        status="disposed", verdict="positive", code="SE-OE1")
    R["oe1"] = B.result(Bt["oe1"], "H2O2", "positive", loc(2026, 10, 20, 9), value_text="检出")
    d = B.disposition(Bt["oe1"], R["oe1"], "disposed", loc(2026, 10, 20, 9, 30), closed_at=loc(2026, 10, 20, 15))
    B.action(d, "destroy", 4, loc(2026, 10, 20, 14, 50))

    # --- SF: 镇东农贸市场 (below plan); the first food is a spreadsheet formula
    B.negatives(S["SF"], T["F01"], 3, (2026, 11, 27), "OPC", "青菜", "VEG-LEAF", computed=D("3.0"),
                first_food=FORMULA_FOOD)

    # --- SH: 镇南农贸市场
    sh, h01 = S["SH"], T["H01"]
    B.negatives(sh, h01, 19, (2026, 11, 26), "SO2", "银耳", "DRY-DRIED", value=D("0.05"))
    Bt["h1"] = B.batch(sh, "银耳", loc(2026, 11, 27, 8), stall=h01, category="DRY-DRIED", quantity=D("5"),
                       status="confirmed", verdict="positive", code="SH-H1")
    R["h1"] = B.result(Bt["h1"], "SO2", "positive", loc(2026, 11, 27, 9), value=D("0.35"))
    # due 2026-11-28 13:30 local = 05:30 UTC; NOW is 2026-12-02 02:00 UTC → 92.5 h overdue
    B.disposition(Bt["h1"], R["h1"], "confirmed", loc(2026, 11, 27, 9, 30))

    # --- SI: the banquet
    si = S["SI"]
    ev = Event(code="EV-2611-01", kind="banquet", name="张家婚宴", organiser="张家", people=200, tables=20,
               starts_on=date(2026, 11, 15), ends_on=date(2026, 11, 15), site=si)
    ev.venues.append(EventVenue(name="张家大院"))
    old_ev = Event(code="EV-2610-01", kind="major_event", name="国庆保障", starts_on=date(2026, 10, 1),
                   ends_on=date(2026, 10, 7), site=S["SA"])
    db.session.add_all([ev, old_ev])
    w.event = ev
    Bt["e1"] = B.batch(si, "土鸡", loc(2026, 11, 15, 7), event=ev, code="SI-E1")
    R["e1"] = B.result(Bt["e1"], "ENR", "negative", loc(2026, 11, 15, 8), tc=D("1.1"))
    Bt["e2"] = B.batch(si, "凉拌海蜇", loc(2026, 11, 15, 7, 10), event=ev, category="AQU-OTHER", quantity=D("1.5"),
                       status="disposed", verdict="positive", code="SI-E2")
    R["e2"] = B.result(Bt["e2"], "H2O2", "positive", loc(2026, 11, 15, 8, 30), value_text="检出")
    d = B.disposition(Bt["e2"], R["e2"], "disposed", loc(2026, 11, 15, 8, 35), closed_at=loc(2026, 11, 15, 13, 5))
    B.action(d, "destroy", "1.5", loc(2026, 11, 15, 13))
    Bt["e3"] = B.batch(si, "米酒", loc(2026, 11, 15, 9), event=ev, status="registered", verdict=None, code="SI-E3")

    db.session.flush()
    return w
