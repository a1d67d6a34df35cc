"""Handläggargrupper (F-GRP-1): handler groups with members and a functional mailbox.

URLs under /byggare/grupper: ``/`` list, ``/ny`` add, ``/<id>`` the group with its members
and e-services, ``/<id>/andra`` change, ``/<id>/ta-bort`` delete; ``/<id>/medlemmar`` add a
member, ``/<id>/medlemmar/<user_id>/avisering`` switch their notifications,
``/<id>/medlemmar/<user_id>/ta-bort`` take them out. The rules are in shared.services.groups.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.builder_core_base import BuilderScreen, actor
from shared import clock
from shared.errors import DomainError, Invalid
from shared.models import HandlerGroup
from shared.services import groups

GROUP_LABELS = {"name": _l("Name"), "description": _l("Description"), "mailbox_email": _l("Functional mailbox")}
MEMBER_LABELS = {"user_id": _l("Handler"), "notify": _l("Notify of cases assigned to the group")}


class BuilderHandlerGroupsView(BuilderScreen):
    route_base = "/byggare/grupper"
    default_view = "list"
    method_permission_name = {
        "list": "list",
        "show": "show",
        "add": "add",
        "edit": "edit",
        "delete": "delete",
        "member_add": "edit",
        "member_notify": "edit",
        "member_remove": "edit",
    }

    @expose("/")
    @staff_access
    def list(self):
        rows = self.load(groups.list_groups, back=url_for("StartView.start"))
        return self.render_template("backoffice/builder/core_group_list.html", rows=rows, title=_("Handler groups"))

    @expose("/ny", methods=["GET", "POST"])
    @staff_access
    def add(self):
        if request.method == "POST":
            return self.submit(
                groups.create_group,
                redraw=lambda data, error: self._form(None, data, error),
                back=url_for(f"{self.endpoint}.list"),
                done=lambda group: (
                    _("The group %(name)s has been created. Add its members below.", name=group.name),
                    url_for(f"{self.endpoint}.show", group_id=group.id),
                ),
            )
        return self._form(None, {})

    @expose("/<int:group_id>")
    @staff_access
    def show(self, group_id: int):
        group = self.load(groups.get_group, group_id, back=url_for(f"{self.endpoint}.list"))
        return self._show(group, {"notify": True}, None)

    def _show(self, group: HandlerGroup, values: dict[str, Any], error: Invalid | None):
        members = sorted(group.members, key=lambda m: m.user.display_name.lower())
        return self.form_page(
            "core_group.html",
            values,
            error,
            group=group,
            members=members,
            eservices=groups.linked_eservices(group),
            candidates=[(u.id, f"{u.display_name} ({u.username})") for u in groups.member_candidates(group)],
            today=clock.today(),
            labels=MEMBER_LABELS,
            title=group.name,
        )

    @expose("/<int:group_id>/andra", methods=["GET", "POST"])
    @staff_access
    def edit(self, group_id: int):
        group = self.load(groups.get_group, group_id, back=url_for(f"{self.endpoint}.list"))
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        if request.method == "POST":
            return self.submit(
                groups.update_group,
                group_id,
                redraw=lambda data, error: self._form(group, data, error),
                back=back,
                done=lambda _result: (_("The changes to %(name)s have been saved.", name=group.name), back),
            )
        values = {"name": group.name, "description": group.description, "mailbox_email": group.mailbox_email}
        return self._form(group, values)

    @expose("/<int:group_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, group_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        try:
            group = groups.get_group(group_id, actor=actor())
            if request.method == "POST":
                name = group.name
                groups.delete_group(group_id, actor=actor())
                return self.saved(
                    _("The group %(name)s has been deleted.", name=name), url_for(f"{self.endpoint}.list")
                )
        except DomainError as error:
            return self.fail(error, back)
        return self.confirm(
            title=_("Delete the group %(name)s?", name=group.name),
            explanation=_(
                "The group is deleted with its memberships, and it is no longer handler for any e-service. "
                "This cannot be undone."
            ),
            button=_("Delete the group"),
            action=url_for(f"{self.endpoint}.delete", group_id=group_id),
            cancel=back,
            crumbs=[(url_for(f"{self.endpoint}.list"), _("Handler groups")), (back, group.name), (None, _("Delete"))],
        )

    def _form(self, group: HandlerGroup | None, values: dict[str, Any], error: Invalid | None = None):
        return self.form_page(
            "core_group_form.html",
            values,
            error,
            group=group,
            labels=GROUP_LABELS,
            action=url_for(f"{self.endpoint}.edit", group_id=group.id) if group else url_for(f"{self.endpoint}.add"),
            title=_("Change the group") if group else _("New handler group"),
        )

    # -- members ----------------------------------------------------------------------------

    @expose("/<int:group_id>/medlemmar", methods=["POST"])
    @staff_access
    def member_add(self, group_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        return self.submit(
            groups.add_member,
            group_id,
            redraw=lambda data, error: self._show(self.load(groups.get_group, group_id, back=back), data, error),
            back=back,
            done=lambda member: (
                _("%(name)s is now a member of the group.", name=member.user.display_name),
                back + "#members-title",
            ),
        )

    @expose("/<int:group_id>/medlemmar/<int:user_id>/avisering", methods=["POST"])
    @staff_access
    def member_notify(self, group_id: int, user_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        notify = request.form.get("notify") == "1"
        try:
            member = groups.set_member_notify(group_id, user_id, notify, actor=actor())
        except DomainError as error:
            return self.fail(error, back)
        if notify:
            message = _("%(name)s is now notified of cases assigned to the group.", name=member.user.display_name)
        else:
            message = _("%(name)s is no longer notified of cases assigned to the group.", name=member.user.display_name)
        return self.saved(message, back + "#members-title")

    @expose("/<int:group_id>/medlemmar/<int:user_id>/ta-bort", methods=["POST"])
    @staff_access
    def member_remove(self, group_id: int, user_id: int):
        back = url_for(f"{self.endpoint}.show", group_id=group_id)
        try:
            group = groups.get_group(group_id, actor=actor())
            name = next((m.user.display_name for m in group.members if m.user_id == user_id), "")
            groups.remove_member(group_id, user_id, actor=actor())
        except DomainError as error:
            return self.fail(error, back)
        return self.saved(_("%(name)s is no longer a member of the group.", name=name), back + "#members-title")
