"""The importer: an instrument file → judged results, in one transaction.

Rows stream from the parser in chunks; each reading is matched to its batch, judged by
``lims.rules`` exactly as a typed result is (through ``results.services.Assessor``), and the
instrument's word is kept beside our outcome. Valid rows are written at the driver, one
``executemany`` a chunk (``results.services.ResultWriter``); positives open their dispositions and
statuses move through the same result services as a typed result's; a
rejected row is logged with its reasons. ``dry_run`` runs the very same code inside a
savepoint and rolls it back, so the preview is exactly what a commit would do."""
from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from flask_babel import gettext, ngettext

from instruments import Limits, ParseError, Reading, RowProblem, SkippedRow, iter_file
from lims.accounts.access import Actor
from lims.formatting import join_sentences
from lims.audit.services import name_rows, name_sealed_rows, record
from lims.batches import services as batches
from lims.database import utcnow
from lims.errors import Conflict, InvalidInput, LimsError
from lims.extensions import db
from lims.imports.labels import format_label
from lims.imports.resolve import InstrumentIndex, ItemIndex, LotIndex, PlaceIndex, key, split_party
from lims.rules.orgs import foreign_station
from lims.models import Batch, FoodCategory, Import, ImportRow, Result, User, batch_tests
from lims.results.bulk import InList, utc_from_driver
from lims.results.services import (Assessor, BatchRef, Positive, ResultRow, ResultWriter, open_dispositions,
                                   refresh_statuses, result_row)

CHUNK = 2000
PREVIEW_ROWS = 1000  # ok rows shown in a preview; every problem row is shown (up to PROBLEM_ROWS)
PROBLEM_ROWS = 5000


@dataclass
class ImportOptions:
    filename: str = ""
    format: str | None = None
    dry_run: bool = False
    strict: bool = False
    create_batches: bool = False
    assignments: dict = field(default_factory=dict)  # row number → batch code
    source: str = "web"


@dataclass
class RowReport:
    row: int
    status: str  # ok (imported or ready), rejected, no_data, unmatched, duplicate
    sample_code: str | None = None
    food: str | None = None
    party: str | None = None
    stall: str | None = None  # the stall the row names (its own column, or read from the tested party)
    item: str | None = None
    reading: str = ""
    outcome: str | None = None
    instrument_outcome: str | None = None
    disagrees: bool = False
    batch: str | None = None
    creates_batch: bool = False
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    filename: str
    sha256: str
    size: int
    dry_run: bool
    strict: bool
    status: str = "preview"  # preview, committed, rejected, already_imported
    format: str | None = None
    error: str | None = None
    import_id: int | None = None
    previous_at: datetime | None = None
    previous_by: str | None = None
    rows_total: int = 0
    ok: int = 0
    rejected: int = 0
    no_data: int = 0
    unmatched: int = 0
    duplicates: int = 0
    positives: int = 0
    unmatched_positives: int = 0  # positives among the rows still to be matched to a batch
    oldest_tested_at: datetime | None = None  # the earliest test time in the file
    disagreements: int = 0
    created_batches: int = 0
    rows: list[RowReport] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)

    @property
    def changed_nothing(self) -> bool:
        return self.status in ("preview", "rejected", "already_imported")


def problem_message(problem) -> str:
    """A parser's problem in the user's language (templates are extracted from instruments/)."""
    params = dict(problem.params)
    if params.get("format"):
        params["format"] = format_label(params["format"])
    if isinstance(problem, RowProblem):
        params.update(row=problem.row, column=problem.column or "")
    try:
        return gettext(problem.template).format_map(_Keep(params))
    except (KeyError, ValueError, IndexError):
        return problem.message


class _Keep(dict):
    def __missing__(self, k):
        return "{" + k + "}"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def previous_import(sha: str) -> Import | None:
    return db.session.execute(sa.select(Import).where(Import.committed_sha256 == sha)).scalar_one_or_none()


def answered_at_once(data: bytes, options: ImportOptions) -> bool:
    """True when ``run_import`` answers this file without reading a row: it was imported
    before, or no instrument format reads it. Even a large one needs no background job then."""
    prev = previous_import(sha256_of(data))
    if prev is not None and (prev.imported or options.dry_run):
        return True  # already imported (the rule of _import_once)
    try:
        _fmt, stream = iter_file(data, filename=options.filename or None, format=options.format, now=utcnow(),
                                 tz=current_app.config["TIMEZONE"], limits=_limits())
    except ParseError:
        return True
    stream.close()
    return False


