"""/api/v1/batches: registering batches, recording and reviewing results, and the legal
follow-up of positives — the same services as the web pages."""
from __future__ import annotations

from flask import jsonify, request, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from lims.api.auth import allowed, api_blueprint, current_actor, locked_batch
from lims.api.fields import Date, LocalDateTime, Number, local_iso
from lims.batches import changes
from lims.batches import services as batches
from lims.batches.queries import BatchFilter, batch_query, batch_state, list_batches
from lims.batches.rows import read_full
from flask_babel import gettext

from lims.database import Quantity, Signal, utcnow
from lims.dispositions import services as dispositions
from lims.errors import InvalidInput
from lims.extensions import db
from lims.inputs import MAX_INT64
from lims.models.dispositions import Objection
from lims.results import services as results
from lims.results.inputs import build_result_input
from lims.rules.batch_status import BATCH_STATUSES
from lims.rules.disposition import DISPOSAL_ACTIONS
from lims.rules.judging import OUTCOMES

blp = api_blueprint("api_batches", __name__, url_prefix="/api/v1/batches",
                    description="Batches, results, review and the follow-up of positives")

PER_PAGE = 50


# --- output ---------------------------------------------------------------------------------
# A batch's answer is made by batch_answer (a result's by result_answer) from a Batch or from
# the rows of lims.batches.rows, which carry the model's attribute names: marshmallow took a
# third of the time of a page of 50 batches dumping their ~10,000 fields one by one. The
# schemas below document that answer in the OpenAPI description (a test holds them to it).


def result_answer(r) -> dict:
    return {
        "id": r.id, "item": r.item.code, "item_name": r.item.name, "version": r.version, "current": r.current,
        "value": r.value, "value_text": r.value_text, "qualitative": r.qualitative, "unit": r.unit,
        "signals": {"control_delta": r.control_delta, "sample_delta": r.sample_delta, "c": r.c_line,
                    "t": r.t_line, "tc": r.tc_ratio},
        "computed_value": r.computed_value, "cutoff": r.cutoff, "method": r.method, "outcome": r.outcome,
        "reason": r.reason, "instrument_word": r.instrument_word, "instrument_outcome": r.instrument_outcome,
        "disagrees": r.disagrees, "signal_mismatch": r.signal_mismatch,
        "reagent_lot": r.reagent_lot.lot if r.reagent_lot else None,
        "instrument": r.instrument.serial if r.instrument else None, "channel": r.channel,
        "tested_at": local_iso(r.tested_at), "tester": r.tester_label or None, "reviewed": r.reviewed,
        "reviewed_at": local_iso(r.reviewed_at),
        "reviewer": r.reviewed_by.display_name if r.reviewed_by else None,
        "correction_reason": r.correction_reason,
    }


def batch_answer(b, now) -> dict:
    state = batch_state(b, now)
    s = b.supplier
    return {
        "code": b.code, "site": b.site.code, "site_name": b.site.name, "stall": b.stall.code if b.stall else None,
        "event": b.event.code if b.event else None, "food": b.food,
        "category": b.category.code if b.category else None,
        "supplier": {"name": s.name, "address": s.address, "phone": s.phone} if s else None,
        "origin": b.origin, "quantity_kg": b.quantity_kg,
        "purchase_date": b.purchase_date.isoformat() if b.purchase_date else None,
        "certificate_no": b.certificate_no, "sampled_at": local_iso(b.sampled_at),
        "tests": [i.code for i in b.planned_items], "status": state.status, "verdict": b.verdict,
        "reviewed": state.reviewed,
        "results": [result_answer(r) for r in b.results if r.current],
        "superseded_results": [result_answer(r) for r in b.results if not r.current],
        "disposition": _disposition(b, state), "voided": b.voided, "void_reason": b.void_reason,
        "voided_at": local_iso(b.voided_at), "pending_change": _change(b.waiting_change),
        "row_version": b.row_version, "url": url_for("batches.show", code=b.code, _external=True),
    }


