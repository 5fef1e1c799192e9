"""When a positive result may be shown to the public (stall pages, market boards).

The seller hears of a positive before the market does: it is published once the seller has
been told, or ``delay_hours`` after the result was found if nobody told them by then — the
public is not kept in the dark because a notification was forgotten."""
from __future__ import annotations

from datetime import datetime, timedelta


def positive_is_public(notified_at: datetime | None, found_at: datetime, now: datetime,
                       delay_hours: int) -> bool:
    """Whether a positive found at ``found_at`` is shown publicly at ``now``."""
    if notified_at is not None and notified_at <= now:
        return True
    return now >= found_at + timedelta(hours=delay_hours)
