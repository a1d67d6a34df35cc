"""Notification settings per e-service (F-ES-7, F-NOT-3): the builder's matrix of events × recipients × channels.

The matrix has one switch for every combination the platform can send
(``shared.notify.settings.DEFAULTS``: e-mail, SMS and Mina sidor to the applicant; e-mail
and SMS to handlers; e-mail to the functional mailbox). A combination whose row is missing
(an e-service made before the defaults existed) is off, as it is when sending; saving
creates the missing rows.

Texts are edited per event and audience — to the applicant, or to staff — and stored on
every row of that event and audience: the subject and body on the e-mail and Mina sidor
rows, the SMS text as the body of the SMS rows. Empty means the standard text
(``shared.notify.texts``). Texts are checked with the renderer's own rules before anything
is saved: an unknown placeholder or a stray brace is refused with a message naming the
event and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.models import (
    Channel,
    EService,
    NotificationEvent,
    NotificationSetting,
    Recipient,
    StaffUser,
    StatusKind,
)
from shared.notify.render import PLACEHOLDERS, broken_braces, check_template, render
from shared.notify.settings import DEFAULTS
from shared.notify.texts import Audience, audience_of, standard_text
from shared.services import access, audit

E = NotificationEvent

EVENT_LABELS = {
    E.SUBMITTED: _l("A case is submitted"),
    E.STATUS_CHANGED: _l("The status changes"),
    E.MESSAGE_TO_APPLICANT: _l("New message from the handler"),
    E.CLOSED: _l("The case is closed"),
    E.MESSAGE_FROM_APPLICANT: _l("New message from the applicant"),
    E.INTERNAL_NOTE: _l("New internal note"),
    E.ASSIGNED: _l("A handler is assigned"),
    E.TAKEN_OVER: _l("The case is taken over by another handler"),
    E.SUPPLEMENT: _l("A supplement is submitted"),
    E.OVERDUE: _l("The case is overdue"),
    E.MESSAGE_READ: _l("Read receipt (the applicant has read a message)"),
    E.FILE_DOWNLOADED: _l("Download receipt (a file has been downloaded)"),
    E.NEW_CASE: _l("New case in the e-service"),
    E.GROUP_ASSIGNED: _l("The case is assigned to a group"),
    E.SUBTASK_ASSIGNED: _l("A subtask is assigned"),
    E.SUBTASK_DUE: _l("A subtask is nearly due"),
    E.SUBTASK_MESSAGE: _l("New message in a subtask"),
    E.MAILING: _l("Mailing"),
    E.AUTO_REPLY: _l("Automatic absence reply"),
}

RECIPIENT_LABELS = {
    Recipient.APPLICANT: _l("The applicant"),
    Recipient.ASSIGNED_HANDLERS: _l("Assigned handlers"),
    Recipient.ALL_HANDLERS: _l("All handlers of the e-service"),
    Recipient.GROUP_MEMBERS: _l("Members of the assigned group"),
    Recipient.MAILBOX: _l("Functional mailbox"),
}

CHANNEL_LABELS = {
    Channel.EMAIL: _l("E-mail"),
    Channel.SMS: _l("SMS"),
    Channel.PORTAL: _l("My pages"),
}

AUDIENCE_LABELS = {
    "applicant": _l("to the applicant"),
    "handler": _l("to staff"),
}

# The parts of a text: subject and body for e-mail and Mina sidor, one text for SMS.
SUBJECT, BODY, SMS = "subject", "body", "sms"
PART_LABELS = {
    SUBJECT: _l("Subject"),
    BODY: _l("Text"),
    SMS: _l("SMS text"),
}
SUBJECT_MAX = 300  # NotificationSetting.subject

Cell = tuple[NotificationEvent, Recipient, Channel]

# Every combination the matrix offers, in the order of the enums (events, then columns).
_ORDER = {value: index for index, value in enumerate([*NotificationEvent, *Recipient, *Channel])}
CELLS: list[Cell] = sorted({(e, r, c) for e, r, c, _on in DEFAULTS}, key=lambda k: tuple(_ORDER[x] for x in k))
EVENTS: list[NotificationEvent] = sorted({e for e, _r, _c in CELLS}, key=_ORDER.__getitem__)
COLUMNS: list[tuple[Recipient, Channel]] = sorted(
    {(r, c) for _e, r, c in CELLS}, key=lambda k: (_ORDER[k[0]], _ORDER[k[1]])
)


def cell_name(cell: Cell) -> str:
    """The form field (and audit key) of one switch, e.g. ``cell-submitted-applicant-email``."""
    event, recipient, channel = cell
    return f"cell-{event.value}-{recipient.value}-{channel.value}"


def text_name(event: NotificationEvent, audience: Audience, part: str) -> str:
    """The form field (and audit key) of one text, e.g. ``text-submitted-applicant-subject``."""
    return f"text-{event.value}-{audience}-{part}"


@dataclass(frozen=True)
class TextField:
    """One editable text of an event: its field name, audience, part and the standard text it replaces."""

    name: str
    event: NotificationEvent
    audience: Audience
    part: str
    standard: str

    @property
    def label(self) -> str:
        return _(
            "%(part)s %(audience)s",
            part=PART_LABELS[self.part],
            audience=AUDIENCE_LABELS[self.audience],
        )

    @property
    def multiline(self) -> bool:
        return self.part != SUBJECT


def _text_fields() -> dict[NotificationEvent, list[TextField]]:
    fields: dict[NotificationEvent, list[TextField]] = {}
    for event in EVENTS:
        for audience in ("applicant", "handler"):
            channels = {c for e, r, c in CELLS if e == event and audience_of(r) == audience}
            if not channels:
                continue
            standard = standard_text(event, audience)
            parts = []
            if channels - {Channel.SMS}:
                parts += [(SUBJECT, standard.subject), (BODY, standard.body)]
            if Channel.SMS in channels:
                parts.append((SMS, standard.sms))
            fields.setdefault(event, []).extend(
                TextField(text_name(event, audience, part), event, audience, part, text) for part, text in parts
            )
    return fields


TEXT_FIELDS: dict[NotificationEvent, list[TextField]] = _text_fields()


def all_text_fields() -> list[TextField]:
    """Every editable text, event by event."""
    return [f for event in EVENTS for f in TEXT_FIELDS.get(event, [])]


def placeholder_help() -> list[tuple[str, str]]:
    """The placeholders a builder may use, as ("{name}", what it stands for)."""
    return [("{" + name + "}", meaning) for name, meaning in PLACEHOLDERS.items()]


@dataclass
class NotificationMatrix:
    """What the settings screen shows: the switches that are on, the own texts and the mailbox."""

    eservice: EService
    enabled: set[str] = field(default_factory=set)  # cell names that are on
    texts: dict[str, str] = field(default_factory=dict)  # text field name -> own text ("" = standard)
    general_mailbox: str = ""

    events = EVENTS
    columns = COLUMNS
    cells = frozenset(CELLS)
    text_fields = TEXT_FIELDS

    def has_own_text(self, event: NotificationEvent) -> bool:
        """Whether any text of the event is the builder's own rather than the standard one."""
        return any((self.texts.get(f.name) or "").strip() for f in TEXT_FIELDS.get(event, []))

    def recipients(self) -> list[tuple[Recipient, int]]:
        """The recipients over the columns, each with how many channel columns it spans."""
        spans: list[tuple[Recipient, int]] = []
        for recipient, _channel in self.columns:
            if spans and spans[-1][0] == recipient:
                spans[-1] = (recipient, spans[-1][1] + 1)
            else:
                spans.append((recipient, 1))
        return spans


