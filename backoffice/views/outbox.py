"""Utkorgen (F-NOT-4): administrators follow the notifications and send failed ones again.

Admin only: the Handler and Builder roles have no permission on this view, and the
services (shared/services/outbox_log.py, shared/notify/dispatch.retry_failed) refuse
anyone but an administrator.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff, local_time
from backoffice.views.case_words import audit_label
from shared.db import db
from shared.errors import DomainError, NotAllowed, NotFound
from shared.models import Channel, NotificationEvent, OutboxState
from shared.notify import dispatch
from shared.services import outbox_log
from shared.services.listing import whole_number

STATE_LABELS = {
    OutboxState.PENDING: _l("Queued"),
    OutboxState.SENDING: _l("Being sent"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Failed"),
}
# How each state looks: a failed row stands out (Bootstrap's text colours meet WCAG AA on white).
STATE_STYLES = {
    OutboxState.PENDING: ("text-info", "fa-clock-o"),
    OutboxState.SENDING: ("text-warning", "fa-paper-plane-o"),
    OutboxState.SENT: ("text-success", "fa-check"),
    OutboxState.FAILED: ("text-danger", "fa-exclamation-triangle"),
}
CHANNEL_LABELS = {
    Channel.EMAIL: _l("E-mail"),
    Channel.SMS: _l("SMS"),
    Channel.PORTAL: _l("Mina sidor"),
}
E = NotificationEvent
EVENT_LABELS = {
    E.SUBMITTED: _l("Case submitted"),
    E.STATUS_CHANGED: _l("Status changed"),
    E.MESSAGE_TO_APPLICANT: _l("Message to the applicant"),
    E.CLOSED: _l("Case closed"),
    E.MESSAGE_FROM_APPLICANT: _l("Message from the applicant"),
    E.INTERNAL_NOTE: _l("Internal note written"),
    E.ASSIGNED: _l("Handler assigned"),
    E.TAKEN_OVER: _l("Case taken over"),
    E.SUPPLEMENT: _l("Supplement from the applicant"),
    E.OVERDUE: _l("The case passed its due date"),
    E.MESSAGE_READ: _l("Message read"),
    E.FILE_DOWNLOADED: _l("File downloaded"),
    E.NEW_CASE: _l("New case"),
    E.GROUP_ASSIGNED: _l("Assigned to a group"),
    E.SUBTASK_ASSIGNED: _l("Subtask assigned"),
    E.SUBTASK_DUE: _l("Subtask due"),
    E.SUBTASK_MESSAGE: _l("Message in a subtask"),
    E.MAILING: _l("Mailing"),
    E.AUTO_REPLY: _l("Automatic reply"),
}
_GAVE_UP = re.compile(r" \(gave up after (\d+) attempts in 24 hours\)$")
SHORT_ERROR = 60


def state_label(state) -> str:
    return str(STATE_LABELS.get(state, state))


def channel_label(channel) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def event_label(event: str) -> str:
    """A notification's event in words; an event this screen does not know is shown as it is."""
    return str(EVENT_LABELS.get(event, event))


def error_text(error: str | None) -> str:
    """The stored error in the UI's language where the dispatcher wrote it (servers' answers stay as they are)."""
    if not error:
        return ""
    if error == dispatch.UNCERTAIN:
        return _(
            "Interrupted while sending: the notification may have been delivered. It is not sent again by itself; "
            "retry it if the recipient did not get it."
        )
    match = _GAVE_UP.search(error)
    if match:
        return error[: match.start()] + " " + _("(gave up after %(num)s attempts in 24 hours)", num=match.group(1))
    return error


def short_error(error: str | None) -> str:
    """The error's first line, cut to fit a table cell."""
    text = error_text(error).strip().splitlines()
    first = text[0] if text else ""
    return first if len(first) <= SHORT_ERROR else first[: SHORT_ERROR - 1].rstrip() + "…"


