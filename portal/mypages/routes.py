"""Mina sidor (minimal for now): the citizen's cases and drafts."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from portal.auth.session import citizen_required
from portal.mypages.queries import drafts, submitted_cases

bp = Blueprint("mypages", __name__, url_prefix="/mina-sidor")


@bp.get("")
@citizen_required
def index():
    return render_template(
        "portal/mypages.html",
        citizen=g.citizen,
        cases=submitted_cases(g.citizen),
        drafts=drafts(g.citizen),
    )
