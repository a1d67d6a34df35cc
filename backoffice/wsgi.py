"""WSGI entry point: gunicorn "backoffice.wsgi:app"."""

from backoffice import create_app
from shared import heap

app = create_app()
heap.settle()  # the app's own objects out of the garbage collector's full passes