def _eservice(eservice_id: int) -> EService:
    eservice = db.session.get(EService, eservice_id)
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


def _rows(eservice_id: int) -> dict[Cell, NotificationSetting]:
    rows = db.session.scalars(
        select(NotificationSetting)
        .where(NotificationSetting.eservice_id == eservice_id)
        .order_by(NotificationSetting.id)
    )
    return {(E(r.event), Recipient(r.recipient), Channel(r.channel)): r for r in rows}


def _rows_of(rows: Mapping[Cell, NotificationSetting], text: TextField) -> list[NotificationSetting]:
    """The rows a text is stored on: its event and audience, SMS rows for the SMS text, the others otherwise."""
    found = []
    for cell in CELLS:
        event, recipient, channel = cell
        if event != text.event or audience_of(recipient) != text.audience:
            continue
        if (channel == Channel.SMS) != (text.part == SMS):
            continue
        if cell in rows:
            found.append(rows[cell])
    return found


def _stored_text(rows: Mapping[Cell, NotificationSetting], text: TextField) -> str:
    for row in _rows_of(rows, text):
        value = (row.subject if text.part == SUBJECT else row.body) or ""
        if value.strip():
            return value
    return ""


def _state(eservice: EService) -> NotificationMatrix:
    rows = _rows(eservice.id)
    return NotificationMatrix(
        eservice=eservice,
        enabled={cell_name(cell) for cell in CELLS if cell in rows and rows[cell].enabled},
        texts={text.name: _stored_text(rows, text) for text in all_text_fields()},
        general_mailbox=eservice.general_mailbox or "",
    )


def notification_matrix(eservice_id: int, *, actor: StaffUser) -> NotificationMatrix:
    """The e-service's notification settings as the builder's matrix (F-ES-7)."""
    access.require_builder(actor)
    return _state(_eservice(eservice_id))


def _field_label(text: TextField) -> str:
    return _(
        "%(field)s for “%(event)s”",
        field=text.label[:1].upper() + text.label[1:],
        event=EVENT_LABELS[text.event],
    )