def _disposition(batch, state):
    d = batch.disposition
    if d is None:
        return None
    o = d.objection
    return {
        "status": state.status, "opened_at": local_iso(d.opened_at),
        "notified_at": local_iso(d.notified_at),
        "objection_deadline": local_iso(d.objection_deadline),
        "objection_window_open": state.window_open,
        "objection": None if o is None else {
            "requested_at": local_iso(o.requested_at), "applicant": o.applicant, "lab": o.lab, "method": o.method,
            "report_no": o.lab_report_no, "outcome": o.lab_outcome, "value": o.lab_value, "fee": o.fee,
            "lab_result_at": local_iso(o.lab_result_at)},
        "disposal_due_at": local_iso(d.disposal_due_at),
        "overdue": state.overdue,
        "regulator_informed_at": local_iso(d.regulator_informed_at),
        "closed_at": local_iso(d.closed_at),
        "remaining_kg": dispositions.remaining_kg(batch, d),
        "disposals": [{"action": a.action, "quantity_kg": a.quantity_kg, "done_at": local_iso(a.done_at),
                       "place": a.place, "method": a.method, "done_by": a.done_by, "supervisor": a.supervisor,
                       "note": a.note, "photos": len(a.photos)} for a in d.actions],
    }


def _change(c):
    if c is None:
        return None
    return {"id": c.id, "kind": c.kind, "changes": c.changes, "before": c.before, "reason": c.reason,
            "status": c.status, "requested_by": c.requested_by.display_name if c.requested_by else None,
            "requested_at": local_iso(c.requested_at),
            "decided_by": c.decided_by.display_name if c.decided_by else None,
            "decided_at": local_iso(c.decided_at), "decision_note": c.decision_note}


def _batch(batch, status: int = 200):
    return answer(batch_answer(batch, utcnow()), status)


def answer(data, status: int = 200, headers: dict | None = None):
    """``data`` as the JSON answer: flask-smorest passes a Response through without dumping it."""
    response = jsonify(data)
    response.status_code = status
    response.headers.update(headers or {})
    return response


class SupplierSchema(Schema):
    name = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class SignalsSchema(Schema):
    control_delta = Number(allow_none=True)
    sample_delta = Number(allow_none=True)
    c = Number(allow_none=True)
    t = Number(allow_none=True)
    tc = Number(allow_none=True)


class ResultSchema(Schema):
    id = fields.Integer()
    item = fields.String()
    item_name = fields.String()
    version = fields.Integer()
    current = fields.Boolean()
    value = Number(allow_none=True)
    value_text = fields.String(allow_none=True)
    qualitative = fields.String(allow_none=True, metadata={"enum": [*OUTCOMES, None]})
    unit = fields.String(allow_none=True)
    signals = fields.Nested(SignalsSchema)
    computed_value = Number(allow_none=True)
    cutoff = Number(allow_none=True)
    method = fields.String(allow_none=True)
    outcome = fields.String(metadata={"enum": list(OUTCOMES)})
    reason = fields.String(allow_none=True)
    instrument_word = fields.String(allow_none=True)
    instrument_outcome = fields.String(allow_none=True)
    disagrees = fields.Boolean()
    signal_mismatch = fields.Boolean()
    reagent_lot = fields.String(allow_none=True)
    instrument = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    tested_at = LocalDateTime()
    tester = fields.String(allow_none=True)
    reviewed = fields.Boolean()
    reviewed_at = LocalDateTime(allow_none=True)
    reviewer = fields.String(allow_none=True)
    correction_reason = fields.String(allow_none=True)


class DisposalSchema(Schema):
    action = fields.String(metadata={"enum": list(DISPOSAL_ACTIONS)})
    quantity_kg = Number()
    done_at = LocalDateTime()
    place = fields.String(allow_none=True)
    method = fields.String(allow_none=True)
    done_by = fields.String(allow_none=True)
    supervisor = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    photos = fields.Integer(metadata={"description": "how many photos"})


class ObjectionSchema(Schema):
    requested_at = LocalDateTime()
    applicant = fields.String(allow_none=True)
    lab = fields.String()
    method = fields.String()
    report_no = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    value = Number(allow_none=True)
    fee = Number(allow_none=True)
    lab_result_at = LocalDateTime(allow_none=True)


