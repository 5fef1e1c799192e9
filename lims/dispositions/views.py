"""The follow-up of a positive from the batch page, and the market manager's list of open
positives with their deadlines."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.batches import services as batches
from lims.batches.forms import DisposalForm, InformRegulatorForm, LabResultForm, NotifyForm, ObjectionForm
from lims.batches.views import _place_errors, render_batch
from lims.database import utcnow
from lims.dispositions import photos, services
from lims.errors import BadRequest, LimsError
from lims.extensions import db
from lims.inputs import parse_id
from lims.labels import POSITIVE_GROUP_LABELS
from lims.listing import Chip, kept_args, page_number, page_of
from lims.models import Photo
from lims.sites.services import list_sites
from lims.web import serve_upload

bp = Blueprint("dispositions", __name__)


def _version(form):
    raw = form.row_version.data
    return int(raw) if raw and str(raw).isdigit() else None


def _handle(code, form_name, form, action, success_message):
    """Validate, run the service, redirect on success; re-render the batch page on error."""
    actor = web_actor()
    batch = batches.get_batch(actor, code, for_update=True)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                action(actor, batch, form)
        except LimsError as exc:
            _place_errors(form, exc)
            status = exc.status
        else:
            flash(success_message, "success")
            return redirect(url_for("batches.show", code=batch.code) + "#disposition")
    else:
        status = 422
    return render_batch(batch, actor, utcnow(), status=status, **{form_name: form})


@bp.route("/batches/<code>/notify", methods=["POST"])
@requires("disposition.notify")
def notify(code):
    form = NotifyForm(prefix="notify")
    return _handle(code, "notify_form", form, lambda actor, batch, f: services.notify(
        actor, batch, f.notified_at.parsed, f.person.data, _version(f)),
        gettext("Notification recorded: the 4-hour objection window has started."))


@bp.route("/batches/<code>/objection", methods=["POST"])
@requires("disposition.objection")
def objection(code):
    form = ObjectionForm(prefix="objection")
    return _handle(code, "objection_form", form, lambda actor, batch, f: services.object_to(
        actor, batch, f.requested_at.parsed, f.lab.data, f.method.data, f.applicant.data, _version(f)),
        gettext("Objection recorded: the sample goes to the laboratory for a retest."))


@bp.route("/batches/<code>/lab-result", methods=["POST"])
@requires("disposition.lab_result")
def lab_result(code):
    form = LabResultForm(prefix="lab")
    return _handle(code, "lab_form", form, lambda actor, batch, f: services.record_lab_result(
        actor, batch, f.lab.data, f.report_no.data, f.outcome.data, f.value.data, f.unit.data, f.fee.data,
        f.received_at.parsed, _version(f)), gettext("Laboratory result recorded."))


def _dispose(actor, batch, form):
    action = services.add_disposal(actor, batch, services.DisposalInput(
        action=form.action.data, quantity_kg=form.quantity_kg.data, done_at=form.done_at.parsed,
        place=form.place.data, method=form.method.data, done_by=form.done_by.data,
        supervisor=form.supervisor.data, note=form.note.data), _version(form))
    for upload in form.photos.data or []:
        if getattr(upload, "filename", ""):
            photos.add_photo(actor, action, upload.read(), upload.filename)


@bp.route("/batches/<code>/disposals", methods=["POST"])
@requires("disposition.disposal")
def disposal(code):
    form = DisposalForm(prefix="disposal")
    return _handle(code, "disposal_form", form, _dispose, gettext("Disposal recorded."))


@bp.route("/batches/<code>/regulator", methods=["POST"])
@requires("disposition.inform_regulator")
def regulator(code):
    form = InformRegulatorForm(prefix="regulator")
    return _handle(code, "regulator_form", form, lambda actor, batch, f: services.inform_regulator(
        actor, batch, f.informed_at.parsed), gettext("Recorded that the regulator was informed."))


@bp.route("/photos/<int:photo_id>")
@requires("batch.read")
def photo(photo_id):
    actor = web_actor()
    p = db.session.get(Photo, photo_id) or abort(404)
    actor.check_site(p.action.disposition.batch.site_id)
    path = photos.photo_file(p, thumb=request.args.get("thumb") == "1")
    if not path.exists():
        abort(404)
    thumb = request.args.get("thumb") == "1"
    mimetype = "image/jpeg" if thumb else p.content_type
    if mimetype not in photos.SERVED_TYPES:  # only what add_photo wrote: re-encoded pixels
        mimetype = "application/octet-stream"
    name = f"photo-{p.id}{'-thumb' if thumb else ''}.{photos.SERVED_TYPES.get(mimetype, 'bin')}"
    return serve_upload(path, name, mimetype=mimetype, max_age=86400)


@bp.route("/positives")
@requires("batch.read")
def worklist():
    """Open positives and their deadlines, by what they need now: the four groups with their
    totals, or one group (``?group=``) page by page; ``?site=`` narrows to one market."""
    actor = web_actor()
    group = request.args.get("group") or None
    if group not in (None, *services.POSITIVE_GROUPS):
        message = gettext("Unknown group: choose one of %(groups)s.", groups=", ".join(services.POSITIVE_GROUPS))
        raise BadRequest(message, {"group": [message]})
    site_id = parse_id(request.args.get("site"), "site")
    if site_id is not None:
        actor.check_site(site_id)
    now = utcnow()
    groups, states = services.open_positives(actor, now, site_id=site_id)
    args = kept_args(request.args)
    totals = {key: len(batches_) for key, batches_ in groups.items()}
    page = page_of(groups[group], page_number(request.args.get("page")), args=args) if group else None
    shown = {key: (page.items if page else groups[key][:services.POSITIVES_PREVIEW]) for key in services.POSITIVE_GROUPS
             if group in (None, key)}
    sites = list_sites(actor)
    chips = []
    if site_id is not None:
        chips.append(Chip(("site",), gettext("Site"), next((s.name for s in sites if s.id == site_id), f"#{site_id}")))
    if group:
        chips.append(Chip(("group",), gettext("Needs"), str(POSITIVE_GROUP_LABELS[group])))
    return render_template("dispositions/worklist.html", groups=shown, totals=totals, states=states, now=now,
                           page=page, group=group, sites=sites, args=args, chips=chips,
                           total=sum(totals.values()) if group is None else totals[group])


@bp.app_template_global()
def waited_minutes(since, now) -> int:
    """Whole minutes from ``since`` to ``now`` (never negative)."""
    return max(0, int((now - since).total_seconds() // 60))


@bp.app_template_global()
def notice_overdue(disposition, now) -> bool:
    """Whether the seller still has not been told past the reminder (``lims.rules.disposition``)."""
    from lims.rules.disposition import awaits_notice_too_long

    return awaits_notice_too_long(disposition.status, disposition.notified_at, disposition.opened_at, now)
