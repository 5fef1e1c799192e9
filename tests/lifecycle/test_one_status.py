"""One status, one wording (issue 11): the status that changes with the clock is derived in
one place, and every door — batch page, list, manager home, stall page, public stall page,
board, API, PDF data, export — shows the same words for it."""
from __future__ import annotations

import html
import io
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.wording import ZH_PUBLIC, ZH_STATUS

LAB = "市食品检验检测中心"
TEMPLATES = Path(__file__).resolve().parents[2] / "lims" / "templates"

# Each case: the status it has now, and whether the stored column says otherwise.
CASES = {
    "registered": "registered", "testing": "testing", "passed": "passed", "retest": "retest",
    "stopped": "stopped", "expired": "confirmed", "disputed": "disputed", "released": "released",
    "lab_confirmed": "confirmed", "disposed": "disposed",
}


@pytest.fixture
def midday(app, monkeypatch):
    """A time zone in which it is about 13:00 now, so that batches sampled in the last
    twelve hours are all "today" on the manager's home page whenever the suite runs."""
    hour = datetime.now(timezone.utc).hour
    offset = 13 - hour  # −10 … +13
    zone = "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")
    monkeypatch.setitem(app.config, "TIMEZONE", zone)
    return zone


@pytest.fixture
def states(world, svc, actor_of, commit, now, midday):
    """One batch in each state at site A, stall A1, sampled within the last 12 hours."""
    from lims.dispositions import services as dispositions
    from lims.results.services import review

    tech, mm = world.tech, world.manager_a
    made = {}

    def batch(key, hours_ago, tests=("CLB",)):
        b = svc.batch(tech, world.site_a, world.stall_a1, food=f"猪肉{len(made) + 1}号", tests=tests,
                      sampled_at=now - timedelta(hours=hours_ago), quantity_kg=10)
        made[key] = b
        return b

    def positive(key, hours_ago):
        b = batch(key, hours_ago)
        r = svc.result(tech, b, tested_at=now - timedelta(hours=hours_ago - 0.25), tc_ratio=Decimal("0.2"))
        review(actor_of(world.reviewer), [r], now=now - timedelta(hours=hours_ago - 0.4), confirmed=[r.id])
        dispositions.notify(actor_of(mm), b, now - timedelta(hours=hours_ago - 0.5),
                            now=now - timedelta(hours=hours_ago - 0.5))
        return b

    batch("registered", 1)
    b = batch("testing", 2, tests=("CLB", "RAC"))
    svc.result(tech, b, tested_at=now - timedelta(hours=1.5), tc_ratio=Decimal("0.9"))
    b = batch("passed", 3)
    review(actor_of(world.reviewer), [svc.result(tech, b, tested_at=now - timedelta(hours=2.5),
                                                 tc_ratio=Decimal("0.95"))], now=now - timedelta(hours=2))
    b = batch("retest", 4)
    suspect = svc.result(tech, b, tested_at=now - timedelta(hours=3.5), tc_ratio=Decimal("0.65"))
    review(actor_of(world.reviewer), [suspect], now=now - timedelta(hours=3), confirmed=[suspect.id])
    positive("stopped", 2)  # notified 1.5 h ago: the window is open
    positive("expired", 7)  # notified 6.5 h ago, nobody acted since: stored 'stopped', now 'confirmed'
    b = positive("disputed", 8)
    dispositions.object_to(actor_of(mm), b, now - timedelta(hours=7), LAB, "GB/T 21313-2007", now=now - timedelta(hours=7))
    b = positive("released", 9)
    dispositions.object_to(actor_of(mm), b, now - timedelta(hours=8), LAB, "GB/T 21313-2007", now=now - timedelta(hours=8))
    dispositions.record_lab_result(actor_of(mm), b, LAB, "R-1", "negative", now=now - timedelta(hours=2))
    b = positive("lab_confirmed", 10)
    dispositions.object_to(actor_of(mm), b, now - timedelta(hours=9), LAB, "GB/T 21313-2007", now=now - timedelta(hours=9))
    dispositions.record_lab_result(actor_of(mm), b, LAB, "R-2", "positive", now=now - timedelta(hours=2))
    b = positive("disposed", 11)
    dispositions.add_disposal(actor_of(mm), b, dispositions.DisposalInput("destroy", Decimal(10), now - timedelta(hours=1)),
                              now=now - timedelta(hours=1))
    commit()
    assert made["expired"].status == "stopped"  # the column lags behind the clock
    return made


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def badges_by_batch(page: str) -> dict[str, str]:
    """Batch code → the words of the first status badge after its link."""
    out = {}
    links = list(re.finditer(r'href="/batches/([A-Z0-9-]+)"', page))
    for i, m in enumerate(links):
        end = links[i + 1].start() if i + 1 < len(links) else len(page)
        badge = re.search(r'<span class="[^"]*status-badge"[^>]*>(.*?)</span>', page[m.end():end], re.S)
        if badge and m.group(1) not in out:
            out[m.group(1)] = _text(badge.group(1))
    return out


