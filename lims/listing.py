"""Lists that scale: one way every list page counts, pages and shows its filters.

A list page builds its query, hands it to :func:`paginate` with the page number from the
address, and names its active filters as :class:`Chip`\\ s; the templates render both with
``macros/lists.html`` (the total, "第 x/y 页" with first/previous/next/last, and a removable
chip per filter, named — ``?supplier=20`` shows the supplier's name, not 20).

A list is counted only up to :data:`COUNT_CAP` rows (or to the page asked for, if further):
counting every row of a scoped list at millions of rows means reading them all, where a
capped count stops after the cap. Below the cap the total is exact; above it the list says
"超过 N 条" and the pager offers first/previous/next without a last page."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from lims.extensions import db
from lims.errors import BadRequest
from lims.inputs import check_year, parse_id

PER_PAGE = 50
COUNT_CAP = 1000  # rows counted at most (beyond the page asked for): "超过 1000 条" past it


@dataclass
class Chip:
    """One active filter: the address key(s) it comes from, a label and the value as people read it."""

    keys: tuple[str, ...]
    label: str
    value: str


@dataclass
class Paged:
    """One page of a list, with what the pager needs and the address arguments to keep."""

    items: list
    total: int  # the rows counted; when not ``exact``, there are more than ``total``
    page: int
    per_page: int
    args: dict = field(default_factory=dict)
    exact: bool = True

    @property
    def pages(self) -> int:
        """The number of pages when ``exact``; otherwise the pages known to exist (at least one
        after the page shown)."""
        known = self.total if self.exact else self.total + 1
        return max(1, -(-known // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return max(1, self.page - 1)

    @property
    def next_num(self) -> int:
        return min(self.pages, self.page + 1)

    @property
    def first_index(self) -> int:
        """The 1-based position of the first row shown (0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def page_number(raw: str | None) -> int:
    """The page asked for in the address: 1 when absent or 0; a clear 400 when it is not a
    whole number (``-1``, ``abc``) or absurdly large (``10**30``). Past the last page the
    last page is shown (:func:`paginate`)."""
    return parse_id(raw, "page") or 1


def date_arg(args, name: str) -> date | None:
    """A day in the address (``2026-12-04``): None when empty; a clear 400 when it is not a
    date, 422 when its year is out of range."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        message = gettext("%(field)s must be a date such as 2026-12-04.", field=name)
        raise BadRequest(message, {name: [message]}) from None
    return check_year(value, name)


def count_capped(stmt, cap: int) -> tuple[int, bool]:
    """``stmt``'s rows counted up to ``cap``: (the count, True) when there are at most ``cap``,
    else (``cap``, False) — "more than ``cap``". The database stops after ``cap + 1`` rows."""
    capped = stmt.order_by(None).limit(cap + 1).subquery()
    n = db.session.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one()
    return (n, True) if n <= cap else (cap, False)


def paginate(stmt, page: int, per_page: int = PER_PAGE, args: dict | None = None, unique: bool = False,
             rows: bool = False, cap: int | None = None) -> Paged:
    """Count ``stmt``'s rows (up to ``cap``, :data:`COUNT_CAP` by default, or up to the page
    asked for if it lies further) and fetch page ``page`` of them (clamped to the last page when
    the count is exact): objects, or whole rows with ``rows``."""
    page = max(1, page)
    total, exact = count_capped(stmt, max(cap or COUNT_CAP, page * per_page))
    if exact:
        page = min(page, max(1, -(-total // per_page)))
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    result = result.unique() if unique else result
    items = list(result.all() if rows else result.scalars())
    return Paged(items, total, page, per_page, dict(args or {}), exact)


def page_of(items: list, page: int, per_page: int = PER_PAGE, args: dict | None = None) -> Paged:
    """Page a list already in memory (short lists built in Python)."""
    total = len(items)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return Paged(items[(page - 1) * per_page: page * per_page], total, page, per_page, dict(args or {}))


def kept_args(args, *drop: str) -> dict:
    """The non-empty address arguments, without ``page`` and ``drop``."""
    return {k: v for k, v in args.items() if v not in (None, "") and k != "page" and k not in drop}
