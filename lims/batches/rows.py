"""Batches read as rows for the full answer of many at once (the API's list and batch).

Mapping a page of 50 batches with their ~250 results, items, lots, instruments and people as
ORM objects cost more than everything else in answering it (17 of 37 ms at ten million
results). Here a page is three statements of plain rows — the batches with their site, stall,
event, category and supplier; their results with what each shows of its item, lot,
instrument, tester and reviewer; their planned tests — put together as objects with the
model's attribute names, so that the rules (:func:`lims.batches.queries.batch_state`) and the
answer (:mod:`lims.api.batches`) read them as they read a :class:`~lims.models.Batch`. The
few batches with a disposition or a waiting change get those as ORM objects, read only when
there are any. Read-only: nothing here is in the session's identity map.
"""
from __future__ import annotations

import functools
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased, joinedload, lazyload, selectinload

from lims.extensions import db
from lims.models import (Batch, BatchChange, DisposalAction, Disposition, Event, FoodCategory, Instrument,
                         ReagentLot, Result, Site, Stall, Supplier, TestItem, User, batch_tests)

_TESTER = aliased(User)
_REVIEWER = aliased(User)
_DISPOSITION = aliased(Disposition)  # not Disposition: the status filter's EXISTS names that one
_SHOWN = dict(
    site_code=Site.code, site_name=Site.name, stall_code=Stall.code, event_code=Event.code,
    category_code=FoodCategory.code, supplier_name=Supplier.name, supplier_address=Supplier.address,
    supplier_phone=Supplier.phone, disposition_id=_DISPOSITION.id)
_WAITING = sa.exists().where(BatchChange.batch_id == Batch.id, BatchChange.status == "pending")


class BatchRow(SimpleNamespace):
    """A batch as read here: the columns of ``batches`` and its related rows by the model's names
    (and the model's own properties)."""

    voided = Batch.voided
    current_results = Batch.current_results


class ResultRow(SimpleNamespace):
    reviewed = Result.reviewed
    tester_label = Result.tester_label


def read_full(stmt: sa.Select) -> list[BatchRow]:
    """The batches ``stmt`` (a ``select(Batch)`` with its filters, order and limit) finds, in
    its order, each with everything its full answer shows."""
    stmt = (stmt.with_only_columns(*Batch.__table__.c, *(c.label(k) for k, c in _SHOWN.items()),
                                   _WAITING.label("waiting"))
            .join(Site, Site.id == Batch.site_id).outerjoin(Stall, Stall.id == Batch.stall_id)
            .outerjoin(Event, Event.id == Batch.event_id).outerjoin(FoodCategory, FoodCategory.id == Batch.category_id)
            .outerjoin(Supplier, Supplier.id == Batch.supplier_id)
            .outerjoin(_DISPOSITION, _DISPOSITION.batch_id == Batch.id))
    batches = _rows(stmt, _batch)
    if not batches:
        return batches
    by_id = {b.id: b for b in batches}
    ids = {"ids": list(by_id)}
    results, planned = _statements(db.session.get_bind().dialect.name)
    for r in _rows(results, _result, ids):
        by_id[r.batch_id].results.append(r)
    for batch_id, code, name in db.session.execute(planned, ids):
        by_id[batch_id].planned_items.append(SimpleNamespace(code=code, name=name))
    _attach_dispositions([b for b in batches if b.disposition_id is not None])
    _attach_changes([b for b in batches if b.waiting])
    return batches


def _rows(stmt: sa.Select, make, params=None) -> list:
    found = db.session.execute(stmt, params)
    keys = tuple(found.keys())
    return [make(dict(zip(keys, values))) for values in found]


def _batch(row: dict) -> BatchRow:
    b = BatchRow(**row)
    b.site = SimpleNamespace(id=b.site_id, code=b.site_code, name=b.site_name)
    b.stall = SimpleNamespace(code=b.stall_code) if b.stall_id is not None else None
    b.event = SimpleNamespace(code=b.event_code) if b.event_id is not None else None
    b.category = SimpleNamespace(code=b.category_code) if b.category_id is not None else None
    b.supplier = (SimpleNamespace(name=b.supplier_name, address=b.supplier_address, phone=b.supplier_phone)
                  if b.supplier_id is not None else None)
    b.results, b.planned_items, b.disposition, b.waiting_change = [], [], None, None
    return b


@functools.cache
def _statements(dialect: str) -> tuple[sa.Select, sa.Select]:
    """The results and the planned tests of the batches ``ids``: made once, with the ids as
    one array on PostgreSQL (``= ANY``), so that the text is the same for every page — made
    afresh and with an IN list, they cost more than they took to run."""
    def among(column):
        if dialect == "postgresql":
            return column == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger)))
        return column.in_(sa.bindparam("ids", expanding=True))

    results = (sa.select(*Result.__table__.c, TestItem.code.label("item_code"), TestItem.name.label("item_name"),
                         ReagentLot.lot.label("lot"), Instrument.serial.label("serial"),
                         _TESTER.display_name.label("tester"), _REVIEWER.display_name.label("reviewer"))
               .join(TestItem, TestItem.id == Result.item_id)
               .outerjoin(ReagentLot, ReagentLot.id == Result.reagent_lot_id)
               .outerjoin(Instrument, Instrument.id == Result.instrument_id)
               .outerjoin(_TESTER, _TESTER.id == Result.tested_by_id)
               .outerjoin(_REVIEWER, _REVIEWER.id == Result.reviewed_by_id)
               .where(among(Result.batch_id)).order_by(Result.id))
    planned = (sa.select(batch_tests.c.batch_id, TestItem.code, TestItem.name)
               .join(TestItem, TestItem.id == batch_tests.c.item_id)
               .where(among(batch_tests.c.batch_id)).order_by(TestItem.sort_order))
    return results, planned


def _result(row: dict) -> ResultRow:
    r = ResultRow(**row)
    r.item = SimpleNamespace(code=r.item_code, name=r.item_name)
    r.reagent_lot = SimpleNamespace(lot=r.lot) if r.reagent_lot_id is not None else None
    r.instrument = SimpleNamespace(serial=r.serial) if r.instrument_id is not None else None
    r.tested_by = SimpleNamespace(display_name=r.tester) if r.tested_by_id is not None else None
    r.reviewed_by = SimpleNamespace(display_name=r.reviewer) if r.reviewed_by_id is not None else None
    return r


def _attach_dispositions(batches: list[BatchRow]) -> None:
    if not batches:
        return
    stmt = (sa.select(Disposition).where(Disposition.id.in_([b.disposition_id for b in batches]))
            .options(lazyload(Disposition.batch), joinedload(Disposition.objections),
                     joinedload(Disposition.actions).joinedload(DisposalAction.photos)))
    found = {d.batch_id: d for d in db.session.execute(stmt).unique().scalars()}
    for b in batches:
        b.disposition = found.get(b.id)


def _attach_changes(batches: list[BatchRow]) -> None:
    if not batches:
        return
    people = (lazyload(User.sites), lazyload(User.orgs), lazyload(User.stations))
    stmt = (sa.select(BatchChange).where(BatchChange.batch_id.in_([b.id for b in batches]),
                                         BatchChange.status == "pending")
            .options(selectinload(BatchChange.requested_by).options(*people),
                     selectinload(BatchChange.decided_by).options(*people)))
    found = {c.batch_id: c for c in db.session.execute(stmt).scalars()}
    for b in batches:
        b.waiting_change = found.get(b.id)
