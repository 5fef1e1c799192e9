"""Fixtures for the bad-input and fuzzing tests: a small world (one market with a stall and
a batch, an admin with an API token) committed so that every request sees it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest


@pytest.fixture
def bad_world(make_site, make_stall, make_user, api_token, db):
    from lims.accounts.access import Actor
    from lims.batches import services as batches
    from lims.reference.services import get_item

    site = make_site(code="FZ-A", name="模糊测试市场")
    stall = make_stall(site=site, code="A-01")
    admin = make_user("admin")
    now = datetime.now(timezone.utc)
    batch = batches.register_batch(Actor(user=admin, ip="test"), batches.BatchInput(
        site=site, stall=stall, food="猪肉", sampled_at=now - timedelta(hours=2), tests=[get_item("CLB")]), now=now)
    db.session.commit()

    class World:
        pass

    w = World()
    w.site, w.stall, w.admin, w.batch = site, stall, admin, batch
    w.headers = api_token(admin)
    db.session.commit()
    return w
