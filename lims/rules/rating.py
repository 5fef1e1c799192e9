"""The five-colour risk rating of a site for a month (五色预警) and the red and black lists
of stalls (红黑榜), domain.md §7. Thresholds come from configuration; the rules are here.
Checked in order — red, orange, yellow, blue, green — and the first match wins; every
rating carries the reason it was given."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

COLOURS = ("red", "orange", "yellow", "blue", "green")


@dataclass(frozen=True)
class RatingThresholds:
    red_positive_rate: Decimal = Decimal(5)  # percent
    orange_positive_rate: Decimal = Decimal(3)
    yellow_positive_rate: Decimal = Decimal("1.5")
    red_overdue_hours: int = 48


@dataclass(frozen=True)
class SiteMonth:
    """What the rating looks at for one site and month."""

    negatives: int = 0
    positives: int = 0
    banned_items: tuple[str, ...] = ()  # names of banned substances found positive
    overdue: int = 0  # dispositions overdue (open past due, or closed late)
    max_overdue_hours: Decimal = Decimal(0)
    blacklisted_stalls: tuple[str, ...] = ()
    batches: int = 0
    planned_batches: int | None = None

    @property
    def positive_rate(self) -> Decimal | None:
        """Percent of conclusive results that were positive (suspect/invalid excluded)."""
        total = self.negatives + self.positives
        if not total:
            return None
        return Decimal(self.positives) * 100 / Decimal(total)


@dataclass(frozen=True)
class Rating:
    colour: str | None
    reason: str  # a code; the application words it
    params: dict = field(default_factory=dict)


def rate_site(m: SiteMonth, t: RatingThresholds = RatingThresholds()) -> Rating:
    rate = m.positive_rate
    if m.banned_items:
        return Rating("red", "banned_positive", {"items": m.banned_items})
    if rate is not None and rate > t.red_positive_rate:
        return Rating("red", "rate_above", {"rate": rate, "threshold": t.red_positive_rate})
    if m.overdue and m.max_overdue_hours > t.red_overdue_hours:
        return Rating("red", "overdue_long", {"hours": m.max_overdue_hours, "threshold": t.red_overdue_hours,
                                              "count": m.overdue})
    if rate is not None and rate > t.orange_positive_rate:
        return Rating("orange", "rate_above", {"rate": rate, "threshold": t.orange_positive_rate})
    if m.overdue:
        return Rating("orange", "overdue", {"count": m.overdue})
    if rate is not None and rate > t.yellow_positive_rate:
        return Rating("yellow", "rate_above", {"rate": rate, "threshold": t.yellow_positive_rate})
    if m.blacklisted_stalls:
        return Rating("yellow", "blacklisted_stall", {"stalls": m.blacklisted_stalls})
    if m.positives:
        return Rating("blue", "positives_handled", {"count": m.positives})
    if m.planned_batches is None or m.batches >= m.planned_batches:
        return Rating("green", "clean", {"batches": m.batches, "planned": m.planned_batches})
    return Rating(None, "below_plan", {"batches": m.batches, "planned": m.planned_batches})


@dataclass(frozen=True)
class ListRules:
    black_positives: int = 2
    black_days: int = 90
    # …and at least this percentage of the stall's batches tested in those days: two positives
    # in 140 batches are not two positives in 10.
    black_min_rate: Decimal = Decimal(5)
    red_min_batches: int = 20
    red_batch_days: int = 90
    red_clean_days: int = 180


@dataclass(frozen=True)
class StallRecord:
    """A stall's history as the lists need it: positive batch dates and tested batches."""

    positive_days: tuple[date, ...]
    batches_in_window: int  # batches tested in the red list's batch window
    batches_in_black_window: int | None = None  # batches tested in the black list's window (None: as above)


def black_listed(record: StallRecord, as_of: date, rules: ListRules = ListRules()) -> bool:
    """Black list: ``black_positives`` or more positives within ``black_days``, being at least
    ``black_min_rate`` percent of the batches tested there (volume counts)."""
    since = as_of - timedelta(days=rules.black_days)
    positives = sum(1 for d in record.positive_days if since < d <= as_of)
    if positives < rules.black_positives:
        return False
    tested = record.batches_in_black_window if record.batches_in_black_window is not None \
        else record.batches_in_window
    return Decimal(positives) * 100 >= rules.black_min_rate * max(tested, positives)


def red_listed(record: StallRecord, as_of: date, rules: ListRules = ListRules()) -> bool:
    """Red (honour) list: enough batches tested recently and no positive for a long time."""
    clean_since = as_of - timedelta(days=rules.red_clean_days)
    if any(clean_since < d <= as_of for d in record.positive_days):
        return False
    return record.batches_in_window >= rules.red_min_batches