class DispositionSchema(Schema):
    status = fields.String(metadata={"enum": list(BATCH_STATUSES)})
    opened_at = LocalDateTime()
    notified_at = LocalDateTime(allow_none=True)
    objection_deadline = LocalDateTime(allow_none=True)
    objection_window_open = fields.Boolean()
    objection = fields.Nested(ObjectionSchema, allow_none=True)
    disposal_due_at = LocalDateTime(allow_none=True)
    overdue = fields.Boolean()
    regulator_informed_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    remaining_kg = Number(allow_none=True)
    disposals = fields.List(fields.Nested(DisposalSchema))


class PendingChangeSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["correct", "void"]})
    changes = fields.Dict()
    before = fields.Dict()
    reason = fields.String()
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    requested_by = fields.String(allow_none=True)
    requested_at = LocalDateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class BatchSchema(Schema):
    code = fields.String()
    site = fields.String()
    site_name = fields.String()
    stall = fields.String(allow_none=True)
    event = fields.String(allow_none=True)
    food = fields.String()
    category = fields.String(allow_none=True)
    supplier = fields.Nested(SupplierSchema, allow_none=True)
    origin = fields.String(allow_none=True)
    quantity_kg = Number(allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    sampled_at = LocalDateTime()
    tests = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(BATCH_STATUSES)})
    verdict = fields.String(allow_none=True, metadata={"enum": [*OUTCOMES, None]})
    reviewed = fields.Boolean()
    results = fields.List(fields.Nested(ResultSchema))
    superseded_results = fields.List(fields.Nested(ResultSchema))
    disposition = fields.Nested(DispositionSchema, allow_none=True)
    voided = fields.Boolean()
    void_reason = fields.String(allow_none=True)
    voided_at = LocalDateTime(allow_none=True)
    pending_change = fields.Nested(PendingChangeSchema, allow_none=True)
    row_version = fields.Integer()
    url = fields.Url()


class ChangeSchema(PendingChangeSchema):
    batch = fields.String()


# --- input ------------------------------------------------------------------------------------


class SupplierArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))


class CreateBatchArgs(Schema):
    code = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9-]{4,32}$"))
    site = fields.String(required=True)
    stall = fields.String(allow_none=True)
    event = fields.String(allow_none=True)
    food = fields.String(required=True, validate=validate.Length(min=1, max=32))
    category = fields.String(allow_none=True)
    supplier = fields.Nested(SupplierArgs, allow_none=True)
    origin = fields.String(allow_none=True, validate=validate.Length(max=100))
    quantity_kg = Number(Quantity, allow_none=True, validate=validate.Range(min=0))
    purchase_date = Date(allow_none=True)
    certificate_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    sampled_at = LocalDateTime(required=True)
    tests = fields.List(fields.String(), load_default=list)
    note = fields.String(allow_none=True, validate=validate.Length(max=200))


