"""Statusgrupper (F-ES-5): status groups and their ordered statuses with every rule.

URLs under /byggare/statusgrupper: ``/`` list, ``/ny`` add a group, ``/<id>`` the group with
its statuses, ``/<id>/andra`` rename, ``/<id>/ta-bort`` delete; ``/<id>/statusar/ny`` add a
status, ``/<id>/statusar/<sid>`` change it, ``…/flytta`` move it up or down, ``…/ta-bort``
delete it. The rules are in shared.services.statuses.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.builder_core_base import BuilderScreen, actor
from shared.errors import DomainError, Invalid
from shared.models import DeletePolicy, Status, StatusGroup, StatusKind
from shared.services import statuses

GROUP_LABELS = {"name": _l("Name"), "description": _l("Description")}
STATUS_LABELS = {
    "name": _l("Name"),
    "citizen_label": _l("Text shown to the applicant"),
    "kind": _l("Kind"),
    "deletable_by": _l("Who may delete a case in this status"),
    "applicant_may_message": _l("The applicant may write messages"),
    "applicant_message_days": _l("For how many days"),
    "applicant_may_supplement": _l("The applicant may add supplements"),
    "pauses_due_date": _l("Pauses the due date (waiting for the applicant)"),
    "is_final": _l("Final: closes the case"),
    "default_message": _l("Default message on entering the status"),
}
NEW_STATUS: dict[str, Any] = {
    "kind": StatusKind.IN_PROGRESS.value,
    "deletable_by": DeletePolicy.NOBODY.value,
    "applicant_may_message": True,
}


def _status_values(status: Status) -> dict[str, Any]:
    values = {field: getattr(status, field) for field in statuses.STATUS_FIELDS}
    values["kind"] = status.kind.value
    values["deletable_by"] = status.deletable_by.value
    return values


class BuilderStatusGroupsView(BuilderScreen):
    route_base = "/byggare/statusgrupper"
    default_view = "list"
    method_permission_name = {
        "list": "list",
        "show": "show",
        "add": "add",
        "edit": "edit",
        "delete": "delete",
        "status_add": "add",
        "status_edit": "edit",
        "status_move": "edit",
        "status_delete": "delete",
    }

    # -- the groups -------------------------------------------------------------------------

    @expose("/")
    @staff_access
    def list(self):
        rows = self.load(statuses.list_status_groups, back=url_for("StartView.start"))
        return self.render_template(
            "backoffice/builder/core_status_group_list.html", rows=rows, title=_("Status groups")
        )

    @expose("/ny", methods=["GET", "POST"])
    @staff_access
    def add(self):
        if request.method == "POST":
            return self.submit(
                statuses.create_status_group,
                redraw=lambda data, error: self._group_form(None, data, error),
                back=url_for(f"{self.endpoint}.list"),
                done=lambda group: (
                    _("The status group %(name)s has been created with the standard statuses.", name=group.name),
                    url_for(f"{self.endpoint}.show", group_id=group.id),
                ),
            )
        return self._group_form(None, {})

    @expose("/<int:group_id>")
    @staff_access
    def show(self, group_id: int):
        group = self.load(statuses.get_status_group, group_id, back=url_for(f"{self.endpoint}.list"))
        used_by = next((names for each, names in statuses.list_status_groups(actor=actor()) if each.id == group.id), [])
        return self.render_template(
            "backoffice/builder/core_status_group.html",
            group=group,
            ordered=sorted(group.statuses, key=lambda s: (s.sort_order, s.id)),
            counts=statuses.cases_per_status(group),
            used_by=used_by,
            kind_labels=statuses.KIND_LABELS,
            policy_labels=statuses.DELETE_POLICY_LABELS,
            title=group.name,
        )

    @expose("/<int:group_id>/andra", methods=["GET", "POST"])
    @staff_access
    def edit(self, group_id: int):
        group = self.load(statuses.get_status_group, group_id, back=url_for(f"{self.endpoint}.list"))
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        if request.method == "POST":
            return self.submit(
                statuses.update_status_group,
                group_id,
                redraw=lambda data, error: self._group_form(group, data, error),
                back=back,
                done=lambda _result: (_("The changes to %(name)s have been saved.", name=group.name), back),
            )
        return self._group_form(group, {"name": group.name, "description": group.description})

    @expose("/<int:group_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, group_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        try:
            group = statuses.get_status_group(group_id, actor=actor())
            if request.method == "POST":
                name = group.name
                statuses.delete_status_group(group_id, actor=actor())
                return self.saved(
                    _("The status group %(name)s has been deleted.", name=name), url_for(f"{self.endpoint}.list")
                )
        except DomainError as error:
            return self.fail(error, back)
        return self.confirm(
            title=_("Delete the status group %(name)s?", name=group.name),
            explanation=_("The status group is deleted with all its statuses. This cannot be undone."),
            button=_("Delete the status group"),
            action=url_for(f"{self.endpoint}.delete", group_id=group_id),
            cancel=back,
            crumbs=[(url_for(f"{self.endpoint}.list"), _("Status groups")), (back, group.name), (None, _("Delete"))],
        )

    def _group_form(self, group: StatusGroup | None, values: dict[str, Any], error: Invalid | None = None):
        return self.form_page(
            "core_status_group_form.html",
            values,
            error,
            group=group,
            labels=GROUP_LABELS,
            action=url_for(f"{self.endpoint}.edit", group_id=group.id) if group else url_for(f"{self.endpoint}.add"),
            title=_("Change the status group") if group else _("New status group"),
        )

    # -- the statuses of a group ------------------------------------------------------------

    @expose("/<int:group_id>/statusar/ny", methods=["GET", "POST"])
    @staff_access
    def status_add(self, group_id: int):
        group = self.load(statuses.get_status_group, group_id, back=url_for(f"{self.endpoint}.list"))
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        if request.method == "POST":
            return self.submit(
                statuses.create_status,
                group_id,
                redraw=lambda data, error: self._status_form(group, None, data, error),
                back=back,
                done=lambda status: (_("The status %(name)s has been added.", name=status.name), back),
            )
        return self._status_form(group, None, dict(NEW_STATUS))

    @expose("/<int:group_id>/statusar/<int:status_id>", methods=["GET", "POST"])
    @staff_access
    def status_edit(self, group_id: int, status_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        status = self.load(statuses.get_status, group_id, status_id, back=back)
        if request.method == "POST":
            return self.submit(
                statuses.update_status,
                group_id,
                status_id,
                redraw=lambda data, error: self._status_form(status.group, status, data, error),
                back=back,
                done=lambda _result: (_("The changes to %(name)s have been saved.", name=status.name), back),
            )
        return self._status_form(status.group, status, _status_values(status))

    @expose("/<int:group_id>/statusar/<int:status_id>/flytta", methods=["POST"])
    @staff_access
    def status_move(self, group_id: int, status_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        direction = -1 if request.form.get("direction") == "up" else 1
        try:
            status = statuses.move_status(group_id, status_id, direction, actor=actor())
        except DomainError as error:
            return self.fail(error, back)
        return self.saved(_("The status %(name)s has been moved.", name=status.name), back + f"#status-{status_id}")

    @expose("/<int:group_id>/statusar/<int:status_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def status_delete(self, group_id: int, status_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        try:
            status = statuses.get_status(group_id, status_id, actor=actor())
            if request.method == "POST":
                name = status.name
                statuses.delete_status(group_id, status_id, actor=actor())
                return self.saved(_("The status %(name)s has been deleted.", name=name), back)
        except DomainError as error:
            return self.fail(error, back)
        return self.confirm(
            title=_("Delete the status %(name)s?", name=status.name),
            explanation=_("The status is taken out of the status group %(group)s.", group=status.group.name),
            button=_("Delete the status"),
            action=url_for(f"{self.endpoint}.status_delete", group_id=group_id, status_id=status_id),
            cancel=back,
            crumbs=[
                (url_for(f"{self.endpoint}.list"), _("Status groups")),
                (back, status.group.name),
                (None, status.name),
            ],
        )

    def _status_form(
        self, group: StatusGroup, status: Status | None, values: dict[str, Any], error: Invalid | None = None
    ):
        if status is None:
            action = url_for(f"{self.endpoint}.status_add", group_id=group.id)
            title = _("New status in %(group)s", group=group.name)
        else:
            action = url_for(f"{self.endpoint}.status_edit", group_id=group.id, status_id=status.id)
            title = _("Change the status %(name)s", name=status.name)
        return self.form_page(
            "core_status_form.html",
            values,
            error,
            group=group,
            status=status,
            labels=STATUS_LABELS,
            kind_options=[(kind.value, str(label)) for kind, label in statuses.KIND_LABELS.items()],
            policy_options=[(policy.value, str(label)) for policy, label in statuses.DELETE_POLICY_LABELS.items()],
            action=action,
            title=title,
        )
