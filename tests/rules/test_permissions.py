"""lims.rules.permissions against the "who may call what" table of interfaces.md."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lims.rules.permissions import FOUR_EYES, PERMISSIONS, ROLES, can, is_site_bound, may_act_on, roles_with

LIMS = Path(__file__).resolve().parents[2] / "lims"

ADMIN, REVIEWER, TECHNICIAN, MANAGER, REGULATOR = "admin", "reviewer", "technician", "market_manager", "regulator"
EVERYONE = {ADMIN, REVIEWER, TECHNICIAN, MANAGER, REGULATOR}

# interfaces.md "Who may call what", written out row by row.
EXPECTED = {
    # sites, stalls, reagent lots, users: create/change → admin
    "reference.manage": {ADMIN},
    "users.manage": {ADMIN},
    # batches and results: create → technician, reviewer, admin (an import creates results)
    "batch.create": {TECHNICIAN, REVIEWER, ADMIN},
    "result.create": {TECHNICIAN, REVIEWER, ADMIN},
    "import.create": {TECHNICIAN, REVIEWER, ADMIN},
    # [design] import logs are the lab's records; the regulator may inspect them.
    "import.read": {TECHNICIAN, REVIEWER, ADMIN, REGULATOR},
    # review → reviewer, admin
    "result.review": {REVIEWER, ADMIN},
    # notify → technician, reviewer, market_manager, admin
    "disposition.notify": {TECHNICIAN, REVIEWER, MANAGER, ADMIN},
    # objection, lab result, disposals → reviewer, market_manager, regulator, admin
    "disposition.objection": {REVIEWER, MANAGER, REGULATOR, ADMIN},
    "disposition.lab_result": {REVIEWER, MANAGER, REGULATOR, ADMIN},
    "disposition.disposal": {REVIEWER, MANAGER, REGULATOR, ADMIN},
    # read batches, reports → everyone logged in
    "batch.read": EVERYONE,
    "report.read": EVERYONE,
    # issuing (签发) the monthly report is the regulator's act (or an administrator's) [design]
    "report.issue": {REGULATOR, ADMIN},
    # not in interfaces.md [design]: telling the regulator follows the disposition row.
    "disposition.inform_regulator": {REVIEWER, MANAGER, REGULATOR, ADMIN},
    # [design] role-specific pages: the dashboard in the menu, the regulator's home is the
    # dashboard, a market manager's home is their markets, a technician's home lists only
    # their own rounds.
    "dashboard.menu": {REGULATOR, ADMIN, REVIEWER},
    "home.dashboard": {REGULATOR},
    "home.market": {MANAGER},
    "round.read_others": EVERYONE - {TECHNICIAN},
    # [design] who is told: a market's managers, the district's regulators; supplier alerts
    # also go to administrators.
    "notice.site": {MANAGER},
    "notice.district": {REGULATOR},
    "notice.supplier_alert": {REGULATOR, ADMIN},
    # [design] banquets and major events are registered by those who sample them.
    "event.manage": {TECHNICIAN, REVIEWER, ADMIN},
    # [design] issue 13: the sheet of stall QR stickers is printed by the admin or the market's manager.
    "stall.codes": {ADMIN, MANAGER},
    # [design] issue 13: who registers batches corrects and voids them; once results are
    # reviewed (or, to void, once there are results) a reviewer decides the request.
    "batch.correct": {TECHNICIAN, REVIEWER, ADMIN},
    "batch.void": {TECHNICIAN, REVIEWER, ADMIN},
    "batch.change_review": {REVIEWER, ADMIN},
}


def test_roles_are_the_five_of_interfaces_md():
    assert set(ROLES) == EVERYONE
    assert len(ROLES) == 5


def test_every_action_has_an_expected_row():
    """A new action must be added to EXPECTED (and to interfaces.md if it is a contract)."""
    assert set(PERMISSIONS) == set(EXPECTED)


MATRIX = [pytest.param(role, action, role in roles, id=f"{role}-{'may' if role in roles else 'may-not'}-{action}")
          for action, roles in EXPECTED.items() for role in sorted(EVERYONE)]


@pytest.mark.parametrize("role, action, allowed", MATRIX)
def test_permission_matrix(role, action, allowed):
    assert can(role, action) is allowed


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_no_role_refused(action):
    assert can(None, action) is False


@pytest.mark.parametrize("role", ["", "Admin", "ADMIN", "superuser", "public", "market-manager"])
@pytest.mark.parametrize("action", ["batch.read", "reference.manage"])
def test_unknown_role_refused(role, action):
    assert can(role, action) is False


@pytest.mark.parametrize("action", ["", "batch.delete", "result.delete", "BATCH.READ", "batch", "admin"])
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_unknown_action_refused(role, action):
    assert can(role, action) is False


@pytest.mark.parametrize("role, bound", [
    (MANAGER, True), (ADMIN, False), (REVIEWER, False), (TECHNICIAN, False), (REGULATOR, False),
    ("", False), ("superuser", False),
])
def test_is_site_bound(role, bound):
    assert is_site_bound(role) is bound


@pytest.mark.parametrize("role, action, allowed", MATRIX)
def test_four_eyes_refuses_only_ones_own_work(role, action, allowed):
    """Every action × role: on others' work the table decides alone; on one's own work a
    four-eyes action is refused to every role."""
    assert may_act_on(role, action, 7, (8, None)) is allowed
    assert may_act_on(role, action, 7, (7, None)) is (allowed and action not in FOUR_EYES)
    assert may_act_on(role, action, 7, (None, 7)) is (allowed and action not in FOUR_EYES)


def test_review_and_deciding_a_batch_change_are_four_eyes_actions():
    assert FOUR_EYES == {"result.review", "batch.change_review"}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_roles_with_lists_the_roles_of_the_row(action):
    assert set(roles_with(action)) == EXPECTED[action]
    assert list(roles_with(action)) == [r for r in ROLES if r in EXPECTED[action]]


def _action_literals() -> dict[str, list[str]]:
    """Every string literal in lims/ (outside this table) that looks like an action."""
    found: dict[str, list[str]] = {}
    for path in LIMS.rglob("*.py"):
        if path == LIMS / "rules" / "permissions.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and \
                    isinstance(node.args[0].value, str):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("can", "require", "requires", "allowed", "roles_with", "may_act_on"):
                    found.setdefault(node.args[0].value, []).append(f"{path.relative_to(LIMS)}:{node.lineno}")
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "NAVIGATION" for t in node.targets):
                for c in ast.walk(node.value):  # the menu: (endpoint, label, permission) checked with can()
                    if isinstance(c, ast.Tuple) and len(c.elts) == 3 and isinstance(c.elts[2], ast.Constant) \
                            and isinstance(c.elts[2].value, str):
                        found.setdefault(c.elts[2].value, []).append(f"{path.relative_to(LIMS)}:{c.lineno}")
    return found


def test_every_action_of_the_table_is_used_and_every_used_action_is_in_the_table():
    """An action nobody checks is a promise nobody keeps (``audit.read`` was one): enforce it
    or remove it. And a check of an action missing from the table refuses everyone."""
    used = _action_literals()
    assert sorted(set(PERMISSIONS) - set(used)) == []
    assert {a: where for a, where in used.items() if a not in PERMISSIONS} == {}
