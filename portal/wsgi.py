"""WSGI entry point: gunicorn "portal.wsgi:app"."""

from portal import create_app
from shared import heap

app = create_app()
heap.settle()  # the app's own objects out of the garbage collector's full passes
