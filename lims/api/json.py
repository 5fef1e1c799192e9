"""JSON for the API: ISO 8601 timestamps, numbers for Decimals."""
from datetime import date, datetime
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider


class LimsJSONProvider(DefaultJSONProvider):
    ensure_ascii = False

    @staticmethod
    def default(o):
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, date):
            return o.isoformat()
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() and abs(o) < 2**53 else float(o)
        return DefaultJSONProvider.default(o)
