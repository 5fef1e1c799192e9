"""Recording, correcting and reviewing results from the batch page; the live judgement
used by the entry grids; the reviewer's worklist."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from lims import labels
from lims.accounts.access import requires, web_actor
from lims.batches import services as batches
from lims.batches.forms import CorrectionForm, ResultForm, ReviewForm
from lims.batches.views import _place_errors, render_batch, result_form_for
from lims.database import utcnow
from lims.errors import Conflict, InvalidInput, LimsError
from lims.extensions import db
from lims.inputs import parse_id
from lims.formatting import number
from lims.listing import Chip, kept_args, page_number, paginate
from lims.messages import judgement_reason
from lims.models import Result
from lims.results import services
from lims.results.forms import RejectForm
from lims.results.inputs import build_result_input

bp = Blueprint("results", __name__)


def _raw_from_form(form) -> dict:
    return {
        "item": form.item.data, "value": form.value.data, "control_delta": form.control_delta.data,
        "sample_delta": form.sample_delta.data, "c_line": form.c_line.data, "t_line": form.t_line.data,
        "tc_ratio": form.tc_ratio.data, "reagent_lot": form.reagent_lot.data, "instrument": form.instrument.data,
        "instrument_word": form.instrument_word.data, "tested_at": form.tested_at.data,
        "pretreated": True if form.pretreated.data else None, "confirm_warnings": form.confirm_warnings.data,
    }


@bp.route("/batches/<code>/results", methods=["POST"])
@requires("result.create")
def add(code):
    actor = web_actor()
    batch = batches.get_batch(actor, code, for_update=True)
    form = result_form_for(batch, actor, ResultForm(prefix="result"))
    if form.validate_on_submit():
        try:
            data = build_result_input(batch, _raw_from_form(form))
            preview = services.assess(batch, data, utcnow())
            if preview.ok and preview.judgement.outcome == "positive" and not form.confirm_positive.data:
                form.confirm_positive.errors = [gettext("Positive: tick “I confirm this positive” and save again.")]
                raise InvalidInput(gettext("Please confirm the positive result."))
            with db.session.begin_nested():
                result = services.record_result(actor, batch, data)
        except LimsError as exc:
            _place_errors(form, exc)
            if not form.form_errors and not exc.errors:
                form.form_errors.append(str(exc.message))
        else:
            if result.outcome == "positive":
                flash(gettext("Positive recorded: the sale of %(food)s is stopped. Notify the stall now; the "
                              "seller may object within 4 hours of notification.", food=batch.food), "danger")
            elif result.outcome in ("suspect", "invalid"):
                flash(gettext("%(outcome)s: repeat the test.", outcome=labels.OUTCOME_LABELS[result.outcome]), "warning")
            else:
                flash(gettext("Result saved."), "success")
            return redirect(url_for("batches.show", code=batch.code) + "#results")
    return render_batch(batch, actor, utcnow(), status=422, result_form=form)


@bp.route("/results/<int:result_id>/correct", methods=["GET", "POST"])
@requires("result.create")
def correct(result_id):
    actor = web_actor()
    result = services.get_result(actor, result_id)
    batch = result.batch
    form = result_form_for(batch, actor, CorrectionForm(prefix="fix"))
    if request.method == "GET":
        form.item.data = result.item.code
        form.value.data = result.value_text or number(result.value)  # as typed: 25, not 25.0000
        for key in ("control_delta", "sample_delta", "c_line", "t_line", "tc_ratio"):
            getattr(form, key).data = number(getattr(result, key))
        form.reagent_lot.data = str(result.reagent_lot_id or "")
        form.instrument.data = str(result.instrument_id or "")
        form.instrument_word.data = result.instrument_word or ""
        from lims.i18n import format_local

        form.tested_at.data = format_local(result.tested_at)
        form.row_version.data = result.row_version
    status = 200
    if form.validate_on_submit():
        try:
            data = build_result_input(batch, _raw_from_form(form))
            expected = int(form.row_version.data) if (form.row_version.data or "").isdigit() else None
            with db.session.begin_nested():
                services.correct_result(actor, result, data, form.reason.data, expected)
        except Conflict as exc:
            form.form_errors.append(str(exc.message))
            status = 409
        except LimsError as exc:
            _place_errors(form, exc)
            status = 422
        else:
            flash(gettext("Correction saved as a new version; it needs review again."), "success")
            return redirect(url_for("batches.show", code=batch.code) + "#results")
    elif form.is_submitted():
        status = 422
    return render_template("results/correct.html", form=form, result=result, batch=batch), status


@bp.route("/batches/<code>/review", methods=["POST"])
@requires("result.review")
def review_batch(code):
    actor = web_actor()
    batch = batches.get_batch(actor, code)
    form = ReviewForm(prefix="review")
    if form.validate_on_submit():
        pending = services.pending_results(batch)
        if services.unconfirmed(pending, ()):
            return _confirmation_page(form, pending, [])
        try:
            n = services.review_batch(actor, batch, form.note.data)
        except LimsError as exc:  # refused before anything changed
            flash(str(exc.message), "danger")
            return redirect(url_for("batches.show", code=batch.code)), 303
        flash(ngettext("%(num)d result approved.", "%(num)d results approved.", n), "success")
    return redirect(url_for("batches.show", code=batch.code))


@bp.route("/results/assess", methods=["POST"])
@requires("result.create")
def assess():
    """Live judgement for the entry grid: the outcome as it is typed, nothing saved."""
    actor = web_actor()
    payload = request.get_json(silent=True) or {}
    batch = batches.get_batch(actor, str(payload.get("batch", "")))
    try:
        data = build_result_input(batch, payload)
    except InvalidInput as exc:
        return jsonify(ok=False, errors={k: [str(m) for m in v] for k, v in exc.errors.items()})
    a = services.assess(batch, data, utcnow())
    body = {"ok": a.ok, "errors": _strs(a.errors), "warnings": _strs(a.warnings), "disagrees": a.disagrees}
    if a.judgement:
        body.update(outcome=a.judgement.outcome, label=str(labels.OUTCOME_LABELS[a.judgement.outcome]),
                    reason=reading_reason(data, a.judgement), instrument_outcome=a.instrument_outcome)
    return jsonify(body)


def reading_reason(data, judgement) -> str:
    """Why a reading not yet saved is judged so, with the reading and the cut-off (抑制率 62.3% ≥ 50%)."""
    probe = Result(value=data.value, computed_value=judgement.computed_value, cutoff=judgement.threshold,
                   control_delta=data.control_delta, c_line=data.c_line, t_line=data.t_line,
                   tc_ratio=data.tc_ratio, reading_mode=data.reading_mode, unit=data.item.unit)
    return judgement_reason(judgement.reason, probe, data.item)


def _strs(d: dict) -> dict:
    return {k: [str(m) for m in v] for k, v in d.items()}


OUTCOME_FILTERS = ("positive", "suspect", "invalid", "negative")


def _worklist_filter(args) -> services.WorklistFilter:
    """The worklist's filter from the query string; anything unrecognised is ignored."""
    def number(key):
        raw = args.get(key, "").strip()
        return parse_id(raw, key) if raw.isascii() and raw.isdigit() else None

    outcome = args.get("outcome") or None
    return services.WorklistFilter(site_id=number("site"), round_id=number("round"),
                                   outcome=outcome if outcome in OUTCOME_FILTERS else None,
                                   disagrees=args.get("disagrees") == "1")


