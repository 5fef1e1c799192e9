"""Use cases for accounts: users, passwords, sign-in with throttling, API tokens."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from werkzeug.security import check_password_hash, generate_password_hash

from lims.audit.services import record
from lims.database import UTCDateTime, utcnow
from lims.errors import Conflict, Forbidden, InvalidInput, NotFound
from lims.extensions import db
from lims.models import ApiToken, LoginThrottle, Site, User
from lims.rules.permissions import ROLES, is_site_bound

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
MIN_PASSWORD = 10


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def _user_snapshot(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "active": user.active, "sites": [s.code for s in user.sites], "orgs": [o.code for o in user.orgs],
            "stations": [s.code for s in user.stations]}


def _common_passwords() -> frozenset[str]:
    """The 30 000 most common passwords of leaked password lists, as kept by zxcvbn."""
    global _COMMON
    if _COMMON is None:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        _COMMON = frozenset(FREQUENCY_LISTS["passwords"])
    return _COMMON


_COMMON: frozenset[str] | None = None


def _check_password(password: str) -> None:
    """At least MIN_PASSWORD characters and not one of the commonly used passwords."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(gettext("The password must be at least %(n)d characters.", n=MIN_PASSWORD),
                           {"password": [gettext("At least %(n)d characters.", n=MIN_PASSWORD)]})
    if password.lower() in _common_passwords():
        raise InvalidInput(gettext("This password is one of the most commonly used: choose another."),
                           {"password": [gettext("A commonly used password: choose another.")]})


def _sites_by_code(codes, actor=None) -> list[Site]:
    """The sites ``codes`` name; with ``actor``, only those the actor reaches (a district's
    administrator binds nobody to a neighbour's market)."""
    codes = [c for c in codes if c]
    if not codes:
        return []
    sites = db.session.execute(sa.select(Site).where(Site.code.in_(codes))).scalars().all()
    if actor is not None:
        sites = [s for s in sites if actor.may_see_site(s.id)]
    missing = sorted(set(codes) - {s.code for s in sites})
    if missing:
        raise InvalidInput(gettext("Unknown site: %(codes)s", codes=", ".join(missing)),
                           {"sites": [gettext("Unknown site: %(codes)s", codes=", ".join(missing))]})
    return list(sites)


def _orgs_by_code(actor, codes) -> list:
    from lims.orgs.services import org_by_code

    return [org_by_code(actor, c, "orgs") for c in dict.fromkeys(codes or ())]


def _stations_by_code(codes, actor=None) -> list:
    from lims.models import Station
    from lims.orgs.services import stations_visible
    from lims.sites.services import normalise_code

    codes = sorted({normalise_code(c) for c in codes or ()})
    if not codes:
        return []
    stmt = sa.select(Station).where(Station.code.in_(codes))
    if actor is not None and actor.user is not None:
        stmt = stmt.where(stations_visible(actor))
    stations = db.session.execute(stmt).scalars().all()
    missing = sorted(set(codes) - {s.code for s in stations})
    if missing:
        message = gettext("Unknown station: %(codes)s", codes=", ".join(missing))
        raise InvalidInput(message, {"stations": [message]})
    return list(stations)


def _bind(actor, user: User, org_codes, station_codes) -> None:
    """Bind ``user`` to organisations (regulators, admins) or stations (technicians,
    reviewers); None leaves a binding as it is."""
    from lims.accounts.scope import forget_scope
    from lims.rules.permissions import binding_of

    binding = binding_of(user.role)
    if org_codes is not None:
        orgs = _orgs_by_code(actor, org_codes)
        if orgs and binding != "orgs":
            raise InvalidInput(gettext("Only regulators and administrators are bound to organisations."),
                               {"orgs": [gettext("Not for this role.")]})
        user.orgs = orgs
    if station_codes is not None:
        stations = _stations_by_code(station_codes, actor)
        if stations and binding != "stations":
            raise InvalidInput(gettext("Only technicians and reviewers are bound to stations."),
                               {"stations": [gettext("Not for this role.")]})
        user.stations = stations
    if binding != "orgs":
        user.orgs = []
    if binding != "stations":
        user.stations = []
    if actor.user is not None and actor.user.orgs and binding_of(user.role) == "orgs" and not user.orgs:
        # a district's administrator cannot make someone who sees more than they do
        raise InvalidInput(gettext("Bind this person to an organisation."), {"orgs": [gettext("Required.")]})
    forget_scope()


def _require_user_manager(actor) -> None:
    """People are managed by who holds ``users.manage``, or by the operator at the console
    (the system actor of a ``lims user`` command: no user yet, but shell access)."""
    if actor.user is not None:
        actor.require("users.manage")


def _within_reach(actor, user: User) -> None:
    """An administrator bound to an organisation manages only people whose reach lies inside
    their own (a district's administrator cannot make an administrator of the whole deployment,
    nor bind anyone to another district's sites or stations)."""
    from lims.accounts.scope import scope_of

    mine = actor.site_ids
    if actor.user is None or mine is None:
        return
    theirs = scope_of(user)
    if theirs is None or not theirs <= mine:
        raise Forbidden(gettext("You may only manage people within your own organisation."))