def _limits() -> Limits:
    cfg = current_app.config
    return Limits(max_bytes=int(cfg["IMPORT_MAX_BYTES"]), max_rows=int(cfg["IMPORT_MAX_ROWS"]))


#: How often an import is tried when the same file is committed by someone else between the
#: check for it and the insert (the next try then finds it). Beyond that: a clear 409.
IMPORT_ATTEMPTS = 3


class _CommittedMeanwhile(Exception):
    """The import log's unique row was taken by a concurrent commit: look again."""


def run_import(actor: Actor, data: bytes, options: ImportOptions, now: datetime | None = None,
               progress=None) -> ImportReport:
    """Preview (dry run) or commit one instrument file. Never raises for a bad file: the
    report says what was wrong (``status == "rejected"``), and nothing but the import log
    changed. Raises Conflict when concurrent commits keep getting in the way."""
    for _attempt in range(IMPORT_ATTEMPTS):
        try:
            return _import_once(actor, data, options, now, progress)
        except _CommittedMeanwhile:
            continue
    raise Conflict(gettext("Others were saving the same import at the same moment, %(n)d times in a row. "
                           "Try again.", n=IMPORT_ATTEMPTS))


def _import_once(actor: Actor, data: bytes, options: ImportOptions, now: datetime | None,
                 progress) -> ImportReport:
    actor.require("import.create")
    now = now or utcnow()
    sha = sha256_of(data)
    report = ImportReport(filename=options.filename, sha256=sha, size=len(data), dry_run=options.dry_run,
                          strict=options.strict)
    prev = previous_import(sha)
    if prev is not None and prev.imported == 0 and not options.dry_run:
        # Nothing of that file landed (every row unmatched or refused): once the cause is
        # fixed (an alias, a lot, a batch), the same file may be imported again.
        prev.committed_sha256 = None
        db.session.flush()
        prev = None
    if prev is not None:
        report.status, report.import_id, report.format = "already_imported", prev.id, prev.format
        report.previous_at = prev.created_at
        report.previous_by = prev.created_by.display_name if prev.created_by else "system"
        report.error = gettext("This file was already imported on %(when)s by %(who)s.",
                               when=_local(prev.created_at), who=report.previous_by)
        return report
    try:
        fmt, stream = iter_file(data, filename=options.filename or None, format=options.format, now=now,
                                tz=current_app.config["TIMEZONE"], limits=_limits())
    except ParseError as exc:
        return _reject_file(actor, report, options, problem_message(exc), now)
    report.format = fmt
    savepoint = db.session.begin_nested()
    try:
        try:
            job = _Importer(actor, options, report, now)
        except IntegrityError:  # the same file committed by someone else a moment ago
            raise _CommittedMeanwhile from None  # the savepoint is rolled back below
        with _collector_paused():
            with stream:
                chunk = []
                for item in stream:
                    chunk.append(item)
                    if len(chunk) >= CHUNK:
                        job.process(chunk)
                        chunk = []
                        if progress:
                            progress(stream.rows_seen)
                if chunk:
                    job.process(chunk)
            if progress:
                progress(stream.rows_seen)
            job.finish()
    except ParseError as exc:  # too many rows, or a CSV that breaks off half-way
        savepoint.rollback()
        return _reject_file(actor, report, options, problem_message(exc), now)
    except BaseException:
        savepoint.rollback()
        raise
    if options.strict and report.rejected:
        savepoint.rollback()
        report.error = ngettext("Strict mode: %(num)d row was rejected, so the whole file was refused.",
                                "Strict mode: %(num)d rows were rejected, so the whole file was refused.",
                                report.rejected)
        return _reject_file(actor, report, options, report.error, now, rows=job.logged_rows)
    if options.dry_run:
        savepoint.rollback()
        report.status, report.import_id = "preview", None
        return report
    savepoint.commit()
    report.status = "committed"
    _store_original(job.import_, data)
    return report


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector paused while rows stream through: an import allocates
    millions of short-lived objects without cycles, and the collector's passes over them
    took a seventh of the time. What the rows leave behind is freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _local(value):
    from lims.i18n import format_local

    return format_local(value)


