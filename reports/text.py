"""The words a report prints, from the application's one translation catalogue.

reports/ keeps no word table of its own: the fixed labels are English msgids written where they
are printed (``L._("Sample code")``, or ``L.pgettext("batch report", "Status")`` where the same
English word prints differently elsewhere), ``pybabel extract`` collects them into the same
``messages.pot`` as the web UI, and their Chinese lives in the same ``messages.po``. The caller
passes the translations of the reader's language (anything with ``gettext`` and ``pgettext``:
a ``babel.support.Translations`` loaded from the ``.mo``, or ``gettext.NullTranslations`` for
English) and the status words of the application's one wording table.

Domain data (names, reasons, rule text) is never translated: it is printed as given.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Mapping
from typing import Protocol

DASH = "—"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is printed."""
    return message


class Catalogue(Protocol):
    """What a report needs of a translations object (``gettext.NullTranslations``, ``babel.support.Translations``)."""

    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class Text:
    """One reader's report words: a gettext over the application's catalogue plus the status words."""

    def __init__(self, translations: Catalogue | None = None, status_words: Mapping[str, str] | None = None):
        self._t = translations if translations is not None else _gettext.NullTranslations()
        self._status = dict(status_words or {})

    def _(self, message: str) -> str:
        return self._t.gettext(message)

    gettext = _

    def pgettext(self, context: str, message: str) -> str:
        return self._t.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of a sentence for count ``n`` ("1 result", "2 results"; one form in Chinese)."""
        return self._t.ngettext(singular, plural, n)

    def with_status_words(self, words: Mapping[str, str] | None) -> Text:
        """These words with the status words of the application's one wording table (data the
        caller passes in, not a second table kept here)."""
        if not words:
            return self
        return Text(self._t, {**self._status, **words})

    # ------------------------------------------------------------------ punctuation

    @property
    def colon(self) -> str:
        return self.pgettext("punctuation", ": ")

    @property
    def list_sep(self) -> str:
        return self.pgettext("punctuation", ", ")

    def with_note(self, text: str, note: str | None) -> str:
        """"text（note）" in Chinese, "text (note)" in English; just text without a note."""
        if not note:
            return text
        return self._("{text} ({note})").format(text=text, note=note)

    # ------------------------------------------------------------------ statements every report prints

    @property
    def disclaimer(self) -> str:
        return self._("Rapid test results are screening results only: they are not a laboratory conclusion, do "
                       "not replace laboratory testing and are not a basis for enforcement.")

    def replica_note(self, report) -> str | None:
        """The as-of line of a report read from a streaming replica: when its data held and
        how far behind the primary it was ("数据截至 …（副本延迟 N 秒）"); None: read from the primary."""
        from .formats import datetime_text

        if report.replica_as_of is None:
            return None
        return self._("Data as of {when} (replica lag {seconds} s).").format(
            when=datetime_text(report.replica_as_of), seconds=report.replica_lag_seconds)

    @property
    def not_supervisory(self) -> str:
        return self._("These are rapid screening results, not official supervisory sampling data, and must not be"
                       " reported or used as such.")

    @property
    def objection_rule(self) -> str:
        return self._("A seller who disputes a rapid result may request a retest within 4 hours of receiving it; "
                       "the retest must not use a rapid method.")

    @property
    def retest_rule(self) -> str:
        return self._("Suspect and invalid results must be repeated; they are never counted as passes and are "
                       "excluded from pass and positive rates.")

    @property
    def scope_rule(self) -> str:
        return self._("Results apply only to the items tested on the sample tested.")

    # ------------------------------------------------------------------ coded values

    def _coded(self, words: Mapping[str, str], code: str | None) -> str:
        """The word for ``code``; the code itself when unknown, a dash for None."""
        if code is None or code == "":
            return DASH
        return words.get(code, code)

    def outcome(self, code: str | None) -> str:
        """阴性/阳性/可疑/无效 for an outcome code."""
        return self._coded({"negative": self._("Negative"), "positive": self._("Positive"),
                            "suspect": self._("Suspect"), "invalid": self._("Invalid")}, code)

    def status(self, code: str | None) -> str:
        """The words for a batch/disposition status code (given by :meth:`with_status_words`;
        the code itself without them)."""
        return self._coded(self._status, code)

    def lab_outcome(self, code: str | None) -> str:
        return self._coded({"negative": self._("Lab negative"), "positive": self._("Lab positive")}, code)

    def site_kind(self, code: str | None) -> str:
        return self._coded({
            "market": self._("Farmers' market"), "wholesale": self._("Wholesale market"),
            "supermarket": self._("Supermarket"), "canteen": self._("Canteen"),
            "banquet": self._("Rural banquet centre"), "event": self._("Event venue"), "other": self._("Other"),
        }, code)

    def event_kind(self, code: str | None) -> str:
        return self._coded({"banquet": self._("Rural banquet"), "major_event": self._("Major event")}, code)

    def colour(self, code: str | None) -> str:
        """The five-colour rating word (红/橙/黄/蓝/绿; 未评级 for no rating)."""
        return self._coded({
            "red": self.pgettext("rating colour", "Red"), "orange": self.pgettext("rating colour", "Orange"),
            "yellow": self.pgettext("rating colour", "Yellow"), "blue": self.pgettext("rating colour", "Blue"),
            "green": self.pgettext("rating colour", "Green"), "none": self._("Not rated"),
        }, code)

    def scope(self, code: str | None) -> str:
        """辖区 / 市场 / 省 / 市 / 监管所 / 检测机构: what a monthly report covers."""
        return self._coded({"district": self._("District"), "site": self.pgettext("monthly report", "Site"),
                            "province": self._("Province"), "city": self._("City"),
                            "office": self._("Supervision office"), "testing": self._("Testing organisation")}, code)

    def unit_kind(self, code: str | None) -> str:
        """What a row of a report's comparison of units is: a district, an office, a market…"""
        return self.scope(code)

    def figure(self, name: str) -> str:
        """The name of a monthly figure (an attribute of ``reports.data.MonthFigures``)."""
        return {
            "batches": self.pgettext("monthly report", "Batches tested"),
            "tests": self.pgettext("monthly report", "Tests"),
            "negatives": self.pgettext("monthly report", "Negative"),
            "positives": self.pgettext("monthly report", "Positive"),
            "suspects": self._("Suspect (to repeat)"),
            "invalids": self._("Invalid (to repeat)"),
            "pass_rate": self._("Pass rate"),
            "positive_rate": self._("Positive rate"),
            "disposal_rate": self._("Disposal rate"),
            "dispositions_closed": self._("Dispositions closed"),
            "kg_disposed": self._("Disposed of (kg)"),
            "overdue_dispositions": self._("Overdue, still open (when printed)"),
            "closed_late": self._("Closed after the deadline"),
            "objections": self._("Objections (lab retest)"),
            "objections_released": self._("Lab negative (released)"),
            "objections_confirmed": self._("Lab positive (confirmed)"),
            "objections_pending": self._("Lab result pending"),
        }[name]
