"""Use cases for results: judge and record a test, correct it as a new version, review.

Every result is judged here by ``lims.rules.judging`` from its raw signals — typed,
sent over the API or imported — and the instrument's own word is kept beside it."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import aliased

from lims.accounts.access import Actor, scope_to_sites
from lims.audit.key import audit_key
from lims.audit.seal import checker, update_sealed
from lims.audit.services import record, record_many
from lims.batches.services import refresh_status
from lims.batches.changes import refuse_voided
from lims.database import utcnow
from lims.errors import Conflict, Forbidden, InvalidInput, NotFound
from lims.extensions import db
from lims.i18n import local_today
from lims.messages import entry_problem_message, reading_message
from lims.models import Batch, Disposition, Instrument, ReagentLot, Result, TestItem
from lims.notifications.services import positives_opened
from lims.reference.services import decision_rule_for, item_applies
from lims.results.bulk import RowsUpdate, RowWriter
from lims.rules.batch_status import batch_status, effective_outcomes, verdict_for
from lims.rules.judging import (InvalidReading, Judgement, Signals, check_entry, disagrees, judge,
                                normalise_word)

RESULT_FIELDS = ("item_id", "value", "value_text", "qualitative", "unit", "control_delta", "sample_delta",
                 "c_line", "t_line", "tc_ratio", "reading_mode", "computed_value", "cutoff", "method",
                 "pretreated", "outcome", "reason", "instrument_word", "instrument_outcome", "disagrees",
                 "signal_mismatch", "reagent_lot_id", "instrument_id", "channel", "tested_at", "tester_name")


@dataclass
class ResultInput:
    """One test's reading as entered, sent or imported."""

    item: TestItem
    tested_at: datetime
    value: Decimal | None = None
    value_text: str | None = None
    qualitative: str | None = None
    control_delta: Decimal | None = None
    sample_delta: Decimal | None = None
    c_line: Decimal | None = None
    t_line: Decimal | None = None
    tc_ratio: Decimal | None = None
    reading_mode: str | None = None
    unit: str | None = None
    method: str | None = None
    reagent_lot: ReagentLot | None = None
    instrument: Instrument | None = None
    channel: str | None = None
    pretreated: bool | None = None
    instrument_word: str | None = None
    tester_name: str | None = None
    confirm_warnings: bool = False
    record_key: str | None = None
    import_id: int | None = None
    import_row: int | None = None
    extra_warnings: list = field(default_factory=list)

    @property
    def signals(self) -> Signals:
        qualitative = self.qualitative
        if qualitative is None and self.value is None and self.value_text:
            qualitative = normalise_word(self.value_text)
        return Signals(value=self.value, qualitative=qualitative, control_delta=self.control_delta,
                       sample_delta=self.sample_delta, c_line=self.c_line, t_line=self.t_line,
                       tc_ratio=self.tc_ratio)


