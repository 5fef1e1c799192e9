"""Language and time: the user's locale (Chinese unless they or their browser ask for
English) and local-time formatting of the UTC timestamps we store."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_babel import force_locale
from flask_login import current_user


@lru_cache(maxsize=64)
def parsed_locale(tag: str) -> Locale:
    """``tag`` as a Babel locale, parsed once: Babel parses a tag by comparing it with every
    locale it knows (about half a millisecond), and a public page asked it a dozen times."""
    return Locale.parse(tag)


def speaking(tag: str):
    """Within this block, speak ``tag`` (flask_babel.force_locale with the parsed locale)."""
    return force_locale(parsed_locale(tag))


def locale_for_request() -> Locale:
    """The request's locale (:func:`select_locale`), parsed once per language."""
    return parsed_locale(select_locale())


def select_locale() -> str:
    """An explicit choice wins — ``?lang=`` on the address (the public pages' switch: it stores
    nothing, so a kept public page needs no form), then the language switch — then the user's
    profile, then the browser."""
    supported = current_app.config["LOCALES"]
    if not has_request_context():  # the CLI and background jobs speak the default language
        return current_app.config["DEFAULT_LOCALE"]
    if request.args.get("lang") in supported:
        return request.args["lang"]
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in supported:
        return current_user.locale
    if request and request.accept_languages:
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        if best and best.startswith("en"):
            return "en"
    return current_app.config["DEFAULT_LOCALE"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(local_zone())


def local_today(now: datetime) -> date:
    return now.astimezone(local_zone()).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of a local calendar day."""
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min, tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def parse_local(text: str) -> datetime:
    """``2026-11-20 09:31`` / ``2026-11-20T09:31`` typed in local time → aware UTC.

    An ISO string with an offset keeps its own zone. Raises ValueError; DateOutOfRange (a
    ValueError with a message to show) for a time before 2000 or after next year."""
    value = datetime.fromisoformat(text.strip().replace("/", "-"))
    from lims.inputs import check_year_of

    check_year_of(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(timezone.utc)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(value)
    return local.strftime(fmt) if local else ""
