"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi lims …``."""
from lims import create_app

app = create_app()