def _reject_file(actor, report, options, message, now, rows=()):
    """A refused file leaves only its own log entry (and none at all in a dry run)."""
    report.status, report.error = "rejected", message
    if options.dry_run:
        return report
    entry = Import(sha256=report.sha256, filename=options.filename[:200] or "-", format=report.format,
                   size_bytes=report.size, status="rejected", source=options.source, strict=options.strict,
                   message=message[:500], rows_total=report.rows_total, rejected=report.rejected,
                   no_data=report.no_data, unmatched=report.unmatched, duplicates=report.duplicates,
                   created_by_id=actor.user_id, created_at=now)
    db.session.add(entry)
    db.session.flush()
    if rows:
        db.session.execute(sa.insert(ImportRow), [{**r, "import_id": entry.id} for r in rows])
    report.import_id = entry.id
    return report


def _store_original(entry: Import, data: bytes) -> None:
    """Keep the file as it came, linked to the results it produced, under a name of our own
    (never the uploader's extension: the file is served as opaque bytes whatever it was called)."""
    rel = Path("imports") / f"{entry.created_at:%Y/%m}" / f"{entry.sha256}.bin"
    target = Path(current_app.config["DATA_DIR"]) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    entry.stored_path = str(rel)
    db.session.flush()


def stored_file(entry: Import) -> Path | None:
    if not entry.stored_path:
        return None
    return Path(current_app.config["DATA_DIR"]) / entry.stored_path


