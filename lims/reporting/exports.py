"""Results as Excel for a period: one row per reviewed result with every field provincial
platforms ask for, streamed (``write_only``) so memory stays flat."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lims.accounts.access import Actor, scope_to_sites
from lims.batches.queries import effective_status_expr
from lims.database import utcnow
from lims.extensions import db
from lims.i18n import local_day_bounds, to_local
from lims.models import Organisation, Batch, Event, FoodCategory, Instrument, ReagentLot, Result, Site, Stall, Station, Supplier, TestItem, User
from lims.labels import PRINCIPLE_LABELS
from lims.replica import read_session
from lims.reporting.common import reading_of, report_text
from lims.reporting.figures import counted
from reports.data import ResultExportRow
from reports.excel.results_export import write_results


def _rows(actor: Actor, first: date, last: date, node=None):
    now = utcnow()
    start, _ = local_day_bounds(first)
    _, end = local_day_bounds(last)
    tester = aliased(User)
    reviewer = aliased(User)
    sampler = aliased(User)
    parent = aliased(FoodCategory)
    stmt = scope_to_sites(
        sa.select(Result, Batch, Site, Stall, Supplier, TestItem, ReagentLot, Instrument, Station, FoodCategory, parent,
                  tester.display_name, reviewer.display_name, sampler.display_name, Event.name,
                  effective_status_expr(now))
        .join(Batch, Batch.id == Result.batch_id).join(Site, Site.id == Batch.site_id)
        .outerjoin(Stall, Stall.id == Batch.stall_id).outerjoin(Supplier, Supplier.id == Batch.supplier_id)
        .join(TestItem, TestItem.id == Result.item_id).outerjoin(ReagentLot, ReagentLot.id == Result.reagent_lot_id)
        .outerjoin(Instrument, Instrument.id == Result.instrument_id)
        .outerjoin(Station, Station.id == sa.func.coalesce(Result.station_id, Batch.station_id))
        .outerjoin(FoodCategory, FoodCategory.id == Batch.category_id)
        .outerjoin(parent, parent.id == FoodCategory.parent_id)
        .outerjoin(tester, tester.id == Result.tested_by_id).outerjoin(reviewer, reviewer.id == Result.reviewed_by_id)
        .outerjoin(sampler, sampler.id == Batch.sampled_by_id).outerjoin(Event, Event.id == Batch.event_id)
        .where(Result.current.is_(True), Result.reviewed_at.is_not(None), Result.tested_at >= start,
               Result.tested_at < end, counted())
        .order_by(Result.tested_at, Result.id), Result.site_id, actor)
    if node is not None:
        stmt = stmt.where(node.where(Result.site_id))
    jurisdictions = _districts()
    for (r, b, site, stall, supplier, item, lot, inst, station, cat, top, tname, rname, sname, event_name,
         status) in db.session.execute(stmt.execution_options(yield_per=2000)):
        yield ResultExportRow(
            batch_code=b.code, sampled_at=to_local(b.sampled_at), sampled_by=sname, site=site.name,
            site_kind=site.kind,
            district=jurisdictions.get(site.org_id) or site.district, stall=stall.code if stall else None,
            operator=stall.operator if stall else None, event=event_name, food=b.food,
            category_l1=(top or cat).name if cat else None, category_l2=cat.name if cat and top else None,
            supplier=supplier.name if supplier else None, origin=b.origin, quantity_kg=b.quantity_kg,
            item_code=item.code, item_name=item.name, method=r.method,
            principle=str(PRINCIPLE_LABELS.get(item.principle, item.principle)),
            reagent_lot=lot.lot if lot else None, reagent_maker=lot.maker if lot else None,
            instrument=f"{inst.model} {inst.serial}" if inst else None, station=station.name if station else None,
            channel=r.channel,
            **dict(zip(("value", "value_text", "unit"),
                       reading_of(item.rule, r.value, r.computed_value, r.tc_ratio, r.unit, r.value_text))), cutoff=format(r.cutoff.normalize(), "f") if r.cutoff is not None else None,
            outcome=r.outcome, instrument_outcome=r.instrument_outcome, disagrees=r.disagrees,
            tested_at=to_local(r.tested_at), tester=tname or r.tester_name, reviewed_at=to_local(r.reviewed_at),
            reviewer=rname, version=r.version, correction_reason=r.correction_reason,
            disposition_status=status if r.outcome == "positive" else None)


def _districts() -> dict[int, str]:
    """Each jurisdiction node's district (区/县) — itself, or the district an office belongs to —
    for the export's district column."""
    nodes = {r.id: r for r in db.session.execute(sa.select(Organisation.id, Organisation.name, Organisation.kind,
                                                                 Organisation.path)).all()}
    out = {}
    for node in nodes.values():
        for ancestor in reversed([int(i) for i in node.path.strip("/").split("/") if i]):
            if ancestor in nodes and nodes[ancestor].kind == "district":
                out[node.id] = nodes[ancestor].name
                break
    return out


def export_results(actor: Actor, first: date, last: date, fp, org_code: str | None = None) -> int:
    """Write the reviewed results tested between two local dates (inclusive) — of one node
    of the tree with ``org_code`` — returns the row count."""
    node = None
    if org_code:  # resolved (or refused) before the workbook is begun
        from lims.reporting.figures import scope_for

        node = scope_for(actor, None, org_code)
    with read_session():  # the replica when there is one
        return write_results(_rows(actor, first, last, node), fp, report_text(), exported_at=to_local(utcnow()),
                             period=f"{first.isoformat()} – {last.isoformat()}")
