"""English counts read "1 batch", "2 batches" (ngettext), on pages, in flash messages and in
the command line's words; the Chinese is the same for every count. The pages are rendered in
English for a district where most counts are 1 and searched for "1 batches"-style mistakes."""
from __future__ import annotations

import re
from html import unescape

import pytest

from tests.web.world import build_world

# "1 <noun>s" where the noun should have been singular; "1 is"/"1 was" and the like are verbs.
ONE_PLURAL = re.compile(r"(?<![\d.,:/-])\b1 (?!(?:is|was|has|does|as|of)\b)([a-z]+s)\b")


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx, db):
    w = build_world(make_site, make_stall, make_user)
    db.session.commit()
    return w


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _pages(world):
    return {
        "technician": ["/", "/rounds", f"/rounds/{world.round_a.id}", f"/rounds/{world.round_a.id}/results",
                       f"/batches/{world.batch_a.code}", "/batches", "/imports/new", f"/imports/{world.import_a.id}"],
        "regulator": ["/dashboard", "/dashboard?period=year", "/dashboard?period=quarter", f"/sites/{world.site_a.code}",
                      f"/stalls/{world.stall_a.id}", f"/batches/{world.batch_a.code}", "/positives",
                      "/positives?group=dispose", "/events/", f"/events/{world.event.code}", "/notifications/",
                      "/reports"],
        "reviewer": ["/", "/review"],
        "market_manager": ["/", "/positives"],
        "admin": ["/admin/", "/admin/stalls/", "/admin/users/"],
    }


def test_english_pages_say_1_batch_not_1_batches(app, world):
    from tests.conftest import Client

    found = {}
    for role, paths in _pages(world).items():
        client = Client(app.test_client())  # each role signs in afresh
        client.login(world.users[role])
        for path in paths:
            response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
            assert response.status_code == 200, (role, path, response.status_code)
            mistakes = [m.group(0) for m in ONE_PLURAL.finditer(_text(response.get_data(as_text=True)))]
            if mistakes:
                found[(role, path)] = mistakes
    assert not found, found


def test_the_site_figures_read_in_both_languages(client, world):
    client.login(world.users["regulator"])
    english = _text(client.get(f"/sites/{world.site_a.code}?lang=en").get_data(as_text=True))
    assert "1 batch, 2 tests, 1 positive" in english  # the positive and the imported negative
    chinese = _text(client.get(f"/sites/{world.site_a.code}?lang=zh_CN").get_data(as_text=True))
    assert "抽检 1 批次，检测 2 项次，阳性 1 项次" in chinese  # the Chinese as it always read


def test_the_scan_catches_a_singular_mistake():
    # the scanner itself: a test that cannot fail is a defect
    assert ONE_PLURAL.search("Today: 1 batches, 2 tests") and ONE_PLURAL.search("1 results imported.")
    assert not ONE_PLURAL.search("1 batch, 2 tests; 1 is open; page 1 of 3; 11 results; 2026-11-1 days")


@pytest.mark.parametrize(("n", "english", "chinese"), [(1, "1 result approved.", "已审核 1 条结果。"),
                                                       (3, "3 results approved.", "已审核 3 条结果。")])
def test_flash_and_sentence_counts_follow_the_number(app, n, english, chinese):
    from flask_babel import force_locale, ngettext

    with app.test_request_context():
        with force_locale("en"):
            assert ngettext("%(num)d result approved.", "%(num)d results approved.", n) == english
        with force_locale("zh_Hans_CN"):
            assert ngettext("%(num)d result approved.", "%(num)d results approved.", n) == chinese


def test_the_command_line_counts_in_english():
    from lims.cli import counted

    assert [counted(1, "result"), counted(2, "result"), counted(0, "entry", "entries")] == \
        ["1 result", "2 results", "0 entries"]
