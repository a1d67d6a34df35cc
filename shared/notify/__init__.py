"""Notifications: settings, recipients, safe texts and the outbox (sent later by the scheduler)."""

from shared.notify.outbox import Addressee, case_link, mailbox, queue, queue_to, resolve, staff_addressees
from shared.notify.render import PLACEHOLDERS, check_template, render
from shared.notify.settings import DEFAULTS, default_notification_settings
from shared.notify.texts import Text, standard_text

__all__ = [
    "DEFAULTS",
    "PLACEHOLDERS",
    "Addressee",
    "Text",
    "case_link",
    "check_template",
    "default_notification_settings",
    "mailbox",
    "queue",
    "queue_to",
    "render",
    "resolve",
    "staff_addressees",
    "standard_text",
]
