"""What a user typed or uploaded never becomes markup or script (issue 10.1): JSON enters
pages only through ``tojson``, every remaining ``|safe`` says why it is safe, the scripts
build the DOM from text, and the round grid survives a supplier named ``</script>…``."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.web.world import build_world

LIMS = Path(__file__).resolve().parents[2] / "lims"
HOSTILE = "</script><script src=/imports/38/file></script>"


def test_every_safe_filter_in_the_templates_is_justified_in_a_comment():
    unjustified = []
    count = 0
    for path in sorted((LIMS / "templates").rglob("*.html")):
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for _ in re.finditer(r"\|\s*safe\b", line):
                count += 1
                if not re.search(r"\{#\s*safe:\s*\S.{10,}#\}", line):
                    unjustified.append(f"{path.relative_to(LIMS)}:{no}: {line.strip()[:120]}")
            assert not re.search(r"autoescape\s+false", line), f"{path}:{no} turns autoescaping off"
    assert count, "the scan found no |safe at all: is it looking in the right place?"
    assert not unjustified, "unjustified |safe:\n" + "\n".join(unjustified)


def test_json_enters_a_script_block_only_through_tojson():
    offenders = []
    for path in sorted((LIMS / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for block in re.finditer(r"<script\b[^>]*>(.*?)</script>", text, re.S):
            for expr in re.findall(r"\{\{(.*?)\}\}", block.group(1), re.S):
                if not re.search(r"\|\s*tojson\s*$", expr.strip()):
                    offenders.append(f"{path.relative_to(LIMS)}: {{{{{expr.strip()}}}}}")
    assert not offenders, "\n".join(offenders)


def test_the_scripts_build_the_page_from_text_not_markup():
    sinks = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    found = [f"{p.name}:{n}: {line.strip()}" for p in sorted((LIMS / "static").rglob("*.js"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if sinks.search(line)]
    assert not found, "\n".join(found)


def test_no_python_code_marks_text_as_safe_markup():
    found = [f"{p.relative_to(LIMS)}:{n}" for p in sorted(LIMS.rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"\bMarkup\(|markupsafe", line)]
    assert not found, "\n".join(found)


@pytest.fixture
def world(app, make_site, make_stall, make_user, ctx):
    return build_world(make_site, make_stall, make_user)


def test_a_supplier_named_like_a_closing_script_tag_stays_data_on_the_round_grid(world, client, db):
    from lims.accounts.access import Actor
    from lims.batches.services import BatchInput, register_batch
    from lims.database import utcnow
    from lims.reference.services import get_item

    tech = world.users["technician"]
    sampled = utcnow() - timedelta(hours=7)
    register_batch(Actor(tech, "test"), BatchInput(
        site=world.site_a, stall=world.stall_a, food="青菜", sampled_at=sampled, tests=[get_item("OPC")],
        quantity_kg=Decimal("5"), supplier_name=HOSTILE, origin="<b>杭州</b>", round=world.round_a), now=sampled)
    db.session.commit()
    client.login(tech)
    r = client.get(f"/rounds/{world.round_a.id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<script src=/imports" not in html and "<b>杭州" not in html
    block = re.search(r'<script type="application/json" id="grid-data">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert HOSTILE in [b["supplier"] for b in data["batches"]]
    assert "<b>杭州</b>" in [b["origin"] for b in data["batches"]]
