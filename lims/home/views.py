"""Each role's home page: what needs them now."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from lims.accounts.access import requires, web_actor
from lims.database import utcnow
from lims.notifications import services as notifications
from lims.web import writes_on_get
from lims.dispositions.services import POSITIVES_PREVIEW, open_positives
from lims.home import services
from lims.results.services import sent_back
from lims.i18n import local_today
from lims.rounds.services import list_rounds

bp = Blueprint("home", __name__)


@bp.route("/")
@writes_on_get
@requires("batch.read")
def index():
    actor = web_actor()
    now = utcnow()
    notifications.sweep(now)
    if actor.can("home.dashboard"):
        return redirect(url_for("dashboard.index"))
    groups, states = open_positives(actor, now)
    context = dict(overview=services.overview(actor, now), actor=actor, states=states, now=now,
                   groups={key: batches[:POSITIVES_PREVIEW] for key, batches in groups.items()},
                   totals={key: len(batches) for key, batches in groups.items()})
    if actor.can("home.market"):
        context["today"] = services.today_by_stall(actor, now)
        return render_template("home/manager.html", **context)
    today = local_today(now)
    context["rounds"] = [r for r in list_rounds(actor, day=today)
                         if actor.can("round.read_others") or r.created_by_id == actor.user_id]
    context["sent_back"] = sent_back(actor) if actor.can("result.create") else []
    return render_template("home/index.html", **context)
