"""Batch pages: the filtered list, one batch with everything about it, registering a batch."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.audit.timeline import batch_timeline, batch_value
from lims.batches import changes, services
from lims.batches.forms import (BatchCorrectionForm, BatchForm, ChangeDecisionForm, DisposalForm, VoidForm, InformRegulatorForm, LabResultForm, NotifyForm,
                                ObjectionForm, ResultForm, ReviewForm)
from lims.batches.queries import BatchFilter, batch_state, loads_in_full, page_batches
from lims.database import utcnow
from lims.errors import InvalidInput, LimsError
from lims.extensions import db
from lims.i18n import format_local, to_local
from lims.inputs import check_year, parse_id
from lims.pagecache import cached, reader_scopes
from lims.models import Event, Supplier
from lims.listing import Chip, kept_args, page_number
from lims import labels
from lims.reference.services import list_categories, list_items
from lims.rules.batch_status import BATCH_STATUSES
from lims.rules.judging import OUTCOMES
from lims.sites.services import list_sites

bp = Blueprint("batches", __name__)


def _date_arg(name):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    return check_year(value, name)


def _int_arg(name):
    return parse_id(request.args.get(name), name)


@bp.route("/batches")
@requires("batch.read")
@cached(scopes=reader_scopes)
def index():
    actor = web_actor()
    status = request.args.get("status") or None
    outcome = request.args.get("outcome") or None
    if status not in (None, *BATCH_STATUSES) or outcome not in (None, *OUTCOMES):
        abort(400)
    f = BatchFilter(site_id=_int_arg("site"), stall=request.args.get("stall") or None, date_from=_date_arg("from"),
                    date_to=_date_arg("to"), status=status, item_id=_int_arg("item"), outcome=outcome,
                    event_id=_int_arg("event"), supplier_id=_int_arg("supplier"), q=request.args.get("q") or None)
    # A filter naming a site or an event outside the reader's scope is refused as unknown (422).
    if f.site_id is not None and not actor.may_see_site(f.site_id):
        raise InvalidInput(gettext("Unknown site."), {"site": [gettext("Unknown site.")]})
    if f.event_id is not None:
        from lims.events.services import visible_events

        if db.session.execute(visible_events(sa.select(Event.id).where(Event.id == f.event_id), actor)).first() is None:
            raise InvalidInput(gettext("Unknown event."), {"event": [gettext("Unknown event.")]})
    now = utcnow()
    args = kept_args(request.args, "after")
    page = page_batches(actor, f, now, page_number(request.args.get("page")), args=args)
    sites, items = list_sites(actor), list_items()
    return render_template("batches/index.html", page=page, states={b.id: batch_state(b, now) for b in page.items},
                           sites=sites, items=items, args=args, statuses=BATCH_STATUSES,
                           outcomes=OUTCOMES, now=now, chips=_batch_chips(f, sites, items))


def _batch_chips(f: BatchFilter, sites, items) -> list[Chip]:
    """The list's active filters by name (``?supplier=20`` reads as the supplier's name)."""
    def name_of(objs, id_):
        return next((o.name for o in objs if o.id == id_), f"#{id_}")

    chips = []
    if f.site_id:
        chips.append(Chip(("site",), gettext("Site"), name_of(sites, f.site_id)))
    if f.stall:
        chips.append(Chip(("stall",), gettext("Stall"), f.stall))
    if f.date_from:
        chips.append(Chip(("from",), gettext("From"), f.date_from.isoformat()))
    if f.date_to:
        chips.append(Chip(("to",), gettext("To"), f.date_to.isoformat()))
    if f.status:
        chips.append(Chip(("status",), gettext("Status"), str(labels.STATUS_LABELS.get(f.status, f.status))))
    if f.item_id:
        chips.append(Chip(("item",), gettext("Test item"), name_of(items, f.item_id)))
    if f.outcome:
        chips.append(Chip(("outcome",), gettext("Outcome"), str(labels.OUTCOME_LABELS.get(f.outcome, f.outcome))))
    if f.event_id:
        event = db.session.get(Event, f.event_id)
        chips.append(Chip(("event",), gettext("Event"), event.name if event else f"#{f.event_id}"))
    if f.supplier_id:
        supplier = db.session.get(Supplier, f.supplier_id)
        chips.append(Chip(("supplier",), gettext("Supplier"), supplier.name if supplier else f"#{f.supplier_id}"))
    if f.q:
        chips.append(Chip(("q",), gettext("Code or food"), f.q))
    return chips


def _site_choices(actor):
    return [(s.code, s.name) for s in list_sites(actor, include_inactive=False)]


def _fill_batch_form(form, actor):
    form.site.choices = _site_choices(actor)
    form.category.choices = [("", "—")] + [(c.code, c.path) for c in list_categories()]
    form.tests.choices = [(i.code, f"{i.name}") for i in list_items(active_only=True)]
    from lims.events.services import visible_events

    events = db.session.execute(visible_events(sa.select(Event).order_by(Event.starts_on.desc()).limit(50),
                                               actor)).scalars()
    form.event.choices = [("", "—")] + [(e.code, e.name) for e in events]


@bp.route("/batches/new", methods=["GET", "POST"])
@requires("batch.create")
def new():
    actor = web_actor()
    form = BatchForm()
    _fill_batch_form(form, actor)
    if request.method == "GET":
        form.sampled_at.data = format_local(utcnow())
    status = 200
    if form.validate_on_submit():
        try:
            site = services.find_site(actor, form.site.data)
            data = services.BatchInput(
                site=site, food=form.food.data, sampled_at=form.sampled_at.parsed,
                stall=services.find_stall(site, form.stall.data) if form.stall.data else None,
                event=services.find_event(form.event.data, actor) if form.event.data else None,
                category=services.find_category(form.category.data) if form.category.data else None,
                supplier_name=form.supplier.data, origin=form.origin.data, quantity_kg=form.quantity_kg.data,
                purchase_date=form.purchase_date.data, certificate_no=form.certificate_no.data,
                code=form.code.data or None, tests=services.find_items(form.tests.data), note=form.note.data,
                confirm_no_tests=form.confirm_no_tests.data)
            with db.session.begin_nested():
                batch = services.register_batch(actor, data)
        except LimsError as exc:
            _place_errors(form, exc)
            status = 422
        else:
            flash(gettext("Batch %(code)s registered.", code=batch.code), "success")
            return redirect(url_for("batches.show", code=batch.code))
    elif form.is_submitted():
        status = 422
    return render_template("batches/new.html", form=form), status


def _place_errors(form, exc: LimsError):
    placed = False
    for key, messages in exc.errors.items():
        field = getattr(form, key, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(m) for m in messages]
            placed = True
    if not placed:
        form.form_errors.append(str(exc.message))


def result_form_for(batch, actor, form=None, prefix="result"):
    form = form or ResultForm(prefix=prefix)
    items = list_items(active_only=True, for_choices=True)
    planned = [i for i in batch.planned_items]
    others = [i for i in items if i not in planned]
    form.item.choices = [(i.code, i.name) for i in planned + others]
    from lims.models import Instrument, ReagentLot

    today = to_local(utcnow()).date()
    lots = db.session.execute(sa.select(ReagentLot).where(ReagentLot.active.is_(True), ReagentLot.expires_on >= today)
                              .order_by(ReagentLot.expires_on)).scalars().all()
    form.reagent_lot.choices = [("", "—")] + [(str(l.id), f"{l.item.name} · {l.lot} ({l.expires_on})") for l in lots]
    stmt = sa.select(Instrument).where(Instrument.active.is_(True)).order_by(Instrument.serial)
    if actor.station_ids is not None:  # a technician's or reviewer's own stations' instruments only
        stmt = stmt.where(Instrument.station_id.in_(actor.station_ids))
    instruments = db.session.execute(stmt).scalars()
    form.instrument.choices = [("", "—")] + [(str(i.id), f"{i.model} {i.serial}") for i in instruments]
    if not form.is_submitted():
        form.tested_at.data = format_local(utcnow())
    return form


@bp.route("/batches/<code>")
@requires("batch.read")
def show(code):
    actor = web_actor()
    batch = services.get_batch(actor, code, loads=loads_in_full())
    now = utcnow()
    return render_batch(batch, actor, now)


def render_batch(batch, actor, now, status=200, **forms):
    d = batch.disposition
    state = batch_state(batch, now)
    pending = changes.pending_change(batch)
    # forms only for who may use them (a regulator reading the page enters no result)
    ctx = dict(batch=batch, state=state, now=now, timeline=batch_timeline(batch),
               pending_change=pending, may_decide_change=pending is not None and changes.may_decide(actor, pending),
               decision_form=ChangeDecisionForm() if pending is not None else None, batch_value=batch_value,
               traceback=services.traceback(actor, batch, current_app.config["TRACEBACK_DAYS"], now),
               result_form=forms.get("result_form") or (result_form_for(batch, actor)
                                                        if actor.can("result.create") else None),
               review_form=forms.get("review_form") or (ReviewForm(prefix="review")
                                                        if actor.can("result.review") else None))
    if d is not None:
        from lims.dispositions.services import remaining_kg

        ctx.update(
            disposition=d, remaining=remaining_kg(batch, d),
            notify_form=forms.get("notify_form") or NotifyForm(prefix="notify", row_version=d.row_version,
                                                                 notified_at=format_local(now)),
            objection_form=forms.get("objection_form") or ObjectionForm(prefix="objection", row_version=d.row_version,
                                                                        requested_at=format_local(now)),
            lab_form=forms.get("lab_form") or LabResultForm(prefix="lab", row_version=d.row_version,
                                                            received_at=format_local(now),
                                                            lab=d.objection.lab if d.objection else None),
            disposal_form=forms.get("disposal_form") or DisposalForm(
                prefix="disposal", row_version=d.row_version, done_at=format_local(now),
                quantity_kg=ctx_remaining(batch, d), supervisor=actor.user.display_name if actor.user else None),
            regulator_form=forms.get("regulator_form") or InformRegulatorForm(prefix="regulator",
                                                                              informed_at=format_local(now)),
        )
    return render_template("batches/show.html", **ctx), status


def ctx_remaining(batch, d):
    """The kilograms still to account for, as a form shows them: 12, not 12.000."""

    from lims.dispositions.services import remaining_kg
    from lims.formatting import number

    remaining = remaining_kg(batch, d)
    return Decimal(number(remaining)) if remaining is not None else None


# --- correcting and voiding -------------------------------------------------------------------


def _version(form) -> int | None:
    try:
        return int(form.row_version.data) if form.row_version.data else None
    except (TypeError, ValueError):
        return None


def _plain_kg(value):
    """8.500 → 8.5, 12.000 → 12 (the form shows the quantity as it was typed)."""
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def _correction_values(form) -> dict:
    return {"stall": form.stall.data, "food": form.food.data, "category": form.category.data,
            "supplier": form.supplier.data, "origin": form.origin.data, "quantity_kg": form.quantity_kg.data,
            "purchase_date": form.purchase_date.data, "certificate_no": form.certificate_no.data,
            "sampled_at": form.sampled_at.parsed, "note": form.note.data}


@bp.route("/batches/<code>/correct", methods=["GET", "POST"])
@requires("batch.correct")
def correct(code):
    actor = web_actor()
    batch = services.get_batch(actor, code, for_update=request.method == "POST")
    form = BatchCorrectionForm()
    form.category.choices = [("", "—")] + [(c.code, c.path) for c in list_categories()]
    if request.method == "GET":
        current = changes.current_values(batch)
        for key in changes.CORRECTABLE:
            getattr(form, key).data = current[key]
        form.sampled_at.data = format_local(batch.sampled_at)
        form.quantity_kg.data = _plain_kg(batch.quantity_kg)
        form.row_version.data = batch.row_version
    status = 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                outcome = changes.correct_batch(actor, batch, _correction_values(form), form.reason.data,
                                                expected_version=_version(form))
        except LimsError as exc:
            _place_errors(form, exc)
            status = exc.status
        else:
            if outcome.applied:
                flash(gettext("Batch %(code)s corrected.", code=batch.code), "success")
            else:
                flash(gettext("The results of %(code)s are reviewed: the correction waits for a reviewer.",
                              code=batch.code), "info")
            return redirect(url_for("batches.show", code=batch.code))
    elif form.is_submitted():
        status = 422
    return render_template("batches/correct.html", batch=batch, form=form, reviewed=changes.is_reviewed(batch),
                           pending=changes.pending_change(batch)), status


@bp.route("/batches/<code>/void", methods=["GET", "POST"])
@requires("batch.void")
def void(code):
    actor = web_actor()
    batch = services.get_batch(actor, code, for_update=request.method == "POST")
    form = VoidForm()
    if request.method == "GET":
        form.row_version.data = batch.row_version
    status = 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                outcome = changes.void_batch(actor, batch, form.reason.data, expected_version=_version(form))
        except LimsError as exc:
            _place_errors(form, exc)
            status = exc.status
        else:
            if outcome.applied:
                flash(gettext("Batch %(code)s voided: it is kept, struck through, and counted nowhere.",
                              code=batch.code), "success")
            else:
                flash(gettext("%(code)s has results: voiding it waits for a reviewer.", code=batch.code), "info")
            return redirect(url_for("batches.show", code=batch.code))
    elif form.is_submitted():
        status = 422
    return render_template("batches/void.html", batch=batch, form=form, has_results=changes.has_results(batch),
                           pending=changes.pending_change(batch)), status


@bp.route("/batches/changes")
@requires("batch.change_review")
def pending_changes():
    actor = web_actor()
    rows = changes.pending_changes(actor)
    return render_template("batches/changes.html", rows=rows, mine={c.id for c in rows if not changes.may_decide(actor, c)},
                           form=ChangeDecisionForm(), batch_value=batch_value)


@bp.route("/batches/changes/<int:change_id>", methods=["POST"])
@requires("batch.change_review")
def decide(change_id):
    actor = web_actor()
    change = changes.get_change(actor, change_id, for_update=True)
    form = ChangeDecisionForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("approve", "reject"):
        flash(gettext("The decision was not saved: approve or reject."), "danger")
        return redirect(url_for("batches.show", code=change.batch.code)), 303
    try:
        with db.session.begin_nested():
            changes.decide_change(actor, change, decision == "approve", form.note.data)
    except LimsError as exc:
        flash(exc.errors.get("note", [exc.message])[0] if exc.errors.get("note") else exc.message, "danger")
    else:
        flash(gettext("Request approved: the batch is changed.") if decision == "approve"
              else gettext("Request rejected."), "success")
    return redirect(url_for("batches.show", code=change.batch.code)), 303
