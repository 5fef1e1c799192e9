"""The audit entries of a batch told in words for its timeline
("王丽 09:12 录入 有机磷… 抑制率 63.5% → 阳性")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

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


def _reading(after: dict) -> str:
    """The reading as technicians say it: "抑制率" values with %, gold cards as T/C."""
    if after.get("tc_ratio") not in (None, "") or after.get("c_line") not in (None, ""):
        value = after.get("computed_value") if after.get("computed_value") not in (None, "") else after.get("tc_ratio")
        return f"T/C {value}" if value not in (None, "") else ""
    for key in ("computed_value", "value"):
        if after.get(key) not in (None, ""):
            unit = after.get("unit")
            return f"{after[key]}{' ' + unit if unit else ''}"
    return after.get("value_text") or ""


def describe(entry: AuditEntry, items: dict[str, str]) -> str:
    a, b = entry.after or {}, entry.before or {}
    action = entry.action
    if action == "batch.create":
        return gettext("registered the batch (%(food)s; tests: %(tests)s)", food=a.get("food", ""),
                       tests="、".join(items.get(t, t) for t in a.get("tests", [])) or "—")
    if action == "result.create":
        return gettext("recorded %(item)s %(reading)s → %(outcome)s", item=items.get(a.get("item"), a.get("item", "")),
                       reading=_reading(a), outcome=_outcome(a.get("outcome")))
    if action == "result.correct":
        return gettext("corrected %(item)s to version %(v)s: %(old)s → %(new)s",
                       item=items.get(a.get("item"), a.get("item", "")), v=a.get("version"),
                       old=_outcome(b.get("outcome")), new=_outcome(a.get("outcome")))
    if action == "result.review":
        return gettext("reviewed %(item)s (%(outcome)s)", item=items.get(a.get("item"), a.get("item", "")) or "",
                       outcome=_outcome(a.get("outcome")))
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
            text += gettext("; the whole quantity is accounted for: closed")
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
        return gettext("imported %(n)d result(s) from %(file)s", n=a.get("count", 0), file=a.get("filename", ""))
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


def batch_timeline(batch_id: int) -> list[TimelineEntry]:
    # State snapshots (``*.state``, ``*.baseline``) are bookkeeping for reconciliation: the events
    # that moved the state tell the story.
    entries = db.session.execute(sa.select(AuditEntry).where(
        AuditEntry.batch_id == batch_id, AuditEntry.action.not_like("%.state"),
        AuditEntry.action.not_like("%.baseline")).order_by(AuditEntry.seq)).scalars().all()
    entries = list(entries) + _import_events(batch_id)
    items = dict(db.session.execute(sa.select(TestItem.code, TestItem.name)).all())
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(
        User.id.in_({e.user_id for e in entries if e.user_id}))).all())
    out = []
    for e in entries:
        kind = e.action.split(".")[0]
        if e.action == "result.create" and (e.after or {}).get("outcome") == "positive":
            kind = "positive"
        out.append(TimelineEntry(e.at, names.get(e.user_id, e.actor or gettext("system")), describe(e, items),
                                 e.reason, kind))
    return sorted(out, key=lambda t: t.at)
