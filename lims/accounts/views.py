"""Sign-in, sign-out and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext
from flask_login import current_user, login_user, logout_user

from lims.accounts.forms import LoginForm
from lims.accounts.services import LoginRefused, authenticate
from lims.extensions import db

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data.strip(), form.password.data, request.remote_addr)
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count even though the answer is an error
            status = 429 if refused.locked_until else 200
            if refused.locked_until:
                form.form_errors.append(gettext(
                    "Too many failed attempts. Try again after %(time)s.",
                    time=format_datetime(refused.locked_until, "HH:mm")))
            else:
                form.password.errors.append(gettext("Wrong user name or password."))
        else:
            session.clear()
            login_user(user, remember=form.remember.data)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LOCALES"]:
        session["lang"] = code
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
    return redirect(_safe_next(request.args.get("next")))
