"""Who may do what (interfaces.md). One table, checked by views, the API and the CLI alike."""
from __future__ import annotations

ROLES = ("admin", "reviewer", "technician", "market_manager", "regulator")

_ALL = frozenset(ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    # reference data, sites, stalls, reagent lots, users
    "reference.manage": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "batch.create": frozenset({"technician", "reviewer", "admin"}),
    "event.manage": frozenset({"technician", "reviewer", "admin"}),
    "result.create": frozenset({"technician", "reviewer", "admin"}),
    "import.create": frozenset({"technician", "reviewer", "admin"}),
    "import.read": frozenset({"technician", "reviewer", "admin", "regulator"}),
    "result.review": frozenset({"reviewer", "admin"}),
    "disposition.notify": frozenset({"technician", "reviewer", "market_manager", "admin"}),
    "disposition.objection": frozenset({"reviewer", "market_manager", "regulator", "admin"}),
    "disposition.lab_result": frozenset({"reviewer", "market_manager", "regulator", "admin"}),
    "disposition.disposal": frozenset({"reviewer", "market_manager", "regulator", "admin"}),
    "disposition.inform_regulator": frozenset({"reviewer", "market_manager", "regulator", "admin"}),
    "batch.read": _ALL,
    "report.read": _ALL,
    "report.issue": frozenset({"regulator", "admin"}),
    "audit.read": frozenset({"admin", "regulator", "reviewer"}),
    # the 一摊一码 sticker sheet of a market: printed by the administrator or that market's manager
    "stall.codes": frozenset({"admin", "market_manager"}),
}

# Roles whose every query is limited to the sites they are bound to.
SITE_BOUND_ROLES = frozenset({"market_manager"})


def can(role: str | None, action: str) -> bool:
    """True when ``role`` may perform ``action``; unknown actions are refused."""
    if role is None:
        return False
    return role in PERMISSIONS.get(action, frozenset())


def is_site_bound(role: str) -> bool:
    return role in SITE_BOUND_ROLES
