"""The notification settings a new e-service starts with (F-ES-7).

Every switch the builder is likely to want is created, on or off, so the settings screen
shows the whole matrix. On by default, after the handler guide's most common choices:
e-mail (and Mina sidor) to the applicant on submitted, status change, new message and
closed; e-mail to the assigned handlers on a message from the applicant, assignment,
supplement, overdue and take-over; group members on group assignment; the automatic
absence reply to the applicant. Handler rows exist for SMS as well and are on where the
e-mail row is: a handler gets an SMS only if they chose SMS themselves (F-GRP-2).
"""

from __future__ import annotations

from sqlalchemy import select

from shared.db import db
from shared.models import Channel, EService, NotificationEvent, NotificationSetting, Recipient

E, R, C = NotificationEvent, Recipient, Channel

_APPLICANT_EVENTS = (E.SUBMITTED, E.STATUS_CHANGED, E.MESSAGE_TO_APPLICANT, E.CLOSED)

# (event, recipient, channel, enabled)
DEFAULTS: list[tuple[NotificationEvent, Recipient, Channel, bool]] = (
    [(event, R.APPLICANT, C.EMAIL, True) for event in _APPLICANT_EVENTS]
    + [(event, R.APPLICANT, C.SMS, False) for event in _APPLICANT_EVENTS]
    + [(event, R.APPLICANT, C.PORTAL, True) for event in _APPLICANT_EVENTS]
    + [(E.AUTO_REPLY, R.APPLICANT, C.EMAIL, True), (E.AUTO_REPLY, R.APPLICANT, C.PORTAL, True)]
    + [
        (event, R.ASSIGNED_HANDLERS, channel, enabled)
        for event, enabled in (
            (E.MESSAGE_FROM_APPLICANT, True),
            (E.ASSIGNED, True),
            (E.SUPPLEMENT, True),
            (E.OVERDUE, True),
            (E.TAKEN_OVER, True),
            (E.INTERNAL_NOTE, False),
            (E.STATUS_CHANGED, False),
            (E.MESSAGE_READ, False),
            (E.FILE_DOWNLOADED, False),
        )
        for channel in (C.EMAIL, C.SMS)
    ]
    + [(E.NEW_CASE, R.ALL_HANDLERS, C.EMAIL, False), (E.NEW_CASE, R.ALL_HANDLERS, C.SMS, False)]
    + [(E.GROUP_ASSIGNED, R.GROUP_MEMBERS, C.EMAIL, True), (E.GROUP_ASSIGNED, R.GROUP_MEMBERS, C.SMS, True)]
    + [
        (E.NEW_CASE, R.MAILBOX, C.EMAIL, False),
        (E.MESSAGE_FROM_APPLICANT, R.MAILBOX, C.EMAIL, False),
        (E.SUPPLEMENT, R.MAILBOX, C.EMAIL, False),
    ]
)


def default_notification_settings(eservice: EService) -> list[NotificationSetting]:
    """Create the standard notification switches for an e-service (missing ones only); flushes, never commits."""
    existing = set()
    if eservice.id is not None:
        existing = {
            (s.event, s.recipient, s.channel)
            for s in db.session.scalars(
                select(NotificationSetting).where(NotificationSetting.eservice_id == eservice.id)
            )
        }
    created = []
    for event, recipient, channel, enabled in DEFAULTS:
        if (event, recipient, channel) in existing:
            continue
        setting = NotificationSetting(event=event, recipient=recipient, channel=channel, enabled=enabled)
        eservice.notification_settings.append(setting)
        created.append(setting)
    db.session.flush()
    return created
