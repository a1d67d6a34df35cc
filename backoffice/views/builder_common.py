"""What the pages under one e-service in the builder share (/byggare/etjanster/<id>/…).

The detail sections (builder_details), the rule sections (builder_rules) and the form editor
(form_editor) each show one e-service with a breadcrumb back to the builder's list and the
e-service's hub, and answer the services' NotAllowed/NotFound with 403/404. That lives here once.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request, url_for
from flask_appbuilder import BaseView

from backoffice.views.case_common import current_staff
from shared.errors import NotAllowed, NotFound
from shared.models import EService

ROUTE_BASE = "/byggare/etjanster"


def _url_for_rule(rule_text: str, fallback: str, **values: Any) -> str:
    """The URL of whichever view serves this rule.

    The hub and the list are builder_eservices' views; looking them up by URL rule (with a plain
    path as fallback) keeps these pages working in an app that registers only some builder views.
    """
    for rule in current_app.url_map.iter_rules():
        if rule.rule == rule_text and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint, **values)
    return fallback


def hub_url(eservice_id: int) -> str:
    """The e-service's hub page, listing every section."""
    return _url_for_rule(
        f"{ROUTE_BASE}/<int:eservice_id>", f"{request.script_root}{ROUTE_BASE}/{eservice_id}", eservice_id=eservice_id
    )


def list_url() -> str:
    """The builder's list of e-services."""
    return _url_for_rule(f"{ROUTE_BASE}/", f"{request.script_root}{ROUTE_BASE}/")


def call(func, *args: Any, **kwargs: Any) -> Any:
    """Run a service as the logged-in user; 403/404 for NotAllowed/NotFound, other errors to the caller."""
    try:
        return func(*args, actor=current_staff(), **kwargs)
    except NotAllowed:
        abort(403)
    except NotFound:
        abort(404)


class EServiceSectionView(BaseView):
    """A section page of one e-service: its breadcrumb (list › hub › section) and 403/404."""

    route_base = ROUTE_BASE
    default_view = "index"
    section_title: Any = ""

    def _call(self, func, *args: Any, **kwargs: Any) -> Any:
        return call(func, *args, **kwargs)

    def _render(self, template_name: str, eservice: EService, status: int = 200, **context: Any):
        context.setdefault("errors", {})
        context.setdefault("message", None)
        page = self.render_template(
            f"backoffice/builder/{template_name}",
            eservice=eservice,
            section_title=self.section_title,
            hub_url=hub_url(eservice.id),
            list_url=list_url(),
            title=f"{self.section_title}: {eservice.name}",
            **context,
        )
        return page, status
