"""Events are scoped like everything else: a market manager sees the events held at their
markets or with a batch tested there; any other event answers 404 (pages and PDF)."""
from __future__ import annotations

from datetime import date

import pytest

from lims.accounts.access import Actor
from tests.web.world import build_world


@pytest.fixture
def world(app, make_site, make_stall, make_user, make_lot, ctx):
    return build_world(make_site, make_stall, make_user)


@pytest.fixture
def other_event(world, db):
    """A banquet at the other market, with its host, chef and menu."""
    from lims.sites.services import create_event

    event = create_event(Actor(world.users["admin"], "test"), code="JY-OTHER-01", kind="banquet", name="李家寿宴",
                         organiser="李家主人", chef="厨师老赵", menu="红烧肉", starts_on=date.today(),
                         ends_on=date.today(), site_id=world.site_b.id)
    db.session.flush()
    return event


def test_a_market_manager_sees_only_the_events_of_their_markets(app, client, world, other_event, db):
    from tests.conftest import Client

    client.login(world.users["market_manager"])
    listing = client.get("/events/").get_data(as_text=True)
    assert world.event.name in listing and other_event.name not in listing and "李家主人" not in listing
    for path in (f"/events/{other_event.code}", f"/events/{other_event.code}/summary.pdf"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/events/{world.event.code}").status_code == 200
    other = Client(app.test_client())
    other.login(world.other_manager)
    assert other.get(f"/events/{other_event.code}").status_code == 200
    assert other.get(f"/events/{world.event.code}").status_code == 404


def test_an_event_with_a_batch_tested_at_their_market_is_theirs_too(client, world, other_event, db):
    world.batch_a.event_id = other_event.id  # food from market A tested for the banquet at B
    db.session.flush()
    client.login(world.users["market_manager"])
    page = client.get(f"/events/{other_event.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and world.batch_a.code in html and world.batch_b.code not in html
    assert other_event.name in client.get("/events/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["regulator", "admin", "technician"])
def test_district_roles_see_every_event(client, world, other_event, role):
    client.login(world.users[role])
    listing = client.get("/events/").get_data(as_text=True)
    assert world.event.name in listing and other_event.name in listing
    assert client.get(f"/events/{other_event.code}").status_code == 200
