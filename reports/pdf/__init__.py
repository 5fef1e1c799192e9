"""PDF renderers: plain data in, PDF bytes out (ReportLab platypus, CJK font embedded)."""
