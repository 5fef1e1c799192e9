"""Reading test times as instruments and spreadsheets write them.

Accepted: ``2026-11-20 09:31:05``, ``2026/11/20 9:31``, ``2026-11-20T09:31:05``,
``20261120093105``, ``2026年11月20日 9时31分``, a date alone, Excel date cells (given as ISO
text by :mod:`instruments.excel`) and Excel serial day numbers. A time is local to the given
zone unless it carries its own (``Z``, ``UTC``, ``+08:00``, ``+0800``, ``GMT+8``). Results are
timezone-aware UTC datetimes.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc

#: Instrument clocks drift; a reading this far ahead of ``now`` is still accepted.
FUTURE_TOLERANCE = timedelta(minutes=5)

#: Times before this are a reset instrument clock or a typing slip, not a real test.
EARLIEST = datetime(2000, 1, 1)
#: Years after this are typing slips (and keep zone arithmetic far from datetime's limits).
LAST_YEAR = 2200
_FIRST_YEAR = EARLIEST.year

EXCEL_1900_EPOCH = datetime(1899, 12, 30)
EXCEL_1904_EPOCH = datetime(1904, 1, 1)

MISSING_TIME = "missing_value"
BAD_TIME = "bad_time"
FUTURE_TIME = "future_time"

# Zones that have kept one offset for decades: used when the system has no tz database.
_FIXED_ZONES = {
    "Asia/Shanghai": 8,
    "Asia/Chongqing": 8,
    "Asia/Harbin": 8,
    "Asia/Urumqi": 6,
    "Asia/Hong_Kong": 8,
    "Asia/Macau": 8,
    "Asia/Taipei": 8,
    "PRC": 8,
    "UTC": 0,
    "Etc/UTC": 0,
}

_ZONE = r"(?P<zone>Z|UTC|GMT|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?)?"
_HALF = r"(?:(?P<half>上午|下午|凌晨|晚上|中午|AM|PM|am|pm)\s*)?"
_WRITTEN = re.compile(
    r"(?P<y>\d{4})[-/.年](?P<mo>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:(?:T|[ ,]+|(?<=日))" + _HALF +
    r"(?P<h>\d{1,2})[:时](?P<mi>\d{1,2})(?:[:分](?P<s>\d{1,2})(?:[.,](?P<frac>\d{1,9}))?秒?)?分?"
    r"\s*" + _HALF.replace("half", "half2") + r")?"
    r"\s*" + _ZONE
)
_COMPACT = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})"
    r"(?:T?(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})?)?" + _ZONE
)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_CLOCK_ONLY = re.compile(r"(?:上午|下午|AM|PM|am|pm)?\s*\d{1,2}[:：时]\d{1,2}")
_AFTERNOON = {"下午", "晚上", "PM", "pm"}
_MORNING = {"上午", "凌晨", "AM", "am"}


def resolve_zone(tz: str | tzinfo) -> tzinfo:
    """Return the tzinfo for a zone name (e.g. ``Asia/Shanghai``) or pass a tzinfo through.

    Raises ValueError for an unknown name.
    """
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        hours = _FIXED_ZONES.get(tz) if isinstance(tz, str) else None
        if hours is None:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        return timezone(timedelta(hours=hours), tz)


class TimeReader:
    """Turn test-time cells into UTC datetimes, refusing unreadable and future times.

    ``read`` returns a datetime, or the problem code ``missing_value`` / ``bad_time`` /
    ``future_time``.
    Repeated texts (all channels of one run share a time) are served from a small cache.
    """

    _CACHE_SIZE = 4096

    def __init__(
        self, zone: tzinfo, now: datetime, *, excel_epoch: datetime = EXCEL_1900_EPOCH
    ) -> None:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        self.zone = zone
        self.latest = now.astimezone(UTC) + FUTURE_TOLERANCE
        self.excel_epoch = excel_epoch
        self._cache: dict[str, datetime | str] = {}

    def read(self, text: str) -> datetime | str:
        """Return the UTC time written in ``text`` (spaces around it ignored), or the problem
        code ``missing_value`` (blank), ``bad_time`` or ``future_time``."""
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()
            found = self._cache[text] = self._read(text.strip())
        return found

    def _read(self, text: str) -> datetime | str:
        if not text:
            return MISSING_TIME
        when = _parse_fast(text)
        iso = when is not None
        if not iso:
            when = self._parse_slowly(text)
            if when is None:
                return BAD_TIME
        if not _FIRST_YEAR <= when.year <= LAST_YEAR:
            return BAD_TIME
        if when.tzinfo is None:
            offset = self.zone.utcoffset(when)
            if iso and len(text) == 19:
                # Why: datetime.replace(tzinfo=…) costs 0.5 µs; parsing the text again as UTC
                # costs 0.1 µs, which matters on a 100,000-row file.
                when = datetime.fromisoformat(text + "+00:00") - offset
            else:
                when = when.replace(tzinfo=UTC) - offset
        else:
            when = when.astimezone(UTC)
            if when.replace(tzinfo=None) < EARLIEST:
                return BAD_TIME
        if when > self.latest:
            return FUTURE_TIME
        return when

    def _parse_slowly(self, text: str) -> datetime | None:
        text = unicodedata.normalize("NFKC", text).strip()
        if len(text) > 64:
            return None
        match = _WRITTEN.fullmatch(text) or _COMPACT.fullmatch(text)
        if match is not None:
            return _from_match(match)
        if _SERIAL.fullmatch(text):
            return self._from_serial(float(text))
        return None

    def _from_serial(self, days: float) -> datetime | None:
        if not 0 < days < 2_958_466:  # Excel's last day is 9999-12-31
            return None
        moment = self.excel_epoch + timedelta(days=days)
        # Excel serials carry float noise: round to the second.
        return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def join_date_and_time(date_text: str, time_text: str) -> str:
    """Join a separate 检测日期 cell and a clock-only 检测时间 cell into one time text.

    A time cell that carries its own date wins; an empty one leaves the date alone.
    """
    date_text, time_text = date_text.strip(), time_text.strip()
    if not date_text:
        return time_text
    if not time_text:
        return date_text
    if _CLOCK_ONLY.match(time_text):
        return f"{date_text.removesuffix(' 00:00:00')} {time_text}"
    return time_text


def _parse_fast(text: str) -> datetime | None:
    # The common ISO-like forms, parsed in C.
    if len(text) >= 10 and text[4:5] == "-" and text.isascii():
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def _from_match(match: re.Match) -> datetime | None:
    parts = match.groupdict()
    hour = int(parts["h"] or 0)
    half = parts.get("half") or parts.get("half2")
    if half in _AFTERNOON and hour < 12:
        hour += 12
    elif half in _MORNING and hour == 12:
        hour = 0
    fraction = parts.get("frac") or ""
    try:
        when = datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            hour,
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int((fraction + "000000")[:6]),
        )
    except ValueError:
        return None
    zone = parts["zone"]
    if zone:
        offset = _offset(zone)
        if offset is None:
            return None
        when = when.replace(tzinfo=offset)
    return when


def _offset(zone: str) -> timezone | None:
    if zone in ("Z", "UTC", "GMT"):
        return UTC
    digits = zone.removeprefix("UTC").removeprefix("GMT")
    sign = -1 if digits[0] == "-" else 1
    digits = digits[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
