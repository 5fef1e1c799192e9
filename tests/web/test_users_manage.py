"""``users.manage`` is enforced in the account services: only an administrator (or the
operator at the console, the system actor) adds or changes people, and nobody else's
sessions or tokens are touched by a user without it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lims.errors import Forbidden
from lims.rules.permissions import ROLES, can


def _actor(user):
    from lims.accounts.access import Actor

    return Actor(user=user, ip="test")


@pytest.mark.parametrize("role", ROLES)
def test_only_who_manages_users_adds_or_changes_them(ctx, db, make_user, role):
    from lims.accounts.services import create_token, create_user, end_all_sessions, update_user
    from lims.models import User

    actor, other = _actor(make_user(role)), make_user("technician")
    version = other.session_version
    calls = [
        lambda: create_user(actor, username=f"new_{role}", role="technician", password="a long enough pass 42"),
        lambda: update_user(actor, other, display_name="改名", role="admin", active=True),
        lambda: end_all_sessions(actor, other),
        lambda: create_token(actor, other, "x"),
    ]
    for call in calls:
        if can(role, "users.manage"):
            call()
        else:
            with pytest.raises(Forbidden):
                call()
    if not can(role, "users.manage"):
        db.session.expire_all()
        assert other.role == "technician" and other.session_version == version
        assert db.session.execute(sa.select(User.id).where(User.username == f"new_{role}")).first() is None


def test_the_console_and_one_self_need_no_permission(ctx, db, make_user):
    from lims.accounts.access import Actor
    from lims.accounts.services import create_token, create_user, end_all_sessions

    create_user(Actor(user=None, ip="cli"), username="first_admin", role="admin", password="a long enough pass 42")
    tech = make_user("technician")
    end_all_sessions(_actor(tech), tech)
    assert create_token(_actor(tech), tech, "mine").startswith("lims_")
