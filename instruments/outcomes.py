"""The one vocabulary of result words (domain.md §3): what a word means, wherever it is read.

Instrument files (结论, 检测结果, 判定结果, RESULT_DX_DESC, a word in a reading column), the
typed form, the API and the rules all look words up here — ``lims.rules.judging`` imports this
module — so a word cannot mean one thing in a preview and another in the stored result. The
word itself is kept as written; this table only says which of ``negative``, ``positive``,
``suspect`` or ``invalid`` it means, or that it means "no data on this channel" (``NA``,
``--``, ``-``, blank, ``32766``), which is never a result.
"""

from __future__ import annotations

import unicodedata

NEGATIVE = "negative"
POSITIVE = "positive"
SUSPECT = "suspect"
INVALID = "invalid"

#: Every word we understand, by outcome. Keys are compared after :func:`word_key`
#: (NFKC, no spaces, case-folded), so ``ＮＤ``, `` 阴性 `` and ``Negative`` need no entries.
WORDS: dict[str, tuple[str, ...]] = {
    NEGATIVE: ("阴性", "未检出", "合格", "nd", "n.d.", "n.d", "negative", "neg", "pass", "passed",
               "notdetected"),
    # "+" is a strip's plus sign. Its minus, "-", is not here: instrument files write "-" in an
    # empty channel, and an empty channel read as a negative would pass an untested batch.
    POSITIVE: ("阳性", "不合格", "超标", "检出", "positive", "pos", "fail", "failed", "+"),
    SUSPECT: ("可疑", "疑似", "疑似阳性", "suspect", "suspicious"),
    INVALID: ("无效", "invalid"),
}

#: word key → outcome.
VERDICT_WORDS: dict[str, str] = {word: outcome for outcome, words in WORDS.items() for word in words}

#: Words that may stand in a reading column instead of a number (检测值 ``未检出``, ``阴性`` …).
#: They are kept as ``value_text`` with this qualitative meaning, never turned into 0.
READING_WORDS: dict[str, str] = VERDICT_WORDS

#: Spellings of "no reading on this channel" (as word keys).
NO_DATA_WORDS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "--", "---", "-", "—", "——", "#n/a", "null", "32766"}
)

#: The sentinel some testers write in an unused channel.
NO_DATA_NUMBER = 32766

def word_key(text: str) -> str:
    """Normalise a word for lookup: NFKC (full-width → ASCII), no spaces, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def outcome_of(word: str | None) -> str | None:
    """Return the outcome a word means; None for no word, a no-data word or an unknown word."""
    if word is None:
        return None
    found = VERDICT_WORDS.get(word)
    if found is None:
        found = VERDICT_WORDS.get(word_key(str(word)))
    return found


def is_no_data_word(text: str) -> bool:
    """True for the spellings of an empty channel (blank, ``NA``, ``--``, ``32766`` …)."""
    return word_key(text) in NO_DATA_WORDS