@bp.route("/review")
@requires("result.review")
def worklist():
    """Results waiting for review, filtered by market, round, outcome and disagreement."""
    actor = web_actor()
    flt = _worklist_filter(request.args)
    args = kept_args(request.args)
    page = paginate(services.worklist_query(actor, flt), page_number(request.args.get("page")), args=args, unique=True)
    results = page.items
    rounds = services.worklist_round_counts(actor, flt)
    own = {r.id for r in results if not actor.may_act_on("result.review", (r.tested_by_id, r.entered_by_id))}
    sites, round_choices = services.worklist_facets(actor)
    round_objs = {r.id: r for r in round_choices}
    return render_template("results/review.html", results=results, own=own, rounds=rounds, round_objs=round_objs,
                           form=ReviewForm(prefix="review"), flt=flt, sites=sites, round_choices=round_choices,
                           outcomes=OUTCOME_FILTERS, flagged={r.id for r in results if services.needs_confirmation(r)},
                           page=page, args=args, chips=_worklist_chips(flt, sites, round_objs))


def _worklist_chips(flt, sites, round_objs) -> list[Chip]:
    chips = []
    if flt.site_id is not None:
        chips.append(Chip(("site",), gettext("Market"), next((s.name for s in sites if s.id == flt.site_id),
                                                             f"#{flt.site_id}")))
    if flt.round_id is not None:
        rnd = round_objs.get(flt.round_id)
        chips.append(Chip(("round",), gettext("Round"), f"{rnd.site.name} {rnd.day}" if rnd else f"#{flt.round_id}"))
    if flt.outcome is not None:
        chips.append(Chip(("outcome",), gettext("Outcome"), str(labels.OUTCOME_LABELS.get(flt.outcome, flt.outcome))))
    if flt.disagrees:
        chips.append(Chip(("disagrees",), gettext("Show"), gettext("Only disagreements")))
    return chips


