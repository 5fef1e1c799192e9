"""A small district for page tests: two markets, a stall each, one batch per market with a
reviewed positive result followed up, a round, an import, an event, a photo, and a user of
every role (market managers bound to one market each)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from PIL import Image

from lims.accounts.access import Actor
from lims.batches.services import BatchInput, create_round, register_batch
from lims.database import utcnow
from lims.dispositions import photos
from lims.dispositions import services as dispositions
from lims.i18n import to_local
from lims.imports.services import ImportOptions, run_import
from lims.reference.services import get_item
from lims.results.services import ResultInput, record_result, review
from lims.sites.services import create_event


@dataclass
class World:
    site_a: object
    site_b: object
    stall_a: object
    stall_b: object
    batch_a: object
    batch_b: object
    result_a: object
    round_a: object
    import_a: object
    event: object
    photo: object
    users: dict
    other_manager: object


def jpeg_bytes(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


def build_world(make_site, make_stall, make_user) -> World:
    site_a = make_site(code="MA", name="甲市场")
    site_b = make_site(code="MB", name="乙市场")
    stall_a = make_stall(site=site_a, code="A-01", operator="王建国")
    stall_b = make_stall(site=site_b, code="B-01", operator="李秀英")
    users = {role: make_user(role) for role in ("admin", "reviewer", "technician", "regulator")}
    users["market_manager"] = make_user("market_manager", sites=[site_a])
    other_manager = make_user("market_manager", sites=[site_b])
    tech = Actor(users["technician"], "test")
    now = utcnow()
    sampled = now - timedelta(hours=8)
    rnd = create_round(tech, site_a, (now - timedelta(hours=8)).date())
    batches = []
    for site, stall in ((site_a, stall_a), (site_b, stall_b)):
        batches.append(register_batch(tech, BatchInput(
            site=site, stall=stall, food="韭菜", sampled_at=sampled, tests=[get_item("OPC")],
            quantity_kg=Decimal("10"), supplier_name="测试蔬菜合作社", origin="杭州", round=rnd if site is site_a else None),
            now=sampled))
    results = []
    for b in batches:
        results.append(record_result(tech, b, ResultInput(item=get_item("OPC"), tested_at=sampled + timedelta(minutes=30),
                                                          value=Decimal("63.5")), now=sampled + timedelta(minutes=31)))
    review(Actor(users["reviewer"], "test"), results, now=sampled + timedelta(hours=1),
           confirmed=[r.id for r in results])  # both positives, confirmed by name
    manager = Actor(users["admin"], "test")
    dispositions.notify(manager, batches[0], sampled + timedelta(hours=1), "王建国", now=sampled + timedelta(hours=1))
    action = dispositions.add_disposal(manager, batches[0], dispositions.DisposalInput(
        action="stop_sale", quantity_kg=Decimal("10"), done_at=sampled + timedelta(hours=1, minutes=5)),
        now=sampled + timedelta(hours=1, minutes=6))
    photo = photos.add_photo(manager, action, jpeg_bytes(), "p.jpg")
    csv = ("通道号,样品编号,样品名称,被检单位,检测项目,检测结果,单位,检测依据,标准值,结论,检测员,检测时间\n"
           f"1,{batches[0].code},韭菜,甲市场 A-01,农药残留,12.0,%,GB/T 5009.199-2003,50,合格,王丽,"
           f"{to_local(sampled + timedelta(minutes=40)):%Y-%m-%d %H:%M:%S}\n").encode("utf-8")
    report = run_import(tech, csv, ImportOptions(filename="world.csv"), now=now)
    from lims.extensions import db
    from lims.models import Import, Result

    db.session.expire_all()
    imported = db.session.query(Result).filter(Result.import_id == report.import_id).all()
    review(Actor(users["reviewer"], "test"), imported, now=now)

    event = create_event(Actor(users["admin"], "test"), code="JY-TEST-01", kind="banquet", name="测试家宴",
                         starts_on=date.today(), ends_on=date.today(), people=100, site_id=site_a.id)
    db.session.flush()
    return World(site_a, site_b, stall_a, stall_b, batches[0], batches[1], results[0], rnd,
                 db.session.get(Import, report.import_id), event, photo, users, other_manager)