def test_every_door_shows_the_same_status_in_the_same_words(app, client, api, world, states, now, db):
    from lims.accounts.access import Actor
    from lims.labels import status_words
    from lims.models import Batch
    from lims.reporting.batch import build_batch_report
    from lims.reporting.board import board_entries
    from lims.reporting.exports import export_results
    from openpyxl import load_workbook

    codes = {key: b.code for key, b in states.items()}
    want = {codes[key]: ZH_STATUS[status] for key, status in CASES.items()}

    # The API gives the status code as it stands now.
    assert {k: api.batch(world.regulator, c)["status"] for k, c in codes.items()} == CASES

    client.login(world.manager_a)
    # Batch page: the header badge.
    for key, code in codes.items():
        page = client.get(f"/batches/{code}").get_data(as_text=True)
        badge = re.search(r'<span class="[^"]*status-badge"[^>]*>(.*?)</span>', page, re.S)
        assert _text(badge.group(1)) == want[code], key
    # The list, and its status filter by the status as it stands now.
    listed = badges_by_batch(client.get(f"/batches?site={world.site_a.id}").get_data(as_text=True))
    assert {c: listed[c] for c in want} == want
    confirmed = badges_by_batch(client.get(f"/batches?site={world.site_a.id}&status=confirmed").get_data(as_text=True))
    assert set(confirmed) == {codes["expired"], codes["lab_confirmed"]}
    # The manager's home page (today's batches by stall) and the stall page.
    home = client.get("/").get_data(as_text=True)
    home = home[home.index("stall-today"):]
    assert {c: badges_by_batch(home).get(c) for c in want} == want
    stall = badges_by_batch(client.get(f"/stalls/{world.stall_a1.id}").get_data(as_text=True))
    assert {c: stall.get(c) for c in want} == want

    # The public stall page and the board: reviewed results only, in public words.
    shown = {"passed": "passed", "retest": "retest", **{k: CASES[k] for k in
                                                       ("stopped", "expired", "disputed", "released",
                                                        "lab_confirmed", "disposed")}}
    public_want = {states[k].food: ZH_PUBLIC[s] for k, s in shown.items()}
    public = client.get(f"/public/stalls/{world.stall_a1.public_code}").get_data(as_text=True)
    got = {_text(m.group(1)): _text(m.group(2)) for m in re.finditer(
        r'<strong>(.*?)</strong>.*?<div class="pub-word">(.*?)</div>', public, re.S)}
    assert got == public_want
    board = client.get(f"/public/sites/{world.site_a.code}/board").get_data(as_text=True)
    got = {_text(m.group(1)).split(" · ")[0]: _text(m.group(2)).split("（")[0] for m in re.finditer(
        r'<span class="food">(.*?)</span><span class="word">(.*?)</span>', board, re.S)}
    assert got == public_want
    with app.test_request_context():
        from lims.i18n import local_today

        entries = board_entries(world.site_a, local_today(now), now, "zh_CN")
        assert {e.food: e.wording for e in entries} == public_want
        # What the printed board gets as data: the derived status, not the column.
        assert {e.food: e.disposition_status for e in entries if e.outcome == "positive"} == {
            states[k].food: CASES[k] for k in shown if k not in ("passed", "retest")}

        # PDF data: the derived status, and its words from the one table.
        words = status_words("zh_CN")
        assert {code: word for code, word in words.items() if code in ZH_STATUS} == ZH_STATUS
        assert words["not_notified"] == "已停售，待告知经营户"  # how the monthly report lists a positive not yet told
        for key in ("stopped", "expired", "disputed", "released", "lab_confirmed", "disposed"):
            batch = db.session.get(Batch, states[key].id)
            assert build_batch_report(batch).disposition.status == CASES[key], key

        # The export: the status as it stands now, in the same words.
        buffer = io.BytesIO()
        export_results(Actor(user=world.regulator, ip="test"), local_today(now) - timedelta(days=1),
                       local_today(now), buffer)
    wb = load_workbook(io.BytesIO(buffer.getvalue()))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    code_col = next(i for i, h in enumerate(header) if h == "样品编号")
    status_col = next(i for i, h in enumerate(header) if h and "处置" in h and "状态" in h)
    exported = {r[code_col]: r[status_col] for r in rows[1:] if r[status_col]}
    assert exported == {codes[k]: ZH_STATUS[CASES[k]] for k in ("stopped", "expired", "disputed", "released",
                                                                 "lab_confirmed", "disposed")}


# --- templates never read the stored column ----------------------------------------------

# Variables whose ``.status`` is not a batch's stored status: ``state`` is the derived
# BatchState; the import and job pages show an import's or a job's own states.
DERIVED = {"state"}
OTHER_CONCEPTS = {"imports", "jobs"}


def raw_status_reads(root: Path) -> list[str]:
    """Places where a template reads a ``status`` attribute other than the derived one."""
    found = []
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root)
        if rel.parts[0] in OTHER_CONCEPTS:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in re.finditer(r"(\w+|\]|\))\.status\b|\[\s*['\"]status['\"]\s*\]"
                                 r"|attr(?:ibute)?\(\s*['\"]status['\"]|attribute=['\"]status['\"]", line):
                if m.group(1) in DERIVED:
                    continue
                found.append(f"{rel}:{n}: {m.group(0)}")
    return found


def test_templates_show_the_derived_status_never_the_stored_column():
    assert raw_status_reads(TEMPLATES) == []


def test_the_template_check_catches_a_raw_read(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "x.html").write_text("{{ status_badge(b.status) }}\n{{ state.status }}\n"
                                              "{{ rows|selectattr('status', 'eq', 'stopped')|list }}\n"
                                              "{{ states[b.id].status }} {{ b['status'] }}\n")
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "y.html").write_text("{{ report.status }}\n")
    assert raw_status_reads(tmp_path) == ["home/x.html:1: b.status", "home/x.html:3: attr('status'",
                                          "home/x.html:4: ].status", "home/x.html:4: ['status']"]
