"""The user's notifications."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext

from lims.accounts.access import requires, web_actor
from lims.inputs import parse_id
from lims.listing import Chip, kept_args, page_number
from lims.notifications import services
from lims.web import writes_on_get

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@writes_on_get
@requires("batch.read")
def index():
    actor = web_actor()
    services.sweep()
    unread_only = request.args.get("unread") == "1"
    args = kept_args(request.args)
    page = services.page_for_user(actor.user_id, page_number(request.args.get("page")), unread_only, args)
    chips = [Chip(("unread",), gettext("Show"), gettext("Unread only"))] if unread_only else []
    return render_template("notifications/index.html", items=[(n, *services.describe(n)) for n in page.items],
                           page=page, args=args, chips=chips, unread_only=unread_only)


@bp.route("/read", methods=["POST"])
@requires("batch.read")
def read():
    actor = web_actor()
    ids = [parse_id(i, "id") for i in request.form.getlist("id") if i.strip()] or None
    services.mark_read(actor.user_id, ids)
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("notifications.index"))