class CorrectBatchArgs(Schema):
    """Only the fields given are corrected; ``reason`` is required."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    row_version = fields.Integer(allow_none=True, metadata={"description": "the version read: 409 if changed since"})
    stall = fields.String(allow_none=True, validate=validate.Length(max=16))
    food = fields.String(validate=validate.Length(min=1, max=32))
    category = fields.String(allow_none=True)
    supplier = fields.String(allow_none=True, validate=validate.Length(max=100))
    origin = fields.String(allow_none=True, validate=validate.Length(max=100))
    quantity_kg = Number(Quantity, allow_none=True, validate=validate.Range(min=0))
    purchase_date = Date(allow_none=True)
    certificate_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    sampled_at = LocalDateTime()
    note = fields.String(allow_none=True, validate=validate.Length(max=200))


class VoidArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    row_version = fields.Integer(allow_none=True)


class DecisionArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    note = fields.String(allow_none=True, validate=validate.Length(max=200),
                         metadata={"description": "required to reject"})


class BatchQueryArgs(Schema):
    site = fields.String()
    stall = fields.String()
    status = fields.String(validate=validate.OneOf(BATCH_STATUSES))
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    item = fields.String()
    event = fields.String()
    from_ = Date(data_key="from")
    to = Date()
    page = fields.String(metadata={"description": "the X-Next-Page token, or a page number"})


class ResultSignalsArgs(Schema):
    control_delta = fields.Raw(allow_none=True)
    sample_delta = fields.Raw(allow_none=True)
    c = fields.Raw(allow_none=True)
    t = fields.Raw(allow_none=True)
    tc = fields.Raw(allow_none=True)


class CreateResultArgs(Schema):
    item = fields.String(required=True)
    value = fields.Raw(allow_none=True, metadata={"description": "a number (a word such as 未检出 is also accepted)"})
    qualitative = fields.String(allow_none=True, validate=validate.OneOf(OUTCOMES))
    signals = fields.Nested(ResultSignalsArgs, allow_none=True)
    reagent_lot = fields.String(allow_none=True)
    instrument = fields.String(allow_none=True)
    instrument_outcome = fields.String(allow_none=True, metadata={"description": "the instrument's own word"})
    method = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    pretreated = fields.Boolean(allow_none=True)
    tested_at = LocalDateTime(required=True)
    confirm_warnings = fields.Boolean(load_default=False)


class ReviewArgs(Schema):
    note = fields.String(allow_none=True, validate=validate.Length(max=200))
    confirm = fields.List(fields.Integer(), load_default=list, metadata={
        "description": "ids of the positive, suspect, invalid and disagreeing results being approved: "
                       "exactly those, or nothing is approved (422 naming them)"})


class NotifyArgs(Schema):
    notified_at = LocalDateTime(required=True)
    person = fields.String(allow_none=True, validate=validate.Length(max=32))


class ObjectionArgs(Schema):
    requested_at = LocalDateTime(required=True)
    lab = fields.String(required=True, validate=validate.Length(min=1, max=100))
    method = fields.String(required=True, validate=validate.Length(min=1, max=100))
    applicant = fields.String(allow_none=True, validate=validate.Length(max=64))


class LabResultArgs(Schema):
    lab = fields.String(required=True, validate=validate.Length(min=1, max=100))
    report_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    outcome = fields.String(required=True, validate=validate.OneOf(("negative", "positive")))
    value = Number(Signal, allow_none=True)
    unit = fields.String(allow_none=True, validate=validate.Length(max=16))
    fee = Number(Objection.__table__.c.fee.type, allow_none=True, validate=validate.Range(min=0))
    received_at = LocalDateTime(allow_none=True)


class DisposalArgs(Schema):
    action = fields.String(required=True, validate=validate.OneOf(DISPOSAL_ACTIONS))
    quantity_kg = Number(Quantity, required=True, validate=validate.Range(min=0))
    done_at = LocalDateTime(required=True)
    place = fields.String(allow_none=True, validate=validate.Length(max=100))
    method = fields.String(allow_none=True, validate=validate.Length(max=100))
    done_by = fields.String(allow_none=True, validate=validate.Length(max=32))
    supervisor = fields.String(allow_none=True, validate=validate.Length(max=32))
    note = fields.String(allow_none=True, validate=validate.Length(max=200))


class InformArgs(Schema):
    informed_at = LocalDateTime(required=True)


# --- routes -------------------------------------------------------------------------------------


def _filter(args, actor) -> BatchFilter:
    f = BatchFilter(stall=args.get("stall"), date_from=args.get("from_"), date_to=args.get("to"),
                    status=args.get("status"), outcome=args.get("outcome"))
    if args.get("site"):
        f.site_id = batches.find_site(actor, args["site"]).id
    if args.get("item"):
        try:
            f.item_id = batches.find_items([args["item"]])[0].id
        except InvalidInput as exc:
            raise InvalidInput(exc.message, {"item": exc.errors.get("tests", [exc.message])}) from None
    if args.get("event"):
        f.event_id = batches.find_event(args["event"], actor).id
    return f


@blp.route("")
class Batches(MethodView):
    @blp.arguments(BatchQueryArgs, location="query")
    @blp.response(200, BatchSchema(many=True))
    def get(self, args):
        """Batches the caller may see, newest first, 50 a page. The next page's address is in
        the ``Link`` header (rel="next") and its token in ``X-Next-Page``; ``page`` also takes
        a page number."""
        actor = current_actor()
        now = utcnow()
        f = _filter(args, actor)
        page = args.get("page")
        if page and page.isascii() and page.isdigit():
            n = max(int(page), 1)
            if n > MAX_INT64 // PER_PAGE:
                raise InvalidInput(gettext("There is no such page."), {"page": [gettext("There is no such page.")]})
            from lims.models import Batch

            stmt = batch_query(actor, f, now).order_by(Batch.sampled_at.desc(), Batch.id.desc())
            rows = read_full(stmt.limit(PER_PAGE + 1).offset((n - 1) * PER_PAGE))
            next_token = str(n + 1) if len(rows) > PER_PAGE else None
            rows = rows[:PER_PAGE]
        else:
            result = list_batches(actor, f, now, cursor=page, per_page=PER_PAGE, read=read_full)
            rows, next_token = result.items, result.next_cursor
        headers = {}
        if next_token:
            query = dict(request.args)
            query["page"] = next_token
            headers = {"X-Next-Page": next_token,
                       "Link": f'<{url_for("api_batches.Batches", _external=True, **query)}>; rel="next"'}
        return answer([batch_answer(b, now) for b in rows], 200, headers)

    @allowed("batch.create")
    @blp.arguments(CreateBatchArgs)
    @blp.response(201, BatchSchema)
    def post(self, args):
        """Register a batch (code optional: the system makes one)."""
        actor = current_actor()
        site = batches.find_site(actor, args["site"])
        supplier = args.get("supplier") or {}
        data = batches.BatchInput(
            site=site, food=args["food"], sampled_at=args["sampled_at"],
            tests=batches.find_items(args.get("tests") or []),
            stall=batches.find_stall(site, args["stall"]) if args.get("stall") else None,
            event=batches.find_event(args["event"], actor) if args.get("event") else None,
            category=batches.find_category(args.get("category")) if args.get("category") else None,
            supplier_name=supplier.get("name"), supplier_address=supplier.get("address"),
            supplier_phone=supplier.get("phone"), origin=args.get("origin"), quantity_kg=args.get("quantity_kg"),
            purchase_date=args.get("purchase_date"), certificate_no=args.get("certificate_no"),
            code=args.get("code"), note=args.get("note"))
        return _batch(batches.register_batch(actor, data), 201)


@blp.route("/<code>")
class BatchResource(MethodView):
    @blp.response(200, BatchSchema)
    def get(self, code):
        return _batch(batches.get_batch(current_actor(), code, read=read_full))

    @allowed("batch.correct")
    @blp.arguments(CorrectBatchArgs)
    @blp.response(200, BatchSchema)
    @blp.alt_response(202, schema=BatchSchema, description="the results are reviewed: the correction waits for "
                                                           "a reviewer (see pending_change)")
    def patch(self, args, code):
        """Correct the registration data with a reason (audited with the old and new values). Until
        the results are reviewed it is made at once (200); afterwards it waits for a reviewer
        who did not ask for it (202). 422 names bad fields, 409 if voided, changed meanwhile or a
        change is already waiting."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        values = {k: v for k, v in args.items() if k not in ("reason", "row_version")}
        outcome = changes.correct_batch(actor, batch, values, args["reason"], expected_version=args.get("row_version"))
        return _batch(batch, 200 if outcome.applied else 202)


