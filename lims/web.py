"""The request boundary: one request = one transaction, security headers, error pages
and the JSON error shape, template helpers."""
from __future__ import annotations

import logging

from flask import Flask, g, got_request_exception, jsonify, render_template, request, send_file
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from lims.database import reads_only, write_intent
from lims.errors import Conflict, LimsError
from lims.extensions import db

log = logging.getLogger(__name__)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    from lims import inputs, templating
    from lims.accounts import session_auth

    inputs.init_app(app)

    session_auth.init_app(app)
    templating.init_app(app)

    @app.before_request
    def _begin():
        view = app.view_functions.get(request.endpoint)
        write_intent.set(request.method not in _READ_METHODS or getattr(view, "writes_on_get", False))
        if not write_intent.get():
            reads_only(db.session())

    @app.after_request
    def _finish(response):
        """The handler returned: commit its work, whatever the status code it chose. A
        handler that raised was rolled back by the error handler (``_abandon``), and nothing
        the error page may have loaded since is kept either."""
        if g.get(_ABANDONED):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except (IntegrityError, StaleDataError) as exc:
            db.session.rollback()
            log.info("commit conflict: %s", exc)
            return _error_response(Conflict(_conflict_message()))
        from lims.jobs.engine import after_commit

        after_commit()  # jobs this request created (imports, reports, e-mail) start now
        return response

    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
        h.setdefault("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                     "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
                     "form-action 'self'")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.route("/health")
    def health():
        """For load balancers and monitoring: the app answers and the database is reachable."""
        db.session.execute(db.text("SELECT 1"))
        return {"status": "ok"}

    @app.errorhandler(LimsError)
    def _lims_error(exc: LimsError):
        _abandon()
        return _error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # Also the 500 page of an unhandled exception (Flask wraps it in InternalServerError).
        _abandon()
        err = LimsError(_http_message(exc))
        err.status = exc.code or 500
        data = getattr(exc, "data", None)  # webargs/smorest validation messages
        if isinstance(data, dict) and data.get("messages"):
            err.errors = _flatten_messages(data["messages"])
        return _error_response(err, headers=getattr(exc, "get_headers", lambda: [])())

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        _abandon()
        return _error_response(Conflict(_conflict_message()))

    got_request_exception.connect(_abandon_on_unhandled, app)


#: Set on ``g`` (by this module only) when the handler raised: the request's work is gone.
_ABANDONED = "_lims_transaction_abandoned"


def _abandon() -> None:
    """The handler raised: roll back everything it did, and commit nothing after."""
    db.session.rollback()
    setattr(g, _ABANDONED, True)


def _abandon_on_unhandled(sender, exception, **extra) -> None:
    _abandon()


def _conflict_message():
    from flask_babel import gettext

    return gettext("Someone else changed this record in the meantime. Reload it and try again.")


def _http_message(exc: HTTPException) -> str:
    from flask_babel import gettext

    messages = {
        400: gettext("The request could not be understood."),
        401: gettext("Please sign in."),
        403: gettext("You are not allowed to do this."),
        404: gettext("Not found."),
        405: gettext("This method is not allowed here."),
        409: gettext("This conflicts with the current state."),
        413: gettext("The upload is too large."),
        422: gettext("Some of the input is not valid."),
        429: gettext("Too many attempts. Please wait and try again."),
        500: gettext("Something went wrong on our side. The error has been logged."),
    }
    if exc.code == 400 and exc.description and "CSRF" in str(exc.description):
        return gettext("The form expired. Reload the page and try again.")
    return messages.get(exc.code or 500, exc.description or "")


def _flatten_messages(messages: dict) -> dict:
    """webargs nests messages by location (json/query/form); the API shows fields directly."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def _error_response(exc: LimsError, headers=None):
    body = exc.to_dict()
    if wants_json():
        response = jsonify(body)
    else:
        response = app_error_page(body)
    response.status_code = exc.status
    if exc.status == 401 and wants_json():
        response.headers["WWW-Authenticate"] = 'Bearer realm="lims"'
    for k, v in headers or []:
        if k.lower() != "content-type":
            response.headers[k] = v
    return response


def app_error_page(body: dict):
    from flask import make_response

    return make_response(render_template("error.html", error=body))


#: Sent with every file someone uploaded: a page that is opened anyway gets no script, no
#: plugin, no same-origin access.
UPLOAD_CSP = "sandbox; default-src 'none'"


def serve_upload(path, download_name: str, mimetype: str = "application/octet-stream", max_age=None):
    """A file someone uploaded, as a download that the browser neither runs nor renders as a
    page: never under the type its own name suggests (an ``x.js`` imported as a CSV would
    otherwise be a script the CSP allows), always an attachment, sandboxed. Re-encoded
    photos pass their image type."""
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=download_name or "file",
                         max_age=max_age)
    response.headers["Content-Security-Policy"] = UPLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def writes_on_get(view):
    """Mark a GET view that writes (a lazy sweep, a dry run rolled back): on SQLite it then
    takes the write lock at the start of its transaction instead of failing half-way; on
    PostgreSQL it gets a transaction at all (a request that only reads runs outside one,
    :func:`lims.database.reads_only`)."""
    view.writes_on_get = True
    return view