@dataclass(slots=True)
class Assessment:
    """What the rules say about a reading before it is saved (shown live while typing)."""

    judgement: Judgement | None
    errors: dict  # field → [message]: refusals
    warnings: dict  # field → [message]: need confirmation
    instrument_outcome: str | None = None
    disagrees: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class Assessor:
    """Judges readings by ``lims.rules`` — refusals, warnings, the verdict, the instrument's
    word — remembering each decision rule (per item, food category, lot and method) and each
    verdict (per rule and signals), so that an import of 100,000 rows is judged exactly as one
    typed result, only faster."""

    MEMORY = 50_000  # verdicts remembered; forgotten all at once beyond that

    def __init__(self, now: datetime):
        self.now = now
        self._rules: dict = {}
        self._facts: dict = {}
        self._verdicts: dict = {}
        self._words: dict = {}

    def __call__(self, sampled_at: datetime | None, category, data: ResultInput,
                 signals: Signals | None = None) -> Assessment:
        s = signals or data.signals
        return self.reading(data.item, category, data.reagent_lot, data.method, data.tested_at, sampled_at,
                            (s.value, s.qualitative, s.control_delta, s.sample_delta, s.c_line, s.t_line, s.tc_ratio),
                            data.instrument_word, data.extra_warnings)

    def reading(self, item, category, lot, method: str | None, tested_at: datetime, sampled_at: datetime | None,
                signals: tuple, instrument_word: str | None, extra_warnings=()) -> Assessment:
        """The assessment of one reading; ``signals`` are the fields of :class:`Signals` in order."""
        errors: dict[str, list] = {}
        warnings: dict[str, list] = {}
        facts = self._facts.get((item, category))
        if facts is None:  # read once: an ORM attribute costs more than the rest of a check
            facts = self._facts[(item, category)] = (item.id, category.id if category is not None else None,
                                                     item_applies(item, category), item.active, item.method)
        item_id, category_id, applies, active, item_method = facts
        if lot is not None and lot.item_id != item_id:
            errors["reagent_lot"] = [gettext("This lot is for another test item.")]
        problems = check_entry(
            tested_at=tested_at, now=self.now, sampled_at=sampled_at,
            lot_expires_on=lot.expires_on if lot else None,
            tested_on_local=local_today(tested_at) if lot else None,
            item_applies=applies, item_active=active)
        for p in problems:
            target = warnings if p.warning else errors
            target.setdefault(p.field, []).append(entry_problem_message(p, item=item, category=category))
        for key, message in extra_warnings:
            warnings.setdefault(key, []).append(message)
        rule_key = (item_id, category_id, lot.id if lot else None, method or item_method)
        judgement = self._verdicts.get((rule_key, signals))  # a file repeats its readings
        if judgement is None:
            judgement = self._verdict(rule_key, item, category, lot, signals)
        if type(judgement) is InvalidReading:
            errors.setdefault("value", []).append(reading_message(judgement.code, judgement.params))
            judgement = None
        word = self._words.get(instrument_word, False)
        if word is False:
            word = self.word(instrument_word)
        return Assessment(judgement, errors, warnings, word,
                          disagrees(judgement.outcome, word, judgement.signal_mismatch) if judgement else False)

    def word(self, text: str | None) -> str | None:
        """``normalise_word``, remembered (an export repeats its few words row after row)."""
        outcome = self._words.get(text, False)
        if outcome is False:
            outcome = self._words[text] = normalise_word(text)
        return outcome

    def _verdict(self, rule_key: tuple, item, category, lot, signals: tuple):
        """The judgement (or the InvalidReading) of these signals under this rule, remembered."""
        key = (rule_key, signals)
        verdict = self._verdicts.get(key)
        if verdict is None:
            try:
                rule = self._rules.get(rule_key)
                if rule is None:
                    rule = self._rules[rule_key] = decision_rule_for(item, category, lot, rule_key[3])
                verdict = judge(rule, Signals(*signals))
            except InvalidReading as exc:
                verdict = exc
            if len(self._verdicts) >= self.MEMORY:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict


def assess(batch: Batch, data: ResultInput, now: datetime) -> Assessment:
    """Judge a reading and list refusals and warnings, without changing anything."""
    return Assessor(now)(batch.sampled_at, batch.category, data)


class ResultRow(NamedTuple):
    """One stored result's columns as every door writes them (typed, posted, imported): built
    by :func:`result_row` from the reading and the rules' assessment, never by hand. A named
    tuple: the bulk writer takes its values as they are, with no copy into a tuple per row."""

    batch_id: int
    site_id: int  # the batch's: a result is counted for its batch's site
    item_id: int
    record_key: str | None
    value: Decimal | None
    value_text: str | None
    qualitative: str | None
    unit: str | None
    control_delta: Decimal | None
    sample_delta: Decimal | None
    c_line: Decimal | None
    t_line: Decimal | None
    tc_ratio: Decimal | None
    reading_mode: str | None
    computed_value: Decimal | None
    cutoff: Decimal | None
    method: str | None
    pretreated: bool | None
    outcome: str
    reason: str | None
    instrument_word: str | None
    instrument_outcome: str | None
    disagrees: bool
    signal_mismatch: bool
    reagent_lot_id: int | None
    instrument_id: int | None
    station_id: int | None
    channel: str | None
    tested_at: datetime
    tested_by_id: int | None
    tester_name: str | None
    import_row: int | None


#: The columns of a :class:`ResultRow`, in order (the bulk writer's column list).
RESULT_ROW_COLUMNS = ResultRow._fields


def result_row(batch_id: int, site_id: int, station_id: int | None, item_id: int, item_unit: str | None, item_method: str | None,
               a: Assessment, *, record_key: str | None, value, value_text, qualitative, unit, control_delta,
               sample_delta, c_line, t_line, tc_ratio, reading_mode, method, pretreated, instrument_word,
               reagent_lot_id, instrument_id, instrument_station_id, channel, tested_at, tested_by_id, tester_name,
               import_row=None) -> ResultRow:
    """The stored form of a judged reading — the one place that decides what a result row holds:
    the item's unit and method when the reading names none, the verdict and its reasons from the
    judgement, the instrument's word beside it, and the station of the batch (or, for a batch
    registered without one, of the instrument that read it)."""
    j = a.judgement
    # In the order of ResultRow's fields (``_make``: a third of the cost of its 31-argument constructor).
    return _make_row((batch_id, site_id, item_id, record_key, value, value_text, qualitative, unit or item_unit, control_delta,
                      sample_delta, c_line, t_line, tc_ratio, reading_mode, j.computed_value, j.threshold,
                      method or item_method, pretreated, j.outcome, j.reason, instrument_word, a.instrument_outcome,
                      a.disagrees, j.signal_mismatch, reagent_lot_id, instrument_id,
                      station_id if station_id is not None else instrument_station_id, channel, tested_at,
                      tested_by_id, tester_name, import_row))


