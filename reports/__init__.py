"""Report renderers: plain data (``reports.data``) in, PDF / XLSX bytes and SVG strings out.

Imports nothing from the web application or the database. Entry points:

- ``fonts.register_cjk_font`` — register the CJK font once (call at start-up with LIMS_PDF_FONT);
- ``pdf.batch_report.render_batch_report``, ``pdf.monthly_report.render_monthly_report``,
  ``pdf.board.render_board``, ``pdf.sample_labels.render_sample_labels``,
  ``pdf.event_summary.render_event_summary`` — PDFs;
- ``excel.results_export.write_results``, ``excel.monthly_workbook.write_monthly``,
  ``excel.template.import_template`` — workbooks;
- ``svg.line_chart_svg`` / ``svg.bar_chart_svg`` with ``monthly_charts`` — dashboard charts.
"""

from .excel.template import import_template
from .excel.monthly_workbook import write_monthly
from .excel.results_export import write_results
from .fonts import FontInfo, register_cjk_font
from .pdf.batch_report import render_batch_report
from .pdf.board import render_board
from .pdf.event_summary import render_event_summary
from .pdf.monthly_report import render_monthly_report
from .pdf.sample_labels import render_sample_labels

__all__ = [
    "FontInfo",
    "import_template",
    "register_cjk_font",
    "render_batch_report",
    "render_board",
    "render_event_summary",
    "render_monthly_report",
    "render_sample_labels",
    "write_monthly",
    "write_results",
]
