"""Event pages: the list, one event with what was tested for it, its summary PDF."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from lims.listing import kept_args, page_number
from lims.accounts.access import requires, web_actor
from lims.events import services
from lims.reporting.views import pdf_response

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.route("/")
@requires("batch.read")
def index():
    page = services.page_events(web_actor(), page_number(request.args.get("page")), kept_args(request.args))
    return render_template("events/index.html", events=page.items, page=page)


@bp.route("/<code>")
@requires("batch.read")
def show(code):
    actor = web_actor()
    event = services.get_event(actor, code)
    batches = services.event_batches(actor, event)
    return render_template("events/show.html", event=event, batches=batches,
                           figures=services.build_summary(actor, event).figures)


@bp.route("/<code>/summary.pdf")
@requires("report.read")
def summary(code):
    actor = web_actor()
    event = services.get_event(actor, code)
    return pdf_response(services.summary_pdf(actor, event), f"event-{event.code}.pdf")


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<code>/edit", methods=["GET", "POST"])
@requires("event.manage")
def edit(code=None):
    """Register a banquet or a major event (date, host, venues, tables, people, chef, menu)."""
    from flask import flash, redirect, url_for
    from flask_babel import gettext

    from lims.admin.sections import SECTIONS
    from lims.admin.views import _apply_errors
    from lims.errors import LimsError
    from lims.extensions import db

    section = SECTIONS["events"]
    event = services.get_event(web_actor(), code) if code else None
    form = section.make_form(event)
    status = 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                saved = section.save(web_actor(), event, form)
        except LimsError as exc:
            _apply_errors(form, exc)
            status = 422
        else:
            flash(gettext("Saved: %(name)s", name=saved.name), "success")
            return redirect(url_for("events.show", code=saved.code))
    elif form.is_submitted():
        status = 422
    return render_template("events/edit.html", form=form, event=event), status
