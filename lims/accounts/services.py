"""Use cases for accounts: users, passwords, sign-in with throttling, API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from werkzeug.security import check_password_hash, generate_password_hash

from lims.audit.services import record
from lims.database import utcnow
from lims.errors import Conflict, InvalidInput, NotFound
from lims.extensions import db
from lims.models import ApiToken, LoginThrottle, Site, User
from lims.rules.permissions import ROLES, is_site_bound

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
MIN_PASSWORD = 8


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def _user_snapshot(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "active": user.active, "sites": [s.code for s in user.sites]}


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(gettext("The password must be at least %(n)d characters.", n=MIN_PASSWORD),
                           {"password": [gettext("At least %(n)d characters.", n=MIN_PASSWORD)]})


def _sites_by_code(codes) -> list[Site]:
    codes = [c for c in codes if c]
    if not codes:
        return []
    sites = db.session.execute(sa.select(Site).where(Site.code.in_(codes))).scalars().all()
    missing = sorted(set(codes) - {s.code for s in sites})
    if missing:
        raise InvalidInput(gettext("Unknown site: %(codes)s", codes=", ".join(missing)),
                           {"sites": [gettext("Unknown site: %(codes)s", codes=", ".join(missing))]})
    return list(sites)


def create_user(actor, *, username: str, role: str, password: str, display_name: str | None = None,
                site_codes=(), locale: str | None = None, phone=None, email=None) -> User:
    """Add a user. Market managers must be bound to at least one site."""
    errors = {}
    if not USERNAME.match(username or ""):
        errors["username"] = [gettext("2–32 letters, digits, dot, dash or underscore.")]
    if role not in ROLES:
        errors["role"] = [gettext("Unknown role.")]
    if errors:
        raise InvalidInput(gettext("Some of the input is not valid."), errors)
    _check_password(password)
    sites = _sites_by_code(site_codes)
    if is_site_bound(role) and not sites:
        raise InvalidInput(gettext("A market manager must be bound to at least one site."),
                           {"sites": [gettext("Choose at least one site.")]})
    if db.session.execute(sa.select(User.id).where(User.username == username)).first():
        raise Conflict(gettext("The user name %(name)s is taken.", name=username),
                       {"username": [gettext("This user name is taken.")]})
    user = User(username=username, role=role, display_name=display_name or username,
                password_hash=_hash_password(password), locale=locale, phone=phone, email=email)
    user.sites = sites
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", "user", user.id, after=_user_snapshot(user))
    return user


def update_user(actor, user: User, *, display_name: str, role: str, active: bool, site_codes=(),
                locale=None, phone=None, email=None, password: str | None = None) -> User:
    before = _user_snapshot(user)
    if role not in ROLES:
        raise InvalidInput(gettext("Some of the input is not valid."), {"role": [gettext("Unknown role.")]})
    sites = _sites_by_code(site_codes)
    if is_site_bound(role) and not sites:
        raise InvalidInput(gettext("A market manager must be bound to at least one site."),
                           {"sites": [gettext("Choose at least one site.")]})
    if actor.user_id == user.id and (not active or role != "admin") and user.role == "admin":
        raise Conflict(gettext("You cannot remove your own administrator access."))
    user.display_name, user.role, user.active = display_name or user.username, role, active
    user.locale, user.phone, user.email = locale or None, phone or None, email or None
    user.sites = sites
    if password:
        _check_password(password)
        user.password_hash = _hash_password(password)
    db.session.flush()
    after = _user_snapshot(user)
    if password:
        after["password"] = "changed"
    record(actor, "user.update", "user", user.id, before=before, after=after)
    return user


def find_user(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(gettext("Unknown user %(name)s.", name=username))
    return user


# --- sign-in with throttling ---------------------------------------------------------


class LoginRefused(Exception):
    def __init__(self, locked_until: datetime | None = None):
        super().__init__("login refused")
        self.locked_until = locked_until


def _throttle_rows(keys: list[str]) -> dict[str, LoginThrottle]:
    rows = db.session.execute(sa.select(LoginThrottle).where(LoginThrottle.key.in_(keys))).scalars()
    return {r.key: r for r in rows}


def authenticate(username: str, password: str, ip: str | None, now: datetime | None = None) -> User:
    """Check a password. After LOGIN_MAX_FAILURES failures in LOGIN_WINDOW_MINUTES, the
    account and the address are locked for LOGIN_LOCK_MINUTES (even for the right password).

    Raises LoginRefused (with ``locked_until`` when locked). The caller commits either way,
    so that failures are counted."""
    cfg = current_app.config
    now = now or utcnow()
    keys = [f"user:{(username or '').lower()}", f"ip:{ip or '-'}"]
    rows = _throttle_rows(keys)
    for row in rows.values():
        if row.locked_until and row.locked_until > now:
            raise LoginRefused(row.locked_until)
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    # Hash even for unknown users so that timing does not reveal which names exist.
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if ok and user is not None and user.active:
        row = rows.get(keys[0])
        if row is not None:
            db.session.delete(row)
        return user
    window = timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    locked = None
    for key in keys:
        row = rows.get(key)
        if row is None or now - row.first_failure_at > window:
            if row is None:
                row = LoginThrottle(key=key, failures=0, first_failure_at=now)
                db.session.add(row)
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= cfg["LOGIN_MAX_FAILURES"]:
            row.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            locked = row.locked_until
    raise LoginRefused(locked)


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash(secrets.token_hex(8), method=method)
    return _DUMMY[method]


# --- API tokens ------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(actor, user: User, name: str = "cli") -> str:
    """Make a bearer token for ``user``; only its hash is stored, the token is returned once."""
    token = "lims_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:64], token_hash=token_digest(token), prefix=token[:12]))
    db.session.flush()
    record(actor, "token.create", "user", user.id, after={"token": token[:12] + "…", "name": name})
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    return row.user


def revoke_token(actor, token_id: int) -> None:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(gettext("Not found."))
    row.revoked_at = utcnow()
    record(actor, "token.revoke", "user", row.user_id, after={"token": row.prefix + "…"})