_make_row = ResultRow._make


def _new_result(actor: Actor, batch: Batch, data: ResultInput, a: Assessment, version: int = 1,
                supersedes: Result | None = None, reason: str | None = None) -> Result:
    s = data.signals
    row = result_row(
        batch.id, batch.site_id, batch.station_id, data.item.id, data.item.unit, data.item.method, a,
        record_key=data.record_key if version == 1 else None, value=data.value, value_text=data.value_text,
        qualitative=s.qualitative, unit=data.unit, control_delta=data.control_delta, sample_delta=data.sample_delta,
        c_line=data.c_line, t_line=data.t_line, tc_ratio=data.tc_ratio, reading_mode=data.reading_mode,
        method=data.method, pretreated=data.pretreated, instrument_word=data.instrument_word,
        reagent_lot_id=data.reagent_lot.id if data.reagent_lot else None,
        instrument_id=data.instrument.id if data.instrument else None,
        instrument_station_id=data.instrument.station_id if data.instrument else None, channel=data.channel,
        tested_at=data.tested_at,
        tested_by_id=actor.user_id if data.tester_name is None else _user_id_by_name(data.tester_name, actor),
        tester_name=data.tester_name, import_row=data.import_row)
    result = Result(**row._asdict(), version=version, current=True,
                    supersedes_id=supersedes.id if supersedes else None, correction_reason=reason,
                    entered_by_id=actor.user_id, import_id=data.import_id)
    db.session.add(result)
    return result


def _user_id_by_name(name: str, actor: Actor):
    """An imported tester name → that user when one matches, else the importing user
    (who then counts as the tester for the four-eyes rule)."""
    from lims.models import User

    uid = db.session.execute(sa.select(User.id).where(
        sa.or_(User.display_name == name, User.username == name))).scalars().first()
    return uid or actor.user_id


def open_disposition_if_positive(actor: Actor, batch: Batch, result: Result, now: datetime) -> Disposition | None:
    """A positive stops the sale at once: open the disposition in ``stopped``."""
    if result.outcome != "positive":
        return None
    existing = db.session.execute(sa.select(Disposition).where(Disposition.batch_id == batch.id)).scalar_one_or_none()
    if existing is not None and existing.status == "released":
        # A positive on another item after a laboratory release: the sale stops again and the
        # follow-up starts afresh (earlier objections stay in the record).
        before = {"status": existing.status, "opened_at": existing.opened_at}
        existing.status, existing.result_id, existing.opened_at = "stopped", result.id, now
        existing.notified_at = existing.notified_by_id = existing.notified_person = None
        existing.objection_deadline = existing.disposal_due_at = existing.closed_at = None
        for objection in existing.objections:
            objection.current = False
        db.session.flush()
        record(actor, "disposition.reopen", "disposition", existing.id, batch_id=batch.id, before=before,
               after={"status": "stopped", "result": result.id, "item": result.item.code}, at=now)
        from lims.notifications.services import positive_opened

        positive_opened(batch, result.item.name, now)
        return existing
    if existing is not None:
        return existing
    disposition = Disposition(batch_id=batch.id, result_id=result.id, status="stopped", opened_at=now)
    db.session.add(disposition)
    db.session.flush()
    record(actor, "disposition.open", "disposition", disposition.id, batch_id=batch.id,
           after={"status": "stopped", "result": result.id, "item": result.item.code}, at=now)
    from lims.notifications.services import positive_opened

    positive_opened(batch, result.item.name, now)
    return disposition


class Positive(NamedTuple):
    """A positive result just recorded: it stops its batch's sale."""

    batch_id: int
    result_id: int
    item_id: int


