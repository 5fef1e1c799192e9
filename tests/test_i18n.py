"""Chinese first, English complete: every user-visible string of the source has a Chinese
translation, placeholders survive, and the compiled catalogue is up to date."""
from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "lims" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None,
            "pgettext": ((1, "c"), 2)}


def source_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every string the web UI and the printed reports show: one catalogue."""
    found = set()
    methods = [("lims/**.py", "python"), ("instruments/**.py", "python"), ("reports/**.py", "python"),
               ("lims/templates/**.html", "jinja2")]
    for _filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map=methods, keywords=KEYWORDS, options_map={"lims/templates/**.html": {}}):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return {(c, m) for c, m in found if m}


def catalogue():
    with PO.open("rb") as fp:
        return read_po(fp)


def test_every_source_string_has_a_chinese_translation():
    cat = catalogue()
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in cat if m.id}
    missing = sorted((m for m in source_messages() if not translated.get(m)), key=str)
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:10]} — run `make translations` and translate"


def test_placeholders_survive_translation():
    for m in catalogue():
        if not m.id or not m.string:
            continue
        # Chinese has one plural form: it stands for every count, so it carries what the English
        # plural carries (an English singular may leave the count out: "the first day of each").
        source = m.id[-1] if isinstance(m.id, tuple) else m.id
        for text in m.string if isinstance(m.string, tuple) else (m.string,):
            for pattern in (r"%\(\w+\)[sd]", r"\{\w+\}"):
                assert sorted(re.findall(pattern, source)) == sorted(re.findall(pattern, text)), (source, text)


def test_no_fuzzy_entries_and_the_mo_file_is_current():
    cat = catalogue()
    assert not [m.id for m in cat if m.id and m.fuzzy]
    buffer = io.BytesIO()
    write_mo(buffer, cat)
    assert MO.exists() and MO.read_bytes() == buffer.getvalue(), "run `make translations` (pybabel compile)"
