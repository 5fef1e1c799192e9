"""One vocabulary of result words (instruments.outcomes), the same through every door.

Every word is read by the parser, shown in the import preview, stored with an imported
result, typed in the batch page's form and posted over the API — and means the same each
time. The row is a 55 % inhibition (a positive for OPC), so a word that means anything else
must be flagged as a disagreement wherever it enters."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from instruments import parse_file
from instruments.outcomes import NO_DATA_WORDS, VERDICT_WORDS, outcome_of
from lims.rules.judging import normalise_word
from tests.imports.conftest import NOW, make_csv, pesticide_row, results_of

#: (word as written, what it means). Every entry of the vocabulary, and spellings of them.
WORDS = [(w, o) for w, o in VERDICT_WORDS.items()] + [
    ("Passed", "negative"), ("PASS", "negative"), ("N.D", "negative"), ("ＮＤ", "negative"), (" 阴性 ", "negative"),
    ("Not Detected", "negative"), ("疑似 阳性", "suspect"), ("Failed", "positive"), ("＋", "positive"),
    ("INVALID", "invalid"),
]
#: Spellings of "no reading": never an outcome.
NO_DATA = sorted(NO_DATA_WORDS - {""}) + ["N/A", "ＮＡ", "－－", "３２７６６"]


def test_the_vocabulary_has_no_word_that_is_both_a_result_and_no_data():
    assert not NO_DATA_WORDS & VERDICT_WORDS.keys()


@pytest.mark.parametrize("word, outcome", WORDS, ids=repr)
def test_the_rules_read_a_word_as_the_parsers_do(word, outcome):
    assert outcome_of(word) == outcome
    assert normalise_word(word) == outcome


@pytest.mark.parametrize("word", NO_DATA + ["blue", "合格率"], ids=repr)
def test_no_data_and_unknown_words_mean_no_outcome_to_both(word):
    assert outcome_of(word) is None and normalise_word(word) is None


def _file(word: str, value: str = "55.0") -> bytes:
    return make_csv([pesticide_row(1, "S-20261120-001", value=value, word=word)])


@pytest.mark.parametrize("word, outcome", WORDS, ids=repr)
def test_the_parser_reads_the_word(word, outcome):
    [reading] = parse_file(_file(word), filename="t.csv", now=NOW).readings
    assert (reading.instrument_word, reading.instrument_outcome) == (word.strip(), outcome)


@pytest.mark.parametrize("word, outcome", WORDS, ids=repr)
def test_the_parser_reads_the_word_in_the_reading_column(word, outcome):
    [reading] = parse_file(_file("阳性", value=word), filename="t.csv", now=NOW).readings
    assert (reading.value, reading.qualitative) == (None, outcome)


@pytest.mark.parametrize("word", NO_DATA, ids=repr)
def test_the_parser_skips_a_no_data_reading(word):
    result = parse_file(_file("合格", value=word), filename="t.csv", now=NOW)
    assert not result.readings and len(result.skipped) == 1


@pytest.mark.parametrize("word, outcome", WORDS, ids=repr)
def test_preview_and_stored_import_result_agree_on_the_word(world, register, run, db, word, outcome):
    register("S-20261120-001", "城东综合市场", "A-01", "青菜")
    data = _file(word)
    preview = run(data, "t.csv", dry_run=True)
    [row] = preview.rows
    assert (row.status, row.outcome, row.instrument_outcome, row.disagrees) == \
        ("ok", "positive", outcome, outcome != "positive")
    assert preview.disagreements == (outcome != "positive")

    report = run(data, "t.csv")
    assert report.status == "committed", report.error
    [stored] = results_of(db, report.import_id).values()
    assert (stored.outcome, stored.instrument_word, stored.instrument_outcome, stored.disagrees) == \
        ("positive", word.strip(), outcome, outcome != "positive")


# --- typed and posted -------------------------------------------------------------------------


@pytest.fixture
def fresh(world, db, register):
    """fresh(code) → a batch sampled an hour ago (web and API use the real clock), planned for OPC."""
    from lims.database import utcnow
    from lims.reference.services import get_item

    def make(code="S-20261201-001"):
        from lims.batches.services import BatchInput, register_batch

        batch = register_batch(world.actor, BatchInput(
            site=world.east, stall=world.stall("城东综合市场", "A-01"), food="青菜",
            sampled_at=utcnow() - timedelta(hours=1), code=code, tests=[get_item("OPC")]))
        db.session.commit()
        return batch

    return make


def _stored(db, batch):
    from lims.models import Result

    db.session.expire_all()
    return db.session.execute(sa.select(Result).where(Result.batch_id == batch.id)).scalar_one()


def _typed(client, batch, **fields):
    from lims.database import utcnow
    from lims.i18n import format_local

    form = {"result-item": "OPC", "result-tested_at": format_local(utcnow() - timedelta(minutes=5)),
            "result-confirm_positive": "y", **{f"result-{k}": v for k, v in fields.items()}}
    return client.post_form(f"/batches/{batch.code}/results", form, csrf_from=f"/batches/{batch.code}")


def _posted(client, api_token, world, batch, **body):
    from lims.database import utcnow
    from lims.i18n import format_local

    body = {"item": "OPC", "tested_at": format_local(utcnow() - timedelta(minutes=5)), **body}
    return client.post(f"/api/v1/batches/{batch.code}/results", json=body, headers=api_token(world.tech))


@pytest.mark.parametrize("word, outcome", WORDS, ids=repr)
def test_the_typed_form_reads_the_instrument_word_and_a_word_for_the_reading(client, world, fresh, db, word,
                                                                            outcome):
    client.login(world.tech)
    batch = fresh("S-20261201-001")
    r = _typed(client, batch, value="55.0", instrument_word=word)
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:2000]
    stored = _stored(db, batch)
    assert (stored.outcome, stored.instrument_outcome, stored.disagrees) == \
        ("positive", outcome, outcome != "positive")

    visual = fresh("S-20261201-002")
    r = _typed(client, visual, value=word)
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:2000]
    stored = _stored(db, visual)
    assert (stored.value, stored.value_text, stored.qualitative, stored.outcome) == (None, word.strip(), outcome,
                                                                                  outcome)


@pytest.mark.parametrize("word, outcome", WORDS, ids=repr)
def test_the_api_reads_the_instrument_word_and_a_word_for_the_reading(client, api_token, world, fresh, db, word,
                                                                     outcome):
    batch = fresh("S-20261201-001")
    r = _posted(client, api_token, world, batch, value=55.0, instrument_outcome=word)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["instrument_outcome"], r.get_json()["disagrees"]) == (outcome, outcome != "positive")

    visual = fresh("S-20261201-002")
    r = _posted(client, api_token, world, visual, value=word)
    assert r.status_code == 201, r.get_json()
    stored = _stored(db, visual)
    assert (stored.value_text, stored.qualitative, stored.outcome) == (word.strip(), outcome, outcome)


@pytest.mark.parametrize("word", [w for w in NO_DATA if w != "32766" and w != "３２７６６"], ids=repr)
def test_a_no_data_word_typed_or_posted_for_the_reading_is_refused_and_saves_nothing(client, api_token, world,
                                                                                   fresh, db, word):
    from lims.models import Result

    batch = fresh()
    client.login(world.tech)
    assert _typed(client, batch, value=word).status_code == 422
    r = _posted(client, api_token, world, batch, value=word)
    assert r.status_code == 422, r.get_json()
    assert "value" in str(r.get_json())
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Result)
                              .where(Result.batch_id == batch.id)).scalar_one() == 0