@blp.route("/<code>/void")
class BatchVoid(MethodView):
    @allowed("batch.void")
    @blp.arguments(VoidArgs)
    @blp.response(200, BatchSchema)
    @blp.alt_response(202, schema=BatchSchema, description="the batch has results: voiding waits for a reviewer")
    def post(self, args, code):
        """Void a batch registered by mistake, with a reason: kept, counted in no figure, no more
        results. A batch with results needs a reviewer (202); a positive being followed up is 409."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        outcome = changes.void_batch(actor, batch, args["reason"], expected_version=args.get("row_version"))
        return _batch(batch, 200 if outcome.applied else 202)


@blp.route("/<code>/changes/<int:change_id>/decision")
class BatchChangeDecision(MethodView):
    @allowed("batch.change_review")
    @blp.arguments(DecisionArgs)
    @blp.response(200, ChangeSchema)
    def post(self, args, code, change_id):
        """Approve or reject a waiting correction or void (403 on one's own request)."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        change = changes.get_change(actor, change_id, for_update=True)
        if change.batch_id != batch.id:
            from lims.errors import NotFound

            raise NotFound(gettext("Not found."))
        decided = changes.decide_change(actor, change, args["decision"] == "approve", args.get("note"))
        return answer(_change(decided) | {"batch": decided.batch.code})


@blp.route("/<code>/results")
class BatchResults(MethodView):
    @allowed("result.create", lock=True)
    @blp.arguments(CreateResultArgs)
    @blp.response(201, ResultSchema)
    def post(self, args, code):
        """Record a result; it is judged from the raw signals and the item's rule. A positive
        opens the disposition (``stopped``) at once."""
        actor = current_actor()
        batch = locked_batch(code)
        raw = dict(args)
        raw["signals"] = args.get("signals") or {}
        raw["instrument_word"] = args.get("instrument_outcome")
        if isinstance(raw.get("value"), bool) or isinstance(raw.get("value"), (list, dict)):
            raise InvalidInput("value must be a number", {"value": ["Not a number."]})
        return answer(result_answer(results.record_result(actor, batch, build_result_input(batch, raw))), 201)


@blp.route("/<code>/review")
class BatchReview(MethodView):
    @allowed("result.review")
    @blp.arguments(ReviewArgs)
    @blp.response(200, BatchSchema)
    def post(self, args, code):
        """Approve the batch's pending results (403 if the reviewer tested any of them)."""
        actor = current_actor()
        batch = batches.get_batch(actor, code)
        results.review_batch(actor, batch, args.get("note"), confirmed=args["confirm"])
        return _batch(batch)


@blp.route("/<code>/notify")
class BatchNotify(MethodView):
    @allowed("disposition.notify")
    @blp.arguments(NotifyArgs)
    @blp.response(200, BatchSchema)
    def post(self, args, code):
        """Record when the seller was told; the 4-hour objection window starts then."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        dispositions.notify(actor, batch, args["notified_at"], args.get("person"))
        return _batch(batch)


@blp.route("/<code>/objection")
class BatchObjection(MethodView):
    @allowed("disposition.objection")
    @blp.arguments(ObjectionArgs)
    @blp.response(201, BatchSchema)
    def post(self, args, code):
        """The seller's objection: 409 after the deadline, 422 for a rapid method."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        dispositions.object_to(actor, batch, args["requested_at"], args["lab"], args["method"], args.get("applicant"))
        return _batch(batch, 201)


@blp.route("/<code>/lab-result")
class BatchLabResult(MethodView):
    @allowed("disposition.lab_result")
    @blp.arguments(LabResultArgs)
    @blp.response(201, BatchSchema)
    def post(self, args, code):
        """The laboratory retest result: negative releases the batch, positive confirms it."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        dispositions.record_lab_result(actor, batch, args["lab"], args["report_no"], args["outcome"],
                                       args.get("value"), args.get("unit"), args.get("fee"), args.get("received_at"))
        return _batch(batch, 201)


@blp.route("/<code>/disposals")
class BatchDisposals(MethodView):
    @allowed("disposition.disposal")
    @blp.arguments(DisposalArgs)
    @blp.response(201, BatchSchema)
    def post(self, args, code):
        """A disposal action; nothing may be destroyed while an objection is pending."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        dispositions.add_disposal(actor, batch, dispositions.DisposalInput(**args))
        return _batch(batch, 201)


@blp.route("/<code>/regulator")
class BatchRegulator(MethodView):
    @allowed("disposition.inform_regulator")
    @blp.arguments(InformArgs)
    @blp.response(200, BatchSchema)
    def post(self, args, code):
        """Record when the regulator was informed of the positive."""
        actor = current_actor()
        batch = batches.get_batch(actor, code, for_update=True)
        dispositions.inform_regulator(actor, batch, args["informed_at"])
        return _batch(batch)
