"""Who may do what (interfaces.md). One table: the services enforce it (once), the doors
(pages, API, CLI) refuse early from it, menus, home pages and notice recipients read it."""
from __future__ import annotations

ROLES = ("admin", "reviewer", "technician", "market_manager", "regulator")

_ALL = frozenset(ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    # reference data, sites, stalls, reagent lots, users
    "reference.manage": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "batch.create": frozenset({"technician", "reviewer", "admin"}),
    # correcting a batch's registration data, voiding a batch registered by mistake; once its
    # results are reviewed (or, to void, once it has results) a reviewer decides the request
    "batch.correct": frozenset({"technician", "reviewer", "admin"}),
    "batch.void": frozenset({"technician", "reviewer", "admin"}),
    "batch.change_review": frozenset({"reviewer", "admin"}),
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
    # the 一摊一码 sticker sheet of a market: printed by the administrator or that market's manager
    "stall.codes": frozenset({"admin", "market_manager"}),
    # role-specific pages: the dashboard in the menu, the home page each role lands on, whose
    # rounds the home page lists
    "dashboard.menu": frozenset({"regulator", "admin", "reviewer"}),
    "home.dashboard": frozenset({"regulator"}),
    "home.market": frozenset({"market_manager"}),
    "round.read_others": _ALL - {"technician"},
    # who is told: the managers of the market concerned (site-bound), the district's
    # regulators, and who hears of a supplier seen positive at several markets
    "notice.site": frozenset({"market_manager"}),
    "notice.district": frozenset({"regulator"}),
    "notice.supplier_alert": frozenset({"regulator", "admin"}),
}

#: The four-eyes rule: actions nobody performs on their own work — who tested or entered a
#: result does not review it, who asked for a change of a batch does not approve it, whatever
#: their role.
FOUR_EYES = frozenset({"result.review", "batch.change_review"})

# What each role is bound to (interfaces.md, Scope): market managers to sites; technicians
# and reviewers to stations (the sites those serve); regulators and administrators to
# organisations (their subtree) — an administrator bound to none is the deployment's.
SITE_BOUND_ROLES = frozenset({"market_manager"})
STATION_BOUND_ROLES = frozenset({"technician", "reviewer"})
ORG_BOUND_ROLES = frozenset({"regulator", "admin"})


def can(role: str | None, action: str) -> bool:
    """True when ``role`` may perform ``action``; unknown actions are refused."""
    if role is None:
        return False
    return role in PERMISSIONS.get(action, frozenset())


def may_act_on(role: str | None, action: str, user_id: int | None, authors) -> bool:
    """``can``, and for a four-eyes action also: the user is none of the work's ``authors``
    (the ids of who tested and who entered it)."""
    if not can(role, action):
        return False
    return action not in FOUR_EYES or user_id is None or user_id not in set(authors)


def roles_with(action: str) -> tuple[str, ...]:
    """The roles that may perform ``action``, in the order of ROLES (for queries)."""
    allowed = PERMISSIONS.get(action, frozenset())
    return tuple(r for r in ROLES if r in allowed)


def is_site_bound(role: str) -> bool:
    return role in SITE_BOUND_ROLES


def binding_of(role: str | None) -> str | None:
    """``"sites"``, ``"stations"`` or ``"orgs"``: what a user of ``role`` is bound to."""
    if role in SITE_BOUND_ROLES:
        return "sites"
    if role in STATION_BOUND_ROLES:
        return "stations"
    if role in ORG_BOUND_ROLES:
        return "orgs"
    return None
