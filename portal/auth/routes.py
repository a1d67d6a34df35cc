"""Login and logout for citizens.

The development test login (``PORTAL_TEST_LOGIN``, never in production) lets a developer
or tester pick any citizen in the database. Real e-ID login (OpenID Connect, F-POR-2)
comes in a later issue and will use the same ``log_in``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.forms import TestLoginForm
from portal.auth.session import log_in, log_out
from shared.db import db
from shared.models import Citizen

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    """Only a path on this site, never another host (open redirect)."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return default


@bp.get("/logga-in")
def login():
    if current_app.config.get("PORTAL_TEST_LOGIN"):
        return redirect(url_for("auth.test_login", next=request.args.get("next")))
    return render_template("portal/login_unavailable.html")


@bp.route("/testinloggning", methods=["GET", "POST"])
def test_login():
    if not current_app.config.get("PORTAL_TEST_LOGIN"):
        abort(404)
    citizens = db.session.scalars(
        select(Citizen).order_by(Citizen.last_name, Citizen.first_name, Citizen.personnummer)
    ).all()
    form = TestLoginForm()
    form.citizen.choices = [(c.id, f"{c.full_name or '–'} ({c.personnummer_display})") for c in citizens]
    if form.validate_on_submit():
        citizen = db.session.get(Citizen, form.citizen.data)
        log_in(citizen)
        flash(_("You are logged in as %(name)s.", name=citizen.full_name or citizen.personnummer_display), "success")
        return redirect(_safe_next(url_for("mypages.index")))
    return render_template("portal/test_login.html", form=form, citizens=citizens, next=request.args.get("next"))


@bp.route("/logga-ut", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        # Logging out changes state: the page asks, the button posts (with CSRF).
        return render_template("portal/logout.html")
    log_out()
    flash(_("You are logged out."), "success")
    return redirect(url_for("catalogue.start"))
