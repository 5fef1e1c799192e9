"""The shape of the organisation tree (domain.md §8), as pure rules."""
from __future__ import annotations

JURISDICTION_RANK = {"province": 0, "city": 1, "district": 2, "office": 3}
#: Jurisdiction nodes sites may belong to.
SITE_NODE_KINDS = ("district", "office")


def may_hang_under(kind: str, parent_kind: str | None) -> bool:
    """Whether an organisation of ``kind`` may hang under one of ``parent_kind`` (None: a root).

    A jurisdiction node sits below a higher one (a district may sit directly under a province
    or a city; an office under a district); a testing organisation under any jurisdiction
    node or on its own; nothing hangs under a testing organisation but testing ones."""
    if parent_kind is None:
        return True
    if kind == "testing":
        return True
    if parent_kind == "testing" or kind not in JURISDICTION_RANK:
        return False
    if kind == "office":  # a supervision office (市场监管所) is a district's
        return parent_kind == "district"
    return JURISDICTION_RANK[kind] > JURISDICTION_RANK[parent_kind]


def child_path(parent_path: str | None, own_id: int) -> str:
    """The path of a node: its ancestors' ids from the root, then its own ("/1/4/9/")."""
    return f"{parent_path or '/'}{own_id}/"


def is_within(path: str, ancestor_path: str) -> bool:
    return path.startswith(ancestor_path)


def foreign_station(own_station_ids, station_id) -> bool:
    """Whether work done with ``station_id`` (an instrument's station, a round's or a batch's)
    falls outside the stations a person works for (domain.md §8: a technician records results
    only with their own stations' instruments). ``own_station_ids`` None: the person is not
    bound to stations (an administrator, a regulator) — no limit; a thing of no station is
    nobody's."""
    return own_station_ids is not None and station_id is not None and station_id not in own_station_ids