def open_dispositions(actor: Actor, positives: list[Positive], now: datetime) -> None:
    """Each batch with a positive among ``positives`` stops its sale — by its first positive:
    a disposition opened in ``stopped`` (or one released earlier reopened), audited, and the
    market's managers and the regulators told. For one result typed or posted, or for the
    thousands of one imported file alike; the inserts are one statement however many."""
    first: dict[int, Positive] = {}
    for p in positives:
        first.setdefault(p.batch_id, p)
    if not first:
        return
    ids = list(first)
    # Batches whose follow-up had begun before: reopened if released, else unchanged.
    followed = {bid for (bid,) in load_in(sa.select(Disposition.batch_id), Disposition.batch_id, ids)}
    for result in load_in(Result, Result.id, [first[bid].result_id for bid in ids if bid in followed]):
        open_disposition_if_positive(actor, result.batch, result, now)
    fresh = [bid for bid in ids if bid not in followed]
    if not fresh:
        return
    db.session.execute(sa.insert(Disposition), [
        {"batch_id": bid, "result_id": first[bid].result_id, "status": "stopped", "opened_at": now, "row_version": 1}
        for bid in fresh])
    opened = {bid: did for did, bid in load_in(sa.select(Disposition.id, Disposition.batch_id),
                                               Disposition.batch_id, fresh)}
    items = {iid: db.session.get(TestItem, iid) for iid in {first[bid].item_id for bid in fresh}}
    record_many(actor, [
        {"action": "disposition.open", "subject_type": "disposition", "subject_id": opened[bid], "batch_id": bid,
         "after": {"status": "stopped", "result": first[bid].result_id, "item": items[first[bid].item_id].code},
         "at": now} for bid in fresh])
    batches_ = {b.id: b for b in load_in(Batch, Batch.id, fresh)}
    for b in batches_.values():  # a disposition loaded before (as none) is stale now
        db.session.expire(b, ["disposition"])
    positives_opened([(batches_[bid], items[first[bid].item_id].name) for bid in fresh], now)


def load_in(what, column, ids: list, *where) -> list:
    """ORM objects (or rows of a select) whose ``column`` is one of ``ids``, 900 at a time."""
    out = []
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        if isinstance(what, sa.Select):
            out.extend(db.session.execute(what.where(column.in_(part), *where)).all())
        else:
            out.extend(db.session.execute(sa.select(what).where(column.in_(part), *where)
                                          .order_by(what.id)).scalars())
    return out


@dataclass(slots=True)
class BatchRef:
    """What recording many readings needs of a batch, read without building ORM objects."""

    id: int
    code: str
    site_id: int
    station_id: int | None
    sampled_at: datetime
    category: object
    status: str
    planned: set = field(default_factory=set)  # item ids planned for the batch
    #: The batch's sealed fields as the driver gave them (code, site, stall, food, quantity,
    #: sampled_at) and its row version, when read so: its new seal is then computed from them
    #: instead of reading the batch back.
    stored: tuple | None = None
    row_version: int | None = None

    @property
    def fresh(self) -> bool:
        """Registered and untouched: no results and no disposition yet."""
        return self.status == "registered"


class ResultWriter:
    """Records many readings (:class:`ResultRow`) of one import at once: written at the driver
    in one ``executemany`` a call, each row sealed from the values given as it is inserted
    (:mod:`lims.results.bulk`)."""

    def __init__(self, actor: Actor, now: datetime, import_id: int | None):
        self.writer = RowWriter(Result.__table__, RESULT_ROW_COLUMNS, {
            "version": 1, "current": True, "entered_by_id": actor.user_id, "created_at": now,
            "import_id": import_id, "row_version": 1}, seal=(audit_key(), "result"))

    def write(self, rows: list[ResultRow]) -> None:
        self.writer.write(rows)


def _write_statuses(batches_: dict[int, BatchRef], changed: dict[str, list[int]]) -> dict[int, str]:
    """Status, verdict, version and seal of the batches that moved, in one executemany. A batch
    whose sealed fields were read with it is sealed from those values (no read-back), on the
    condition that its row version is still the one read; any other — or one changed meanwhile —
    is read back as stored and sealed from that (``update_sealed``). Returns id → seal stored."""
    key = audit_key()
    held: list[tuple] = []  # (status, verdict, seal, id, row version read)
    rest: dict[tuple, list[int]] = {}
    check = checker(key, "batch")
    for status, bids in changed.items():
        verdict = verdict_for(status)
        for bid in bids:
            ref = batches_[bid]
            if ref.stored is None or ref.row_version is None:
                rest.setdefault((status, verdict), []).append(bid)
                continue
            code, site_id, stall_id, food, quantity, sampled_at = ref.stored
            # The row as sealed_select gives it: id, record key, the batch's sealed fields in order.
            seal = check((bid, None, code, site_id, stall_id, food, quantity, status, verdict, sampled_at))
            held.append((status, verdict, seal, bid, ref.row_version))
    out: dict[int, str] = {}
    if held:
        update = _status_update()
        for start in range(0, len(held), 5000):
            part = held[start:start + 5000]
            done = update(part)
            if done != len(part):  # some batch changed since it was read: those are read back
                stored = dict(load_in(sa.select(Batch.id, Batch.seal), Batch.id, [p[3] for p in part]))
                for status, verdict, seal, bid, rv in part:
                    if stored.get(bid) != seal:
                        rest.setdefault((status, verdict), []).append(bid)
                    else:
                        out[bid] = seal
            else:
                out.update((p[3], p[2]) for p in part)
    if rest:
        out.update(update_sealed(db.session, "batch", ("status", "verdict"), rest, key,
                                 also={"row_version": Batch.__table__.c.row_version + sa.literal_column("1")}))
    return out