def create_user(actor, *, username: str, role: str, password: str, display_name: str | None = None,
                site_codes=(), locale: str | None = None, phone=None, email=None, org_codes=None,
                station_codes=None) -> User:
    """Add a user. Market managers must be bound to at least one site."""
    _require_user_manager(actor)
    errors = {}
    if not USERNAME.match(username or ""):
        errors["username"] = [gettext("2–32 letters, digits, dot, dash or underscore.")]
    if role not in ROLES:
        errors["role"] = [gettext("Unknown role.")]
    if errors:
        raise InvalidInput(gettext("Some of the input is not valid."), errors)
    _check_password(password)
    sites = _sites_by_code(site_codes, actor)
    if is_site_bound(role) and not sites:
        raise InvalidInput(gettext("A market manager must be bound to at least one site."),
                           {"sites": [gettext("Choose at least one site.")]})
    if db.session.execute(sa.select(User.id).where(User.username == username)).first():
        raise Conflict(gettext("The user name %(name)s is taken.", name=username),
                       {"username": [gettext("This user name is taken.")]})
    user = User(username=username, role=role, display_name=display_name or username,
                password_hash=_hash_password(password), locale=locale, phone=phone, email=email)
    user.sites = sites
    _bind(actor, user, org_codes or (), station_codes or ())
    _within_reach(actor, user)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", "user", user.id, after=_user_snapshot(user))
    return user


def update_user(actor, user: User, *, display_name: str, role: str, active: bool, site_codes=(),
                locale=None, phone=None, email=None, password: str | None = None, org_codes=None,
                station_codes=None) -> User:
    _require_user_manager(actor)
    _within_reach(actor, user)
    before = _user_snapshot(user)
    if role not in ROLES:
        raise InvalidInput(gettext("Some of the input is not valid."), {"role": [gettext("Unknown role.")]})
    sites = _sites_by_code(site_codes, actor)
    if is_site_bound(role) and not sites:
        raise InvalidInput(gettext("A market manager must be bound to at least one site."),
                           {"sites": [gettext("Choose at least one site.")]})
    if actor.user_id == user.id and (not active or role != "admin") and user.role == "admin":
        raise Conflict(gettext("You cannot remove your own administrator access."))
    user.display_name, user.role, user.active = display_name or user.username, role, active
    user.locale, user.phone, user.email = locale or None, phone or None, email or None
    user.sites = sites
    _bind(actor, user, org_codes, station_codes)
    _within_reach(actor, user)
    if password:
        _check_password(password)
        user.password_hash = _hash_password(password)
    db.session.flush()
    after = _user_snapshot(user)
    if password:
        after["password"] = "changed"
    record(actor, "user.update", "user", user.id, before=before, after=after)
    return user


def end_all_sessions(actor, user: User) -> None:
    """"Sign out everywhere": every session and remember cookie of ``user`` stops working
    (one's own, or anyone's for who manages users)."""
    if actor.user_id != user.id:
        _require_user_manager(actor)
        _within_reach(actor, user)
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()
    record(actor, "user.sign_out_everywhere", "user", user.id)


def set_locale(user: User, locale: str) -> None:
    """The user's language, chosen with the switch in the top bar."""
    user.locale = locale
    db.session.flush()


