"""Handläggare och grupper: who handles an e-service (a section of the e-service's hub).

A handler (a user with the Handler role) or a handler group is linked to the e-service,
with or without begränsad behörighet (restricted: sees only the cases assigned to them or
their group), possibly for a period (valid from/to, F-ES-14). URLs under
/byggare/etjanster/<id>/handlaggare; the services are in shared.services.eservices.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.builder_common import ROUTE_BASE
from backoffice.views.builder_core_base import BuilderScreen, actor
from shared import clock
from shared.errors import DomainError, Invalid
from shared.models import EService, HandlerLink
from shared.services import eservices

FIELD_LABELS = {
    "user_id": _l("Handler"),
    "group_id": _l("Group"),
    "restricted": _l("Restricted access"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
}


def _link_values(link: HandlerLink) -> dict[str, Any]:
    return {
        "restricted": link.restricted,
        "valid_from": link.valid_from.isoformat() if link.valid_from else "",
        "valid_to": link.valid_to.isoformat() if link.valid_to else "",
    }


class BuilderHandlerLinksView(BuilderScreen):
    route_base = ROUTE_BASE
    default_view = "index"
    method_permission_name = {"index": "list", "edit": "edit", "delete": "delete"}

    @expose("/<int:eservice_id>/handlaggare", methods=["GET", "POST"])
    @staff_access
    def index(self, eservice_id: int):
        """The e-service's handlers and groups, and the form that links another one."""
        back = url_for("BuilderEServicesView.list")
        if request.method == "POST":
            return self.submit(
                eservices.add_handler_link,
                eservice_id,
                redraw=lambda data, error: self._page(eservice_id, data, error),
                back=back,
                done=lambda link: (
                    _("%(name)s is now handler for the e-service.", name=eservices.link_name(link)),
                    url_for(f"{self.endpoint}.index", eservice_id=eservice_id),
                ),
            )
        return self._page(eservice_id, {}, None)

    def _page(self, eservice_id: int, values: dict[str, Any], error: Invalid | None):
        eservice, links = self.load(
            eservices.list_handler_links, eservice_id, back=url_for("BuilderEServicesView.list")
        )
        linked_users = {link.user_id for link in links if link.user_id}
        linked_groups = {link.group_id for link in links if link.group_id}
        choices = eservices.form_choices(None)
        return self.form_page(
            "core_handler_links.html",
            values,
            error,
            eservice=eservice,
            links=links,
            today=clock.today(),
            link_name=eservices.link_name,
            user_options=[
                (u.id, f"{u.display_name} ({u.username})") for u in choices.handlers if u.id not in linked_users
            ],
            group_options=[(g.id, g.name) for g in choices.groups if g.id not in linked_groups],
            labels=FIELD_LABELS,
            title=_("Handlers and groups: %(name)s", name=eservice.name),
        )

    @expose("/<int:eservice_id>/handlaggare/<int:link_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, eservice_id: int, link_id: int):
        """Change a link's restriction or period."""
        back = url_for(f"{self.endpoint}.index", eservice_id=eservice_id)
        eservice, links = self.load(
            eservices.list_handler_links, eservice_id, back=url_for("BuilderEServicesView.list")
        )
        link = next((each for each in links if each.id == link_id), None)
        if link is None:
            abort(404)
        if request.method == "POST":
            return self.submit(
                eservices.update_handler_link,
                eservice_id,
                link_id,
                redraw=lambda data, error: self._edit_page(eservice, link, data, error),
                back=back,
                done=lambda _result: (
                    _("The changes to %(name)s have been saved.", name=eservices.link_name(link)),
                    back,
                ),
            )
        return self._edit_page(eservice, link, _link_values(link), None)

    def _edit_page(self, eservice: EService, link: HandlerLink, values: dict[str, Any], error: Invalid | None):
        return self.form_page(
            "core_handler_link_form.html",
            values,
            error,
            eservice=eservice,
            link=link,
            name=eservices.link_name(link),
            labels=FIELD_LABELS,
            title=_("Change the handler link of %(name)s", name=eservices.link_name(link)),
        )

    @expose("/<int:eservice_id>/handlaggare/<int:link_id>/ta-bort", methods=["POST"])
    @staff_access
    def delete(self, eservice_id: int, link_id: int):
        """Take the handler or group off the e-service."""
        back = url_for(f"{self.endpoint}.index", eservice_id=eservice_id)
        try:
            eservices.delete_handler_link(eservice_id, link_id, actor=actor())
        except DomainError as error:
            return self.fail(error, back)
        return self.saved(_("The handler link has been removed."), back)
