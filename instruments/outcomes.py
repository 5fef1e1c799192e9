"""Result words found in instrument files and what they mean (domain.md §3).

The instrument's own word is kept as written; these tables only normalise it to one of
``negative``, ``positive``, ``suspect`` or ``invalid``. Empty channels (``NA``, ``--``, blank,
``32766``) are recognised here too: they are no data, never a result.
"""

from __future__ import annotations

import unicodedata

NEGATIVE = "negative"
POSITIVE = "positive"
SUSPECT = "suspect"
INVALID = "invalid"

#: The instrument's verdict words (结论, 检测结果, 判定结果, RESULT_DX_DESC …).
VERDICT_WORDS: dict[str, str] = {
    "阴性": NEGATIVE,
    "未检出": NEGATIVE,
    "合格": NEGATIVE,
    "nd": NEGATIVE,
    "n.d.": NEGATIVE,
    "n.d": NEGATIVE,
    "negative": NEGATIVE,
    "neg": NEGATIVE,
    "pass": NEGATIVE,
    "passed": NEGATIVE,
    "notdetected": NEGATIVE,
    "阳性": POSITIVE,
    "不合格": POSITIVE,
    "超标": POSITIVE,
    "positive": POSITIVE,
    "pos": POSITIVE,
    "fail": POSITIVE,
    "failed": POSITIVE,
    "可疑": SUSPECT,
    "疑似": SUSPECT,
    "疑似阳性": SUSPECT,
    "suspect": SUSPECT,
    "suspicious": SUSPECT,
    "无效": INVALID,
    "invalid": INVALID,
}

#: Words that may stand in a reading column instead of a number (检测值 ``未检出``, ``阴性`` …).
#: They are kept as ``value_text`` with this qualitative meaning, never turned into 0.
READING_WORDS: dict[str, str] = VERDICT_WORDS

#: Spellings of "no reading on this channel".
NO_DATA_WORDS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "--", "---", "-", "—", "——", "#n/a", "null", "32766"}
)

#: The sentinel some testers write in an unused channel.
NO_DATA_NUMBER = 32766


def word_key(text: str) -> str:
    """Normalise a word for lookup: NFKC (full-width → ASCII), no spaces, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def outcome_of(word: str) -> str | None:
    """Return the outcome a verdict word means, or None if the word is not understood."""
    found = VERDICT_WORDS.get(word)
    if found is None:
        found = VERDICT_WORDS.get(word_key(word))
    return found


def is_no_data_word(text: str) -> bool:
    """True for the spellings of an empty channel (blank, ``NA``, ``--``, ``32766`` …)."""
    return word_key(text) in NO_DATA_WORDS
