"""Each role's home page: what needs them now."""
from flask import Blueprint, render_template

from lims.accounts.access import requires, web_actor
from lims.database import utcnow
from lims.home.services import overview

bp = Blueprint("home", __name__)


@bp.route("/")
@requires("batch.read")
def index():
    actor = web_actor()
    return render_template("home/index.html", overview=overview(actor, utcnow()), actor=actor)