class OutboxView(BaseView):
    route_base = "/drift/utkorg"
    default_view = "list"

    def _list_url(self, **args) -> str:
        return url_for(f"{self.endpoint}.list", **args)

    def _own_url(self, target: str) -> str:
        """``target`` if it is a page of this screen (path and query only), else the whole list:
        the address to go back to comes from the browser, so it may never lead elsewhere."""
        base = self._list_url()
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path.startswith(base):
            return base
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _back(self) -> str:
        """Where an action returns: the list as it was filtered, or a row's page (the form's next)."""
        return self._own_url(request.form.get("next") or "")

    def _words(self) -> dict:
        return {
            "local_time": local_time,
            "state_label": state_label,
            "state_style": lambda state: STATE_STYLES.get(state, ("", "fa-question")),
            "channel_label": channel_label,
            "event_label": event_label,
            "short_error": short_error,
            "error_text": error_text,
            "FAILED": OutboxState.FAILED,
            "PENDING": OutboxState.PENDING,
        }

    @expose("/")
    @staff_access
    @permission_name("list")
    def list(self):
        filters, problems = outbox_log.parse_filter(request.args)
        for problem in problems:
            flash(problem, "warning")
        page = whole_number(request.args.get("page")) or 1
        try:
            result = outbox_log.outbox_page(actor=current_staff(), filters=filters, page=page)
        except NotAllowed:
            abort(403)
        args = filters.as_args()

        def page_url(number: int) -> str:
            return self._list_url(**args, page=number)

        def state_url(state: OutboxState) -> str:
            return self._list_url(**{**args, "state": state.value})

        return self.render_template(
            "backoffice/outbox/list.html",
            result=result,
            filters=filters,
            args=args,
            here=request.script_root + request.full_path.rstrip("?"),
            states=list(OutboxState),
            channels=list(Channel),
            events=sorted(outbox_log.EVENTS, key=event_label),
            page_url=page_url,
            state_url=state_url,
            all_states_url=self._list_url(**{k: v for k, v in args.items() if k != "state"}),
            title=None,
            **self._words(),
        )

    @expose("/<int:message_id>")
    @staff_access
    @permission_name("show")
    def show(self, message_id: int):
        try:
            detail = outbox_log.outbox_message(message_id, actor=current_staff())
        except NotFound:
            abort(404)
        except NotAllowed:
            abort(403)
        back = self._back_from_args()
        return self.render_template(
            "backoffice/outbox/show.html",
            detail=detail,
            m=detail.message,
            back=back,
            here=request.script_root + request.full_path.rstrip("?"),
            audit_label=audit_label,
            title=None,
            **self._words(),
        )

    def _back_from_args(self) -> str:
        """The filtered list a row was opened from (?back=…), else the whole list."""
        return self._own_url(request.args.get("back") or "")

    @expose("/<int:message_id>/forsok-igen", methods=["POST"])
    @staff_access
    @permission_name("retry")
    def retry(self, message_id: int):
        try:
            dispatch.retry_failed(message_id, actor=current_staff())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(_("The notification is queued and will be sent again shortly."), "success")
        return redirect(self._back())

    @expose("/forsok-igen", methods=["POST"])
    @staff_access
    @permission_name("retry")
    def retry_all(self):
        """Send again every failed notification of the filter: first ask, then do."""
        filters, _problems = outbox_log.parse_filter(request.form)
        user = current_staff()
        try:
            if request.form.get("confirm") != "1":
                count = outbox_log.count_failed_matching(filters, actor=user)
                return self.render_template(
                    "backoffice/outbox/confirm_retry.html",
                    count=count,
                    filters=filters,
                    args=filters.as_args(),
                    back=self._back(),
                    title=None,
                    **self._words(),
                )
            retried = outbox_log.retry_failed_matching(filters, actor=user)
        except NotAllowed:
            abort(403)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(self._back())
        if retried:
            flash(
                ngettext(
                    "%(num)d failed notification is queued and will be sent again shortly.",
                    "%(num)d failed notifications are queued and will be sent again shortly.",
                    retried,
                ),
                "success",
            )
        else:
            flash(_("There were no failed notifications to send again."), "info")
        return redirect(self._back())