def _status_update() -> RowsUpdate:
    """``UPDATE batches SET status, verdict, seal, row_version + 1 WHERE id AND row_version`` for
    many batches a statement, from rows (status, verdict, seal, id, row version)."""
    return RowsUpdate(Batch.__table__, ("status", "verdict", "seal"), ("id", "row_version"),
                      more="row_version = batches.row_version + 1")


def refresh_statuses(batches_: dict[int, BatchRef], known: dict[int, list] | None = None,
                     positive: set = frozenset()) -> dict[int, str]:
    """Bring many batches' statuses in step with their results, by the rule of
    ``lims.rules.batch_status`` (as ``batches.services.refresh_status`` does for one).

    ``known``: batch id → the (item, tested_at, row, outcome) of every result of a batch that
    was fresh (registered, untouched) before them — its status is worked out from those alone;
    the others read their results (a result sent back counting as ``invalid``) and disposition.
    In chunks, so that memory stays flat. Status, verdict and seal are written in one
    executemany. Returns batch id → the seal stored, for the batches whose status moved."""
    known = known if known is not None else {}
    ids = list(batches_)
    changed: dict[str, list[int]] = {}  # new status → batches
    single: dict[str, str] = {}  # outcome → status of a batch with one test and one result
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        statuses: dict[int, str] = {}
        others = []
        for bid in chunk:
            ref = batches_[bid]
            outcomes = known.pop(bid, None) if ref.fresh and bid not in positive else None
            if outcomes is not None:
                if len(outcomes) == 1 and len(ref.planned) == 1:
                    # The most common batch: one test, planned or now planned, one result.
                    # Its status depends on that outcome alone.
                    outcome = outcomes[0][3]
                    status = single.get(outcome)
                    if status is None:
                        status = single[outcome] = batch_status(ref.planned, {outcomes[0][0]: outcome}, None)
                else:
                    status = batch_status(ref.planned, effective_outcomes(outcomes), None)
                statuses[bid] = status
            else:
                others.append(bid)
        for sub in range(0, len(others), 900):
            part = others[sub:sub + 900]
            results: dict[int, list] = {}
            for row in db.session.execute(
                    sa.select(Result.batch_id, Result.item_id, Result.tested_at, Result.id,
                              sa.case((Result.rejected.is_(True), "invalid"), else_=Result.outcome))
                    .where(Result.batch_id.in_(part),
                           sa.or_(Result.current.is_(True), Result.rejected.is_(True)))).all():
                results.setdefault(row[0], []).append(tuple(row[1:]))
            dispositions = dict(db.session.execute(sa.select(Disposition.batch_id, Disposition.status)
                                                   .where(Disposition.batch_id.in_(part))).all())
            for bid in part:
                statuses[bid] = batch_status(batches_[bid].planned, effective_outcomes(results.get(bid, [])),
                                             dispositions.get(bid))
        for bid, status in statuses.items():
            if status != batches_[bid].status:
                changed.setdefault(status, []).append(bid)
    moved = _write_statuses(batches_, changed)
    # Batches loaded as objects in this session must not keep stale values.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Batch) and obj.id in batches_:
            db.session.expire(obj)
    return moved


def _snapshot(result: Result) -> dict:
    return {f: getattr(result, f) for f in RESULT_FIELDS} | {"item": result.item.code, "version": result.version}


def check_instrument(actor: Actor, instrument: Instrument | None) -> None:
    """A technician or reviewer records results only with their own stations' instruments
    (422 naming the instrument): the one check behind the form, the round grid and the API."""
    if instrument is not None:
        actor.check_station(instrument.station_id, "instrument", instrument.serial)


