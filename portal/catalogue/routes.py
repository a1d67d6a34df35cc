"""The portal's start page (the catalogue), each e-service's start page, and the general pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from shared.errors import NotFound
from shared.services import catalogue

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def start():
    search = (request.args.get("q") or "").strip()[:100]
    return render_template("portal/start.html", groups=catalogue.enabled_eservices_by_category(search), search=search)


@bp.get("/e-tjanster/<slug>")
def eservice(slug: str):
    try:
        found = catalogue.eservice_by_slug(slug)
    except NotFound:
        abort(404)
    return render_template("portal/eservice.html", eservice=found, personal_data=catalogue.personal_data_text(found))


@bp.get("/tillganglighet")
def accessibility():
    return render_template("portal/accessibility.html")


@bp.get("/personuppgifter")
def privacy():
    return render_template("portal/privacy.html")
