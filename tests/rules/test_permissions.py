"""lims.rules.permissions against the "who may call what" table of interfaces.md."""
from __future__ import annotations

import pytest

from lims.rules.permissions import PERMISSIONS, ROLES, can, is_site_bound

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
    # not in interfaces.md [design]: telling the regulator follows the disposition row; the audit
    # trail is for those who check others' work.
    "disposition.inform_regulator": {REVIEWER, MANAGER, REGULATOR, ADMIN},
    "audit.read": {ADMIN, REGULATOR, REVIEWER},
    # [design] banquets and major events are registered by those who sample them.
    "event.manage": {TECHNICIAN, REVIEWER, ADMIN},
    # [design] issue 13: the sheet of stall QR stickers is printed by the admin or the market's manager.
    "stall.codes": {ADMIN, MANAGER},
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
