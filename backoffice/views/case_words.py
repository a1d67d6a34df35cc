"""The case history and the audit log in words: what each recorded kind of event means to a handler.

Events (CaseEvent.kind) and audit actions (AuditEntry.action) are stored as stable codes;
this module says them in the UI's language. A code it does not know is shown as it is,
so a new kind of event is never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from shared.models import CaseEvent

EVENT_LABELS = {
    "draft_created": _l("Application saved as a draft"),
    "submitted": _l("Case submitted"),
    "assigned": _l("Handler assigned"),
    "taken": _l("Took the case"),
    "taken_over": _l("Took over the case"),
    "handlers_changed": _l("Handlers changed"),
    "handler_removed_self": _l("Removed themself as handler"),
    "status_changed": _l("Status changed"),
    "message_sent": _l("Message to the applicant"),
    "message_received": _l("Message from the applicant"),
    "message_read": _l("Message read"),
    "message_forwarded": _l("Message forwarded to a group"),
    "message_taken_over": _l("Forwarded message taken over"),
    "note_added": _l("Internal note written"),
    "document_added": _l("Document added"),
    "supplement_added": _l("Supplement from the applicant"),
    "document_downloaded": _l("File downloaded"),
    "colour_changed": _l("Colour marking changed"),
    "external_number_changed": _l("External case number changed"),
    "answers_edited": _l("Submitted answers changed"),
    "handed_back_to_group": _l("Handed back to the group"),
    "overdue": _l("The case passed its due date"),
    "subtask_created": _l("Subtask created"),
    "subtask_opened": _l("Subtask opened by the responsible"),
    "subtask_message": _l("Message in a subtask"),
    "subtask_concluded": _l("Subtask conclusion saved"),
    "subtask_resolved": _l("Subtask resolved"),
    "mailing_sent": _l("Mailing sent"),
    "mailing_answered": _l("Mailing answered"),
}

SUBTASK_STATUS_LABELS = {
    "new": _l("New"),
    "open": _l("Open"),
    "resolved": _l("Resolved"),
}

AUDIT_LABELS = {
    "citizen_logged_in": _l("The applicant logged in"),
    "staff_login": _l("Logged in"),
    "staff_login_failed": _l("Failed login"),
    "api_key_created": _l("Created an API key"),
    "api_key_revoked": _l("Revoked an API key"),
    "case_viewed": _l("Opened the case"),
    "case_printed": _l("Printed the application (PDF)"),
    "personnummer_revealed": _l("Showed the personnummer in a list"),
    "citizen_data_downloaded": _l("The applicant downloaded their data (Mina uppgifter)"),
    "case_submitted": _l("Case submitted"),
    "case_taken": _l("Took the case"),
    "case_taken_over": _l("Took over the case"),
    "case_handlers_changed": _l("Handlers changed"),
    "case_handler_removed_self": _l("Removed themself as handler"),
    "case_status_changed": _l("Status changed"),
    "case_flagged": _l("Flagged the case"),
    "case_unflagged": _l("Removed the flag"),
    "case_colour_changed": _l("Colour marking changed"),
    "case_external_number_changed": _l("External case number changed"),
    "case_answers_edited": _l("Submitted answers changed"),
    "case_deleted": _l("Case deleted"),
    "case_handed_back_to_group": _l("Handed back to the group"),
    "message_sent": _l("Message to the applicant"),
    "message_received": _l("Message from the applicant"),
    "message_read": _l("Message read"),
    "note_added": _l("Internal note written"),
    "document_added": _l("Document added"),
    "document_downloaded": _l("File downloaded"),
    "supplement_added": _l("Supplement from the applicant"),
    "draft_created": _l("Application saved as a draft"),
    "draft_saved": _l("Draft saved"),
    "draft_attachment_added": _l("File attached to a draft"),
    "case_anonymised": _l("Case anonymised (retention)"),
    "destruction_list_approved": _l("Destruction list approved"),
    "destruction_list_rejected": _l("Destruction list rejected"),
    "notification_retried": _l("Notification sent again"),
    "notifications_retried": _l("Failed notifications sent again"),
    "absence_set": _l("Absence set"),
    "absence_changed": _l("Absence changed"),
    "absence_ended": _l("Absence ended"),
    "message_taken_over": _l("Forwarded message taken over"),
    "subtask_created": _l("Subtask created"),
    "subtask_viewed": _l("Opened a subtask"),
    "subtask_message": _l("Message in a subtask"),
    "subtask_concluded": _l("Subtask conclusion saved"),
    "subtask_resolved": _l("Subtask resolved"),
    "mailing_created": _l("Mailing created"),
    "mailing_sent": _l("Mailing sent"),
    "mailing_answered": _l("Mailing answered"),
    # -- core (A): e-services, categories, handler links, statuses, groups --
    "config_eservice_created": _l("E-service created"),
    "config_eservice_changed": _l("E-service settings changed"),
    "config_category_created": _l("Category created"),
    "config_category_changed": _l("Category changed"),
    "config_category_deleted": _l("Category deleted"),
    "config_handler_link_created": _l("Handler linked to an e-service"),
    "config_handler_link_changed": _l("Handler link changed"),
    "config_handler_link_deleted": _l("Handler link removed"),
    "config_status_group_created": _l("Status group created"),
    "config_status_group_changed": _l("Status group changed"),
    "config_status_group_deleted": _l("Status group deleted"),
    "config_status_created": _l("Status created"),
    "config_status_changed": _l("Status changed"),
    "config_status_deleted": _l("Status deleted"),
    "config_group_created": _l("Handler group created"),
    "config_group_changed": _l("Handler group changed"),
    "config_group_deleted": _l("Handler group deleted"),
    # -- end of core (A) --
    # -- rules (C) --
    "config_notifications_changed": _l("Notification settings changed"),
    "config_retention_rule_created": _l("Retention rule added"),
    "config_retention_rule_changed": _l("Retention rule changed"),
    "config_retention_rule_deleted": _l("Retention rule removed"),
    # -- end of rules (C) --
    # -- form editor (D) --
    "config_form_version_created": _l("Form version created"),
    "config_form_version_published": _l("Form version published"),
    "config_form_version_retired": _l("Form version archived"),
    "config_form_version_deleted": _l("Draft form version deleted"),
    "config_form_step_created": _l("Form step added"),
    "config_form_step_changed": _l("Form step changed"),
    "config_form_step_moved": _l("Form step moved"),
    "config_form_step_deleted": _l("Form step deleted"),
    "config_form_question_created": _l("Form question added"),
    "config_form_question_changed": _l("Form question changed"),
    "config_form_question_moved": _l("Form question moved"),
    "config_form_question_deleted": _l("Form question deleted"),
    # -- end of form editor (D) --
    # -- details (B): the e-service builder's detail sections --
    "config_colour_created": _l("Colour added to the colour legend"),
    "config_colour_changed": _l("Colour in the colour legend changed"),
    "config_colour_deleted": _l("Colour removed from the colour legend"),
    "config_colour_legend_reordered": _l("Colour legend reordered"),
    "config_summary_fields_changed": _l("Summary fields changed"),
    "config_excel_columns_changed": _l("Excel columns changed"),
    "config_message_template_created": _l("Message template added"),
    "config_message_template_changed": _l("Message template changed"),
    "config_message_template_deleted": _l("Message template removed"),
    "config_assignment_rule_created": _l("Assignment rule added"),
    "config_assignment_rule_changed": _l("Assignment rule changed"),
    "config_assignment_rule_deleted": _l("Assignment rule removed"),
    "config_assignment_rules_reordered": _l("Assignment rules reordered"),
    "config_default_assignment_changed": _l("Default assignment changed"),
    "config_personal_data_changed": _l("Personal data settings changed"),
    # -- end of details (B) --
}


# How the audit log's detail keys read (the keys the case services record).
DETAIL_LABELS = {
    "username": _l("Username"),
    "method": _l("Login method"),
    "from": _l("From"),
    "to": _l("To"),
    "notify_applicant": _l("Applicant notified"),
    "added_users": _l("Added people"),
    "removed_users": _l("Removed people"),
    "added_groups": _l("Added groups"),
    "removed_groups": _l("Removed groups"),
    "from_users": _l("Taken from"),
    "from_groups": _l("Taken from the groups"),
    "group_id": _l("Group"),
    "channel": _l("Channel"),
    "eservice": _l("E-service"),
    "status": _l("Status"),
    "documents_deleted": _l("Documents deleted"),
    "rule": _l("Retention rule"),
    "cases": _l("Cases"),
    # Frånvaro (absences).
    "user": _l("User"),
    "for_colleague": _l("Set for a colleague"),
    "starts_on": _l("First day"),
    "ends_on": _l("Last day"),
    "auto_reply": _l("Auto-reply"),
    "before": _l("Before"),
    "called_off": _l("Called off before it began"),
    # Utkorg: the filter a bulk retry was made with.
    "count": _l("Count"),
    "event": _l("Event"),
    "case": _l("Case number"),
    "recipient": _l("Recipient"),
    # Configuration changes (issue 6, record_config_change): what was changed, and the fields after.
    "name": _l("Name"),
    "after": _l("After"),
    # Deluppgifter (subtasks).
    "subtask_id": _l("Subtask"),
    "title": _l("Title"),
    "responsible": _l("Responsible"),
    "responsible_id": _l("Responsible (id)"),
    "deadline": _l("Deadline"),
    "document_ids": _l("Granted documents"),
    "message_id": _l("Message"),
    "with_case": _l("Resolved when the case was closed"),
    # Utskick (mailings).
    "subject": _l("Subject"),
    "recipients": _l("Recipients"),
    "skipped": _l("Skipped"),
    "question": _l("Question"),
    "no_answer_status": _l("Status when there is no answer"),
    "mailing_id": _l("Mailing"),
    # Mina uppgifter (issue 9): the file the applicant downloaded.
    "format": _l("Format"),
}


def _names(values: Iterable[Any] | None) -> str:
    return ", ".join(str(v) for v in values or () if v)


def event_label(kind: str) -> str:
    """What happened, in words."""
    return str(EVENT_LABELS.get(kind, kind))


def subtask_status(status: Any) -> str:
    """A subtask's status (Ny, Öppen, Löst)."""
    value = getattr(status, "value", status)
    return str(SUBTASK_STATUS_LABELS.get(value, value))