def check_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """The problems in the given texts as {field name: Swedish message naming the event and field}."""
    errors: dict[str, str] = {}
    for text in all_text_fields():
        value = (texts.get(text.name) or "").strip()
        if not value:
            continue
        label = _field_label(text)
        unknown = check_template(value)
        stray = broken_braces(value)
        if unknown:
            errors[text.name] = _(
                "%(field)s: unknown placeholder %(names)s. Use only the placeholders in the list.",
                field=label,
                names=", ".join(unknown),
            )
        elif stray:
            errors[text.name] = _(
                "%(field)s: the brace in “%(text)s” does not form a placeholder. "
                "Write a placeholder as its name within single braces, e.g. {arendenummer}.",
                field=label,
                text=stray[0],
            )
        elif text.part == SUBJECT and "\n" in value:
            errors[text.name] = _("%(field)s: the subject must be on one line.", field=label)
        elif text.part == SUBJECT and len(value) > SUBJECT_MAX:
            errors[text.name] = _(
                "%(field)s: the subject may be at most %(max)d characters.", field=label, max=SUBJECT_MAX
            )
    return errors


def _mailbox(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(
            _("Check the functional mailbox."),
            errors={"general_mailbox": _("Enter a valid e-mail address for the functional mailbox.")},
        ) from None


def _audit_values(state: NotificationMatrix) -> dict[str, object]:
    values: dict[str, object] = {cell_name(cell): cell_name(cell) in state.enabled for cell in CELLS}
    values.update({name: text or None for name, text in state.texts.items()})
    values["general_mailbox"] = state.general_mailbox or None
    return values


@transactional
def save_notification_settings(
    eservice_id: int,
    *,
    actor: StaffUser,
    enabled: Iterable[str],
    texts: Mapping[str, str],
    general_mailbox: str | None,
) -> NotificationMatrix:
    """Save the e-service's notification matrix, its own texts and its functional mailbox (checked first; audited)."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    errors = check_texts(texts)
    try:
        mailbox = _mailbox(general_mailbox)
    except Invalid as error:
        errors.update(error.errors)
    if errors:
        raise Invalid(_("The notification settings were not saved. Correct the fields listed below."), errors=errors)
    before = _state(eservice)
    on = set(enabled)
    rows = _rows(eservice.id)
    for cell in CELLS:
        if cell not in rows:
            event, recipient, channel = cell
            rows[cell] = NotificationSetting(
                eservice_id=eservice.id, event=event, recipient=recipient, channel=channel, enabled=False
            )
            db.session.add(rows[cell])
        rows[cell].enabled = cell_name(cell) in on
    for text in all_text_fields():
        value = (texts.get(text.name) or "").strip().replace("\r\n", "\n") or None
        for row in _rows_of(rows, text):
            if text.part == SUBJECT:
                row.subject = value
            else:
                row.body = value
                if text.part == SMS:
                    row.subject = None
    eservice.general_mailbox = mailbox
    db.session.flush()
    after = _state(eservice)
    audit.record_config_change(
        "config_notifications_changed",
        user=actor,
        obj=eservice,
        before=_audit_values(before),
        after=_audit_values(after),
    )
    return after


def example_values(eservice: EService, audience: Audience, actor: StaffUser) -> dict[str, object]:
    """The placeholder values of an example case in the e-service, as the preview shows them."""
    number = 123456
    status = next((s for s in eservice.status_group.statuses if s.kind == StatusKind.SUBMITTED), None)
    if audience == "applicant":
        status_text = (status.citizen_label or status.name) if status else ""
        link = f"{current_app.config['PORTAL_URL']}/mina-sidor/arenden/{number}"
        name = _("Maria Example")
    else:
        status_text = status.name if status else ""
        link = f"{current_app.config['BACKOFFICE_URL']}/arenden/{number}"
        name = actor.display_name
    return {
        "arendenummer": number,
        "etjanst": eservice.name,
        "status": status_text,
        "lank": link,
        "handlaggare": actor.display_name,
        "namn": name,
        "meddelande": _("(The text that belongs to the event, e.g. the absence reply.)"),
        "fil": "intyg.pdf",
        "kommun": current_app.config.get("MUNICIPALITY_NAME", ""),
    }


@dataclass(frozen=True)
class PreviewPart:
    label: str
    text: str


def preview_event(
    eservice_id: int, event: NotificationEvent | str, texts: Mapping[str, str], *, actor: StaffUser
) -> list[PreviewPart]:
    """One event's texts (the typed ones, else the standard ones) rendered for an example case."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    try:
        event = E(event)
    except ValueError:
        raise NotFound(_("The event was not found.")) from None
    parts = []
    for text in TEXT_FIELDS.get(event, []):
        template = (texts.get(text.name) or "").strip() or text.standard
        rendered = render(template, example_values(eservice, text.audience, actor))
        parts.append(PreviewPart(text.label[:1].upper() + text.label[1:], rendered))
    return parts


__all__ = [
    "CELLS",
    "COLUMNS",
    "EVENTS",
    "NotificationMatrix",
    "TextField",
    "all_text_fields",
    "cell_name",
    "check_texts",
    "notification_matrix",
    "placeholder_help",
    "preview_event",
    "save_notification_settings",
    "text_name",
]
