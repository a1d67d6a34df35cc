"""Notifications: settings, recipients, safe texts and the outbox (sent later by the scheduler)."""

from shared.notify.outbox import (
    Addressee,
    applicant_addressees,
    case_link,
    compose,
    leave_out,
    mailbox,
    queue,
    queue_to,
    resolve,
    staff_addressees,
)
from shared.notify.render import PLACEHOLDERS, broken_braces, check_template, render
from shared.notify.settings import DEFAULTS, default_notification_settings
from shared.notify.texts import Text, standard_text

__all__ = [
    "DEFAULTS",
    "PLACEHOLDERS",
    "Addressee",
    "Text",
    "broken_braces",
    "applicant_addressees",
    "case_link",
    "compose",
    "check_template",
    "default_notification_settings",
    "leave_out",
    "mailbox",
    "queue",
    "queue_to",
    "render",
    "resolve",
    "staff_addressees",
    "standard_text",
]