class _Importer:
    """One file's worth of state: indexes, counters, the rows to write."""

    def __init__(self, actor: Actor, options: ImportOptions, report: ImportReport, now: datetime):
        self.actor, self.options, self.report, self.now = actor, options, report, now
        self.items, self.lots, self.places = ItemIndex(), LotIndex(), PlaceIndex()
        self.own_stations = actor.station_ids
        self.instruments = InstrumentIndex(self.own_stations)
        self.testers: dict[str, int] = {}  # an imported tester's name → that user
        for uid, display, username in db.session.execute(sa.select(User.id, User.display_name, User.username)):
            self.testers.setdefault(key(display), uid)
            self.testers.setdefault(key(username), uid)
        self.seen_keys: set[str] = set()  # the record keys of the chunk being read
        # The hashes of the record keys of earlier chunks (a few bytes each, not the keys): a key
        # whose hash is here is looked for among the results stored, which settles it exactly.
        self.seen_hashes: set[int] = set()
        self.touched: dict[int, BatchRef] = {}
        self.unplanned: list[dict] = []  # (batch, item) pairs imported but not planned before
        self.positives: list[BatchRef] = []
        self.logged_rows: list[dict] = []
        self.created: dict[str, BatchRef] = {}  # batches this file created, by code or by what identifies them
        self.shown = {True: 0, False: 0}  # preview rows kept: ok / with a problem
        self.categories = {c.id: c for c in db.session.execute(sa.select(FoodCategory)).scalars()}
        self.assess = Assessor(now)
        self.texts: dict = {}
        self.item_facts: dict = {}
        self.tester_ids: dict = {}
        self.visible: dict = {}
        self.sampling_times: dict = {}
        self.lot_warnings: dict = {}
        self.batch_query = InList(lambda codes: sa.select(
            Batch.id, Batch.code, Batch.site_id, Batch.station_id, Batch.sampled_at, Batch.category_id, Batch.status,
            batch_tests.c.item_id, Batch.stall_id, Batch.food, Batch.quantity_kg, Batch.row_version).outerjoin(batch_tests, batch_tests.c.batch_id == Batch.id).where(Batch.code.in_(codes)))
        self.outcomes: dict[int, list] = {}  # batch id → this file's (item, tested_at, row, outcome)
        self.moved: list[int] = []  # batches whose status this file moved
        self.import_ = Import(sha256=report.sha256, committed_sha256=report.sha256,
                              filename=(options.filename or "-")[:200], format=report.format,
                              size_bytes=report.size, status="committed", source=options.source,
                              strict=options.strict, created_by_id=actor.user_id, created_at=now)
        db.session.add(self.import_)
        db.session.flush()
        self.report.import_id = self.import_.id
        self.writer = ResultWriter(actor, now, self.import_.id)

    # --- rows -------------------------------------------------------------------------------

    def _show(self, row: RowReport) -> None:
        ok = row.status == "ok"
        if self.shown[ok] < (PREVIEW_ROWS if ok else PROBLEM_ROWS):
            self.shown[ok] += 1
            self.report.rows.append(row)

    def _batches(self, codes) -> dict[str, BatchRef]:
        """The batches of these codes with their planned tests: rows straight from the driver,
        900 codes a query (a join against a temporary table of codes is planned as a scan)."""
        out: dict[str, BatchRef] = {}
        codes = list(codes)
        categories, times, touched = self.categories, self.sampling_times, self.touched
        for start in range(0, len(codes), 900):
            part = codes[start:start + 900]
            for (bid, code, site_id, station_id, sampled_at, category_id, status, item_id, stall_id, food, quantity,
                 row_version) in self.batch_query(part).fetchall():
                ref = out.get(code)
                if ref is None:
                    # A batch met in an earlier chunk is the same one, as this file left it (the
                    # tests it planned, its results still to be counted in its status).
                    ref = touched.get(bid)
                    if ref is None:
                        at = times.get(sampled_at)  # a round's samples share their times
                        if at is None:
                            at = times[sampled_at] = utc_from_driver(sampled_at)
                        ref = BatchRef(bid, code, site_id, station_id, at, categories.get(category_id), status,
                                       stored=(code, site_id, stall_id, food, quantity, sampled_at),
                                       row_version=row_version)
                    out[code] = ref
                if item_id is not None:
                    ref.planned.add(item_id)
        return out

    def _log(self, row: RowReport, problems: list[dict]) -> None:
        self.logged_rows.append({"row_no": row.row, "status": "rejected" if row.status == "rejected" else row.status,
                                 "sample_code": (row.sample_code or "")[:64] or None,
                                 "item": (row.item or "")[:64] or None, "problems": problems})

    def _code(self, r: Reading) -> str:
        return (self.options.assignments.get(r.row) or r.sample_code or "").strip().upper()

    def process(self, chunk) -> None:
        readings = [i for i in chunk if type(i) is Reading]
        if self.options.assignments:
            codes = {r.row: self._code(r) for r in readings}
        else:
            codes = {r.row: (r.sample_code or "").strip().upper() for r in readings}
        found = self._batches(set(codes.values()) - {""})
        keys = {r.row: _record_key(r) for r in readings}
        # Only a batch that already has results can already hold one of these records — or an
        # earlier chunk of this file (then the key's hash was seen); within the chunk, ``seen_keys``.
        self.seen_hashes.update(hash(k) for k in self.seen_keys)
        self.seen_keys = set()
        seen = self.seen_hashes
        check = [keys[r.row] for r in readings
                 if (b := found.get(codes[r.row])) is None or not b.fresh or hash(keys[r.row]) in seen]
        existing = set()
        for start in range(0, len(check), 900):
            existing.update(db.session.execute(sa.select(Result.record_key).where(
                Result.record_key.in_(check[start:start + 900]))).scalars())
        rows = []
        for item in chunk:
            self.report.rows_total += 1
            if isinstance(item, SkippedRow):
                self.report.no_data += 1
                rr = RowReport(item.row, "no_data", messages=[gettext("Empty channel: no data.")])
                self._show(rr)
                self._log(rr, [{"code": "no_data"}])
            elif isinstance(item, RowProblem):
                problem = {"code": item.code, "column": item.column, "params": _json_params(item.params)}
                if self.logged_rows and self.logged_rows[-1]["row_no"] == item.row \
                        and self.logged_rows[-1]["status"] == "rejected":
                    # Another problem of the same row: one row, every reason.
                    self.report.rows_total -= 1
                    self.logged_rows[-1]["problems"].append(problem)
                    shown = next((r for r in reversed(self.report.rows) if r.row == item.row), None)
                    if shown is not None:
                        shown.messages.append(problem_message(item))
                else:
                    self._reject(RowReport(item.row, "rejected"), [problem_message(item)], [problem])
            else:
                row = self._reading(item, codes[item.row], keys[item.row], found, existing)
                if row is not None:
                    rows.append(row)
        if rows:
            self.writer.write(rows)

    def _reject(self, rr: RowReport, messages: list[str], problems: list[dict]) -> None:
        rr.status = "rejected"
        rr.messages = messages
        self.report.rejected += 1
        self._show(rr)
        self._log(rr, problems)

    def _row_report(self, r: Reading, status: str = "ok") -> RowReport:
        return RowReport(r.row, status, sample_code=r.sample_code, food=r.food, party=r.tested_party or r.site,
                         stall=r.stall or split_party(r.tested_party)[1], item=r.item, reading=_reading_text(r),
                         instrument_outcome=r.instrument_outcome)

    def _outcome_without_batch(self, r: Reading, item) -> str | None:
        """The verdict of a row not yet matched to a batch, by the item's own rule (no food
        category yet), so that the preview counts its positives before they are matched."""
        lot = self.lots.find(item, r.reagent_lot) if r.reagent_lot else None
        method, value_text, word = self._texts(r)[:3]
        qualitative = r.qualitative
        if qualitative is None and r.value is None and value_text:
            qualitative = self.assess.word(value_text)
        a = self.assess.reading(item, None, lot, method, r.tested_at, None,
                                (r.value, qualitative, r.control_delta, r.sample_delta, r.c_line, r.t_line, r.tc_ratio),
                                word)
        return a.judgement.outcome if a.judgement else None

    def _reading(self, r: Reading, code: str, rkey: str, found: dict, existing: set) -> ResultRow | None:
        oldest = self.report.oldest_tested_at
        if r.tested_at is not None and (oldest is None or r.tested_at < oldest):
            self.report.oldest_tested_at = r.tested_at
        item = self.items.find(r.item, r.method, r.cutoff)
        if item is None:
            self._reject(self._row_report(r), [gettext(
                "Row %(row)d: the test item “%(item)s” is not known. Add it as an alias of a test item, or correct "
                "the file.", row=r.row, item=r.item)], [{"code": "unknown_item", "params": {"item": r.item}}])
            return None
        if rkey in self.seen_keys or rkey in existing:
            rr = self._row_report(r, "duplicate")
            rr.item = item.name
            rr.messages = [gettext("Row %(row)d: already imported (the same instrument record).", row=r.row)]
            self.report.duplicates += 1
            self._show(rr)
            self._log(rr, [{"code": "duplicate"}])
            return None
        batch = found.get(code) or self.created.get(code) if code else None
        if batch is not None and not self._may_see(batch.site_id):
            batch = None
        creates = False
        if batch is None and self.options.create_batches:
            rr = self._row_report(r)
            batch = self._create_batch(r, rr, code)
            if batch is False:
                return None
            creates = rr.creates_batch
        if batch is not None and batch.status == "voided":
            rr = self._row_report(r)
            rr.batch = batch.code
            self._reject(rr, [gettext("Row %(row)d: batch %(code)s was voided; no result can be recorded on it.",
                                      row=r.row, code=batch.code)], [{"code": "voided", "params": {"code": code}}])
            return None
        if batch is None:
            rr = self._row_report(r, "unmatched")
            rr.item = item.name
            rr.messages = [gettext("Row %(row)d: no batch has the code %(code)s.", row=r.row, code=code)
                           if code else gettext("Row %(row)d: the row has no sample code.", row=r.row)]
            rr.outcome = self._outcome_without_batch(r, item)
            self.report.unmatched_positives += rr.outcome == "positive"
            self.report.unmatched += 1
            self._show(rr)
            self._log(rr, [{"code": "unmatched", "params": {"code": code}}])
            return None
        inst = self.instruments.find(r.instrument) if r.instrument else None
        if inst is not None and foreign_station(self.own_stations, inst.station_id):
            rr = self._row_report(r)
            rr.item, rr.batch = item.name, batch.code
            self._reject(rr, [gettext("Row %(row)d: %(problem)s", row=r.row, problem=gettext(
                "%(name)s belongs to another station than yours.", name=inst.serial))],
                         [{"code": "foreign_instrument", "params": {"instrument": inst.serial}}])
            return None
        lot = self.lots.find(item, r.reagent_lot) if r.reagent_lot else None
        warnings = self._unknown_lot(r.reagent_lot) if r.reagent_lot and lot is None else ()
        method, value_text, word, unit, channel, tester = self._texts(r)
        qualitative = r.qualitative
        if qualitative is None and r.value is None and value_text:
            qualitative = self.assess.word(value_text)
        a = self.assess.reading(item, batch.category, lot, method, r.tested_at, batch.sampled_at,
                                (r.value, qualitative, r.control_delta, r.sample_delta, r.c_line, r.t_line, r.tc_ratio),
                                word, warnings)
        if a.errors:
            rr = self._row_report(r)
            rr.item, rr.batch = item.name, batch.code
            rr.warnings = [str(m) for msgs in a.warnings.values() for m in msgs]
            self._reject(rr, [gettext("Row %(row)d: %(problem)s", row=r.row, problem=m)
                              for msgs in a.errors.values() for m in msgs],
                         [{"code": "refused", "params": {k: [str(m) for m in v] for k, v in a.errors.items()}}])
            return None
        j = a.judgement
        self.seen_keys.add(rkey)
        report = self.report
        report.ok += 1
        report.positives += j.outcome == "positive"
        report.disagreements += a.disagrees
        if self.shown[True] < PREVIEW_ROWS:  # build the preview row only when it is shown
            rr = self._row_report(r)
            rr.item, rr.batch, rr.outcome, rr.disagrees = item.name, batch.code, j.outcome, a.disagrees
            rr.creates_batch = creates
            rr.warnings = [str(m) for msgs in a.warnings.values() for m in msgs]
            self._show(rr)
        self.touched[batch.id] = batch
        facts = self.item_facts.get(item)
        if facts is None:  # read once: an ORM attribute costs more than most steps of a row
            facts = self.item_facts[item] = (item.id, item.unit, item.method)
        iid, item_unit, item_method = facts
        if iid not in batch.planned:  # a test imported for a batch becomes one of its planned tests
            batch.planned.add(iid)
            self.unplanned.append({"batch_id": batch.id, "item_id": iid})
        self.outcomes.setdefault(batch.id, []).append((iid, r.tested_at, r.row, j.outcome))
        if j.outcome == "positive":
            self.positives.append(batch)
        return result_row(
            batch.id, batch.site_id, batch.station_id, iid, item_unit, item_method, a, record_key=rkey, value=r.value,
            value_text=value_text, qualitative=qualitative, unit=unit, control_delta=r.control_delta,
            sample_delta=r.sample_delta, c_line=r.c_line, t_line=r.t_line, tc_ratio=r.tc_ratio,
            reading_mode=r.reading_mode, method=method, pretreated=None, instrument_word=word,
            reagent_lot_id=lot.id if lot else None, instrument_id=inst.id if inst else None,
            instrument_station_id=inst.station_id if inst else None, channel=channel, tested_at=r.tested_at,
            tested_by_id=self._tester_id(r.tester) if r.tester else self.actor.user_id, tester_name=tester,
            import_row=r.row)

    def _texts(self, r: Reading) -> tuple:
        """The row's free texts (method, value text, word, unit, channel, tester) cut to what
        their columns hold — remembered, as they repeat row after row."""
        k = (r.method, r.value_text, r.instrument_word, r.unit, r.channel, r.tester)
        out = self.texts.get(k)
        if out is None:
            out = self.texts[k] = tuple(_clip(t, n) for t, n in zip(k, (64, 32, 32, 16, 8, 32)))
        return out

    def _unknown_lot(self, code: str) -> list:
        warning = self.lot_warnings.get(code)
        if warning is None:
            warning = self.lot_warnings[code] = [("reagent_lot", gettext(
                "Reagent lot %(lot)s is not registered; the result is kept without it.", lot=code))]
        return warning

    def _tester_id(self, name: str):
        uid = self.tester_ids.get(name)
        if uid is None:
            uid = self.tester_ids[name] = self.testers.get(key(name), self.actor.user_id)
        return uid

    def _may_see(self, site_id: int) -> bool:
        ok = self.visible.get(site_id)
        if ok is None:
            ok = self.visible[site_id] = self.actor.may_see_site(site_id)
        return ok

    def _create_batch(self, r: Reading, rr: RowReport, code: str):
        """A batch for an unmatched row, when the site and stall resolve (only on request).

        Several rows of one sample (other items) share the batch the first of them created."""
        site_name, stall_code = (r.site, r.stall) if r.site else split_party(r.tested_party)
        key_ = code or f"{key(site_name)}|{key(stall_code)}|{key(r.food)}|{r.tested_at.date()}"
        if key_ in self.created:
            return self.created[key_]
        if not r.food:
            self._reject(rr, [gettext("Row %(row)d: cannot create a batch without the food's name (样品名称).",
                                      row=r.row)], [{"code": "no_food"}])
            return False
        site = self.places.site(site_name)
        if site is None or not self.actor.may_see_site(site.id):
            self._reject(rr, [gettext("Row %(row)d: cannot create a batch: the site “%(site)s” is not known.",
                                      row=r.row, site=site_name or "")], [{"code": "unknown_site"}])
            return False
        stall = self.places.stall(site, stall_code)
        if stall_code and stall is None:
            self._reject(rr, [gettext("Row %(row)d: cannot create a batch: %(site)s has no stall %(stall)s.",
                                      row=r.row, site=site.name, stall=stall_code)], [{"code": "unknown_stall"}])
            return False
        category = None
        if r.category:
            try:
                category = batches.find_category(r.category)
            except InvalidInput:
                category = None
        valid_code = code if code and batches.BATCH_CODE.match(code) else None
        try:
            with db.session.begin_nested():
                batch = batches.register_batch(self.actor, batches.BatchInput(
                    site=site, stall=stall, food=r.food, sampled_at=r.tested_at, category=category,
                    supplier_name=r.supplier, origin=r.origin, quantity_kg=r.quantity_kg, code=valid_code,
                    tests=[], confirm_no_tests=True), self.now)
        except LimsError as exc:  # the refusal becomes this row's reason
            message = str(exc.message)
            details = join_sentences(str(m) for v in exc.errors.values() for m in v)
            self._reject(rr, [gettext("Row %(row)d: cannot create a batch: %(why)s", row=r.row,
                                      why=details or message)], [{"code": "create_failed"}])
            return False
        rr.creates_batch = True
        self.report.created_batches += 1
        ref = BatchRef(batch.id, batch.code, batch.site_id, batch.station_id, batch.sampled_at, batch.category,
                       batch.status, {i.id for i in batch.planned_items})
        self.created[key_] = ref
        if code:
            self.created[code] = ref
        return ref

    # --- after the last row ------------------------------------------------------------------

    def finish(self) -> None:
        self._open_dispositions()
        if self.unplanned:
            db.session.execute(batch_tests.insert(), self.unplanned)
        self._refresh_statuses()
        if self.logged_rows:
            db.session.execute(sa.insert(ImportRow), [{**r, "import_id": self.import_.id} for r in self.logged_rows])
        r = self.report
        imp = self.import_
        imp.rows_total, imp.imported, imp.rejected = r.rows_total, r.ok, r.rejected
        imp.no_data, imp.unmatched, imp.duplicates = r.no_data, r.unmatched, r.duplicates
        touched = len(self.touched)
        r.batches = [b.code for b in itertools.islice(self.touched.values(), 200)]
        # What the rows needed is let go before the results are named (the peak of memory).
        self.touched, self.outcomes, self.positives, self.created = {}, {}, [], {}
        # Written at the driver, the results (sealed as they were inserted) and the batches whose
        # status moved (sealed as their status was written) are named in the trail by one entry
        # per chunk of rows: the results' seals as stored, streamed in id order (never all held
        # at once), the batches' from the status update.
        span: list[int] = []

        def stored_seals():
            results = Result.__table__.c  # Core rows, read 10,000 at a time (a server-side cursor on PostgreSQL)
            for part in db.session.connection().execute(
                    sa.select(results.id, results.seal).where(results.import_id == imp.id).order_by(results.id),
                    execution_options={"yield_per": 10_000}).partitions():
                if not span:
                    span.append(part[0][0])
                span[1:] = [part[-1][0]]
                yield from part

        db.session.flush()  # the import's own row first: only the trail is written while the seals stream
        name_sealed_rows(self.actor, "result", stored_seals(), "result.import", at=self.now)
        name_rows(self.actor, "batch", list(self.moved), "batch.import_status", at=self.now, seals=self.moved)
        self.moved = {}
        # One entry covers the file: its hash, its counts and the results it created (they
        # carry import_id and import_row; the rows it refused are in import_rows).
        first_id, last_id = span if span else (None, None)
        record(self.actor, "import.commit", "import", imp.id, at=self.now,
               after={"filename": imp.filename, "sha256": imp.sha256, "format": imp.format, "rows": r.rows_total,
                      "imported": r.ok, "rejected": r.rejected, "no_data": r.no_data, "unmatched": r.unmatched,
                      "duplicates": r.duplicates, "created_batches": r.created_batches, "positives": r.positives,
                      "results": [first_id, last_id], "batches": touched})
        db.session.flush()

    def _open_dispositions(self) -> None:
        """Each positive stops its batch's sale — exactly as for a typed positive, through the
        same service, in the order of the file."""
        if not self.positives:
            return
        open_dispositions(self.actor, [Positive(*row) for row in db.session.execute(
            sa.select(Result.batch_id, Result.id, Result.item_id)
            .where(Result.import_id == self.import_.id, Result.outcome == "positive").order_by(Result.id))], self.now)

    def _refresh_statuses(self) -> None:
        """Every touched batch's status in step with its results (the seals stored are named
        in finish())."""
        self.moved = refresh_statuses(self.touched, self.outcomes, {ref.id for ref in self.positives})


