"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

from cml_earth import create_app

app = create_app()
