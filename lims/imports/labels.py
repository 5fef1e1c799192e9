"""What the import pages call things: each registered instrument file format by a name a
technician recognises (the format's own name, ``pesticide-csv``, is for the CLI and the API)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

FORMAT_LABELS = {
    "pesticide-csv": _l("Pesticide tester CSV"),
    "gold-xlsx": _l("Gold-card reader XLSX"),
    "analyzer-csv": _l("Multi-function analyser CSV"),
    "template-xlsx": _l("Entry template XLSX"),
}


def format_label(name: str | None) -> str:
    """A format's name in the reader's language (an unknown name as it is)."""
    if not name:
        return ""
    return str(FORMAT_LABELS.get(name, name))
