"""Marshmallow fields shared by the API schemas. Each one refuses what its column cannot
hold (lims.inputs) and states its bounds, so the OpenAPI document says what is accepted."""
from __future__ import annotations

from datetime import timezone
from decimal import Decimal

import sqlalchemy as sa
from marshmallow import ValidationError, fields, validate

from lims.i18n import local_zone
from lims.inputs import EARLIEST_YEAR, MAX_INT32, MAX_INT64, check_year, too_large_message
from lims.errors import InvalidInput


def _year_check(value, field_name: str, years_ahead: int):
    try:
        check_year(value, field_name, years_ahead=years_ahead)
    except InvalidInput as exc:
        raise ValidationError(str(exc.message)) from None


class LocalDateTime(fields.DateTime):
    """ISO 8601 in; a time without an offset is local time (LIMS_TIMEZONE). Out: ISO with offset.
    Times before 2000 or after next year are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        dt = super()._deserialize(value, attr, data, **kwargs)
        _year_check(dt, self.data_key or attr or "time", 1)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=local_zone())
        return dt.astimezone(timezone.utc)

    def _serialize(self, value, attr, obj, **kwargs):
        return local_iso(value)


def local_iso(value):
    """An aware time as ISO 8601 in local time with its offset (None stays None): what every
    time in an answer looks like."""
    if value is None:
        return None
    return value.astimezone(local_zone()).isoformat()


class Date(fields.Date):
    """An ISO date from 2000 to ``years_ahead`` years after this one (default: next year)."""

    def __init__(self, years_ahead: int = 1, **kwargs):
        self.years_ahead = years_ahead
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        d = super()._deserialize(value, attr, data, **kwargs)
        _year_check(d, self.data_key or attr or "date", self.years_ahead)
        return d


class Integer(fields.Integer):
    """A whole number that fits its column (32 bits unless ``column`` says BigInteger)."""

    def __init__(self, column: sa.types.TypeEngine | None = None, minimum: int = 0, **kwargs):
        maximum = MAX_INT64 if isinstance(column, sa.BigInteger) else MAX_INT32
        kwargs["validate"] = [*_as_list(kwargs.get("validate")), validate.Range(min=minimum, max=maximum)]
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)


class Number(fields.Decimal):
    """A decimal sent and returned as a JSON number (never NaN or infinity). With ``column``
    (a NUMERIC type) it refuses, naming the field, a value with more digits before the
    decimal point than the column holds."""

    def __init__(self, column: sa.Numeric | None = None, **kwargs):
        kwargs.setdefault("allow_nan", False)
        kwargs.setdefault("as_string", False)
        self.column = column
        if column is not None:
            scale = column.scale or 0
            bound = Decimal(10) ** (column.precision - scale) - Decimal(1).scaleb(-scale)  # 999999999.999
            kwargs["validate"] = [*_as_list(kwargs.get("validate")), validate.Range(min=-bound, max=bound)]
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        d = super()._deserialize(value, attr, data, **kwargs)
        if self.column is not None and d is not None:
            from lims.inputs import decimal_fits

            if not decimal_fits(d, self.column.precision, self.column.scale or 0):
                raise ValidationError(too_large_message(self.data_key or attr or "value", self.column.precision,
                                                        self.column.scale or 0))
        return d


def _as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


__all__ = ["Date", "EARLIEST_YEAR", "Integer", "LocalDateTime", "MAX_INT64", "Number", "local_iso"]
