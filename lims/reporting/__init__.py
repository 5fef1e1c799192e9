"""Gathering the figures and facts for reports (SQL in, plain data out) and handing them to
the renderers in ``reports/``."""
