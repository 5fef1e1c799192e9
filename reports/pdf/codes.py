"""QR codes and Code128 barcodes for the PDFs (ReportLab's encoders, drawn as single paths)."""

from __future__ import annotations

import itertools
from functools import lru_cache

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import black
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

QUIET_MODULES = 10  # Code128 needs at least ten modules of blank space on each side


@lru_cache(maxsize=256)
def qr_runs(value: str, level: str = "M") -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """Encode ``value`` as a QR code: (modules per side, dark runs as (row, first column, length))."""
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(value)
    code.make()
    runs = []
    for r, row in enumerate(code.modules):
        c = 0
        for dark, group in itertools.groupby(bool(m) for m in row):
            length = len(list(group))
            if dark:
                runs.append((r, c, length))
            c += length
    return code.getModuleCount(), tuple(runs)


class QrCode(Flowable):
    """A QR code of ``value``, ``size`` points square including a quiet zone of ``border`` modules."""

    def __init__(self, value: str, size: float, level: str = "M", border: int = 2):
        super().__init__()
        self.value, self.size, self.level, self.border = value, size, level, border
        self.width = self.height = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.draw_at(self.canv, 0, 0)

    def draw_at(self, canvas: Canvas, x: float, y: float) -> None:
        """Draw with the lower-left corner at (x, y) on ``canvas``."""
        count, runs = qr_runs(self.value, self.level)
        box = self.size / (count + 2 * self.border)
        top = y + self.size - self.border * box
        left = x + self.border * box
        path = canvas.beginPath()
        for row, column, length in runs:
            path.rect(left + column * box, top - (row + 1) * box, length * box, box * 1.02)
        canvas.saveState()
        canvas.setFillColor(black)
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.restoreState()


def code128(value: str, width: float, height: float, min_bar: float = 0.6) -> Code128:
    """A Code128 barcode of ``value`` fitting ``width`` together with its quiet zones.

    Bars are no thinner than ``min_bar`` points; the barcode is drawn without
    human-readable text (callers print the code in the CJK font).
    """
    probe = Code128(value, barWidth=1.0, barHeight=height, quiet=0, humanReadable=0)
    bar = max(min_bar, min(1.2, width / (probe.width + 2 * QUIET_MODULES)))
    return Code128(value, barWidth=bar, barHeight=height, quiet=0, humanReadable=0)