def record_result(actor: Actor, batch: Batch, data: ResultInput, now: datetime | None = None) -> Result:
    """Judge and record one test of a batch; a positive opens the disposition at once.

    Raises InvalidInput for refusals (expired lot, future time, not a number…) and for
    unconfirmed warnings (item not meant for this food category)."""
    actor.require("result.create")
    actor.check_site(batch.site_id)
    check_instrument(actor, data.instrument)
    refuse_voided(batch)
    now = now or utcnow()
    a = assess(batch, data, now)
    if a.errors:
        raise InvalidInput(gettext("The result was not saved."), a.errors)
    if a.warnings and not data.confirm_warnings:
        raise InvalidInput(gettext("Please confirm the warnings to save this result."),
                           {k: v for k, v in a.warnings.items()})
    result = _new_result(actor, batch, data, a)
    if data.item not in batch.planned_items:
        batch.planned_items.append(data.item)
    db.session.flush()
    before, after = refresh_status(batch)
    record(actor, "result.create", "result", result.id, batch_id=batch.id,
           after=_snapshot(result) | {"batch_status": after}, at=now)
    if result.outcome == "positive":  # the disposition opened moves the batch's status on
        open_dispositions(actor, [Positive(batch.id, result.id, result.item_id)], now)
        refresh_status(batch)
    db.session.flush()
    return result


def get_result(actor: Actor, result_id: int) -> Result:
    result = db.session.get(Result, result_id)
    if result is None or not actor.may_see_site(result.batch.site_id):
        raise NotFound(gettext("Not found."))
    return result


def correct_result(actor: Actor, result: Result, data: ResultInput, reason: str, expected_version: int | None,
                   now: datetime | None = None) -> Result:
    """A correction is a new version with a mandatory reason; the old one stays visible.

    ``expected_version`` is the row version the editor saw: if someone else changed the
    result meanwhile, the second editor gets a Conflict and nothing is lost."""
    actor.require("result.create")
    batch = result.batch
    actor.check_site(batch.site_id)
    check_instrument(actor, data.instrument)
    refuse_voided(batch)
    now = now or utcnow()
    if not (reason or "").strip():
        raise InvalidInput(gettext("A correction needs a reason."), {"reason": [gettext("Required.")]})
    db.session.refresh(result, with_for_update=True)
    if not result.current or (expected_version is not None and result.row_version != expected_version):
        raise Conflict(gettext("Someone else changed this result in the meantime. Reload it and try again."))
    a = assess(batch, replace(data, confirm_warnings=True), now)
    if a.errors:
        raise InvalidInput(gettext("The result was not saved."), a.errors)
    before = _snapshot(result)
    result.current = False
    db.session.flush()
    new = _new_result(actor, batch, data, a, version=result.version + 1, supersedes=result, reason=reason.strip())
    db.session.flush()
    refresh_status(batch)
    record(actor, "result.correct", "result", new.id, batch_id=batch.id, before=before,
           after=_snapshot(new) | {"batch_status": batch.status}, reason=reason.strip(), at=now)
    if new.outcome == "positive":
        open_dispositions(actor, [Positive(batch.id, new.id, new.item_id)], now)
    _withdraw_if_no_positive(actor, batch, reason.strip(), now)
    refresh_status(batch)
    return new


def _withdraw_if_no_positive(actor: Actor, batch: Batch, reason: str, now: datetime) -> None:
    """A correction that leaves no positive withdraws a disposition nobody has acted on yet
    (a typing error caught before the seller was told); later stages need the laboratory."""
    d = db.session.execute(sa.select(Disposition).where(Disposition.batch_id == batch.id)).scalar_one_or_none()
    if d is None or d.status != "stopped" or d.notified_at is not None or d.actions:
        return
    positives = db.session.execute(sa.select(sa.func.count(Result.id)).where(
        Result.batch_id == batch.id, Result.current.is_(True), Result.outcome == "positive")).scalar_one()
    if positives:
        return
    d.status, d.closed_at = "released", now
    db.session.flush()
    record(actor, "disposition.withdraw", "disposition", d.id, batch_id=batch.id, before={"status": "stopped"},
           after={"status": "released"}, reason=reason, at=now)


def _check_reviewer(actor: Actor, result: Result) -> None:
    if not actor.may_act_on("result.review", (result.tested_by_id, result.entered_by_id)):
        raise Forbidden(gettext("You cannot review a result you tested or entered yourself."))


# Outcomes a reviewer never approves in bulk without naming them (and disagreements with the
# instrument): each stops a sale, sends a batch back or contradicts the instrument.
NEEDS_CONFIRMATION = ("positive", "suspect", "invalid")


