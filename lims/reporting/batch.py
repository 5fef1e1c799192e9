"""The test report of one batch (检测报告单): only reviewed results, unless a draft."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext

from lims import labels
from lims.batches.queries import batch_state
from lims.database import utcnow
from lims.dispositions.services import remaining_kg
from lims.errors import Conflict
from lims.reporting.common import font, issuer, local, reading_of, report_lang, report_text, verify_url
from lims.rules.disposition import TERMINAL_ACTIONS
from reports.data import BatchReport, DisposalAction, DispositionSummary, ObjectionSummary, ResultLine
from reports.pdf.batch_report import render_batch_report


def _cutoff_text(r) -> str | None:
    if r.cutoff is None:
        return None
    value = format(r.cutoff.normalize(), "f")
    if r.item.rule == "inhibition":
        return f"≥ {value}"
    if r.item.rule == "limit":
        return f"{'≤' if (r.item.limit_sign or '<=') == '<=' else '<'} {value}"
    if r.item.rule == "gold":
        return f"A {format(r.cutoff.normalize(), 'f')}"
    return value


def _line(r) -> ResultLine:
    lot = r.reagent_lot
    value, value_text, unit = reading_of(r.item.rule, r.value, r.computed_value, r.tc_ratio, r.unit, r.value_text)
    return ResultLine(
        item=r.item.name, outcome=r.outcome, method=r.method, reagent_lot=lot.lot if lot else None,
        reagent_maker=lot.maker if lot else None,
        instrument=f"{r.instrument.model} ({r.instrument.serial})" if r.instrument else None,
        value=value, value_text=value_text, unit=unit,
        cutoff=_cutoff_text(r), tested_at=local(r.tested_at), tested_by=r.tester_label or None,
        reviewed_at=local(r.reviewed_at), reviewed_by=r.reviewed_by.display_name if r.reviewed_by else None,
        note=gettext("heat pre-treated") if r.pretreated else None)


def _disposition(batch, now) -> DispositionSummary | None:
    d = batch.disposition
    if d is None:
        return None
    state = batch_state(batch, now)
    o = d.objection
    objection = None
    if o is not None:
        lab_value = f"{format(o.lab_value, 'f')} {o.lab_unit or ''}".strip() if o.lab_value is not None else None
        objection = ObjectionSummary(requested_at=local(o.requested_at), lab=o.lab, method=o.method,
                                     report_no=o.lab_report_no, lab_outcome=o.lab_outcome, lab_value=lab_value,
                                     fee=o.fee)
    actions = tuple(DisposalAction(action=str(labels.DISPOSAL_ACTION_LABELS[a.action]), quantity_kg=a.quantity_kg,
                                   done_at=local(a.done_at), method=a.method, place=a.place, done_by=a.done_by,
                                   supervisor=a.supervisor) for a in d.actions)
    disposed = sum((a.quantity_kg for a in d.actions if a.action in TERMINAL_ACTIONS), Decimal(0))
    return DispositionSummary(status=state.status, notified_at=local(d.notified_at),
                              objection_deadline=local(d.objection_deadline), objection=objection, actions=actions,
                              quantity_kg=batch.quantity_kg, disposed_kg=disposed, remaining_kg=remaining_kg(batch, d),
                              due_at=local(d.disposal_due_at), overdue=state.overdue)


def refuse_if_voided(batch) -> None:
    """A voided batch was registered by mistake and counts nowhere: nothing is issued for it
    (test report, sample label). Conflict with when and why it was voided."""
    if batch.voided:
        raise Conflict(gettext("Batch %(code)s was voided on %(day)s (%(reason)s): no test report or label is "
                               "issued for a voided batch.", code=batch.code,
                               day=local(batch.voided_at).date().isoformat() if batch.voided_at else "—",
                               reason=batch.void_reason or "—"))


def build_batch_report(batch, draft: bool = False) -> BatchReport:
    """The report's data. Final reports carry reviewed results only; an unreviewed batch
    can only be printed as a draft (Conflict otherwise). A voided batch (registered by mistake)
    has no test report, not even a draft: Conflict, naming when and why it was voided."""
    refuse_if_voided(batch)
    now = utcnow()
    current = sorted((r for r in batch.results if r.current), key=lambda r: (r.item.sort_order, r.tested_at))
    reviewed = [r for r in current if r.reviewed_at is not None]
    if not draft and (not reviewed or len(reviewed) != len(current)):
        raise Conflict(gettext("Only reviewed results are printed: review this batch first, or print a draft."))
    shown = current if draft else reviewed
    # A repeated test supersedes the suspect or invalid one in effect; print the latest per item.
    latest: dict[int, object] = {}
    for r in shown:
        if r.item_id not in latest or (r.tested_at, r.id) > (latest[r.item_id].tested_at, latest[r.item_id].id):
            latest[r.item_id] = r
    stall = batch.stall
    return BatchReport(
        issuer=issuer(batch.station, batch.site), report_no=f"KJ-{batch.code}", batch_code=batch.code,
        site=batch.site.name, food=batch.food, sampled_at=local(batch.sampled_at),
        results=tuple(_line(r) for r in latest.values()), stall=stall.code if stall else None,
        operator=stall.operator if stall else None, event=batch.event.name if batch.event else None,
        category=batch.category.path if batch.category else None,
        supplier=batch.supplier.name if batch.supplier else None, origin=batch.origin, quantity_kg=batch.quantity_kg,
        purchase_date=batch.purchase_date, certificate_no=batch.certificate_no,
        sampled_by=batch.sampled_by.display_name if batch.sampled_by else None,
        disposition=_disposition(batch, now), verify_url=verify_url(batch.code), issued_at=local(now))


def batch_report_pdf(batch, draft: bool = False) -> bytes:
    return render_batch_report(build_batch_report(batch, draft), report_text(), draft=draft, font=font(),
                               conclusions=labels.conclusion_words(report_lang()))
