"""Who the citizen is during a visit: ``session["citizen_id"]``, loaded into ``g.citizen``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, redirect, request, session, url_for

from shared.db import db
from shared.models import Citizen

SESSION_KEY = "citizen_id"


def load_citizen() -> None:
    citizen_id = session.get(SESSION_KEY)
    g.citizen = db.session.get(Citizen, citizen_id) if citizen_id else None
    if citizen_id and g.citizen is None:  # the citizen was removed meanwhile
        session.pop(SESSION_KEY, None)


def log_in(citizen: Citizen) -> None:
    """Start a fresh session for the citizen: nothing from before the login is kept but the language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[SESSION_KEY] = citizen.id
    session.permanent = True  # PERMANENT_SESSION_LIFETIME ends an idle visit


def log_out() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def citizen_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send a visitor who is not logged in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("citizen") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