def find_user(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(gettext("Unknown user %(name)s.", name=username))
    return user


# --- sign-in with throttling ---------------------------------------------------------
#
# Each account has a counter of sign-in attempts that have not succeeded (``user:<name>``),
# each address one of failed attempts (``ip:<address>``), rows of LoginThrottle shared by every
# app server. An attempt on an account is counted *before* its password is checked, in one
# upsert that is refused while the account is locked: of any number of simultaneous tries,
# no more than LOGIN_MAX_FAILURES reach the password check, and the one that reaches the limit
# locks the account for the others at once. A right password clears the account's counter.
# Each failure past the limit locks the account for twice as long as the one before, up to
# LOGIN_LOCK_MAX_MINUTES; the count is forgotten after LOGIN_WINDOW_MINUTES without a try
# (counted from the end of a lock). An address is only locked at a much higher count
# (LOGIN_ADDRESS_MAX_FAILURES), so that people behind one address (an office, a proxy that is
# not declared in LIMS_TRUSTED_PROXIES) do not lock each other out with a few typing errors.


class LoginRefused(Exception):
    def __init__(self, locked_until: datetime | None = None):
        super().__init__("login refused")
        self.locked_until = locked_until


def account_key(username: str | None) -> str:
    return f"user:{(username or '').strip().lower()}"[:120]


def address_key(ip: str | None) -> str:
    return f"ip:{ip or '-'}"[:120]


def lock_end(failures: int, now: datetime) -> datetime | None:
    """Until when an account with this many failures waits: nothing below LOGIN_MAX_FAILURES,
    then LOGIN_LOCK_MINUTES, doubling with each further failure up to LOGIN_LOCK_MAX_MINUTES."""
    cfg = current_app.config
    over = failures - cfg["LOGIN_MAX_FAILURES"]
    if over < 0:
        return None
    minutes = min(cfg["LOGIN_LOCK_MINUTES"] * 2 ** min(over, 30), cfg["LOGIN_LOCK_MAX_MINUTES"])
    return now + timedelta(minutes=minutes)


def _upsert(table):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the two databases the application supports
        raise RuntimeError(f"no upsert for {dialect}")
    return insert(table)


def _count(key: str, now: datetime, limit: int, ends: list[datetime]) -> int | None:
    """Count one attempt on ``key`` in one atomic upsert, locking the key from a count of
    ``limit`` on: until ``ends[0]`` at ``limit``, ``ends[1]`` at the next count, …, the last
    end for every count beyond (``limit`` 0: never locked).

    Returns the new count, or None when the key is locked (then nothing is counted)."""
    t = LoginThrottle.__table__
    cutoff = now - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    stale = sa.and_(sa.func.coalesce(t.c.last_failure_at, t.c.first_failure_at) < cutoff,
                    sa.or_(t.c.locked_until.is_(None), t.c.locked_until < cutoff))
    count = sa.case((stale, 1), else_=t.c.failures + 1)
    # The ends are computed here and passed as values: date arithmetic differs between
    # SQLite and PostgreSQL.
    if limit:
        locked = sa.case((count < limit, sa.null()),
                         *[(count == limit + i, sa.literal(end, UTCDateTime())) for i, end in enumerate(ends[:-1])],
                         else_=sa.literal(ends[-1], UTCDateTime()))
    else:
        locked = sa.null()
    stmt = _upsert(t).values(key=key, failures=1, first_failure_at=now, last_failure_at=now,
                             locked_until=ends[0] if limit == 1 else None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={"failures": count, "first_failure_at": sa.case((stale, now), else_=t.c.first_failure_at),
              "last_failure_at": now, "locked_until": locked},
        where=sa.or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
    ).returning(t.c.failures)
    return db.session.execute(stmt).scalar_one_or_none()


def _account_lock_ends(now: datetime) -> list[datetime]:
    """The ends of an account's growing locks, from the first to the longest."""
    cfg = current_app.config
    ends = [lock_end(cfg["LOGIN_MAX_FAILURES"], now)]
    while ends[-1] < now + timedelta(minutes=cfg["LOGIN_LOCK_MAX_MINUTES"]) and len(ends) < 32:
        ends.append(lock_end(cfg["LOGIN_MAX_FAILURES"] + len(ends), now))
    return ends


def _locked_until(key: str) -> datetime | None:
    return db.session.execute(sa.select(LoginThrottle.locked_until).where(LoginThrottle.key == key)).scalar()


def authenticate(username: str, password: str, ip: str | None, now: datetime | None = None) -> User:
    """Check a password, throttled per account (growing locks) and, at a much higher count,
    per address.

    Raises LoginRefused (with ``locked_until`` when locked). The sign-in page answers a
    refusal (it does not raise), so the request commits the count with it."""
    cfg = current_app.config
    now = now or utcnow()
    account, address = account_key(username), address_key(ip)
    address_lock = _locked_until(address)
    if address_lock is not None and address_lock > now:
        raise LoginRefused(address_lock)
    attempt = _count(account, now, cfg["LOGIN_MAX_FAILURES"], _account_lock_ends(now))
    if attempt is None:
        raise LoginRefused(_locked_until(account))
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    # Hash even for unknown users so that timing does not reveal which names exist.
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if ok and user is not None and user.active:
        db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == account))
        return user
    _count(address, now, cfg["LOGIN_ADDRESS_MAX_FAILURES"], [now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])])
    raise LoginRefused(lock_end(attempt, now))


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
    if actor.user_id != user.id:
        _require_user_manager(actor)
    token = "lims_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:64], token_hash=token_digest(token), prefix=token[:12]))
    db.session.flush()
    record(actor, "token.create", "user", user.id, after={"token": token[:12] + "…", "name": name})
    return token


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, in one statement; the user's bindings
    (sites, organisations, stations) load only if asked for — the scope is worked out
    without them (lims/accounts/scope.py)."""
    from lims.accounts.scope import read_user

    user = read_user(_token_user(db.session.get_bind().dialect.name), {"digest": token_digest(token)})
    if user is None or not user.active:
        return None
    return user


@functools.cache
def _token_user(dialect: str) -> sa.Select:
    """Made once, its value bound when run: on every API request, making the statement took
    half as long again as running it. With the user's bindings (lims.accounts.scope.read_user)."""
    from sqlalchemy import orm

    from lims.accounts.scope import with_bindings

    return with_bindings(sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
                         .where(ApiToken.token_hash == sa.bindparam("digest"), ApiToken.revoked_at.is_(None))
                         .options(orm.lazyload(User.sites), orm.lazyload(User.orgs), orm.lazyload(User.stations)),
                         dialect)


def revoke_token(actor, token_id: int) -> None:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(gettext("Not found."))
    row.revoked_at = utcnow()
    record(actor, "token.revoke", "user", row.user_id, after={"token": row.prefix + "…"})
