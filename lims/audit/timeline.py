"""The audit entries of a batch told in words for its timeline
("王丽 09:12 录入 有机磷… 抑制率 63.5% → 阳性")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from lims import labels
from lims.extensions import db
from lims.i18n import format_local
from lims.models import AuditEntry, TestItem, User


@dataclass
class TimelineEntry:
    at: datetime
    who: str
    text: str
    reason: str | None
    kind: str  # for the colour of the dot


def _outcome(o):
    return str(labels.OUTCOME_LABELS.get(o, o or ""))


def _status(s):
    return str(labels.STATUS_LABELS.get(s, s or ""))


def _when(value):
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_local(value)


def _trim(value) -> str:
    """A stored number without the column's padding ("12.3000" → "12.3")."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral():
        number = number.quantize(Decimal(1))
    return format(number, "f")


def _reading(after: dict, rule: str | None = None) -> str:
    """The reading as technicians say it: "抑制率 12.3 %" for enzyme inhibition, "T/C 0.917"
    for a gold card, a value in its unit, or the word that was read; "" for a result read
    only as 阴性/阳性 (the outcome says it)."""
    computed = after.get("computed_value")
    if rule == "inhibition" or after.get("control_delta") not in (None, ""):
        value = computed if computed not in (None, "") else after.get("value")
        if value not in (None, ""):
            return gettext("inhibition %(v)s %%", v=_trim(value))
    if rule == "gold" or after.get("tc_ratio") not in (None, "") or after.get("c_line") not in (None, ""):
        value = after.get("tc_ratio") if after.get("tc_ratio") not in (None, "") else computed
        if value in (None, "") and rule == "gold":
            value = after.get("value")
        if value not in (None, ""):
            return f"T/C {_trim(value)}"
    for key in ("value", "computed_value"):
        if after.get(key) not in (None, ""):
            unit = after.get("unit")
            return f"{_trim(after[key])}{' ' + unit if unit else ''}"
    return after.get("value_text") or ""


def _result_facts(result) -> dict:
    """What the timeline needs of a stored result (entries written in bulk carry less)."""
    from lims.results.services import RESULT_FIELDS

    return {f: getattr(result, f) for f in RESULT_FIELDS} | {"item": result.item.code if result.item else None}


def _recorded(item: str, reading: str, outcome: str) -> str:
    if reading:
        return gettext("recorded %(item)s %(reading)s → %(outcome)s", item=item, reading=reading, outcome=outcome)
    return gettext("recorded %(item)s → %(outcome)s", item=item, outcome=outcome)


def batch_value(key: str, value) -> str:
    """One registration value as people read it (a time in local time, kg without padding)."""
    if value in (None, ""):
        return "—"
    if key == "sampled_at":
        return _when(value)
    if key == "quantity_kg":
        return f"{_trim(value)} kg"
    if key == "purchase_date":
        return str(value)[:10]
    return str(value)


def _changes(before: dict, after: dict) -> str:
    parts = []
    for key in labels.BATCH_FIELD_LABELS:
        if key in after or key in before:
            parts.append(gettext("%(field)s %(old)s → %(new)s", field=str(labels.BATCH_FIELD_LABELS[key]),
                                 old=batch_value(key, before.get(key)), new=batch_value(key, after.get(key))))
    return "；".join(parts)


