"""WSGI entry point: gunicorn "portal.wsgi:app"."""

from portal import create_app

app = create_app()
