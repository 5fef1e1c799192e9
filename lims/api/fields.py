"""Marshmallow fields shared by the API schemas."""
from __future__ import annotations

from datetime import timezone

from marshmallow import fields

from lims.i18n import local_zone


class LocalDateTime(fields.DateTime):
    """ISO 8601 in; a time without an offset is local time (LIMS_TIMEZONE). Out: ISO with offset."""

    def _deserialize(self, value, attr, data, **kwargs):
        dt = super()._deserialize(value, attr, data, **kwargs)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=local_zone())
        return dt.astimezone(timezone.utc)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(local_zone()).isoformat()


class Number(fields.Decimal):
    """A decimal sent and returned as a JSON number (never NaN or infinity)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_nan", False)
        kwargs.setdefault("as_string", False)
        super().__init__(**kwargs)
