"""Round pages: today's rounds, the keyboard registration grid, the result entry grid and
the label sheet."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from lims import labels
from lims.accounts.access import requires, web_actor
from lims.batches import services as batches
from lims.batches.forms import RoundForm
from lims.batches.queries import status_now
from lims.database import utcnow
from lims.errors import InvalidInput, LimsError
from lims.extensions import db
from lims.i18n import format_local, local_today
from lims.inputs import parse_id
from lims.listing import Chip, date_arg, kept_args, page_number
from lims.messages import judgement_reason
from lims.models import Event, Station
from lims.results import services as results
from lims.results.inputs import build_result_input
from lims.results.views import reading_reason
from lims.rounds import services
from lims.events.services import visible_events
from lims.sites.services import list_sites, list_stations

bp = Blueprint("rounds", __name__)


def _round_form(actor):
    form = RoundForm()
    form.site.choices = [(s.code, s.name) for s in list_sites(actor, include_inactive=False)]
    form.station.choices = [("", "—")] + [(s.code, s.name) for s in list_stations(actor)]
    today = local_today(utcnow())
    events = db.session.execute(visible_events(sa.select(Event).where(Event.ends_on >= today)
                                               .order_by(Event.starts_on), actor)).scalars()
    form.event.choices = [("", "—")] + [(e.code, e.name) for e in events]
    if not form.is_submitted():
        form.day.data = today
    return form


@bp.route("/rounds", methods=["GET", "POST"])
@requires("batch.read")
def index():
    actor = web_actor()
    if request.method == "POST" and not actor.can("batch.create"):
        abort(403)
    form = _round_form(actor) if actor.can("batch.create") else None
    status = 200
    if form is not None and form.validate_on_submit():
        try:
            site = batches.find_site(actor, form.site.data)
            station = db.session.execute(sa.select(Station).where(Station.code == form.station.data)).scalar_one_or_none() \
                if form.station.data else None
            event = batches.find_event(form.event.data, actor) if form.event.data else None
            rnd = batches.create_round(actor, site, form.day.data, station, event)
        except LimsError as exc:
            form.form_errors.append(str(exc.message))
            status = 422
        else:
            return redirect(url_for("rounds.grid", round_id=rnd.id))
    today = local_today(utcnow())
    f = services.RoundFilter(date_from=date_arg(request.args, "from"), date_to=date_arg(request.args, "to"),
                             site_id=parse_id(request.args.get("site"), "site"),
                             station_id=parse_id(request.args.get("station"), "station"),
                             technician_id=parse_id(request.args.get("technician"), "technician"))
    args = kept_args(request.args)
    page = services.page_rounds(actor, f, page_number(request.args.get("page")), args)
    sites = list_sites(actor)
    stations, technicians = services.round_facets(actor)
    return render_template("rounds/index.html", form=form, today=today, page=page, args=args, sites=sites,
                           stations=stations, technicians=technicians,
                           chips=_round_chips(f, sites, stations, technicians)), status


def _round_chips(f, sites, stations, technicians) -> list[Chip]:
    def name_of(objs, id_, attr="name"):
        return next((getattr(o, attr) for o in objs if o.id == id_), f"#{id_}")

    chips = []
    if f.date_from:
        chips.append(Chip(("from",), gettext("From"), f.date_from.isoformat()))
    if f.date_to:
        chips.append(Chip(("to",), gettext("To"), f.date_to.isoformat()))
    if f.site_id:
        chips.append(Chip(("site",), gettext("Site"), name_of(sites, f.site_id)))
    if f.station_id:
        chips.append(Chip(("station",), gettext("Station"), name_of(stations, f.station_id)))
    if f.technician_id:
        chips.append(Chip(("technician",), gettext("Technician"), name_of(technicians, f.technician_id, "display_name")))
    return chips


@bp.route("/rounds/<int:round_id>")
@requires("batch.read")
def grid(round_id):
    actor = web_actor()
    rnd = services.get_round(actor, round_id)
    data = services.grid_data(rnd)
    return render_template("rounds/grid.html", rnd=rnd, grid_data=data,
                           now=format_local(utcnow()), can_create=actor.can("batch.create"))


@bp.route("/rounds/<int:round_id>/batches", methods=["POST"])
@requires("batch.create")
def save_rows(round_id):
    """Save grid rows. Each row lands or reports its errors; saved rows come back with codes."""
    actor = web_actor()
    rnd = services.get_round(actor, round_id)
    payload = request.get_json(silent=True) or {}
    rows = payload.get("rows")
    if not isinstance(rows, list) or not rows or len(rows) > 200:
        raise InvalidInput(gettext("Send between 1 and 200 rows."))
    now = utcnow()
    answers = []
    for row in rows:
        if not isinstance(row, dict):
            answers.append({"ok": False, "errors": {"_": [gettext("Not a row.")]}})
            continue
        try:
            with db.session.begin_nested():
                data = services.row_input(actor, rnd, row, now)
                batch = batches.register_batch(actor, data, now)
        except LimsError as exc:
            answers.append({"ok": False, "errors": {k: [str(m) for m in v] for k, v in exc.errors.items()}
                            or {"_": [str(exc.message)]}})
        else:
            answers.append({"ok": True, "batch": services.batch_row(batch)})
    return jsonify(rows=answers)


@bp.route("/rounds/<int:round_id>/results")
@requires("batch.read")
def results_grid(round_id):
    actor = web_actor()
    rnd = services.get_round(actor, round_id)
    batch_list = services.round_batches(rnd)
    lots = services.valid_lots(local_today(utcnow()))
    rows = []
    for b in batch_list:
        for item in b.planned_items:
            current = [r for r in b.results if r.current and r.item_id == item.id]
            latest = max(current, key=lambda r: (r.tested_at, r.id)) if current else None
            rows.append({"batch": b, "item": item, "latest": latest, "lots": lots.get(item.id, [])})
    return render_template("rounds/results.html", rnd=rnd, rows=rows, now=format_local(utcnow()),
                           can_enter=actor.can("result.create"))


@bp.route("/rounds/<int:round_id>/results", methods=["POST"])
@requires("result.create")
def save_result(round_id):
    """Save one cell row of the result grid. A positive must be confirmed first."""
    actor = web_actor()
    rnd = services.get_round(actor, round_id)
    payload = request.get_json(silent=True) or {}
    batch = batches.get_batch(actor, str(payload.get("batch", "")), for_update=True)
    if batch.round_id != rnd.id:
        raise InvalidInput(gettext("This batch is not in this round."))
    try:
        data = build_result_input(batch, payload)
        preview = results.assess(batch, data, utcnow())
        if preview.ok and preview.judgement.outcome == "positive" and not payload.get("confirm_positive"):
            # What the confirmation dialog shows: the item, the reading and the cut-off it crossed.
            return jsonify(ok=False, needs_confirmation=True, outcome="positive",
                           message=gettext("Confirm positive?"), batch=batch.code, food=batch.food,
                           item=data.item.name, reason=reading_reason(data, preview.judgement)), 409
        with db.session.begin_nested():
            result = results.record_result(actor, batch, data)
    except LimsError as exc:
        return jsonify(ok=False, message=str(exc.message),
                       errors={k: [str(m) for m in v] for k, v in exc.errors.items()}), exc.status
    status = status_now(batch, utcnow())
    body = {"ok": True, "id": result.id, "outcome": result.outcome,
            "label": str(labels.OUTCOME_LABELS[result.outcome]), "reason": judgement_reason(result.reason, result),
            "status": status, "status_label": str(labels.STATUS_LABELS[status])}
    if result.outcome == "positive":
        body["next"] = gettext("Sale stopped. Notify the stall now: the seller may object within 4 hours of "
                               "notification, and only a laboratory (non-rapid) retest counts.")
        body["batch_url"] = url_for("batches.show", code=batch.code)
    elif result.outcome in ("suspect", "invalid"):
        body["next"] = gettext("Repeat the test for this sample.")
    return jsonify(body)


@bp.route("/rounds/<int:round_id>/labels.pdf")
@requires("batch.read")
def labels_pdf(round_id):
    actor = web_actor()
    rnd = services.get_round(actor, round_id)
    from lims.reporting.labels import round_labels_pdf

    pdf = round_labels_pdf(rnd, services.round_batches(rnd), codes=request.args.getlist("code"))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="labels-round-{rnd.id}.pdf"'})
