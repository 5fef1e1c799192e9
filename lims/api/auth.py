"""Bearer-token authentication for API blueprints. The API never reads the session
cookie, so a browser session cannot be used to forge API calls."""
from __future__ import annotations

from functools import cache

from flask import g, request
from flask_babel import gettext
from flask_smorest import Blueprint

from lims.accounts.access import Actor
from lims.accounts.services import user_for_token
from lims.errors import Unauthenticated


def current_actor() -> Actor:
    return g.api_actor


def _authenticate():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        raise Unauthenticated(gettext("A valid API token is required (Authorization: Bearer …)."))
    g.api_actor = Actor(user=user, ip=request.remote_addr)


def api_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A flask-smorest Blueprint whose every route requires a valid bearer token."""
    blp = Blueprint(name, import_name, **kwargs)
    blp.before_request(_authenticate)
    return blp


_LOCKED = "lims.api.locked_batch"


def allowed(action: str, lock: bool = False):
    """The one route decorator (outermost, above ``@blp.arguments``): refuse a role without
    the permission with 403, and a batch the caller may not see with 404, before the body is
    even validated — so an answer never depends on what was sent. The body takes
    ``current_actor()``; the service it calls enforces the same permission again. ``lock``:
    the route changes the batch, so it is read locked (FOR UPDATE) here at once, and the body
    takes it with :func:`locked_batch` instead of reading it a second time."""
    from functools import wraps

    def decorator(fn):
        @wraps(fn)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            actor.require(action)
            if "code" in kwargs and request.path.startswith("/api/v1/batches/"):
                from lims.batches.services import get_batch

                batch = get_batch(actor, kwargs["code"], for_update=lock, loads=_recording() if lock else ())
                if lock:
                    request.environ[_LOCKED] = (kwargs["code"], batch)
            elif "code" in kwargs and request.path.startswith("/api/v1/sites/"):
                from lims.sites.services import get_site

                get_site(actor, kwargs["code"])
            elif "code" in kwargs and request.path.startswith("/api/v1/orgs/"):
                from lims.orgs.services import get_org_by_code

                get_org_by_code(actor, kwargs["code"])
            elif "code" in kwargs and request.path.startswith("/api/v1/stations/"):
                from lims.orgs.services import get_station

                get_station(actor, kwargs["code"])
            return fn(*args, **kwargs)

        return wrapped

    return decorator


def locked_batch(code: str):
    """The batch ``allowed(…, lock=True)`` read locked for this request (or read locked now)."""
    from lims.batches.services import get_batch

    held = request.environ.get(_LOCKED)
    if held is not None and held[0] == code:
        return held[1]
    return get_batch(current_actor(), code, for_update=True, loads=_recording())


@cache
def _recording() -> tuple:
    """What recording a result reads of its batch (the category judging asks about, the
    planned tests it may add to), in the statement that locks the batch: two statements less."""
    from sqlalchemy.orm import joinedload

    from lims.models import Batch
    from lims.models.reference import item_shown

    return joinedload(Batch.category), joinedload(Batch.planned_items).options(*item_shown())