def _clip(text: str | None, n: int) -> str | None:
    """Free text from an instrument file, cut to what its column holds."""
    if text is None:
        return None
    text = str(text).strip()
    return text[:n] if text else None


def _record_key(r: Reading) -> str:
    key_ = r.record_key()
    return key_ if len(key_) <= 200 else "sha256:" + hashlib.sha256(key_.encode("utf-8")).hexdigest()


def _json_params(params: dict) -> dict:
    return {k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v)) for k, v in params.items()}


def _reading_text(r: Reading) -> str:
    if r.value is not None:
        return f"{format(r.value, 'f')}{' ' + r.unit if r.unit else ''}"
    if r.tc_ratio is not None:
        return f"T/C {format(r.tc_ratio, 'f')}"
    return r.value_text or ""



def row_status_label(status: str) -> str:
    from flask_babel import lazy_gettext as _l

    labels = {"imported": _l("Imported"), "rejected": _l("Rejected"), "no_data": _l("No data"),
              "unmatched": _l("Unmatched"), "duplicate": _l("Already imported")}
    return str(labels.get(status, status))


def row_reason(row: ImportRow) -> str:
    """The logged reasons of a row that was not imported, in the reader's language."""
    from instruments.problems import PROBLEMS

    out = []
    for p in row.problems or []:
        code = p.get("code")
        params = dict(p.get("params") or {})
        if code in PROBLEMS:
            params.update(row=row.row_no, column=p.get("column") or "")
            out.append(gettext(PROBLEMS[code]).format_map(_Keep(params)))
        elif code == "refused":
            out.extend(str(m) for msgs in params.values() for m in msgs)
        elif code == "unknown_item":
            out.append(gettext("The test item “%(item)s” is not known.", item=params.get("item", "")))
        elif code == "unmatched":
            out.append(gettext("No batch has the code %(code)s.", code=params["code"]) if params.get("code")
                       else gettext("The row has no sample code."))
        elif code == "duplicate":
            out.append(gettext("Already imported (the same instrument record)."))
        elif code == "voided":
            out.append(gettext("Batch %(code)s was voided.", code=params.get("code", "")))
        elif code == "no_data":
            out.append(gettext("Empty channel: no data."))
        elif code == "foreign_instrument":
            out.append(gettext("%(name)s belongs to another station than yours.", name=params.get("instrument", "")))
        else:
            out.append(code or "")
    return join_sentences(out)


def visible_imports(stmt, actor: Actor):
    """Limit a SELECT of imports to the actor's: who reaches every site sees every import;
    anyone else the imports they made and those whose results all lie in their sites (an
    import is a file: it shows its rows, so one touching another district stays hidden)."""
    scope = actor.site_ids
    if scope is None:
        return stmt
    outside = sa.exists().where(Result.import_id == Import.id, Result.site_id.not_in(scope or {-1}))
    inside = sa.exists().where(Result.import_id == Import.id)
    return stmt.where(sa.or_(Import.created_by_id == actor.user_id, sa.and_(inside, ~outside)))


def get_import(actor: Actor, import_id: int) -> Import:
    """One import the actor may see (:func:`visible_imports`); NotFound otherwise."""
    from lims.errors import NotFound

    entry = db.session.execute(visible_imports(sa.select(Import).where(Import.id == import_id), actor)
                               ).scalar_one_or_none()
    if entry is None:
        raise NotFound(gettext("Not found."))
    return entry