def needs_confirmation(result: Result) -> bool:
    """Whether approving this result needs an explicit confirmation that names it."""
    return result.outcome in NEEDS_CONFIRMATION or bool(result.disagrees)


def result_label(result: Result) -> str:
    """A result as a reviewer recognises it: batch, item, verdict, reading, disagreement."""
    from lims import labels
    from lims.templating import _fmt_decimal

    parts = [result.batch.code, result.item.name, str(labels.OUTCOME_LABELS[result.outcome])]
    if result.value is not None:
        parts.append(f"{_fmt_decimal(result.value)}{(' ' + result.unit) if result.unit else ''}")
    elif result.value_text:
        parts.append(result.value_text)
    if result.disagrees:
        parts.append(gettext("instrument said %(word)s", word=result.instrument_word or "—"))
    return " ".join(parts)


def unconfirmed(results: list[Result], confirmed) -> list[Result]:
    """The pending results among ``results`` that need a confirmation naming them, when
    ``confirmed`` (result ids) is not exactly that set; else an empty list."""
    flagged = [r for r in results if r.current and r.reviewed_at is None and needs_confirmation(r)]
    if {r.id for r in flagged} == {int(i) for i in confirmed or ()}:
        return []
    return flagged


def review(actor: Actor, results: list[Result], note: str | None = None, now: datetime | None = None,
           confirmed=()) -> int:
    """Approve results (four eyes: never one's own). Returns how many were approved.

    All or nothing: if any result is the reviewer's own, nothing is approved (403). Positive,
    suspect, invalid and disagreeing results are approved only when ``confirmed`` (their ids)
    names exactly them; otherwise nothing is approved (422, the message names them)."""
    actor.require("result.review")
    now = now or utcnow()
    pending = [r for r in results if r.current and r.reviewed_at is None]
    for r in pending:
        actor.check_site(r.batch.site_id)
        _check_reviewer(actor, r)
    missing = unconfirmed(pending, confirmed)
    if missing:
        names = "; ".join(result_label(r) for r in missing)
        raise InvalidInput(gettext("Nothing was approved: confirm these results by name first: %(names)s",
                                   names=names), {"confirm": [result_label(r) for r in missing]})
    for r in pending:
        r.reviewed_at, r.reviewed_by_id, r.review_note = now, actor.user_id, (note or None)
        record(actor, "result.review", "result", r.id, batch_id=r.batch_id,
               after={"item": r.item.code, "outcome": r.outcome, "version": r.version}, reason=note or None,
               at=now)
    db.session.flush()
    return len(pending)


def reject(actor: Actor, result: Result, reason: str, now: datetime | None = None) -> Result:
    """Send a result back: it stays, reviewed and rejected, as a non-current version with the
    reason, and its batch waits for a retest of that item (four eyes, as for approval).

    A rejected positive does not lift the stop of sale: only a laboratory or a correction can."""
    actor.require("result.review")
    actor.check_site(result.batch.site_id)
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("A rejection needs a reason."), {"reason": [gettext("Required.")]})
    if len(reason) > 200:
        raise InvalidInput(gettext("The reason is too long."), {"reason": [gettext("At most 200 characters.")]})
    _check_reviewer(actor, result)
    db.session.refresh(result, with_for_update=True)
    if not result.current or result.reviewed_at is not None:
        raise Conflict(gettext("This result was reviewed or changed in the meantime."))
    result.reviewed_at, result.reviewed_by_id, result.review_note = now, actor.user_id, reason
    result.rejected, result.current = True, False
    db.session.flush()
    before, after = refresh_status(result.batch)
    record(actor, "result.reject", "result", result.id, batch_id=result.batch_id,
           before={"batch_status": before},
           after={"item": result.item.code, "outcome": result.outcome, "version": result.version,
                  "batch_status": after}, reason=reason, at=now)
    db.session.flush()
    return result


def sent_back(actor: Actor, limit: int = 100) -> list[Result]:
    """Rejected results not yet followed by a new test of the same item: the technicians' work."""
    newer = aliased(Result)
    stmt = scope_to_sites(
        sa.select(Result).join(Batch, Batch.id == Result.batch_id)
        .where(Result.rejected.is_(True),
               ~sa.exists().where(newer.batch_id == Result.batch_id, newer.item_id == Result.item_id,
                                  newer.current.is_(True), newer.id > Result.id))
        .order_by(Result.reviewed_at.desc()).limit(limit), Batch.site_id, actor)
    return list(db.session.execute(stmt).scalars())


