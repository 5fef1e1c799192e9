"""`lims demo`: build a believable district — markets with stalls and operators, suppliers
with origins, stations and instruments, reagent lots, a school canteen, rural banquets and
a major event, months of daily sampling rounds with realistic foods, about 1–2 % positives,
and dispositions in every state.

Ordinary batches are written in bulk (judged by the same rules as everything else, with
their audit entries); positives go through the real services, step by step, at the
times they happened, so their dispositions and timelines are exactly what users produce."""
from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from lims.accounts.access import Actor
from lims.audit.services import record_many
from lims.batches.services import BatchInput, default_tests, food_category, register_batch
from lims.database import utcnow
from lims.demo import district as D
from lims.demo.codes import DemoCodes
from lims.demo.photos import disposal_photo
from lims.demo.plan import FORCED, plan_day
from lims.dispositions import services as dispositions
from lims.dispositions.photos import add_photo
from lims.extensions import db
from lims.models import (Batch, Event, EventVenue, Instrument, ReagentLot, Result, Round, Site, Stall, Station,
                         Supplier, TestItem, User, batch_tests)
from lims.reference.services import decision_rule_for
from lims.results.services import ResultInput, needs_confirmation, record_result, review
from lims.rules.batch_status import batch_status, effective_outcomes, verdict_for
from lims.rules.judging import Signals, judge

Q3 = Decimal("0.001")


def has_data() -> bool:
    return db.session.execute(sa.select(Batch.id).limit(1)).first() is not None


@dataclass
class Cast:
    sites: dict
    stalls: dict  # site code → list[(Stall, trade)]
    suppliers: dict  # trade → list[Supplier]
    stations: dict
    users: dict
    lots: dict  # item code → list[ReagentLot]
    items: dict
    instruments: dict  # station code → Instrument


