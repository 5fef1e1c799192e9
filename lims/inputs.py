"""What every door (web forms, query strings, URL paths, JSON, CLI, imports) accepts, checked
in one place so that bad input is a clear 400/422 and never a database or overflow error:

- text carries no NUL or other control character (PostgreSQL cannot store NUL at all);
- an integer fits its column (32 or 64 bits), and so does an id in a URL or a query;
- a decimal fits its column's precision and scale;
- a date or time lies between 2000 and the end of next year (dates may reach further
  ahead where a field asks for it: a kit's expiry date).

The request guard runs before every view; the flush guard runs before every write, whatever
the door."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import Flask, request
from flask_babel import gettext
from sqlalchemy import event, orm
from werkzeug.routing import IntegerConverter

from lims.errors import BadRequest, InvalidInput

MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1
EARLIEST_YEAR = 2000
# Control characters no field needs; tab, line feed and carriage return are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- text ----------------------------------------------------------------------------------


def has_control_character(text: str) -> bool:
    return bool(_CONTROL.search(text))


def _strings(value) -> Iterable[str]:
    """Every string inside a decoded JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _refuse_control_characters():
    """Before every request: a control character anywhere in the path, the query, a form
    field, an uploaded file's name or a JSON body is refused with 400."""
    where = None
    if has_control_character(request.path):
        where = "path"
    else:
        for name, values in request.args.lists():
            if has_control_character(name) or any(has_control_character(v) for v in values):
                where = name
                break
    if where is None and request.method not in ("GET", "HEAD", "OPTIONS"):
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for name, values in request.form.lists():
                if has_control_character(name) or any(has_control_character(v) for v in values):
                    where = name
                    break
            for name, upload in request.files.items(multi=True):
                if where is None and has_control_character(upload.filename or ""):
                    where = name
        elif request.is_json:
            body = request.get_json(silent=True)
            if any(has_control_character(s) for s in _strings(body)):
                where = "json"
    if where is not None:
        message = gettext("The input contains a control character (such as NUL), which is not allowed.")
        raise BadRequest(message, {where: [message]})


# --- integers ------------------------------------------------------------------------------


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` in a URL: at most 2^31-1 (the ids of this app's 32-bit tables; PostgreSQL
    refuses a larger value even in a comparison), so an over-long id is simply not found (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT32)
        super().__init__(map, *args, **kwargs)


def parse_id(raw: str | None, field: str) -> int | None:
    """A positive id (or page number) typed in a query string: None when empty; 400 when not
    a number or beyond 32 bits (the id columns it is compared with)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_INT32:
        message = gettext("%(field)s must be a whole number.", field=field)
        raise BadRequest(message, {field: [message]})
    return int(raw)


# --- decimals ------------------------------------------------------------------------------


def decimal_fits(value, precision: int, scale: int) -> bool:
    """True when ``value`` (rounded to ``scale`` places) fits a NUMERIC(precision, scale)."""
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not d.is_finite():
            return False
        if d.adjusted() < precision - scale - 1:  # the common case, without rounding
            return True
        return abs(d.quantize(Decimal(1).scaleb(-scale))) < Decimal(10) ** (precision - scale)
    except (InvalidOperation, ValueError):
        return False


def too_large_message(field: str, precision: int, scale: int) -> str:
    return gettext("%(field)s is too large: at most %(digits)s digits before the decimal point.",
                   field=field, digits=precision - scale)


# --- dates and times -----------------------------------------------------------------------


class DateOutOfRange(ValueError):
    """A date or time that parses but lies outside the years accepted; ``str()`` is the
    (translated) message to show."""


def check_year_of(value: date | datetime, now: datetime | None = None, years_ahead: int = 1):
    """Raise DateOutOfRange for a year outside 2000 … this year + ``years_ahead``: for
    parsers whose callers turn a ValueError into a form error."""
    now = now or datetime.now(timezone.utc)
    last = now.year + years_ahead
    if not EARLIEST_YEAR <= value.year <= last:
        raise DateOutOfRange(gettext("Use a date between the years %(first)s and %(last)s.",
                                     first=EARLIEST_YEAR, last=last))
    return value


def date_range_message(field: str, last_year: int) -> str:
    return gettext("%(field)s must lie between the years %(first)s and %(last)s.",
                   field=field, first=EARLIEST_YEAR, last=last_year)


def check_year(value: date | datetime, field: str, now: datetime | None = None, years_ahead: int = 1):
    """Refuse (422, the field named) a date or time outside 2000 … the end of next year
    (``years_ahead`` years after this one). Returns ``value``."""
    now = now or datetime.now(timezone.utc)
    last = now.year + years_ahead
    if not EARLIEST_YEAR <= value.year <= last:
        message = date_range_message(field, last)
        raise InvalidInput(message, {field: [message]})
    return value


# --- the flush guard -----------------------------------------------------------------------


def _column_bounds(column: sa.Column):
    """What to check of a column: ("numeric", precision, scale), ("integer", limit) or None."""
    t = column.type
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float) and t.precision is not None:
        return ("numeric", t.precision, t.scale or 0)
    if isinstance(t, sa.Integer):
        return ("integer", MAX_INT64 if isinstance(t, sa.BigInteger) else MAX_INT32)
    return None


_BOUNDS: dict = {}  # model class → {column attribute key: bounds}, computed once per model


def _model_bounds(model) -> dict:
    try:
        return _BOUNDS[model]
    except KeyError:
        found = {prop.key: _column_bounds(prop.columns[0]) for prop in sa.inspect(model).column_attrs
                 if len(prop.columns) == 1}
        _BOUNDS[model] = found
        return found


def _check_value(key: str, bounds, value) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return gettext("The input contains a control character (such as NUL), which is not allowed.") \
            if "\x00" in value else None
    if bounds is None:
        return None
    if bounds[0] == "numeric" and isinstance(value, (int, float, Decimal)):
        _, precision, scale = bounds
        return None if decimal_fits(value, precision, scale) else too_large_message(key, precision, scale)
    if bounds[0] == "integer" and isinstance(value, int) and abs(value) > bounds[1]:
        return gettext("%(field)s is too large.", field=key)
    return None


def _check_before_flush(session: orm.Session, flush_context, instances) -> None:
    """Before anything is written: every changed value fits its column (422 naming it)."""
    errors: dict[str, list] = {}
    for obj in (*session.new, *session.dirty):
        bounds = _model_bounds(type(obj))
        for key, value in obj.__dict__.items():  # only what is loaded or set
            if value is not None and key in bounds:
                message = _check_value(key, bounds[key], value)
                if message:
                    errors.setdefault(key, []).append(message)
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, errors)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_refuse_control_characters)
    if not event.contains(orm.Session, "before_flush", _check_before_flush):
        event.listen(orm.Session, "before_flush", _check_before_flush)


class SaneYear:
    """WTForms validator: a date field's year lies between 2000 and ``years_ahead`` years
    after this one (year 0001 or 9999 typed in a date picker is a clear error, not a 500)."""

    def __init__(self, years_ahead: int = 1):
        self.years_ahead = years_ahead

    def __call__(self, form, field):
        from wtforms.validators import StopValidation

        if field.data is None:
            return
        try:
            check_year_of(field.data, years_ahead=self.years_ahead)
        except DateOutOfRange as exc:
            raise StopValidation(str(exc)) from exc
