"""Sign-in, sign-out (here or everywhere), the account page and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf

from lims.accounts.access import web_actor
from lims.accounts.forms import LoginForm
from lims.accounts.services import LoginRefused, authenticate, end_all_sessions, set_locale

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home. A backslash counts as a slash
    for browsers (``/\\evil.example``), and a control character cannot go into a header."""
    if not target:
        return url_for("home.index")
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
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
            # A fresh CSRF secret for the new session, made now: a signed-in page is cached
            # per session secret, and a session without one would make a new one (and miss
            # the cache) on each request until the browser stores the cookie.
            g.pop("csrf_token", None)
            generate_csrf()
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    # logout_user leaves in the session the order to delete the remember cookie: keep it
    # through the clearing, or the browser stays signed in by that cookie.
    remember = session.get("_remember")
    session.clear()
    if remember:
        session["_remember"] = remember
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account")
@login_required
def account():
    return render_template("accounts/account.html", form=FlaskForm())


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every session and remembered sign-in of this user, this one included."""
    end_all_sessions(web_actor(), current_user)
    return logout()


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """The language switch: a small form (it changes a stored preference)."""
    if code not in current_app.config["LOCALES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated and current_user.locale != code:
        set_locale(current_user, code)
    return redirect(_safe_next(request.args.get("next")))