def describe(entry: AuditEntry, items: dict[str, str], result: dict | None = None,
             rules: dict[str, str] | None = None, closed_late: bool = False) -> str:
    """The entry in words. ``result`` is the stored result an entry about a result names (entries
    written in bulk by imports and the demo carry only the outcome), ``rules`` the judging rule
    of each item code, ``closed_late`` whether the disposition closed after its deadline."""
    a, b = entry.after or {}, entry.before or {}
    rules = rules or {}
    if result and entry.subject_type == "result":
        a = {**result, **{k: v for k, v in a.items() if v not in (None, "")}}
    item_code = a.get("item") or b.get("item")
    item = items.get(item_code, item_code or "")
    rule = rules.get(item_code)
    action = entry.action
    if action == "batch.create":
        return gettext("registered the batch (%(food)s; tests: %(tests)s)", food=a.get("food", ""),
                       tests="、".join(items.get(t, t) for t in a.get("tests", [])) or "—")
    if action == "batch.correct":
        return gettext("corrected the registration: %(changes)s", changes=_changes(b, a))
    if action == "batch.void":
        return gettext("voided the batch (registered by mistake): it counts in no figure")
    if action == "batch.change_request":
        if a.get("kind") == "void":
            return gettext("asked a reviewer to void the batch")
        return gettext("asked a reviewer to correct the registration: %(changes)s",
                       changes=_changes(b, {k: v for k, v in a.items() if k not in ("kind", "request")}))
    if action == "batch.change_reject":
        if a.get("kind") == "void":
            return gettext("rejected the request to void the batch")
        return gettext("rejected the requested correction")
    if action == "result.create":
        return _recorded(item, _reading(a, rule), _outcome(a.get("outcome")))
    if action == "result.correct":
        old = " ".join(p for p in (_reading(b, rule), _outcome(b.get("outcome"))) if p)
        new = " ".join(p for p in (_reading(a, rule), _outcome(a.get("outcome"))) if p)
        return gettext("corrected %(item)s to version %(v)s: %(old)s → %(new)s", item=item, v=a.get("version"),
                       old=old, new=new)
    if action == "result.review":
        reading = _reading(a, rule)
        return gettext("reviewed %(item)s (%(outcome)s)", item=item,
                       outcome=" ".join(p for p in (reading, _outcome(a.get("outcome"))) if p))
    if action == "result.reject":
        return gettext("sent %(item)s back for a retest", item=item)
    if action == "disposition.open":
        return gettext("positive: sale stopped at once")
    if action == "disposition.notify":
        if a.get("person"):
            return gettext("notified the seller %(person)s; objection window until %(deadline)s",
                           person=a["person"], deadline=_when(a.get("objection_deadline")))
        return gettext("notified the seller; objection window until %(deadline)s",
                       deadline=_when(a.get("objection_deadline")))
    if action == "disposition.objection":
        return gettext("recorded an objection: retest by %(lab)s using %(method)s", lab=a.get("lab", ""),
                       method=a.get("method", ""))
    if action == "disposition.lab_result":
        return gettext("laboratory result %(outcome)s (report %(no)s) → %(status)s", outcome=_outcome(a.get("outcome")),
                       no=a.get("report_no", ""), status=_status(a.get("status")))
    if action == "disposition.disposal":
        text = gettext("%(action)s %(kg)s kg%(supervisor)s",
                       action=str(labels.DISPOSAL_ACTION_LABELS.get(a.get("action"), a.get("action"))),
                       kg=a.get("quantity_kg", ""),
                       supervisor=gettext(", supervised by %(name)s", name=a["supervisor"]) if a.get("supervisor") else "")
        if a.get("status") == "disposed":
            text += (gettext("; the whole quantity is accounted for: closed after the deadline")
                     if closed_late else gettext("; the whole quantity is accounted for: closed"))
        return text
    if action == "disposition.reopen":
        return gettext("another positive: sale stopped again")
    if action == "disposition.withdraw":
        return gettext("the corrected results show no positive: the stop of sale is withdrawn")
    if action == "disposition.window_closed":
        return gettext("the objection window closed unused: the positive stands")
    if action == "disposition.inform_regulator":
        return gettext("informed the regulator")
    if action == "photo.add":
        return gettext("added a photo")
    if action == "import.commit":
        return gettext("imported results from %(file)s", file=a.get("filename", ""))
    if action == "import.results":
        return ngettext("imported %(num)d result from %(file)s", "imported %(num)d results from %(file)s",
                        a.get("count", 0), file=a.get("filename", ""))
    return action


def _import_events(batch_id: int) -> list[AuditEntry]:
    """Results that came from files: one event per file (the import's own audit entry
    covers them; see ``imports.services``)."""
    from lims.models import Import, Result

    rows = db.session.execute(
        sa.select(Import.id, Import.filename, Import.created_at, Import.created_by_id, sa.func.count(Result.id))
        .join(Result, Result.import_id == Import.id).where(Result.batch_id == batch_id)
        .group_by(Import.id, Import.filename, Import.created_at, Import.created_by_id)).all()
    return [AuditEntry(at=r.created_at, user_id=r.created_by_id, action="import.results", subject_type="import",
                       subject_id=str(r.id), after={"filename": r.filename, "count": r[4]}) for r in rows]


def batch_timeline(batch) -> list[TimelineEntry]:
    """The story of ``batch`` (read with its results, every version, and its disposition)."""
    # State snapshots (``*.state``, ``*.baseline``) are bookkeeping for reconciliation: the events
    # that moved the state tell the story.
    from lims.rules.disposition import hours_overdue

    entries = db.session.execute(sa.select(AuditEntry).where(
        AuditEntry.batch_id == batch.id, AuditEntry.action.not_like("%.state"),
        AuditEntry.action.not_like("%.baseline")).order_by(AuditEntry.seq)).scalars().all()
    if any(r.import_id is not None for r in batch.results):
        entries = list(entries) + _import_events(batch.id)
    reference = db.session.execute(sa.select(TestItem.code, TestItem.name, TestItem.rule)).all()
    items = {r.code: r.name for r in reference}
    rules = {r.code: r.rule for r in reference}
    results = {str(r.id): _result_facts(r) for r in batch.results}
    d = batch.disposition
    closed_late = d is not None and d.status == "disposed" and d.closed_at is not None and \
        hours_overdue("disposed", d.disposal_due_at, d.closed_at, d.closed_at) is not None
    user_ids = {e.user_id for e in entries if e.user_id}
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(
        User.id.in_(user_ids))).all()) if user_ids else {}
    out = []
    for e in entries:
        kind = e.action.split(".")[0]
        result = results.get(e.subject_id) if e.subject_type == "result" else None
        outcome = (e.after or {}).get("outcome") or (result or {}).get("outcome")
        if e.action == "result.create" and outcome == "positive":
            kind = "positive"
        if e.action == "batch.void":
            kind = "void"
        out.append(TimelineEntry(e.at, names.get(e.user_id, e.actor or gettext("system")),
                                 describe(e, items, result, rules, closed_late), e.reason, kind))
    return sorted(out, key=lambda t: t.at)
