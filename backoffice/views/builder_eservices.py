"""E-tjänster for builders (F-ES-1, F-ES-14): the list of e-services, adding and changing
one, and its hub page: key facts, versions, and links to every section of its configuration
(backoffice/views/eservice_sections.py).

URLs (Swedish, under /byggare/etjanster): ``/`` list with search and filters, ``/ny`` add,
``/<id>`` the hub, ``/<id>/andra`` change. The services are shared.services.eservices.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views import eservice_sections
from backoffice.views.access import staff_access
from backoffice.views.builder_common import ROUTE_BASE
from backoffice.views.builder_core_base import BuilderScreen
from backoffice.views.case_common import local_date, local_time
from shared.errors import Invalid
from shared.models import EService, VersionState
from shared.services import eservices
from shared.services.statuses import STANDARD_GROUP_NAME

FIELD_LABELS = {
    "name": _l("Name"),
    "slug": _l("Address in the portal"),
    "category_id": _l("Category"),
    "description": _l("Description"),
    "enabled": _l("Enabled (open for applications)"),
    "login": _l("Applicant login"),
    "due_days": _l("Due days"),
    "status_group_id": _l("Status group"),
    "colour_marking": _l("Colour marking"),
    "manual_add": _l("Handlers may add cases by hand"),
    "manual_add_personnummer": _l("Cases added by hand may be linked to a personal identity number"),
    "messages_enabled": _l("Messages to and from the applicant"),
    "documents_enabled": _l("Documents"),
    "subtasks_enabled": _l("Subtasks"),
    "edit_submitted_enabled": _l("Handlers may change submitted answers"),
    "queue_question_id": _l("Queue question"),
    "default_handler_id": _l("Default handler"),
    "default_group_id": _l("Default group"),
    "general_mailbox": _l("General mailbox"),
    "process_owner": _l("Process owner"),
    "information_owner": _l("Information owner"),
    "last_reviewed_on": _l("Last reviewed"),
}
VERSION_STATES = {
    VersionState.DRAFT: _l("Draft"),
    VersionState.PUBLISHED: _l("Published"),
    VersionState.RETIRED: _l("Retired"),
}
# The defaults of a new e-service, as the model has them.
NEW_VALUES: dict[str, Any] = {
    "enabled": True,
    "login": eservices.LOGIN_REQUIRED,
    "messages_enabled": True,
    "documents_enabled": True,
    "edit_submitted_enabled": True,
    "manual_add_personnummer": True,
}


def values_of(eservice: EService) -> dict[str, Any]:
    """What the form shows for a stored e-service."""
    values = {field: getattr(eservice, field) for field in eservices.EDITABLE_FIELDS}
    values["login"] = eservices.login_choice(eservice)
    values["last_reviewed_on"] = eservice.last_reviewed_on.isoformat() if eservice.last_reviewed_on else ""
    return values


def sections_of(eservice: EService) -> list[tuple[str, str]]:
    """(url, label) of every registered section of the e-service, in the order of SECTIONS."""
    found = []
    for endpoint, label in eservice_sections.SECTIONS:
        if endpoint in current_app.view_functions:
            found.append((url_for(endpoint, eservice_id=eservice.id), str(label)))
    return found


class BuilderEServicesView(BuilderScreen):
    route_base = ROUTE_BASE
    default_view = "list"
    method_permission_name = {"list": "list", "show": "show", "add": "add", "edit": "edit"}

    @expose("/")
    @staff_access
    def list(self):
        """Every e-service: search by name, filter on category and enabled."""
        search = (request.args.get("q") or "").strip()[:100]
        category_text = (request.args.get("kategori") or "").strip()
        category_id = int(category_text) if category_text.isdigit() and len(category_text) < 10 else None
        enabled_text = request.args.get("aktiv") or ""
        enabled = {"ja": True, "nej": False}.get(enabled_text)
        rows = self.load(
            eservices.list_eservices,
            search=search,
            category_id=category_id,
            enabled=enabled,
            back=url_for("StartView.start"),
        )
        return self.render_template(
            "backoffice/builder/core_eservice_list.html",
            rows=rows,
            search=search,
            category_id=category_id,
            enabled_text=enabled_text if enabled is not None else "",
            categories=eservices.list_categories_query(),
            filtered=bool(search or category_id is not None or enabled is not None),
            title=_("E-services"),
        )

    @expose("/ny", methods=["GET", "POST"])
    @staff_access
    def add(self):
        """A new e-service."""
        if request.method == "POST":
            return self.submit(
                eservices.create_eservice,
                redraw=lambda data, error: self._form(None, data, error),
                back=url_for(f"{self.endpoint}.list"),
                done=lambda eservice: (
                    _("The e-service %(name)s has been created.", name=eservice.name),
                    url_for(f"{self.endpoint}.show", eservice_id=eservice.id),
                ),
            )
        values = dict(NEW_VALUES)
        standard = next((g for g in eservices.form_choices().status_groups if g.name == STANDARD_GROUP_NAME), None)
        values["status_group_id"] = standard.id if standard else None
        return self._form(None, values)

    @expose("/<int:eservice_id>")
    @staff_access
    def show(self, eservice_id: int):
        """The e-service's hub: key facts, versions, and its sections."""
        hub = self.load(eservices.hub, eservice_id, back=url_for(f"{self.endpoint}.list"))
        eservice = hub.eservice
        return self.render_template(
            "backoffice/builder/core_eservice_hub.html",
            hub=hub,
            eservice=eservice,
            sections=sections_of(eservice),
            version_states=VERSION_STATES,
            local_time=local_time,
            local_date=local_date,
            title=eservice.name,
        )

    @expose("/<int:eservice_id>/andra", methods=["GET", "POST"])
    @staff_access
    def edit(self, eservice_id: int):
        """Change the e-service's settings."""
        eservice = self.load(eservices.get_eservice, eservice_id, back=url_for(f"{self.endpoint}.list"))
        if request.method == "POST":
            back = url_for(f"{self.endpoint}.show", eservice_id=eservice_id)
            return self.submit(
                eservices.update_eservice,
                eservice_id,
                redraw=lambda data, error: self._form(eservice, data, error),
                back=back,
                done=lambda _result: (_("The changes to %(name)s have been saved.", name=eservice.name), back),
            )
        return self._form(eservice, values_of(eservice))

    def _form(self, eservice: EService | None, values: dict[str, Any], error: Invalid | None = None):
        choices = eservices.form_choices(eservice)
        options = {
            "categories": [(c.id, c.name) for c in choices.categories],
            "status_groups": [(g.id, g.name) for g in choices.status_groups],
            "handlers": [(u.id, f"{u.display_name} ({u.username})") for u in choices.handlers],
            "groups": [(g.id, g.name) for g in choices.groups],
            "questions": choices.questions,
        }
        return self.form_page(
            "core_eservice_form.html",
            values,
            error,
            eservice=eservice,
            labels=FIELD_LABELS,
            options=options,
            title=_("Change %(name)s", name=eservice.name) if eservice else _("New e-service"),
        )
