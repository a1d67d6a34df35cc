"""The portal's start page (the catalogue) and its general pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.catalogue.queries import enabled_eservices_by_category

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def start():
    return render_template("portal/start.html", groups=enabled_eservices_by_category())


@bp.get("/tillganglighet")
def accessibility():
    return render_template("portal/accessibility.html")


@bp.get("/personuppgifter")
def privacy():
    return render_template("portal/privacy.html")
