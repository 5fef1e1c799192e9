"""Issue 13: an import started from a round offers the round's batches for the rows it could
not match — same stall and food, in the order the batches were registered — instead of only
typing codes or creating duplicates; and the import pages name formats in Chinese and carry no
English in the Chinese interface."""
from __future__ import annotations

import html as htmllib
import re

import pytest
import sqlalchemy as sa

from tests.imports.conftest import PESTICIDE_HEADER, SAMPLED, make_csv, pesticide_row, sample_bytes
from tests.imports.test_import_web import hidden, upload


@pytest.fixture
def rnd(world, db):
    """A round at 城东综合市场 on the day of the files: A-01 青菜 twice, A-02 菠菜, A-01 菠菜."""
    from lims.batches.services import BatchInput, create_round, register_batch
    from lims.reference.services import get_item

    r = create_round(world.actor, world.east, SAMPLED.date())
    codes = []
    for stall, food in (("A-01", "青菜"), ("A-01", "青菜"), ("A-02", "菠菜"), ("A-01", "菠菜")):
        codes.append(register_batch(world.actor, BatchInput(
            site=world.east, stall=world.stall("城东综合市场", stall), food=food, sampled_at=SAMPLED, round=r,
            tests=[get_item("OPC")])).code)
    db.session.commit()
    return r, codes


def _selected(page: str) -> dict[int, str]:
    """What the preview's batch choosers of unmatched rows have selected, by row."""
    out = {}
    for row, body in re.findall(r'<select[^>]*name="assign-(\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        out[int(row)] = chosen.group(1) if chosen else ""
    return out


def test_an_import_from_a_round_offers_its_batches_by_stall_and_food_in_order(world, rnd, client, db):
    from lims.models import Batch, Result

    r, codes = rnd
    client.login(world.tech)
    data = make_csv([
        pesticide_row(1, codes[0], party="城东综合市场 A-01", food="青菜"),  # line 2: matched by its code
        pesticide_row(2, "", party="城东综合市场 A-01", food="青菜", when="2026-11-20 09:12:05"),  # 3 → the second 青菜
        pesticide_row(3, "", party="城东综合市场 A-01", food="青菜", when="2026-11-20 09:13:05"),  # 4: none left
        pesticide_row(4, "", party="城东综合市场A-02", food="菠菜", value="63.0", word="不合格",
                      when="2026-11-20 09:14:05"),  # 5 → A-02 菠菜 (a positive)
        pesticide_row(5, "", party="城东综合市场 A-03", food="青菜", when="2026-11-20 09:15:05"),  # 6: no such batch
    ], PESTICIDE_HEADER)
    page = upload(client, data, "round.csv", round=str(r.id))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _selected(html) == {3: codes[1], 4: "", 5: codes[2], 6: ""}
    assert "round-matches" in html and "本轮" in html
    # the preview is the file as committing would take it: the matched rows count, the
    # positive among them is announced as one that stops a sale, not as unmatched
    assert "确认导入 3 条结果" in html and "尚未匹配批次的行中有" not in html
    assert "其中 1 条为阳性：导入后即停售" in html
    # Every batch of the round is offered, with its stall and food, to every unmatched row.
    assert all(f'<option value="{c}"' in html for c in codes)

    sha = hidden(html, "sha256")
    form = {"sha256": sha, "round": str(r.id), **{f"assign-{k}": v for k, v in _selected(html).items()}}
    again = client.post_form("/imports/commit", {**form, "action": "preview"}, csrf_from="/imports/new")
    assert again.status_code == 200
    assert "导入 3 条结果" in again.get_data(as_text=True)
    # the rows assigned stay assigned on the page previewed again: its commit button sends them
    assert _selected(again.get_data(as_text=True)) == {3: codes[1], 4: "", 5: codes[2], 6: ""}
    done = client.post_form("/imports/commit", {**form, "action": "commit"}, csrf_from="/imports/new")
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    db.session.expire_all()
    got = dict(db.session.execute(sa.select(Batch.code, sa.func.count(Result.id)).join(Result)
                                  .where(Batch.round_id == r.id).group_by(Batch.code)).all())
    assert got == {codes[0]: 1, codes[1]: 1, codes[2]: 1}
    assert db.session.execute(sa.select(sa.func.count(Batch.id)).where(Batch.round_id == r.id)).scalar_one() == 4
    assert db.session.execute(sa.select(Batch.status).where(Batch.code == codes[2])).scalar_one() == "stopped"


def test_without_a_round_an_unmatched_row_is_typed_as_before(world, rnd, client, db):
    client.login(world.tech)
    data = make_csv([pesticide_row(1, "", party="城东综合市场 A-01", food="青菜")], PESTICIDE_HEADER)
    html = upload(client, data, "plain.csv").get_data(as_text=True)
    assert 'name="assign-2"' in html and "<select" not in html.split('name="assign-2"')[0][-300:]
    assert "round-matches" not in html


def test_every_registered_format_has_a_chinese_name(app):
    from flask_babel import force_locale

    from instruments import FORMATS
    from lims.imports.labels import FORMAT_LABELS, format_label

    assert set(FORMATS) == set(FORMAT_LABELS)
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        names = {f: format_label(f) for f in FORMATS}
    assert names["pesticide-csv"] == "农残速测仪 CSV" and names["gold-xlsx"] == "胶体金读数仪 XLSX"
    assert all(re.search(r"[\u4e00-\u9fff]", n) for n in names.values()), names
    with app.test_request_context(), force_locale("en"):
        assert format_label("pesticide-csv") == "Pesticide tester CSV"


#: Latin words the Chinese import pages may show: file kinds (Excel) and encodings, units, the hash's name.
ALLOWED = {"CSV", "XLSX", "Excel", "csv", "xlsx", "GB", "UTF", "SHA", "kg", "mg", "T", "C"}


def _english(page: str) -> list[str]:
    """Latin words in what the reader sees of the page's main content (text and the labels
    read aloud), beyond file names, codes and ALLOWED."""
    main = re.split(r"<main\b[^>]*>", page, maxsplit=1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style|datalist)\b.*?</\1>", " ", main, flags=re.S)
    seen = " ".join(re.findall(r'(?:aria-label|placeholder|title)="([^"]*)"', main))
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", main) + " " + seen)
    text = re.sub(r"[\w.-]+\.(csv|xlsx|txt|xls)\b", " ", text)  # file names
    text = re.sub(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b", " ", text)  # codes
    return sorted({w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED})


def test_the_import_pages_are_chinese(world, rnd, client, db):
    r, codes = rnd
    client.login(world.tech)
    new = client.get(f"/imports/new?round={r.id}").get_data(as_text=True)
    assert ">农残速测仪 CSV<" in new and ">胶体金读数仪 XLSX<" in new
    assert _english(new) == [], _english(new)
    preview = upload(client, sample_bytes("pesticide_tester.csv"), "pesticide_tester.csv", round=str(r.id))
    page = preview.get_data(as_text=True)
    assert "农残速测仪 CSV" in page
    assert _english(page) == [], _english(page)
    sha = hidden(page, "sha256")
    done = client.post_form("/imports/commit", {"sha256": sha, "round": str(r.id), "action": "commit"},
                            csrf_from="/imports/new")
    assert done.status_code == 302, done.get_data(as_text=True)[:1000]
    summary = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "农残速测仪 CSV" in summary and "pesticide-csv" not in summary
    assert _english(summary) == [], _english(summary)
