"""Flask-Login wiring. The session cookie and the remember cookie hold the user id, the
user's session version and a fingerprint of the password hash, so changing a password,
"sign out everywhere" (a new session version) or deactivating a user ends their sessions
and remembered sign-ins on every app server without any server-side session store."""
from __future__ import annotations

import functools
import hashlib

import sqlalchemy as sa
from sqlalchemy import orm

from flask_babel import lazy_gettext as _l

from lims.extensions import db, login_manager


def session_id_for(user) -> str:
    fingerprint = hashlib.sha256(user.password_hash.encode()).hexdigest()[:12]
    return f"{user.id}:{user.session_version or 1}:{fingerprint}"


@functools.cache
def _user_by_id(dialect: str) -> sa.Select:
    from lims.accounts.scope import with_bindings
    from lims.models import User

    return with_bindings(sa.select(User).where(User.id == sa.bindparam("user_id")).options(
        orm.lazyload(User.sites), orm.lazyload(User.orgs), orm.lazyload(User.stations)), dialect)


def init_app(app) -> None:
    from lims.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    User.get_id = session_id_for

    def user_by_id(user_id: int):
        """The user in one statement, with what their scope is made of on PostgreSQL
        (lims.accounts.scope.read_user); their bindings (sites, organisations, stations) as
        objects load only when asked for."""
        from lims.accounts.scope import read_user

        return read_user(_user_by_id(db.session.get_bind().dialect.name), {"user_id": user_id})

    # Flask-Login calls this both for the session and for the remember cookie.
    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, fingerprint = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = user_by_id(int(user_id))
        if user is None or not user.active or session_id_for(user) != session_id:
            return None
        return user
