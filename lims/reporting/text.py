"""The renderers' words: ``reports.text.Text`` over the web UI's own compiled catalogue.

One translation catalogue: the reports' fixed labels are msgids in ``lims/translations`` like
every other string of the application; here they are loaded for the renderers, which know
nothing of Flask. Needs no application context (tests and scripts call it directly)."""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from reports.text import Text

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

# report language -> catalogue locale (English is the msgids themselves)
LANGUAGES = {"zh_CN": "zh_Hans_CN", "en": None}


@lru_cache(maxsize=None)
def catalogue(lang: str) -> NullTranslations:
    """The compiled translations of ``lang`` (``zh_CN`` or ``en``); ValueError for any other."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported report language {lang!r}; use one of {sorted(LANGUAGES)}")
    locale = LANGUAGES[lang]
    if locale is None:
        return NullTranslations()
    found = Translations.load(str(TRANSLATIONS), [locale])
    if not isinstance(found, Translations):  # Translations.load returns NullTranslations when no .mo is found
        raise RuntimeError(f"no compiled catalogue for {locale} in {TRANSLATIONS}: run `make translations`")
    return found


def text_for(lang: str, status_words: Mapping[str, str] | None = None) -> Text:
    """The report words of ``lang`` with the given status words (the one wording table's)."""
    return Text(catalogue(lang), status_words)
