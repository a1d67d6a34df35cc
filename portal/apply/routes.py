"""Filling in and submitting an e-service's form (the application flow)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("apply", __name__)
