"""The plain data every renderer takes.

The application fills these from the database; the renderers never look anything up.
Conventions for every class:

- Datetimes are timezone-aware and already in local time; they are printed as
  ``YYYY-MM-DD HH:MM``.
- Weights and money are ``Decimal`` (kilograms, yuan); never float.
- Outcomes are the codes ``negative``, ``positive``, ``suspect``, ``invalid``
  (see ``OUTCOMES``); the renderers turn them into words.
- Status codes (``disposition_status``, ``DispositionSummary.status``) are the batch
  status codes of the API (``stopped``, ``disputed``, ``released``, ``confirmed``,
  ``disposed``, ...); an unknown code is printed as given.
- Free text (names, reasons, rule text) is domain data and printed as given in every
  language.
- Sequences are typed as tuples; any sequence (list, tuple) is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal

OUTCOMES = ("negative", "positive", "suspect", "invalid")
RATING_COLOURS = ("red", "orange", "yellow", "blue", "green")
EVENT_KINDS = ("banquet", "major_event")


def _rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator as a Decimal fraction, None when the denominator is 0."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


# --------------------------------------------------------------------------- shared


@dataclass(frozen=True, kw_only=True)
class Issuer:
    """Who issues a document (printed in every page header).

    name: issuing body, e.g. "上城区市场监督管理局" or the market operator.
    unit: the station or lab that ran the tests, e.g. "城东综合市场快检室"; None to omit.
    address, phone: optional contact line under the header.
    """

    name: str
    unit: str | None = None
    address: str | None = None
    phone: str | None = None


# --------------------------------------------------------------------------- batch report


@dataclass(frozen=True, kw_only=True)
class ResultLine:
    """One test of the batch (one row of the results table).

    item: test item name (检测项目), e.g. "克伦特罗".
    outcome: our verdict code (negative/positive/suspect/invalid).
    method: method standard (检测依据), e.g. "GB/T 5009.199-2003".
    reagent_lot, reagent_maker: kit lot number and maker.
    instrument: instrument model and serial, e.g. "LK-12 (SN 2301)".
    value: numeric reading; value_text: qualitative reading ("未检出") used when value is None.
    unit: unit of the reading ("%", "μg/kg"); cutoff: decision threshold as text ("≥ 50").
    tested_at/tested_by, reviewed_at/reviewed_by: who tested and reviewed, and when.
    note: short remark printed under the row's item (e.g. "已热处理").
    """

    item: str
    outcome: str
    method: str | None = None
    reagent_lot: str | None = None
    reagent_maker: str | None = None
    instrument: str | None = None
    value: Decimal | None = None
    value_text: str | None = None
    unit: str | None = None
    cutoff: str | None = None
    tested_at: datetime | None = None
    tested_by: str | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class DisposalAction:
    """One disposal action (处置) on a positive batch.

    action: what was done, as a word (下架/停售, 销毁, 无害化处理, 退货, 封存, 召回).
    quantity_kg: kilograms covered by the action.
    done_at: when; method, place: how and where; done_by, supervisor: people.
    """

    action: str
    quantity_kg: Decimal
    done_at: datetime
    method: str | None = None
    place: str | None = None
    done_by: str | None = None
    supervisor: str | None = None


@dataclass(frozen=True, kw_only=True)
class ObjectionSummary:
    """The seller's objection (异议) and the laboratory retest.

    requested_at: when the retest was requested; lab: the laboratory; method: its method.
    report_no: the lab's report number; lab_outcome: "negative"/"positive", None while pending.
    lab_value: the lab's reading as text ("0.3 μg/kg"); fee: retest fee in yuan.
    """

    requested_at: datetime
    lab: str
    method: str | None = None
    report_no: str | None = None
    lab_outcome: str | None = None
    lab_value: str | None = None
    fee: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class DispositionSummary:
    """What happened after a positive result.

    status: batch status code (stopped, disputed, released, confirmed, disposed).
    notified_at: when the seller was told (starts the 4-hour objection window).
    objection_deadline: end of that window.
    objection: the objection and lab retest, None when there was none.
    actions: disposal actions in time order.
    quantity_kg: quantity to account for; disposed_kg: kilograms accounted for by final
      disposal (destroyed, made harmless, returned, recalled; a stop-sale step that is
      followed by destruction is not counted twice); remaining_kg: still unaccounted for.
    due_at: deadline for disposal; overdue: True when that deadline has passed unmet.
    """

    status: str
    notified_at: datetime | None = None
    objection_deadline: datetime | None = None
    objection: ObjectionSummary | None = None
    actions: tuple[DisposalAction, ...] = ()
    quantity_kg: Decimal | None = None
    disposed_kg: Decimal | None = None
    remaining_kg: Decimal | None = None
    due_at: datetime | None = None
    overdue: bool = False


@dataclass(frozen=True, kw_only=True)
class BatchReport:
    """The test report (检测报告单) of one batch.

    issuer: header; report_no: the report's number; issued_at: when it was issued.
    batch_code: code printed on the sample label.
    site, stall, operator: where it was sampled and the stall operator's name;
    event: event name when sampled for an event (家宴/重大活动), else None.
    food, category: food name and category; supplier, origin: from the purchase check.
    quantity_kg: quantity the batch represents; purchase_date, certificate_no: optional.
    sampled_at, sampled_by: sampling time and person.
    results: the tests (the lead passes reviewed results only, except for drafts).
    disposition: the disposition summary when a result is positive, else None.
    verify_url: public verification URL printed as a QR code; None to omit.
    """

    issuer: Issuer
    report_no: str
    batch_code: str
    site: str
    food: str
    sampled_at: datetime
    results: tuple[ResultLine, ...]
    stall: str | None = None
    operator: str | None = None
    event: str | None = None
    category: str | None = None
    supplier: str | None = None
    origin: str | None = None
    quantity_kg: Decimal | None = None
    purchase_date: date | None = None
    certificate_no: str | None = None
    sampled_by: str | None = None
    disposition: DispositionSummary | None = None
    verify_url: str | None = None
    issued_at: datetime | None = None


# --------------------------------------------------------------------------- monthly report


@dataclass(frozen=True, kw_only=True)
class MonthlyFigures:
    """Headline counts of one month (rates are derived, see the properties).

    batches: batches tested in the month (the sum of every breakdown's batches);
    batches_untested: batches sampled in the month and not tested by its end (stated apart);
    tests: results recorded (no-data channels excluded).
    negatives, positives, suspects, invalids: results by outcome.
    dispositions_closed: positives whose disposition is closed (disposed or released).
    kg_disposed: kilograms of the month's positive batches taken out of circulation for good
    (destroyed, made harmless, returned, recalled): the positives table's column summed.
    overdue_dispositions: dispositions still open and past their deadline when printed;
    closed_late: dispositions closed after their deadline.
    objections: objections filed; objections_released / objections_confirmed: lab retest
    negative (batch released) / positive (confirmed); objections_pending: no lab result yet.
    """

    batches: int = 0
    batches_untested: int = 0
    tests: int = 0
    negatives: int = 0
    positives: int = 0
    suspects: int = 0
    invalids: int = 0
    dispositions_closed: int = 0
    kg_disposed: Decimal = Decimal(0)
    overdue_dispositions: int = 0
    closed_late: int = 0
    objections: int = 0
    objections_released: int = 0
    objections_confirmed: int = 0
    objections_pending: int = 0

    @property
    def conclusive(self) -> int:
        """Results that count in rates: negatives + positives (suspect and invalid excluded)."""
        return self.negatives + self.positives

    @property
    def pass_rate(self) -> Decimal | None:
        """negatives ÷ (negatives + positives); None when there are none."""
        return _rate(self.negatives, self.conclusive)

    @property
    def positive_rate(self) -> Decimal | None:
        """positives ÷ (negatives + positives); None when there are none."""
        return _rate(self.positives, self.conclusive)

    @property
    def disposal_rate(self) -> Decimal | None:
        """closed dispositions ÷ positives; None without positives."""
        return _rate(self.dispositions_closed, self.positives)


def add_figures(a: MonthlyFigures, b: MonthlyFigures) -> MonthlyFigures:
    """The figures of two disjoint sets of sites together (every count adds up)."""
    return MonthlyFigures(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(MonthlyFigures)})


@dataclass(frozen=True, kw_only=True)
class UnitRow:
    """One row of a report's comparison of the units it covers: a city's districts, a
    district's supervision offices and the markets directly under it.

    name: the unit's name; kind: its kind (``city``, ``district``, ``office`` or ``site``);
    figures: the same headline figures as the report's own, for that unit's sites only
    (the rows partition the report's sites, so they add up to its headline)."""

    name: str
    kind: str
    figures: MonthlyFigures


@dataclass(frozen=True, kw_only=True)
class BreakdownRow:
    """One row of a by-site / by-category / by-item / by-station table.

    name: the site, category, item or station; tests: results recorded;
    negatives, positives, suspects, invalids: by outcome; batches: batches, None to omit.
    """

    name: str
    tests: int
    negatives: int
    positives: int
    suspects: int = 0
    invalids: int = 0
    batches: int | None = None

    @property
    def positive_rate(self) -> Decimal | None:
        """positives ÷ (negatives + positives); None when there are none."""
        return _rate(self.positives, self.negatives + self.positives)


@dataclass(frozen=True, kw_only=True)
class CoverageRow:
    """How much of a site the month's testing reached.

    stalls: stalls registered (active); stalls_tested: stalls with a batch tested in the month;
    foods: different foods tested."""

    site: str
    stalls: int
    stalls_tested: int
    foods: int

    @property
    def stalls_untested(self) -> int:
        return max(self.stalls - self.stalls_tested, 0)

    @property
    def rate(self) -> Decimal | None:
        """stalls tested ÷ stalls registered; None without registered stalls."""
        return _rate(min(self.stalls_tested, self.stalls), self.stalls)


@dataclass(frozen=True, kw_only=True)
class PositiveRow:
    """One positive result of the month.

    tested_at: when tested; site, stall, food, supplier: where and what;
    item, value/value_text, unit: the test and its reading;
    disposition_status: status code; kg_disposed: kilograms covered by disposal actions;
    batch_code: the batch, None to omit.
    """

    tested_at: datetime
    site: str
    food: str
    item: str
    disposition_status: str
    stall: str | None = None
    supplier: str | None = None
    value: Decimal | None = None
    value_text: str | None = None
    unit: str | None = None
    kg_disposed: Decimal = Decimal(0)
    batch_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class SiteRating:
    """A site's five-colour rating (五色预警) for the month.

    colour: red/orange/yellow/blue/green, or None when no rule applied;
    reason: why, in words ("1 起处置超期").
    """

    site: str
    colour: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class RatingRule:
    """A rating rule as configured: colour code and its condition in words."""

    colour: str
    condition: str


@dataclass(frozen=True, kw_only=True)
class ListedStall:
    """A stall on the red (honour) or black list.

    site, stall, operator: which stall; batches_90d, positives_90d: counts behind the listing;
    note: optional remark.
    """

    site: str
    stall: str
    operator: str | None = None
    batches_90d: int = 0
    positives_90d: int = 0
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class EventRow:
    """An event covered in the month (家宴 or 重大活动保障).

    kind: "banquet" or "major_event"; starts_on/ends_on: dates (ends_on None: one day);
    venue: where; batches, positives: tested batches and positive batches;
    people_served: diners or participants, None when unknown.
    """

    name: str
    kind: str
    starts_on: date
    batches: int
    ends_on: date | None = None
    venue: str | None = None
    positives: int = 0
    people_served: int | None = None


@dataclass(frozen=True, kw_only=True)
class DailyCount:
    """Tests and positives of one day (for the trend chart)."""

    day: date
    tests: int
    positives: int


@dataclass(frozen=True, kw_only=True)
class MonthlyReport:
    """The monthly report (月度快检报告) of a district or one site.

    issuer: issuing body; month: any date inside the month; report_no: optional number.
    scope: "district" or "site"; scope_name: the district's or the site's name.
    current, previous: headline figures of this month and the one before (None: unknown).
    by_site, by_category, by_item, by_station: breakdown tables.
    positives: every positive result of the month.
    ratings: five-colour rating per site; red_list, black_list: listed stalls.
    events: events covered; daily: one entry per day for the trend chart.
    rating_rules, list_rules: the configured rules in words, for the appendix.
    planned_batches: batches planned for the month, None to omit.
    unreviewed: results of the month not yet reviewed, left out of every figure (0: none).
    generated_at: when the report was produced.
    audit_head: the audit trail's newest entry when the report was produced, as (seq, hash):
    printed, so that a paper copy anchors the trail (None: an empty trail).
    generated_at: when the report was produced (printed).
    counts_as_of: the moment the counts hold (end of the month, or ``generated_at`` for the
    running month); open cases (overdue, pending objections, statuses) hold at ``generated_at``.
    replica_as_of, replica_lag_seconds: read from a streaming replica, whose data held at that
    moment, so many seconds behind the primary (None: read from the primary).
    issue: how the report was issued (number, version, signatures); None: a draft.
    signatures: the 编制/审核/签发 lines and the seal line, from configuration.
    coverage: per site, stalls tested ÷ stalls registered and foods tested.
    by_unit: for a node of the jurisdiction tree, its units side by side (a city's districts,
    a district's offices and markets), each with the headline figures; () to omit.
    """

    issuer: Issuer
    month: date
    scope: str
    scope_name: str
    current: MonthlyFigures
    previous: MonthlyFigures | None = None
    by_site: tuple[BreakdownRow, ...] = ()
    by_category: tuple[BreakdownRow, ...] = ()
    by_item: tuple[BreakdownRow, ...] = ()
    by_station: tuple[BreakdownRow, ...] = ()
    positives: tuple[PositiveRow, ...] = ()
    ratings: tuple[SiteRating, ...] = ()
    red_list: tuple[ListedStall, ...] = ()
    black_list: tuple[ListedStall, ...] = ()
    events: tuple[EventRow, ...] = ()
    daily: tuple[DailyCount, ...] = ()
    rating_rules: tuple[RatingRule, ...] = ()
    list_rules: tuple[str, ...] = ()
    planned_batches: int | None = None
    unreviewed: int = 0
    report_no: str | None = None
    generated_at: datetime | None = None
    audit_head: tuple[int, str] | None = None
    counts_as_of: datetime | None = None
    replica_as_of: datetime | None = None
    replica_lag_seconds: int | None = None
    coverage: tuple[CoverageRow, ...] = ()
    issue: ReportIssue | None = None
    signatures: Signatures | None = None
    by_unit: tuple[UnitRow, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Signatures:
    """Who compiled (编制), reviewed (审核) and signs (签发) a report, and the seal line.

    Names None or empty leave a blank line to sign by hand; seal: the text by the seal
    (e.g. "钱塘区市场监督管理局（盖章）"), None to omit."""

    compiled_by: str | None = None
    reviewed_by: str | None = None
    signed_by: str | None = None
    seal: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportIssue:
    """An issued report: its number and version, when it was first issued (签发时间, the
    same for every version and every print), when this version was issued and by whom.
    current: False when the figures have changed since this version was issued (printed as
    a draft then, with the note that a new version must be issued)."""

    number: str
    version: int
    first_issued_at: datetime
    issued_at: datetime
    issued_by: str
    current: bool = True


# --------------------------------------------------------------------------- market board


@dataclass(frozen=True, kw_only=True)
class BoardEntry:
    """One reviewed result on the market board.

    stall: stall number; operator: the operator's name as stored (the board prints the
    surname only, e.g. "王某"); food, item: what was tested; outcome: verdict code.
    disposition_status: status code for positives ("disposed" → 已按规定处置,
    "released" → lab retest found nothing, anything else → 处置中).
    handling: how a positive was handled, in words ("下架并销毁 5 kg"); tested_at: when.
    wording: the public words for the result ("本次快检未发现问题", "阳性，处置中", "复测中"…),
    given by the application from its one wording table.
    """

    stall: str
    food: str
    item: str
    outcome: str
    operator: str | None = None
    disposition_status: str | None = None
    handling: str | None = None
    tested_at: datetime | None = None
    wording: str = ""


@dataclass(frozen=True, kw_only=True)
class Board:
    """The market's notice board (公示栏) for one day.

    market: market name; day: the day shown; entries: that day's reviewed results.
    complaint_phone: where to complain; operator_org: market operator (开办者), None to omit.
    station: who tested (快检室), None to omit; updated_at: time of the latest data.
    printed_on: the local day the board is printed: the board says "today" only when it shows
    that day, and names the day it shows otherwise (also when None).
    """

    market: str
    day: date
    entries: tuple[BoardEntry, ...]
    complaint_phone: str
    operator_org: str | None = None
    station: str | None = None
    updated_at: datetime | None = None
    printed_on: date | None = None


# --------------------------------------------------------------------------- sample labels


@dataclass(frozen=True, kw_only=True)
class SampleLabel:
    """One sample-bag label: the batch code (QR, Code128 and text) and what was sampled."""

    batch_code: str
    food: str
    site: str
    sampled_at: datetime
    stall: str | None = None
    sampled_by: str | None = None
    event: str | None = None


@dataclass(frozen=True, kw_only=True)
class LabelGrid:
    """Geometry of the label paper in millimetres (A4 portrait).

    columns × rows labels of label_width × label_height; gap_x/gap_y between labels;
    margin_left/margin_top: position of the first label, None to centre the grid on the page;
    padding: blank border kept inside every label.
    """

    columns: int = 3
    rows: int = 8
    label_width: float = 70.0
    label_height: float = 37.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    margin_left: float | None = None
    margin_top: float | None = None
    padding: float = 3.0

    @property
    def per_page(self) -> int:
        """Labels on one sheet."""
        return self.columns * self.rows


# --------------------------------------------------------------------------- event summary


@dataclass(frozen=True, kw_only=True)
class ItemResult:
    """One test of an event batch: item, verdict code and reading."""

    item: str
    outcome: str
    value: Decimal | None = None
    value_text: str | None = None
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class EventBatch:
    """A batch tested for an event.

    code, food, supplier, origin, quantity_kg, sampled_at: the batch; venue: kitchen or venue;
    results: its tests; handling: how a positive was handled, in words, else None.
    untested: planned test items without a reviewed result (the batch is not fully tested).
    """

    code: str
    food: str
    sampled_at: datetime
    results: tuple[ItemResult, ...]
    supplier: str | None = None
    origin: str | None = None
    quantity_kg: Decimal | None = None
    venue: str | None = None
    handling: str | None = None
    untested: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        """"positive" (any item positive), "retest" (any suspect or invalid, none positive),
        "untested" (no result, or a planned item without one) or "negative" (every planned
        item tested negative). Results are in test order: a repeat replaces an earlier test."""
        latest = {r.item: r.outcome for r in self.results}
        if "positive" in latest.values():
            return "positive"
        if {"suspect", "invalid"} & set(latest.values()):
            return "retest"
        if not latest or self.untested:
            return "untested"
        return "negative"


@dataclass(frozen=True, kw_only=True)
class EventFigures:
    """What an event's testing amounts to, batches and tests counted apart.

    batches: batches sampled; by verdict (see :attr:`EventBatch.verdict`): negative_batches,
    positive_batches, retest_batches, untested_batches; tests: results printed and by outcome
    negatives, positives, suspects, invalids.
    """

    batches: int = 0
    negative_batches: int = 0
    positive_batches: int = 0
    retest_batches: int = 0
    untested_batches: int = 0
    tests: int = 0
    negatives: int = 0
    positives: int = 0
    suspects: int = 0
    invalids: int = 0

    @property
    def tested_batches(self) -> int:
        return self.batches - self.untested_batches

    @property
    def all_negative(self) -> bool:
        """True only when there were batches and every one was tested and found negative."""
        return self.batches > 0 and self.negative_batches == self.batches

    @classmethod
    def of(cls, batches: Sequence[EventBatch]) -> EventFigures:
        verdicts = [b.verdict for b in batches]
        outcomes = [r.outcome for b in batches for r in b.results]
        return cls(batches=len(batches), negative_batches=verdicts.count("negative"),
                   positive_batches=verdicts.count("positive"), retest_batches=verdicts.count("retest"),
                   untested_batches=verdicts.count("untested"), tests=len(outcomes),
                   negatives=outcomes.count("negative"), positives=outcomes.count("positive"),
                   suspects=outcomes.count("suspect"), invalids=outcomes.count("invalid"))


@dataclass(frozen=True, kw_only=True)
class EventSummary:
    """The event guarantee summary (活动保障快检汇总).

    name, kind ("banquet" 农村家宴 / "major_event" 重大活动保障), starts_on/ends_on;
    host: host family or organisation (主办); organiser: who ran it (承办);
    venues, people_served, tables: where and for whom; batches: what was tested.
    """

    issuer: Issuer
    name: str
    kind: str
    starts_on: date
    batches: tuple[EventBatch, ...]
    ends_on: date | None = None
    host: str | None = None
    organiser: str | None = None
    venues: tuple[str, ...] = ()
    people_served: int | None = None
    tables: int | None = None
    report_no: str | None = None
    generated_at: datetime | None = None
    counts: EventFigures | None = None  # the figures as the application counted them (its one source)

    @property
    def figures(self) -> EventFigures:
        """The event's figures: as counted by the application when given, else from its batches."""
        return self.counts if self.counts is not None else EventFigures.of(self.batches)


# --------------------------------------------------------------------------- Excel export


@dataclass(frozen=True, kw_only=True)
class ResultExportRow:
    """One result as exported to Excel (the fields provincial platforms ask for).

    batch_code, sampled_at, sampled_by: the batch; site, site_kind (code: market, wholesale,
    supermarket, canteen, banquet, event, other), district, stall, operator: where;
    event: event name or None; food, category_l1, category_l2: what; supplier, origin,
    quantity_kg: purchase check; item_code, item_name, method, principle: the test;
    reagent_lot, reagent_maker, instrument, station, channel: how and where tested;
    value / value_text, unit, cutoff: reading; outcome: our verdict code;
    instrument_outcome: the instrument's word normalised to a code, or None;
    disagrees: instrument and our verdict (or raw signals) differ;
    tested_at, tester, reviewed_at, reviewer: people and times; version: result version
    (1 for the original), correction_reason: why it was corrected;
    disposition_status: status code for positives, else None.
    """

    batch_code: str
    sampled_at: datetime
    site: str
    food: str
    item_name: str
    outcome: str
    tested_at: datetime
    sampled_by: str | None = None
    site_kind: str | None = None
    district: str | None = None
    stall: str | None = None
    operator: str | None = None
    event: str | None = None
    category_l1: str | None = None
    category_l2: str | None = None
    supplier: str | None = None
    origin: str | None = None
    quantity_kg: Decimal | None = None
    item_code: str | None = None
    method: str | None = None
    principle: str | None = None
    reagent_lot: str | None = None
    reagent_maker: str | None = None
    instrument: str | None = None
    station: str | None = None
    channel: str | None = None
    value: Decimal | None = None
    value_text: str | None = None
    unit: str | None = None
    cutoff: str | None = None
    instrument_outcome: str | None = None
    disagrees: bool = False
    tester: str | None = None
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    version: int = 1
    correction_reason: str | None = None
    disposition_status: str | None = None


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True, kw_only=True)
class ChartSeries:
    """One data series of a line chart.

    name: legend text; values: one per category; right_axis: scaled on a second (right) axis;
    bars: drawn as bars instead of a line (e.g. sparse counts next to a trend line);
    colour: #rrggbb, None for the palette colour.
    """

    name: str
    values: tuple[int | Decimal, ...]
    right_axis: bool = False
    bars: bool = False
    colour: str | None = None


@dataclass(frozen=True, kw_only=True)
class LineChart:
    """A line chart over categories (e.g. days) with one or two series.

    title: chart title (also the SVG <title>); categories: x labels; series: the lines;
    y_label / y2_label: axis captions (left / right), None to omit;
    label_every: print every n-th category label (0: choose automatically);
    empty_text: shown when there is nothing to draw.
    """

    title: str
    categories: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    y_label: str | None = None
    y2_label: str | None = None
    label_every: int = 0
    empty_text: str = ""


@dataclass(frozen=True, kw_only=True)
class BarChart:
    """A bar chart: one bar per category.

    title: chart title; categories, values: bars; horizontal: bars grow to the right
    (long names); percent: values are fractions printed as percentages;
    value_label: axis caption, None to omit; empty_text: shown when there are no bars;
    colour: bar colour (#rrggbb); colours: per-bar colours overriding it (may be shorter).
    """

    title: str
    categories: tuple[str, ...]
    values: tuple[int | Decimal, ...]
    horizontal: bool = False
    percent: bool = False
    value_label: str | None = None
    empty_text: str = ""
    colour: str = "#2f6fb0"
    colours: tuple[str, ...] = ()