def audit_label(action: str) -> str:
    """What the user did, in words."""
    return str(AUDIT_LABELS.get(action, action))


def actor_name(event: CaseEvent) -> str:
    """Who did it: the handler, the applicant, or the system (an automatic rule or job)."""
    if event.actor_user is not None:
        return event.actor_user.display_name
    if event.actor_citizen is not None:
        return _("%(name)s (applicant)", name=event.actor_citizen.full_name)
    return _("The system")


def _none(value: Any) -> str:
    return str(value) if value not in (None, "") else _("none")


def event_details(kind: str, data: Mapping[str, Any] | None, colours: Mapping[str, str] | None = None) -> str:
    """The particulars of an event (from which status to which, which file …) in one line.

    ``colours``: what each of the e-service's colours means, to name a colour marking by it.
    """
    data = data or {}
    colours = colours or {}
    if kind == "submitted":
        if data.get("channel") == "manual":
            return _("Registered by a handler")
        return ""
    if kind == "assigned":
        names = _names([*(data.get("users") or ()), *(data.get("groups") or ())])
        return _("To: %(names)s", names=names) if names else ""
    if kind == "taken_over":
        names = _names([*(data.get("users") or ()), *(data.get("groups") or ())])
        return _("From: %(names)s", names=names) if names else ""
    if kind == "handlers_changed":
        parts = []
        if data.get("added"):
            parts.append(_("Added: %(names)s", names=_names(data["added"])))
        if data.get("removed"):
            parts.append(_("Removed: %(names)s", names=_names(data["removed"])))
        return "; ".join(parts)
    if kind == "status_changed":
        text = _("From %(old)s to %(new)s", old=data.get("from_status", ""), new=data.get("to_status", ""))
        if data.get("notified") is False:
            text += " " + _("(the applicant was not notified)")
        if data.get("no_answer"):
            text += " " + _("(no answer to a mailing by its last day)")
        return text
    if kind == "mailing_sent":
        return str(data.get("subject") or "")
    if kind == "mailing_answered":
        answer = _("Yes") if data.get("answer") == "yes" else _("No")
        return _("%(answer)s to %(subject)s", answer=answer, subject=data.get("subject", ""))
    if kind == "message_sent":
        if data.get("automatic"):
            return _("The status's standard message")
        count = int(data.get("attachments") or 0)
        return ngettext("%(num)d attachment", "%(num)d attachments", count) if count else ""
    if kind == "message_received":
        count = int(data.get("attachments") or 0)
        return ngettext("%(num)d attachment", "%(num)d attachments", count) if count else ""
    if kind == "subtask_created":
        return _(
            "%(title)s – responsible: %(name)s, deadline %(date)s",
            title=data.get("title", ""),
            name=data.get("responsible", ""),
            date=data.get("deadline", ""),
        )
    if kind == "subtask_resolved" and data.get("with_case"):
        return _("%(title)s (when the case was closed)", title=data.get("title", ""))
    if kind.startswith("subtask_"):
        return str(data.get("title") or "")
    if kind == "message_taken_over":
        return _("From the group mailbox of %(group)s", group=data.get("group", ""))
    if kind == "message_forwarded":
        return _("To %(group)s while %(name)s is away", group=data.get("group", ""), name=data.get("absent", ""))
    if kind in ("document_added", "supplement_added", "document_downloaded"):
        return str(data.get("filename") or "")
    if kind == "colour_changed":
        old, new = data.get("from_colour"), data.get("to_colour")
        return _("From %(old)s to %(new)s", old=_none(colours.get(old, old)), new=_none(colours.get(new, new)))
    if kind == "external_number_changed":
        return _("From %(old)s to %(new)s", old=_none(data.get("from_value")), new=_none(data.get("to_value")))
    if kind == "answers_edited":
        return _("Questions: %(names)s", names=_names(data.get("questions")))
    if kind == "handed_back_to_group":
        return str(data.get("group") or "")
    return ""


def audit_details(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An audit entry's details as (key, text) pairs; an edit of answers as "before → after" per question."""
    pairs: list[tuple[str, str]] = []
    for key, value in (details or {}).items():
        if key == "changed" and isinstance(value, Mapping):
            for question_id, change in value.items():
                if isinstance(change, Mapping):
                    text = f"{_none(_plain(change.get('before')))} → {_none(_plain(change.get('after')))}"
                else:
                    text = _plain(change)
                pairs.append((str(question_id), text))
        elif _plain(value) != "":
            pairs.append((str(DETAIL_LABELS.get(key, key)), _plain(value)))
    return pairs


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        if "name" in value:  # a file answer's descriptor
            return str(value["name"])
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)