class DemoBuilder:
    def __init__(self, months: int, seed: int, progress=None):
        self.rng = random.Random(seed)
        self.plan_rng = random.Random(f"demo-plan-{seed}")  # the same stream as lims.demo.plan.plan
        # The neighbouring districts draw from streams of their own: the home district comes
        # out the same with or without them.
        self.other_rng = random.Random(f"demo-others-{seed}")
        self.other_plan_rng = random.Random(f"demo-others-plan-{seed}")
        self.codes = DemoCodes(self.rng)
        self.months = months
        self.progress = progress or (lambda msg: None)
        self.zone = ZoneInfo(current_app.config["TIMEZONE"])
        self.now = utcnow()
        self.today = self.now.astimezone(self.zone).date()
        self.system = Actor(user=None, ip="demo")
        self.counts = {"batches": 0, "results": 0, "positives": 0}
        self._rules = {}
        self._screens = {}

    # --- helpers ------------------------------------------------------------------------

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(timezone.utc)

    @contextmanager
    def stream(self, rng: random.Random):
        """Draw from ``rng`` (names, foods, readings, codes) for a while."""
        saved = self.rng
        self.rng = self.codes.rng = rng
        try:
            yield
        finally:
            self.rng = self.codes.rng = saved

    def reviewers(self, site_code: str) -> list[str]:
        return D.REVIEWERS[D.site_district(site_code)]

    def actor(self, username: str) -> Actor:
        return Actor(user=self.cast.users[username], ip="demo")

    def name(self) -> str:
        return self.rng.choice(D.SURNAMES) + self.rng.choice(D.GIVEN)

    # --- the cast ---------------------------------------------------------------------

    def build_cast(self) -> Cast:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        pw = generate_password_hash(D.PASSWORD, method=method)
        sites, stalls = {}, {}
        for code, name, kind, address, trades, planned in D.SITES + [
                ("TYZX", "钱塘区体育中心", "event", "钱塘区文体路 1 号", {}, None)]:
            site = Site(code=code, name=name, kind=kind, district="钱塘区", address=address, phone="0571-86001234",
                        planned_monthly_batches=planned)
            db.session.add(site)
            sites[code] = site
        db.session.flush()
        used = set()
        for code, _name, kind, _addr, trades, _planned in D.SITES:
            if kind in ("canteen", "banquet"):
                continue
            rows = []
            letters = iter("ABCDEFGH")
            for trade, count in trades.items():
                letter = next(letters)
                for i in range(1, count + 1):
                    stall = Stall(site_id=sites[code].id, code=f"{letter}-{i:02d}", operator=self.name(),
                                  phone=f"13{self.rng.randint(100000000, 999999999)}",
                                  licence=f"92330{self.rng.randint(10**12, 10**13 - 1)}",
                                  public_code=self._public_code(used))
                    db.session.add(stall)
                    rows.append((stall, trade))
            stalls[code] = rows
        suppliers = {}
        by_name = {}
        for trade, rows in D.SUPPLIERS.items():
            suppliers[trade] = []
            for name, origin in rows:
                if name not in by_name:
                    by_name[name] = Supplier(name=name, address=origin, phone=f"0571-8{self.rng.randint(1000000, 9999999)}")
                    db.session.add(by_name[name])
                suppliers[trade].append(by_name[name])
        stations = {}
        for code, name, kind, site in D.STATIONS:
            stations[code] = Station(code=code, name=name, kind=kind, organisation=D.ORGANISATION,
                                     site_id=sites[site].id if site else None)
            db.session.add(stations[code])
        db.session.flush()
        instruments = {}
        for serial, model, maker, channels, station in D.INSTRUMENTS:
            inst = Instrument(serial=serial, model=model, maker=maker, channels=channels,
                              station_id=stations[station].id, last_verified_on=self.today - timedelta(days=120))
            db.session.add(inst)
            instruments.setdefault(station, inst)
        users = {}
        for username, display, role, site_codes in D.USERS:
            user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
            if user is None:
                user = User(username=username, display_name=display, role=role, password_hash=pw)
                user.sites = [sites[c] for c in site_codes]
                db.session.add(user)
            users[username] = user
        items = {i.code: i for i in db.session.execute(sa.select(TestItem)).scalars()}
        lots = {}
        start = self.today - timedelta(days=31 * self.months + 30)
        for code, item in items.items():
            lots[code] = []
            received = start
            n = 1
            while received <= self.today:
                lot = ReagentLot(item_id=item.id, lot=f"{code}-{received:%y%m}-{n:02d}", maker="杭州某生物科技有限公司",
                                 received_on=received, expires_on=received + timedelta(days=180))
                if item.rule == "gold":
                    lot.mode, lot.c_min, lot.a, lot.b = "ratio", Decimal("0.1"), Decimal("0.5"), Decimal("0.8")
                db.session.add(lot)
                lots[code].append(lot)
                received += timedelta(days=45)
                n += 1
        db.session.flush()
        self.cast = Cast(sites, stalls, suppliers, stations, users, lots, items, instruments)
        with self.stream(self.other_rng):
            self.build_neighbours(pw, used)
        self.build_tree()
        return self.cast

    def build_neighbours(self, pw: str, used: set) -> None:
        """The two neighbouring districts' markets, stalls, stations, instruments and people."""
        cast = self.cast
        names = dict((c, n) for c, n, *_rest in D.ORGANISATIONS)
        for code, name, kind, address, trades, planned, district in D.OTHER_SITES:
            cast.sites[code] = Site(code=code, name=name, kind=kind, district=names[district], address=address,
                                    phone="0571-8" + str(self.rng.randint(1000000, 9999999)),
                                    planned_monthly_batches=planned)
            db.session.add(cast.sites[code])
        db.session.flush()
        for code, _name, _kind, _addr, trades, _planned, _district in D.OTHER_SITES:
            rows = []
            for letter, (trade, count) in zip("ABCDEFGH", trades.items()):
                for i in range(1, count + 1):
                    stall = Stall(site_id=cast.sites[code].id, code=f"{letter}-{i:02d}", operator=self.name(),
                                  phone=f"13{self.rng.randint(100000000, 999999999)}",
                                  licence=f"92330{self.rng.randint(10**12, 10**13 - 1)}",
                                  public_code=self._public_code(used))
                    db.session.add(stall)
                    rows.append((stall, trade))
            cast.stalls[code] = rows
        org_names = {c: issuer for c, _n, _k, _p, issuer, _s in D.ORGANISATIONS}
        for code, name, kind, site, org in D.OTHER_STATIONS:
            cast.stations[code] = Station(code=code, name=name, kind=kind, organisation=org_names[org],
                                          site_id=cast.sites[site].id if site else None)
            db.session.add(cast.stations[code])
        db.session.flush()
        for serial, model, maker, channels, station in D.OTHER_INSTRUMENTS:
            inst = Instrument(serial=serial, model=model, maker=maker, channels=channels,
                              station_id=cast.stations[station].id, last_verified_on=self.today - timedelta(days=90))
            db.session.add(inst)
            cast.instruments.setdefault(station, inst)
        for username, display, role, site_codes in D.OTHER_USERS:
            user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
            if user is None:
                user = User(username=username, display_name=display, role=role, password_hash=pw)
                user.sites = [cast.sites[c] for c in site_codes]
                db.session.add(user)
            cast.users[username] = user
        db.session.flush()

    def build_tree(self) -> None:
        """The organisation tree (province → city → districts, each district's testing
        organisation), where sites and stations hang, which sites each station serves, and
        who is bound where: regulators to their node, technicians and reviewers to their
        stations; the administrator stays unbound (the deployment's)."""
        from lims.orgs.services import create_org

        cast = self.cast
        orgs = {}
        for code, name, kind, parent, issuer, seal in D.ORGANISATIONS:
            orgs[code] = create_org(self.system, code=code, name=name, kind=kind, parent=parent, issuer_name=issuer,
                                    seal_text=seal)
        for code, site in cast.sites.items():
            site.org_id = orgs[D.site_district(code)].id
        station_orgs = {code: org for code, *_rest, org in D.OTHER_STATIONS}
        served = D.station_sites()
        for code, station in cast.stations.items():
            station.org_id = orgs[station_orgs.get(code, "QT-KJZX")].id
            station.sites = [cast.sites[s] for s in served.get(code, ())]
        for username, stations in D.station_bindings().items():
            cast.users[username].stations = [cast.stations[s] for s in stations]
        for username, nodes in D.ORG_BINDINGS.items():
            cast.users[username].orgs = [orgs[n] for n in nodes]
        db.session.flush()

    def _public_code(self, used: set) -> str:
        alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
        while True:
            code = "".join(self.rng.choice(alphabet) for _ in range(10))
            if code not in used:
                used.add(code)
                return code

    def lot_for(self, code: str, day: date) -> ReagentLot | None:
        valid = [l for l in self.cast.lots.get(code, []) if l.received_on <= day <= l.expires_on]
        return valid[-1] if valid else None

    # --- readings ----------------------------------------------------------------------

    def rule(self, item, category, lot):
        key = (item.id, category.id if category else None, lot.id if lot else None)
        if key not in self._rules:
            self._rules[key] = decision_rule_for(item, category, lot, item.method)
        return self._rules[key]

    def reading(self, item, rule, outcome: str) -> dict:
        """Raw signals an instrument would give for the wanted outcome."""
        r = self.rng
        if rule.rule == "inhibition":
            if outcome == "invalid":
                a0 = Decimal(str(round(r.uniform(0.12, 0.26), 3)))
                return {"control_delta": a0, "sample_delta": (a0 * Decimal("0.8")).quantize(Q3),
                        "value": Decimal("20.0"), "instrument_word": "无效"}
            inh = r.uniform(52, 86) if outcome == "positive" else min(r.expovariate(1 / 14), 46)
            a0 = Decimal(str(round(r.uniform(0.45, 0.78), 3)))
            at = (a0 * Decimal(str(1 - inh / 100))).quantize(Q3)
            value = ((a0 - at) / a0 * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            return {"control_delta": a0, "sample_delta": at, "value": value, "unit": "%",
                    "instrument_word": "不合格" if outcome == "positive" else "合格"}
        if rule.rule == "gold":
            c = Decimal(str(round(r.uniform(0.9, 1.4), 3)))
            if outcome == "invalid":
                return {"c_line": Decimal("0.04"), "t_line": Decimal("0"), "tc_ratio": Decimal("0"),
                        "reading_mode": "ratio", "instrument_word": "无效"}
            ratio = {"positive": r.uniform(0.08, 0.42), "suspect": r.uniform(0.56, 0.76)}.get(outcome, r.uniform(0.84, 1.02))
            tc = Decimal(str(round(ratio, 3)))
            return {"c_line": c, "t_line": (c * tc).quantize(Q3), "tc_ratio": tc, "reading_mode": "ratio",
                    "instrument_word": {"positive": "阳性", "suspect": "可疑"}.get(outcome, "阴性")}
        if rule.rule == "limit":
            factor = r.uniform(1.2, 2.6) if outcome == "positive" else r.uniform(0.03, 0.75)
            value = (rule.limit_value * Decimal(str(factor))).quantize(Decimal("0.01") if rule.limit_value >= 1 else Q3)
            return {"value": value, "instrument_word": "不合格" if outcome == "positive" else "合格"}
        if outcome == "positive":
            return {"value": Decimal(str(round(r.uniform(5, 60), 1))), "instrument_word": "阳性"}
        return {"value_text": "未检出", "instrument_word": "阴性"}

    # --- ordinary batches in bulk --------------------------------------------------------

    def screens(self, food: str):
        """A food's category and default tests, looked up once a build (reference data does not
        change while the demo is written; thousands of batches ask the same few questions)."""
        if food not in self._screens:
            category = food_category(food)
            self._screens[food] = (category, default_tests(category))
        return self._screens[food]

    def pick(self, site_code: str):
        """A stall and a food it sells, with the usual supplier."""
        site = self.cast.sites[site_code]
        if site.kind in ("canteen", "banquet", "event"):
            return None, self.rng.choice(D.TRADE_FOODS["kitchen"]), self.rng.choice(self.cast.suppliers["kitchen"])
        stall, trade = self.rng.choice(self.cast.stalls[site_code])
        food = self.rng.choice(D.TRADE_FOODS[trade])
        # A stall mostly buys from the same supplier: pick by stall id for stability.
        options = self.cast.suppliers[trade]
        supplier = options[(stall.id * 7 + (self.rng.random() < 0.15)) % len(options)]
        return stall, food, supplier

    def plain_day(self, site_code: str, day: date, n: int, event: Event | None = None) -> None:
        """Write ``n`` negative (or suspect-then-retested) batches of one site-day in bulk."""
        site = self.cast.sites[site_code]
        station = self.cast.stations[D.SITE_STATION.get(site_code, D.DEFAULT_STATION)]
        tech = self.cast.users[D.SITE_TECHNICIAN.get(site_code, D.DEFAULT_TECHNICIAN)]
        reviewer = self.cast.users[self.rng.choice(self.reviewers(site_code))]
        rnd = Round(site_id=site.id, station_id=station.id, event_id=event.id if event else None, day=day,
                    created_by_id=tech.id, created_at=self.at(day, 6, 20))
        db.session.add(rnd)
        db.session.flush()
        reviewed = day < self.today or self.now > self.at(day, 11, 30)
        batch_rows, plans = [], []
        for i in range(n):
            stall, food, supplier = self.pick(site_code)
            category, tests = self.screens(food)
            sampled = self.at(day, 6, 30) + timedelta(minutes=4 * i + self.rng.randint(0, 3))
            batch_rows.append(dict(
                code=self.codes.round_code(site_code, day, i), site_id=site.id, stall_id=stall.id if stall else None,
                event_id=event.id if event else None, round_id=rnd.id, station_id=station.id, food=food,
                category_id=category.id if category else None, supplier_id=supplier.id, origin=supplier.address,
                purchase_date=day - timedelta(days=self.rng.randint(0, 1)),
                quantity_kg=Decimal(self.rng.choice([5, 8, 10, 12, 15, 20, 25, 30, 40, 50])),
                sampled_at=sampled, sampled_by_id=tech.id, created_by_id=tech.id, status="registered",
                created_at=sampled))
            plans.append((category, tests))
        ids = db.session.execute(sa.insert(Batch).returning(Batch.id, sort_by_parameter_order=True),
                                 batch_rows).scalars().all()
        links, result_rows, audit, reviews = [], [], [], []
        statuses = []
        for bid, row, (category, items) in zip(ids, batch_rows, plans):
            links += [{"batch_id": bid, "item_id": item.id} for item in items]
            audit.append({"action": "batch.create", "subject_type": "batch", "subject_id": row["code"],
                          "batch_id": bid, "at": row["sampled_at"],
                          "after": {"code": row["code"], "food": row["food"], "tests": [i.code for i in items]}})
            outcomes = []
            for k, item in enumerate(items):
                lot = self.lot_for(item.code, day)
                rule = self.rule(item, category, lot)
                wanted = "negative"
                roll = self.rng.random()
                if roll < 0.004:
                    wanted = "invalid"
                elif roll < 0.009 and rule.rule == "gold":
                    wanted = "suspect"
                tested = row["sampled_at"] + timedelta(minutes=35 + 3 * k + self.rng.randint(0, 20))
                repeats = [(wanted, tested)] + ([("negative", tested + timedelta(minutes=25))]
                                                if wanted in ("invalid", "suspect") else [])
                for outcome_wanted, when in repeats:
                    signals = self.reading(item, rule, outcome_wanted)
                    judgement = judge(rule, Signals(**{k2: signals.get(k2) for k2 in (
                        "value", "control_delta", "sample_delta", "c_line", "t_line", "tc_ratio")},
                        qualitative="negative" if signals.get("value_text") else None))
                    result_rows.append(dict(
                        batch_id=bid, site_id=site.id, item_id=item.id, version=1, current=True,
                        value=signals.get("value"), value_text=signals.get("value_text"),
                        qualitative="negative" if signals.get("value_text") else None,
                        unit=item.unit, control_delta=signals.get("control_delta"),
                        sample_delta=signals.get("sample_delta"), c_line=signals.get("c_line"),
                        t_line=signals.get("t_line"), tc_ratio=signals.get("tc_ratio"),
                        reading_mode=signals.get("reading_mode"), computed_value=judgement.computed_value,
                        cutoff=judgement.threshold, method=item.method, outcome=judgement.outcome,
                        reason=judgement.reason, instrument_word=signals.get("instrument_word"),
                        instrument_outcome=judgement.outcome, disagrees=False, signal_mismatch=judgement.signal_mismatch,
                        reagent_lot_id=lot.id if lot else None,
                        instrument_id=self.cast.instruments.get(station.code).id if station.code in self.cast.instruments else None,
                        station_id=station.id, tested_at=when, tested_by_id=tech.id, entered_by_id=tech.id,
                        created_at=when,
                        reviewed_at=min(self.at(day, 11, self.rng.randint(0, 29)), self.now) if reviewed else None,
                        reviewed_by_id=reviewer.id if reviewed else None))
                    outcomes.append((item.id, when, len(result_rows), judgement.outcome))
            status = batch_status([i.id for i in items], effective_outcomes(outcomes), None)
            statuses.append({"b_id": bid, "status": status, "verdict": verdict_for(status)})
        if links:
            db.session.execute(sa.insert(batch_tests), links)
        if result_rows:
            codes = {i.id: i.code for i in self.cast.items.values()}
            rids = db.session.execute(sa.insert(Result).returning(Result.id, sort_by_parameter_order=True),
                                      result_rows).scalars().all()
            for rid, r in zip(rids, result_rows):
                audit.append({"action": "result.create", "subject_type": "result", "subject_id": rid,
                              "batch_id": r["batch_id"], "at": r["created_at"],
                              "after": {"value": r["value"] or r["value_text"], "outcome": r["outcome"]}})
                if r["reviewed_at"]:
                    reviews.append({"action": "result.review", "subject_type": "result", "subject_id": rid,
                                  "batch_id": r["batch_id"], "at": r["reviewed_at"],
                                  "after": {"item": codes[r["item_id"]], "outcome": r["outcome"]}})
        table = Batch.__table__
        db.session.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(
            status=sa.bindparam("status"), verdict=sa.bindparam("verdict")), statuses)
        record_many(Actor(user=tech, ip="demo"), audit)
        # The four-eyes rule: the reviewer, not the tester, signs the review in the trail.
        record_many(Actor(user=reviewer, ip="demo"), reviews)
        self.counts["batches"] += n
        self.counts["results"] += len(result_rows)

    # --- positives through the services -----------------------------------------------

    def positive_stall(self, site_code: str, banned: bool):
        """The stall (and trade) a positive comes from: one whose usual screens find what the
        plan asks for (a banned substance or not); the site's two risky stalls of that kind
        more often than the rest, as positives concentrate in practice."""
        trades = D.BANNED_TRADES if banned else D.OTHER_TRADES
        rows = [(s, t) for s, t in self.cast.stalls.get(site_code, []) if t in trades]
        if not rows:
            return None, "kitchen"
        weights = [8 if i < 2 else 1 for i, _row in enumerate(sorted(rows, key=lambda r: r[0].public_code))]
        ordered = sorted(rows, key=lambda r: r[0].public_code)
        return self.rng.choices(ordered, weights)[0]

    def positive(self, site_code: str, day: date, scenario: str, event: Event | None = None,
                 banned: bool = False) -> None:
        """One positive batch, followed through the legal steps the scenario calls for."""
        site = self.cast.sites[site_code]
        tech = self.actor(D.SITE_TECHNICIAN.get(site_code, D.DEFAULT_TECHNICIAN))
        reviewer = self.actor(self.rng.choice(self.reviewers(site_code)))
        manager = next((self.actor(u.username) for u in self.cast.users.values()
                        if u.role == "market_manager" and site in u.sites), self.actor(self.reviewers(site_code)[0]))
        stall, trade = self.positive_stall(site_code, banned)
        foods = D.POSITIVE_FOODS[trade]
        food = self.rng.choice(foods[banned] if trade == "kitchen" else foods)
        options = self.cast.suppliers[trade]
        supplier = options[(stall.id * 7) % len(options)] if stall else self.rng.choice(options)
        category = food_category(food)
        items = default_tests(category)
        if not items:
            return
        sampled = self.at(day, 7, self.rng.randint(0, 50))
        batch = register_batch(tech, BatchInput(
            site=site, stall=stall, event=event, food=food, category=category, supplier_name=supplier.name,
            origin=supplier.address, quantity_kg=Decimal(self.rng.choice([8, 10, 12, 15, 20, 30])),
            sampled_at=sampled, tests=items,
            station=self.cast.stations[D.SITE_STATION.get(site_code, D.DEFAULT_STATION)],
            code=self.codes.positive_code(site_code, day)), now=sampled)
        wanted = [i for i in items if bool(i.banned) == banned]
        bad = self.rng.choice(wanted or items)
        tested = sampled + timedelta(minutes=45)
        results = []
        for item in items:
            lot = self.lot_for(item.code, day)
            rule = self.rule(item, category, lot)
            signals = self.reading(item, rule, "positive" if item is bad else "negative")
            results.append(record_result(tech, batch, ResultInput(
                item=item, tested_at=tested, reagent_lot=lot, confirm_warnings=True,
                qualitative="negative" if signals.get("value_text") else None,
                **{k: v for k, v in signals.items() if k != "unit"}), now=tested + timedelta(minutes=1)))
        self.counts["batches"] += 1
        self.counts["results"] += len(results)
        self.counts["positives"] += 1
        if scenario == "unnotified":
            return
        notified = tested + timedelta(minutes=20)
        dispositions.notify(manager, batch, notified, person=stall.operator if stall else None, now=notified)
        stop = dispositions.add_disposal(manager, batch, dispositions.DisposalInput(
            action="stop_sale", quantity_kg=batch.quantity_kg, done_at=notified + timedelta(minutes=5),
            place=f"{site.name} {stall.code if stall else ''}".strip(), done_by=stall.operator if stall else None,
            supervisor=manager.user.display_name, note="已下架停售，暂存待处置"), now=notified + timedelta(minutes=6))
        self.photograph(manager, stop, batch)
        if day < self.today or self.now > notified + timedelta(hours=5):
            review(reviewer, results, now=min(tested + timedelta(hours=3), self.now),
                   confirmed=[r.id for r in results if needs_confirmation(r)])
            dispositions.inform_regulator(manager, batch, notified + timedelta(minutes=30),
                                          now=notified + timedelta(minutes=31))
        if scenario == "window_open":
            return
        if scenario in ("disputed", "released", "lab_confirmed"):
            lab, method = self.rng.choice(D.LABS)
            requested = notified + timedelta(hours=2)
            dispositions.object_to(manager, batch, requested, lab=lab, method=method,
                                   applicant=stall.operator if stall else None, now=requested)
            if scenario == "disputed":
                return
            received = requested + timedelta(days=3)
            dispositions.record_lab_result(manager, batch, lab=lab, report_no=f"JC{day:%Y%m%d}{self.rng.randint(100, 999)}",
                                           outcome="negative" if scenario == "released" else "positive",
                                           fee=Decimal("680.00"), received_at=received, now=received)
            if scenario == "released":
                return
            destroy_at = received + timedelta(hours=5)
        elif scenario == "disposed_late":  # a few hours past the deadline: overdue, but not for long
            destroy_at = batch.disposition.disposal_due_at + timedelta(hours=self.rng.randint(3, 30))
        else:
            destroy_at = notified + timedelta(hours=6)
        if scenario in ("confirmed_overdue", "confirmed"):
            return
        final = dispositions.add_disposal(manager, batch, dispositions.DisposalInput(
            action=self.rng.choice(["destroy", "destroy", "harmless"]), quantity_kg=batch.quantity_kg,
            done_at=destroy_at, place="市场无害化处理点", method="粉碎后加消毒剂处理", done_by=stall.operator if stall else None,
            supervisor=manager.user.display_name), now=destroy_at + timedelta(minutes=10))
        self.photograph(manager, final, batch)

    def photograph(self, actor: Actor, action, batch: Batch) -> None:
        """The photo an officer takes of a disposal step, stored through the real photo service."""
        add_photo(actor, action, disposal_photo(self.rng, batch.code, action.action), f"{batch.code}-{action.action}.jpg")

    # --- events -------------------------------------------------------------------------

    def events(self) -> list[tuple[Event, str, date, int]]:
        """Two rural banquets and a three-day major event inside the period."""
        out = []
        day1 = self.today - timedelta(days=min(20, 31 * self.months - 3))
        banquet = Event(code="JY-" + day1.strftime("%y%m%d") + "-01", kind="banquet", name="三角村张家婚宴",
                        organiser="张建华", chef="李师傅（持证乡厨）", menu="白切鸡、红烧肉、清蒸鲈鱼、油焖大虾、炒时蔬、八宝饭",
                        tables=32, people=320, starts_on=day1, ends_on=day1, site_id=self.cast.sites["JYZX"].id)
        day2 = self.today - timedelta(days=min(45, 31 * self.months - 2))
        birthday = Event(code="JY-" + day2.strftime("%y%m%d") + "-02", kind="banquet", name="乔司村王家八十寿宴",
                         organiser="王阿大", chef="周师傅（持证乡厨）", menu="东坡肉、清蒸白鱼、糖醋排骨、时令蔬菜、长寿面",
                         tables=18, people=180, starts_on=day2, ends_on=day2, site_id=self.cast.sites["JYZX"].id)
        start = self.today - timedelta(days=min(10, 31 * self.months - 4))
        games = Event(code="ZDHD-" + start.strftime("%y%m") + "-YDH", kind="major_event", name="钱塘区第五届运动会食品安全保障",
                      organiser="钱塘区人民政府", tables=None, people=2400, starts_on=start, ends_on=start + timedelta(days=2),
                      site_id=self.cast.sites["TYZX"].id)
        games.venues = [EventVenue(name="区体育中心运动员餐厅", address="钱塘区文体路 1 号"),
                        EventVenue(name="区政府接待中心餐厅", address="钱塘区市民中心 B 座")]
        for ev in (banquet, birthday, games):
            db.session.add(ev)
        db.session.flush()
        out += [(banquet, "JYZX", day1, 12), (birthday, "JYZX", day2, 10)]
        out += [(games, "TYZX", start + timedelta(days=k), 14) for k in range(3)]
        return out

    # --- the whole district ---------------------------------------------------------

    def build(self) -> str:
        self.build_cast()
        days = 31 * self.months
        first = self.today - timedelta(days=days - 1)
        include_today = self.now.astimezone(self.zone).hour >= 10
        # Positives that must exist now, so every disposition state can be seen.
        forced = FORCED
        if not include_today:
            forced = {k + 1: v for k, v in forced.items()}
        event_days = {(site, day): (ev, n) for ev, site, day, n in self.events()}
        day = first
        while day <= self.today:
            ago = (self.today - day).days
            if day == self.today and not include_today:
                break
            for planned in plan_day(day, self.today, self.plan_rng):
                self.plain_day(planned.site, day, planned.batches)
                for p in planned.positives:
                    self.positive(planned.site, day, p.scenario, banned=p.banned)
            for site_code, scenario in forced.get(ago, []):
                self.positive(site_code, day, scenario)
            for (site_code, ev_day), (event, n) in event_days.items():
                if ev_day == day:
                    self.plain_day(site_code, day, n, event=event)
            with self.stream(self.other_rng):
                for planned in plan_day(day, self.today, self.other_plan_rng, D.OTHER_SITES):
                    self.plain_day(planned.site, day, planned.batches)
                    for p in planned.positives:
                        self.positive(planned.site, day, p.scenario, banned=p.banned)
            db.session.flush()
            if day.day == 1 or day == self.today:
                self.progress(f"  … {day:%Y-%m-%d}: {self.counts['batches']} batches so far")
            day += timedelta(days=1)
        # History does not ring the bell: only the last day's notices stay unread.
        from lims.models import Notification

        db.session.execute(sa.update(Notification).where(Notification.created_at < self.now - timedelta(days=1))
                           .values(read_at=self.now))
        return (f"demo built (杭州市: 钱塘区, 萧山区, 富阳区): {len(self.cast.sites)} sites, "
                f"{sum(len(v) for v in self.cast.stalls.values())} stalls, {self.counts['batches']} batches, "
                f"{self.counts['results']} results, {self.counts['positives']} positives")


def build_demo(months: int = 3, seed: int = 2026, progress=None) -> str:
    return DemoBuilder(months, seed, progress).build()