def results_by_ids(ids) -> list[Result]:
    """Results by id, in id order (what a reviewer ticked; ``review`` checks each one)."""
    return list(db.session.execute(sa.select(Result).where(Result.id.in_(set(ids))).order_by(Result.id)).scalars())


def round_reviewable(actor: Actor, round_id: int) -> list[Result]:
    """A round's results waiting for review that this reviewer may approve: at the sites the
    reviewer sees, and by the four-eyes rule of ``lims.rules.permissions`` (never one the
    reviewer tested or entered), in the order they were recorded."""
    actor.require("result.review")
    stmt = scope_to_sites(
        sa.select(Result).join(Batch, Batch.id == Result.batch_id)
        .where(Batch.round_id == round_id, Result.current.is_(True), Result.reviewed_at.is_(None))
        .order_by(Result.id), Batch.site_id, actor)
    return [r for r in db.session.execute(stmt).scalars()
            if actor.may_act_on("result.review", (r.tested_by_id, r.entered_by_id))]


def pending_results(batch: Batch) -> list[Result]:
    return [r for r in batch.results if r.current and r.reviewed_at is None]


def review_batch(actor: Actor, batch: Batch, note: str | None = None, now: datetime | None = None,
                 confirmed=()) -> int:
    """Approve a batch's pending results; see :func:`review` for ``confirmed``."""
    actor.check_site(batch.site_id)
    pending = pending_results(batch)
    if not pending:
        raise Conflict(gettext("Nothing to review in this batch."))
    return review(actor, pending, note, now, confirmed)


@dataclass
class WorklistFilter:
    """What the reviewer narrows the worklist to (None: everything)."""

    site_id: int | None = None
    round_id: int | None = None
    outcome: str | None = None
    disagrees: bool = False


def worklist_query(actor: Actor, f: WorklistFilter):
    """Results waiting for review at the actor's sites, filtered: disagreements and
    corrections first, then the oldest."""
    from sqlalchemy.orm import joinedload

    stmt = (sa.select(Result).join(Batch, Batch.id == Result.batch_id)
            .where(Result.current.is_(True), Result.reviewed_at.is_(None), Batch.status != "voided"))
    if f.site_id is not None:
        stmt = stmt.where(Result.site_id == f.site_id)
    if f.round_id is not None:
        stmt = stmt.where(Batch.round_id == f.round_id)
    if f.outcome is not None:
        stmt = stmt.where(Result.outcome == f.outcome)
    if f.disagrees:
        stmt = stmt.where(Result.disagrees.is_(True))
    stmt = (stmt.order_by((Result.disagrees | (Result.version > 1)).desc(), Result.tested_at, Result.id)
            .options(joinedload(Result.batch).joinedload(Batch.site), joinedload(Result.batch).joinedload(Batch.stall),
                     joinedload(Result.item), joinedload(Result.tested_by), joinedload(Result.reagent_lot)))
    return scope_to_sites(stmt, Result.site_id, actor)


def worklist(actor: Actor, f: WorklistFilter, limit: int = 500) -> list[Result]:
    """The first ``limit`` results of :func:`worklist_query`."""
    return list(db.session.execute(worklist_query(actor, f).limit(limit)).unique().scalars())


def worklist_round_counts(actor: Actor, f: WorklistFilter) -> dict[int, int]:
    """How many results of each round wait in the (filtered) worklist: what "approve round" covers."""
    inner = worklist_query(actor, f).order_by(None).with_only_columns(Batch.round_id).subquery()
    rows = db.session.execute(sa.select(inner.c.round_id, sa.func.count()).where(inner.c.round_id.is_not(None))
                              .group_by(inner.c.round_id)).all()
    return {r: n for r, n in rows}


def worklist_facets(actor: Actor) -> tuple[list, list]:
    """The sites and rounds that have results waiting for review (the filter's choices)."""
    from lims.models import Round, Site

    pending = scope_to_sites(
        sa.select(Result.site_id, Batch.round_id).select_from(Result).join(Batch, Batch.id == Result.batch_id)
        .where(Result.current.is_(True), Result.reviewed_at.is_(None)).distinct(), Result.site_id, actor)
    pairs = db.session.execute(pending).all()
    site_ids = {s for s, _ in pairs}
    round_ids = {r for _, r in pairs if r is not None}
    sites = list(db.session.execute(sa.select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)).scalars()) \
        if site_ids else []
    rounds = list(db.session.execute(sa.select(Round).where(Round.id.in_(round_ids))
                                     .order_by(Round.day.desc(), Round.id)).scalars()) if round_ids else []
    return sites, rounds
