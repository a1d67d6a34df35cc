"""Gruppbrevlåda (F-GRP-3): the applicant messages forwarded to a group while a handler is away.

Every member of a group (and an administrator) opens its mailbox; a member takes a message
over ("Ta över"), becomes a handler of the case in person and lands on the message in the
case view to answer it. Who may see and take what is decided by shared.services.absences.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from backoffice.views.absence import refused
from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff, int_or_none, local_time
from shared.errors import DomainError, NotFound
from shared.services import absences


class GroupMailboxView(BaseView):
    """The list of one's group mailboxes, one mailbox, and Ta över."""

    route_base = "/gruppbrevlada"
    default_view = "index"
    method_permission_name = {"index": "list", "mailbox": "list", "take_over": "take_over"}

    @expose("/")
    @staff_access
    def index(self):
        """My groups' mailboxes with how many messages wait in each (an administrator sees every group's)."""
        return self.render_template(
            "backoffice/absence/mailboxes.html",
            summaries=absences.mailboxes(current_staff()),
            title=_("Group mailboxes"),
        )

    @expose("/<int:group_id>")
    @staff_access
    def mailbox(self, group_id: int):
        """One group's mailbox: messages not yet taken over first, newest first; ?page= pages."""
        page = int_or_none(request.args.get("page")) or 1
        try:
            box = absences.group_mailbox(group_id, actor=current_staff(), page=page)
        except NotFound:
            abort(404)
        return self.render_template(
            "backoffice/absence/mailbox.html",
            box=box,
            local_time=local_time,
            page_url=lambda number: url_for(f"{self.endpoint}.mailbox", group_id=group_id, page=number),
            title=_("Group mailbox %(name)s", name=box.group.name),
        )

    @expose("/meddelande/<int:message_id>/ta-over", methods=["POST"])
    @staff_access
    def take_over(self, message_id: int):
        """Ta över: become a handler of the case and open the message in the case view."""
        back = int_or_none(request.form.get("group_id"))
        try:
            message = absences.take_over_message(message_id, actor=current_staff())
        except DomainError as error:
            if back is not None:
                return refused(error, url_for(f"{self.endpoint}.mailbox", group_id=back))
            return refused(error, url_for(f"{self.endpoint}.index"))
        flash(
            _(
                "You have taken over the message and are a handler of case %(number)s. You can answer the applicant below.",
                number=message.case.number,
            ),
            "success",
        )
        return redirect(url_for("CaseView.messages", case_id=message.case_id) + f"#meddelande-{message.id}")
