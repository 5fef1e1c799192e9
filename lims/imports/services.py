"""The importer: an instrument file → judged results, in one transaction.

Rows stream from the parser in chunks; each reading is matched to its batch, judged by
``lims.rules`` exactly as a typed result is (through ``results.services.assess``), and the
instrument's word is kept beside our outcome. Valid rows are written with bulk inserts; a
rejected row is logged with its reasons. ``dry_run`` runs the very same code inside a
savepoint and rolls it back, so the preview is exactly what a commit would do."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from flask_babel import gettext

from instruments import Limits, ParseError, Reading, RowProblem, SkippedRow, iter_file
from lims.accounts.access import Actor
from lims.audit.services import record, record_many
from lims.batches import services as batches
from lims.database import utcnow
from lims.errors import InvalidInput, LimsError
from lims.extensions import db
from lims.imports.resolve import ItemIndex, LotIndex, PlaceIndex, batches_by_code, key, split_party
from lims.models import Batch, Disposition, Import, ImportRow, Result, User, batch_tests
from lims.results.services import ResultInput, assess, open_disposition_if_positive
from lims.rules.batch_status import batch_status, effective_outcomes, verdict_for

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


def _limits() -> Limits:
    cfg = current_app.config
    return Limits(max_bytes=int(cfg["IMPORT_MAX_BYTES"]), max_rows=int(cfg["IMPORT_MAX_ROWS"]))


def run_import(actor: Actor, data: bytes, options: ImportOptions, now: datetime | None = None,
               progress=None) -> ImportReport:
    """Preview (dry run) or commit one instrument file. Never raises for a bad file: the
    report says what was wrong (``status == "rejected"``), and nothing but the import log
    changed."""
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
            savepoint.rollback()
            return run_import(actor, data, options, now, progress)
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
        report.error = gettext("Strict mode: %(n)d rows were rejected, so the whole file was refused.",
                               n=report.rejected)
        return _reject_file(actor, report, options, report.error, now, rows=job.logged_rows)
    if options.dry_run:
        savepoint.rollback()
        report.status, report.import_id = "preview", None
        return report
    savepoint.commit()
    report.status = "committed"
    _store_original(job.import_, data)
    return report


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
    """Keep the file as it came, linked to the results it produced."""
    suffix = Path(entry.filename).suffix.lower()[:8] if entry.filename else ""
    rel = Path("imports") / f"{entry.created_at:%Y/%m}" / f"{entry.sha256}{suffix or '.bin'}"
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
        self.testers: dict[str, int] = {}  # an imported tester's name → that user
        for uid, display, username in db.session.execute(sa.select(User.id, User.display_name, User.username)):
            self.testers.setdefault(key(display), uid)
            self.testers.setdefault(key(username), uid)
        self.seen_keys: set[str] = set()
        self.touched: dict[int, Batch] = {}
        self.planned: set[tuple[int, int]] = set()
        self.positives: list[tuple[Batch, dict]] = []
        self.logged_rows: list[dict] = []
        self.created: dict[str, Batch] = {}  # batches this file created, by code or by what identifies them
        self.import_ = Import(sha256=report.sha256, committed_sha256=report.sha256,
                              filename=(options.filename or "-")[:200], format=report.format,
                              size_bytes=report.size, status="committed", source=options.source,
                              strict=options.strict, created_by_id=actor.user_id, created_at=now)
        db.session.add(self.import_)
        db.session.flush()
        self.report.import_id = self.import_.id
        self.table = Result.__table__

    # --- rows -------------------------------------------------------------------------------

    def _show(self, row: RowReport) -> None:
        r = self.report
        limit = PREVIEW_ROWS if row.status == "ok" else PROBLEM_ROWS
        shown = sum(1 for x in r.rows if (x.status == "ok") == (row.status == "ok"))
        if shown < limit:
            r.rows.append(row)

    def _log(self, row: RowReport, problems: list[dict]) -> None:
        self.logged_rows.append({"row_no": row.row, "status": "rejected" if row.status == "rejected" else row.status,
                                 "sample_code": (row.sample_code or "")[:64] or None,
                                 "item": (row.item or "")[:64] or None, "problems": problems})

    def process(self, chunk) -> None:
        codes = set()
        for item in chunk:
            if isinstance(item, Reading):
                code = self.options.assignments.get(item.row) or item.sample_code
                if code:
                    codes.add(code.strip().upper())
        found = batches_by_code(codes)
        keys = [_record_key(i) for i in chunk if isinstance(i, Reading)]
        existing = set()
        for start in range(0, len(keys), 900):
            existing.update(db.session.execute(sa.select(Result.record_key).where(
                Result.record_key.in_(keys[start:start + 900]))).scalars())
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
                row = self._reading(item, found, existing)
                if row is not None:
                    rows.append(row)
        if rows:
            db.session.execute(self.table.insert(), rows)

    def _reject(self, rr: RowReport, messages: list[str], problems: list[dict]) -> None:
        rr.status = "rejected"
        rr.messages = messages
        self.report.rejected += 1
        self._show(rr)
        self._log(rr, problems)

    def _reading(self, r: Reading, found: dict, existing: set) -> dict | None:
        rr = RowReport(r.row, "ok", sample_code=r.sample_code, food=r.food, party=r.tested_party or r.site,
                       item=r.item, reading=_reading_text(r), instrument_outcome=r.instrument_outcome)
        item = self.items.find(r.item, r.method, r.cutoff)
        if item is None:
            self._reject(rr, [gettext("Row %(row)d: the test item “%(item)s” is not known. Add it as an alias of "
                                      "a test item, or correct the file.", row=r.row, item=r.item)],
                         [{"code": "unknown_item", "params": {"item": r.item}}])
            return None
        rr.item = item.name
        rkey = _record_key(r)
        if rkey in self.seen_keys or rkey in existing:
            rr.status = "duplicate"
            rr.messages = [gettext("Row %(row)d: already imported (the same instrument record).", row=r.row)]
            self.report.duplicates += 1
            self._show(rr)
            self._log(rr, [{"code": "duplicate"}])
            return None
        code = (self.options.assignments.get(r.row) or r.sample_code or "").strip().upper()
        batch = found.get(code) or self.created.get(code) if code else None
        if batch is not None and not self.actor.may_see_site(batch.site_id):
            batch = None
        if batch is None and self.options.create_batches:
            batch = self._create_batch(r, rr, code)
            if batch is False:
                return None
        if batch is None:
            rr.status = "unmatched"
            rr.messages = [gettext("Row %(row)d: no batch has the code %(code)s.", row=r.row, code=code)
                           if code else gettext("Row %(row)d: the row has no sample code.", row=r.row)]
            self.report.unmatched += 1
            self._show(rr)
            self._log(rr, [{"code": "unmatched", "params": {"code": code}}])
            return None
        rr.batch = batch.code
        lot = self.lots.find(item, r.reagent_lot)
        warnings = []
        if r.reagent_lot and lot is None:
            warnings.append(("reagent_lot", gettext("Reagent lot %(lot)s is not registered; the result is kept "
                                                    "without it.", lot=r.reagent_lot)))
        data = ResultInput(
            item=item, tested_at=r.tested_at, value=r.value, value_text=_clip(r.value_text, 32), qualitative=r.qualitative, control_delta=r.control_delta,
            sample_delta=r.sample_delta, c_line=r.c_line, t_line=r.t_line, tc_ratio=r.tc_ratio,
            reading_mode=r.reading_mode, unit=_clip(r.unit, 16), method=_clip(r.method, 64), reagent_lot=lot,
            channel=_clip(r.channel, 8), instrument_word=_clip(r.instrument_word, 32), tester_name=_clip(r.tester, 32),
            record_key=rkey, extra_warnings=warnings)
        a = assess(batch, data, self.now)
        rr.warnings = [str(m) for msgs in a.warnings.values() for m in msgs]
        if a.errors:
            self._reject(rr, [gettext("Row %(row)d: %(problem)s", row=r.row, problem=m)
                              for msgs in a.errors.values() for m in msgs],
                         [{"code": "refused", "params": {k: [str(m) for m in v] for k, v in a.errors.items()}}])
            return None
        j = a.judgement
        rr.outcome, rr.disagrees = j.outcome, a.disagrees
        self.seen_keys.add(rkey)
        self.report.ok += 1
        self.report.positives += j.outcome == "positive"
        self.report.disagreements += a.disagrees
        self._show(rr)
        self.touched[batch.id] = batch
        self.planned.add((batch.id, item.id))
        row = {
            "batch_id": batch.id, "item_id": item.id, "version": 1, "current": True, "supersedes_id": None,
            "correction_reason": None, "record_key": rkey, "value": data.value, "value_text": data.value_text,
            "qualitative": data.signals.qualitative, "unit": data.unit or item.unit, "control_delta": data.control_delta,
            "sample_delta": data.sample_delta, "c_line": data.c_line, "t_line": data.t_line, "tc_ratio": data.tc_ratio,
            "reading_mode": data.reading_mode, "computed_value": j.computed_value, "cutoff": j.threshold,
            "method": data.method or item.method, "pretreated": None, "outcome": j.outcome, "reason": j.reason,
            "instrument_word": data.instrument_word, "instrument_outcome": a.instrument_outcome,
            "disagrees": a.disagrees, "signal_mismatch": j.signal_mismatch,
            "reagent_lot_id": lot.id if lot else None, "instrument_id": None, "station_id": batch.station_id,
            "channel": data.channel, "tested_at": r.tested_at,
            "tested_by_id": self.testers.get(key(r.tester), self.actor.user_id) if r.tester else self.actor.user_id,
            "tester_name": data.tester_name, "entered_by_id": self.actor.user_id, "created_at": self.now,
            "reviewed_at": None, "reviewed_by_id": None, "review_note": None,
            "import_id": self.import_.id, "import_row": r.row, "row_version": 1,
        }
        if j.outcome == "positive":
            self.positives.append((batch, row))
            return None  # written one by one in finish(): each opens its disposition
        return row

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
                    tests=[]), self.now)
        except LimsError as exc:  # the refusal becomes this row's reason
            message = str(exc.message)
            details = "；".join(str(m) for v in exc.errors.values() for m in v)
            self._reject(rr, [gettext("Row %(row)d: cannot create a batch: %(why)s", row=r.row,
                                      why=details or message)], [{"code": "create_failed"}])
            return False
        rr.creates_batch = True
        self.report.created_batches += 1
        self.created[key_] = batch
        return batch

    # --- after the last row ------------------------------------------------------------------

    def finish(self) -> None:
        for batch, row in self.positives:
            result = Result(**{k: v for k, v in row.items() if k != "row_version"})
            db.session.add(result)
            db.session.flush()
            open_disposition_if_positive(self.actor, batch, result, self.now)
        self._plan_items()
        self._refresh_statuses()
        if self.logged_rows:
            db.session.execute(sa.insert(ImportRow), [{**r, "import_id": self.import_.id} for r in self.logged_rows])
        r = self.report
        imp = self.import_
        imp.rows_total, imp.imported, imp.rejected = r.rows_total, r.ok, r.rejected
        imp.no_data, imp.unmatched, imp.duplicates = r.no_data, r.unmatched, r.duplicates
        record(self.actor, "import.commit", "import", imp.id, at=self.now,
               after={"filename": imp.filename, "sha256": imp.sha256, "format": imp.format, "rows": r.rows_total,
                      "imported": r.ok, "rejected": r.rejected, "no_data": r.no_data, "unmatched": r.unmatched,
                      "duplicates": r.duplicates, "created_batches": r.created_batches})
        counts: dict[int, int] = {}
        for batch_id, _item in self.planned:
            counts[batch_id] = counts.get(batch_id, 0) + 1
        record_many(self.actor, [
            {"action": "import.commit", "subject_type": "batch", "subject_id": b.code, "batch_id": b.id, "at": self.now,
             "after": {"filename": imp.filename, "import": imp.id, "items": counts.get(b.id, 0)}}
            for b in self.touched.values()])
        r.batches = [b.code for b in list(self.touched.values())[:200]]
        db.session.flush()

    def _plan_items(self) -> None:
        ids = list(self.touched)
        existing = set()
        for start in range(0, len(ids), 900):
            existing.update(tuple(x) for x in db.session.execute(
                sa.select(batch_tests.c.batch_id, batch_tests.c.item_id)
                .where(batch_tests.c.batch_id.in_(ids[start:start + 900]))).all())
        missing = [{"batch_id": b, "item_id": i} for b, i in self.planned - existing]
        if missing:
            db.session.execute(batch_tests.insert(), missing)

    def _refresh_statuses(self) -> None:
        """Bring every touched batch's status in step with its results (the same rule as
        ``batches.services.refresh_status``, over many batches at once)."""
        ids = list(self.touched)
        updates = []
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            results: dict[int, list] = {}
            for row in db.session.execute(sa.select(Result.batch_id, Result.item_id, Result.tested_at, Result.id,
                                                    Result.outcome)
                                          .where(Result.batch_id.in_(chunk), Result.current.is_(True))).all():
                results.setdefault(row.batch_id, []).append((row.item_id, row.tested_at, row.id, row.outcome))
            planned: dict[int, list] = {}
            for b, i in db.session.execute(sa.select(batch_tests.c.batch_id, batch_tests.c.item_id)
                                           .where(batch_tests.c.batch_id.in_(chunk))).all():
                planned.setdefault(b, []).append(i)
            dispositions = dict(db.session.execute(sa.select(Disposition.batch_id, Disposition.status)
                                                   .where(Disposition.batch_id.in_(chunk))).all())
            for bid in chunk:
                status = batch_status(planned.get(bid, []), effective_outcomes(results.get(bid, [])),
                                      dispositions.get(bid))
                batch = self.touched[bid]
                if status != batch.status:
                    updates.append({"b_id": bid, "status": status, "verdict": verdict_for(status)})
        if updates:
            table = Batch.__table__
            db.session.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(
                status=sa.bindparam("status"), verdict=sa.bindparam("verdict"),
                row_version=table.c.row_version + 1), updates)
            for u in updates:
                db.session.expire(self.touched[u["b_id"]])


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
        elif code == "no_data":
            out.append(gettext("Empty channel: no data."))
        else:
            out.append(code or "")
    return "；".join(out)
