"""Access control in one place: permissions by role, and the site scope that limits
every query a person reaches (objects of other sites answer 404; lims/accounts/scope.py)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, request
from flask_login import current_user

from lims.errors import Forbidden, NotFound
from lims.rules.permissions import can, may_act_on


@dataclass(frozen=True)
class Actor:
    """Who is acting, for services and the audit trail."""

    user: object | None
    ip: str | None = None

    @property
    def user_id(self):
        return self.user.id if self.user is not None else None

    @property
    def name(self) -> str:
        return self.user.username if self.user is not None else "system"

    @property
    def role(self):
        return self.user.role if self.user is not None else None

    def can(self, action: str) -> bool:
        return self.user is not None and can(self.user.role, action)

    def may_act_on(self, action: str, authors) -> bool:
        """``can``, and the four-eyes rule: not on work this actor tested or entered."""
        return self.user is not None and may_act_on(self.user.role, action, self.user_id, authors)

    def require(self, action: str) -> None:
        if not self.can(action):
            from flask_babel import gettext

            raise Forbidden(gettext("You are not allowed to do this."))

    @property
    def site_ids(self) -> frozenset[int] | None:
        """The sites this actor reaches, or None for all of them (lims/accounts/scope.py)."""
        from lims.accounts.scope import sites_in_scope

        return sites_in_scope(self.user)

    @property
    def station_ids(self) -> frozenset[int] | None:
        """The stations a technician or reviewer works for (None: not bound to stations — an
        administrator, a regulator, the system, or staff bound to nothing)."""
        from lims.rules.permissions import binding_of

        from lims.accounts.scope import station_binding

        if self.user is None or binding_of(self.user.role) != "stations":
            return None
        return station_binding(self.user)[0] or None

    def check_station(self, station_id: int | None, field: str, name: str) -> None:
        """422 naming ``name`` (an instrument, a station) when it belongs to another station
        than the actor's own (lims.rules.orgs.foreign_station)."""
        from lims.rules.orgs import foreign_station

        if foreign_station(self.station_ids, station_id):
            from flask_babel import gettext

            from lims.errors import InvalidInput

            message = gettext("%(name)s belongs to another station than yours.", name=name)
            raise InvalidInput(message, {field: [message]})

    def may_see_site(self, site_id: int | None) -> bool:
        scope = self.site_ids
        return scope is None or site_id in scope

    def check_site(self, site_id: int | None) -> None:
        """404 — not 403 — so that another market's objects do not even seem to exist."""
        if not self.may_see_site(site_id):
            from flask_babel import gettext

            raise NotFound(gettext("Not found."))


def scope_to_sites(stmt, site_column, actor: Actor):
    """Limit a SELECT to the actor's sites (no-op for who reaches everything)."""
    scope = actor.site_ids
    if scope is None:
        return stmt
    from lims.accounts.scope import site_filter

    return stmt.where(site_filter(site_column, scope))


def web_actor() -> Actor:
    user = current_user if current_user.is_authenticated else None
    return Actor(user=user, ip=request.remote_addr)


def requires(action: str):
    """View decorator: signed in (else redirect to login) and allowed (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from lims.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user.role, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