def _ids(values) -> list[int]:
    return [parse_id(str(i), "result_ids") for i in values if str(i).strip()]


@bp.route("/review", methods=["POST"])
@requires("result.review")
def approve():
    """Approve the ticked results (or a round's). Positives, suspects, invalids and
    disagreements are approved only after a confirmation page that names them."""
    actor = web_actor()
    form = ReviewForm(prefix="review")
    ids = _ids(request.form.getlist("review-result_ids"))
    round_id = parse_id(request.form.get("round"), "round")
    if round_id is not None:
        ids += [r.id for r in services.round_reviewable(actor, round_id)]
    if not form.validate_on_submit() or not ids:
        flash(gettext("Choose the results to approve."), "warning")
        return redirect(url_for("results.worklist"))
    results = services.results_by_ids(ids)
    confirmed = _ids(request.form.getlist("review-confirm"))
    if request.form.get("confirming") != "1" and services.unconfirmed(results, confirmed):
        # First ask, naming them; the service refuses anyway without the exact confirmation.
        return _confirmation_page(form, results, [])
    try:
        n = services.review(actor, results, form.note.data, confirmed=confirmed)
    except InvalidInput as exc:  # refused before anything changed
        return _confirmation_page(form, results, [str(exc.message)], status=422)
    except LimsError as exc:  # refused before anything changed
        flash(str(exc.message), "danger")
        return redirect(url_for("results.worklist"))
    flash(ngettext("%(num)d result approved.", "%(num)d results approved.", n), "success")
    return redirect(url_for("results.worklist"))


def _confirmation_page(form, results, errors, status=200):
    flagged = services.unconfirmed(results, ())
    return render_template("results/confirm_review.html", form=form, results=results, flagged=flagged,
                           label=services.result_label, errors=errors), status


@bp.route("/review/<int:result_id>/reject", methods=["GET", "POST"])
@requires("result.review")
def reject(result_id):
    """Send one result back for a retest, with a reason (kept in the audit trail)."""
    actor = web_actor()
    result = services.get_result(actor, result_id)
    form = RejectForm(prefix="reject")
    status = 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                services.reject(actor, result, form.reason.data)
        except LimsError as exc:
            form.form_errors.append(str(exc.message))
            status = exc.status
        else:
            flash(gettext("Sent back for a retest: %(result)s", result=services.result_label(result)), "warning")
            return redirect(url_for("results.worklist"))
    elif form.is_submitted():
        status = 422
    return render_template("results/reject.html", form=form, result=result,
                           label=services.result_label(result)), status
