"""The label sheet of a sampling round (QR + Code128 + text) for A4 label paper."""
from __future__ import annotations

from lims.reporting.batch import refuse_if_voided
from lims.reporting.common import font, local, report_text
from reports.data import SampleLabel
from reports.pdf.sample_labels import render_sample_labels


def round_labels_pdf(rnd, batches, codes=()) -> bytes:
    """Labels for the round's batches (or only those whose codes are given), in order. A voided
    batch gets no label; asking for one by its code is a Conflict saying it was voided."""
    wanted = {c.strip().upper() for c in codes if c.strip()}
    for b in batches:
        if b.code in wanted:
            refuse_if_voided(b)
    batches = [b for b in batches if not b.voided]
    items = [SampleLabel(batch_code=b.code, food=b.food, site=b.site.name, sampled_at=local(b.sampled_at),
                         stall=b.stall.code if b.stall else None,
                         sampled_by=b.sampled_by.display_name if b.sampled_by else None,
                         event=b.event.name if b.event else None)
             for b in batches if not wanted or b.code in wanted]
    return render_sample_labels(items, report_text(), font=font())
