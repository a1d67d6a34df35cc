"""WSGI entry point: gunicorn "backoffice.wsgi:app"."""

from backoffice import create_app

app = create_app()
