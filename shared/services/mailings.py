"""Mailings (utskick, F-MAIL-1, F-MAIL-2, F-JOB-4): one text to many applicants, optionally with a yes/no question.

A handler chooses the recipients (the cases checked in the overview, or an e-service with
versions and a submitted date range or statuses), the channel (e-mail, SMS or Mina sidor),
a subject and a text with placeholders, and optionally a yes/no question with a last day to
answer and a no-answer action (a status). Every recipient case must be visible to the
handler (``access.visible_cases``); a case whose applicant cannot be reached on the channel
is listed as skipped, never silently dropped. Each reached applicant gets one notification
(event MAILING) with a link to the case on Mina sidor, where they answer Ja or Nej with one
click. An answer is given once, before the deadline, and cannot be changed afterwards (the
citizen can write a message in the case); the answer goes into the case history.

When a mailing's answer deadline has passed, the cases whose applicant did not answer move
to the mailing's no-answer status (e.g. "Köplats borttagen"), as if a handler had
changed the status: the history says so and the applicant is told per the e-service's
notification settings. Each recipient is dealt with once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, false, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from shared import clock
from shared.db import db, transactional
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import (
    Case,
    Channel,
    Citizen,
    EService,
    EServiceVersion,
    Mailing,
    MailingAnswer,
    MailingRecipient,
    NotificationEvent,
    OutboxMessage,
    StaffUser,
    Status,
    StatusKind,
)
from shared.notify import PLACEHOLDERS, Text, applicant_addressees, broken_braces, check_template, compose, queue_to
from shared.notify.render import render
from shared.services import access, audit, events, listing
from shared.services.cases import lock_case, move_to_status
from shared.services.jobs import JobReport

# The placeholders of a mailing: the notifications' own, and the last day to answer.
MAILING_PLACEHOLDERS: dict[str, str] = {**PLACEHOLDERS, "svara_senast": "Sista svarsdag (utskick med fråga)"}
# Those a handler is shown (the rest belong to other events and stay empty here).
SHOWN_PLACEHOLDERS = ("namn", "arendenummer", "etjanst", "status", "svara_senast", "lank", "kommun")
SUBJECT_MAX = 300
BODY_MAX = 10_000
QUESTION_MAX = 1_000
MAX_DAYS = 365
PAGE_SIZE = 50
# A mailing to more cases than this is not one a handler means to send by mistake.
MAX_RECIPIENTS = 20_000

CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PORTAL)

# Why a case is skipped (stored as codes; said in words by ``skip_reason``).
NO_EMAIL, NO_PHONE, NO_EID = "no_email", "no_phone", "no_eid"


def skip_reason(code: str) -> str:
    """Why a case was left out of a mailing, in words."""
    return {
        NO_EMAIL: _("No e-mail address, or the applicant has chosen not to get e-mail."),
        NO_PHONE: _("No mobile number, or the applicant has chosen not to get text messages."),
        NO_EID: _("The applicant did not log in with e-ID, so has no My pages to read or answer on."),
    }.get(code, code)


def channel_label(channel: Channel | str) -> str:
    """The channel in words (E-post, SMS, Mina sidor)."""
    return {
        Channel.EMAIL: _("E-mail"),
        Channel.SMS: _("SMS"),
        Channel.PORTAL: _("My pages"),
    }.get(Channel(channel), str(channel))


# -- choosing the recipients ---------------------------------------------------------------------


def _ids(values: Any) -> list[int]:
    if values in (None, ""):
        return []
    if not isinstance(values, list | tuple | set):
        values = [values]
    found = []
    for value in values:
        text = str(value).strip()
        if text.isdigit() and len(text) < 10:
            found.append(int(text))
    return list(dict.fromkeys(found))


def _date(value: Any, name: str, errors: dict[str, str]) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter dates as YYYY-MM-DD.")
        return None


def mailing_eservices(actor: StaffUser) -> list[EService]:
    """The e-services whose cases the actor may mail (those whose cases they see), by name."""
    return access.handled_eservices(actor)


def _visible_eservice(eservice_id: int | None, actor: StaffUser) -> EService:
    return access.handled_eservice(eservice_id, actor)


def clean_criteria(criteria: Mapping[str, Any], actor: StaffUser) -> dict[str, Any]:
    """The recipients' criteria checked and tidied: checked cases, or an e-service with versions, dates and statuses.

    Invalid (with field errors) when they cannot be read; NotFound for an e-service the actor does not see.
    """
    case_ids = _ids(criteria.get("case_ids"))
    if case_ids:
        return {"case_ids": case_ids}
    eservice_ids = _ids(criteria.get("eservice_id"))
    if not eservice_ids:
        raise Invalid(_("Choose an e-service."), errors={"eservice_id": _("Choose an e-service.")})
    eservice = _visible_eservice(eservice_ids[0], actor)
    errors: dict[str, str] = {}
    version_ids = _ids(criteria.get("version_ids"))
    own_versions = {v.id for v in eservice.versions}
    if any(v not in own_versions for v in version_ids):
        errors["version_ids"] = _("Choose among the e-service's versions.")
    status_ids = _ids(criteria.get("status_ids"))
    own_statuses = {s.id for s in eservice.status_group.statuses if s.kind != StatusKind.DRAFT}
    if any(s not in own_statuses for s in status_ids):
        errors["status_ids"] = _("Choose among the e-service's statuses.")
    date_from = _date(criteria.get("submitted_from"), "submitted_from", errors)
    date_to = _date(criteria.get("submitted_to"), "submitted_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["submitted_to"] = _("The last day comes before the first day.")
    if errors:
        raise Invalid(_("The choice of cases could not be read. Correct the fields marked below."), errors=errors)
    return {
        "eservice_id": eservice.id,
        "version_ids": version_ids,
        "submitted_from": date_from.isoformat() if date_from else None,
        "submitted_to": date_to.isoformat() if date_to else None,
        "status_ids": status_ids,
    }


def _day_starts(day: dt.date) -> dt.datetime:
    """When a Swedish calendar day begins, as the naive UTC the database stores."""
    local_midnight = dt.datetime.combine(day, dt.time.min, tzinfo=clock.LOCAL_TZ)
    return local_midnight.astimezone(dt.UTC).replace(tzinfo=None)


def _cases_query(criteria: Mapping[str, Any], actor: StaffUser) -> Select[tuple[Case]]:
    query = access.visible_cases(actor)
    if criteria.get("case_ids"):
        return query.where(Case.id.in_(criteria["case_ids"]))
    query = query.where(Case.eservice_id == criteria["eservice_id"])
    if criteria.get("version_ids"):
        query = query.where(Case.version_id.in_(criteria["version_ids"]))
    if criteria.get("status_ids"):
        query = query.where(Case.status_id.in_(criteria["status_ids"]))
    if criteria.get("submitted_from"):
        query = query.where(Case.submitted_at >= _day_starts(dt.date.fromisoformat(criteria["submitted_from"])))
    if criteria.get("submitted_to"):
        day_after = dt.date.fromisoformat(criteria["submitted_to"]) + dt.timedelta(days=1)
        query = query.where(Case.submitted_at < _day_starts(day_after))
    return query


@dataclass
class Recipients:
    """Who a mailing reaches: the cases with their applicant's addressee, and those skipped with why."""

    reached: list[tuple[Case, Any]] = field(default_factory=list)
    skipped: list[tuple[Case, str]] = field(default_factory=list)
    missing: int = 0  # checked cases the actor does not see (or that are gone)

    @property
    def cases(self) -> list[Case]:
        return [case for case, _addressee in self.reached]

    @property
    def eservice_ids(self) -> set[int]:
        return {case.eservice_id for case, _a in self.reached} | {case.eservice_id for case, _r in self.skipped}


def _skip_code(channel: Channel) -> str:
    # Mina sidor needs e-ID; e-mail and SMS need an address the applicant has not opted out of.
    return {Channel.PORTAL: NO_EID, Channel.EMAIL: NO_EMAIL}.get(channel, NO_PHONE)


def preview_recipients(
    criteria: Mapping[str, Any], actor: StaffUser, *, channel: Channel | str = Channel.PORTAL, question: bool = False
) -> Recipients:
    """The cases the criteria choose among those the actor sees, split into reached and skipped for the channel.

    With a question an applicant without e-ID is skipped too: they have no Mina sidor to answer on.
    """
    channel = Channel(channel)
    criteria = clean_criteria(criteria, actor)
    query = (
        _cases_query(criteria, actor)
        .options(joinedload(Case.citizen), joinedload(Case.eservice), joinedload(Case.status))
        .order_by(Case.number, Case.id)
        .limit(MAX_RECIPIENTS + 1)
    )
    found = list(db.session.scalars(query).unique())
    if len(found) > MAX_RECIPIENTS:
        raise Invalid(_("A mailing can go to at most %(max)d cases. Narrow the choice.", max=MAX_RECIPIENTS))
    result = Recipients()
    if criteria.get("case_ids"):
        result.missing = len(criteria["case_ids"]) - len(found)
    for found_case in found:
        if question and found_case.citizen_id is None:
            result.skipped.append((found_case, NO_EID))
            continue
        addressees = applicant_addressees(found_case, channel)
        if addressees:
            result.reached.append((found_case, addressees[0]))
        else:
            result.skipped.append((found_case, _skip_code(channel)))
    return result


# -- the text ------------------------------------------------------------------------------------


def _link_line(question: bool) -> str:
    if question:
        return "Svara Ja eller Nej på Mina sidor senast {svara_senast}: {lank}"
    return "Läs mer på Mina sidor: {lank}"


def mailing_text(
    subject: str, body: str, question: str | None, deadline: dt.date | None, channel: Channel | str
) -> Text:
    """The notification text of a mailing: the handler's subject and text, the question, and the link to Mina sidor.

    {svara_senast} is filled in here; the other placeholders per recipient by the outbox.
    """
    body = body.strip()
    parts = [body]
    if question:
        parts.append(question.strip())
    if "{lank}" not in body:
        parts.append(_link_line(bool(question)))
    full = "\n\n".join(parts)
    if Channel(channel) != Channel.SMS:
        full += "\n\nMed vänliga hälsningar\n{kommun}"
    own = {"svara_senast": deadline.isoformat() if deadline else ""}
    only_deadline = ("svara_senast",)
    return Text(
        subject=render(subject.strip(), own, only_deadline),
        body=render(full, own, only_deadline),
        sms=render("\n".join(parts), own, only_deadline),
    )


def _text_errors(name: str, value: str, errors: dict[str, str], *, question: bool) -> None:
    unknown = check_template(value, MAILING_PLACEHOLDERS)
    stray = broken_braces(value)
    if unknown:
        errors[name] = _(
            "Unknown placeholder %(names)s. Use only the placeholders in the list.", names=", ".join(unknown)
        )
    elif stray:
        errors[name] = _(
            "The brace in “%(text)s” does not form a placeholder. "
            "Write a placeholder as its name within single braces, e.g. {arendenummer}.",
            text=stray[0],
        )
    elif not question and "{svara_senast}" in value:
        errors[name] = _("{svara_senast} can only be used in a mailing with a question.")


# -- checking a mailing before it is created --------------------------------------------------------


@dataclass
class Draft:
    """What the handler filled in (as the form gives it)."""

    criteria: dict[str, Any]
    channel: str = ""
    subject: str = ""
    body: str = ""
    question: str = ""
    answer_days: str | int | None = None
    no_answer_status_id: str | int | None = None


@dataclass
class Checked:
    """A draft that passed every check, with its recipients and what the first one would get."""

    criteria: dict[str, Any]
    channel: Channel
    subject: str
    body: str
    question: str | None
    answer_days: int | None
    answer_deadline: dt.date | None
    no_answer_status: Status | None
    eservice: EService | None
    recipients: Recipients
    example: OutboxMessage | None = None


def no_answer_statuses(eservice: EService | None) -> list[Status]:
    """The statuses a no-answer action may set: the e-service's own, drafts excluded."""
    if eservice is None:
        return []
    return [s for s in eservice.status_group.statuses if s.kind != StatusKind.DRAFT]


def check(draft: Draft, actor: StaffUser) -> Checked:
    """Check a mailing as the handler filled it in: Invalid with a message per field, else the recipients and
    the text rendered for the first of them."""
    errors: dict[str, str] = {}
    try:
        channel = Channel(str(draft.channel or ""))
    except ValueError:
        channel = None
        errors["channel"] = _("Choose how the mailing is sent.")
    subject = (draft.subject or "").strip()
    body = (draft.body or "").strip()
    question = (draft.question or "").strip() or None
    if not subject:
        errors["subject"] = _("Write a subject.")
    elif "\n" in subject or len(subject) > SUBJECT_MAX:
        errors["subject"] = _("The subject must be one line of at most %(max)d characters.", max=SUBJECT_MAX)
    else:
        _text_errors("subject", subject, errors, question=bool(question))
    if not body:
        errors["body"] = _("Write the text of the mailing.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("The text may be at most %(max)d characters.", max=BODY_MAX)
    else:
        _text_errors("body", body, errors, question=bool(question))
    if question and len(question) > QUESTION_MAX:
        errors["question"] = _("The question may be at most %(max)d characters.", max=QUESTION_MAX)
    answer_days: int | None = None
    status_id: int | None = None
    if question:
        raw_days = str(draft.answer_days if draft.answer_days is not None else "").strip()
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_DAYS:
            errors["answer_days"] = _(
                "Give the number of days to answer as a whole number from 1 to %(max)d.", max=MAX_DAYS
            )
        else:
            answer_days = int(raw_days)
        raw_status = str(draft.no_answer_status_id or "").strip()
        if raw_status:
            status_id = int(raw_status) if raw_status.isdigit() and len(raw_status) < 10 else -1
    try:
        criteria = clean_criteria(draft.criteria, actor)
    except Invalid as error:
        errors.update(error.errors or {"criteria": error.message})
        raise Invalid(_("The mailing could not be made. Correct the fields marked below."), errors=errors) from None
    recipients = preview_recipients(criteria, actor, channel=channel or Channel.PORTAL, question=bool(question))
    eservice_ids = recipients.eservice_ids
    eservice = db.session.get(EService, next(iter(eservice_ids))) if len(eservice_ids) == 1 else None
    if criteria.get("eservice_id"):
        eservice = db.session.get(EService, criteria["eservice_id"])
    status = None
    if status_id is not None:
        if eservice is None or len(eservice_ids) > 1:
            errors["no_answer_status_id"] = _(
                "A no-answer action needs cases of one e-service. Choose no action, or cases of one e-service."
            )
        else:
            status = next((s for s in no_answer_statuses(eservice) if s.id == status_id), None)
            if status is None:
                errors["no_answer_status_id"] = _("Choose one of the e-service's statuses.")
    if not recipients.reached and not recipients.skipped:
        errors["criteria"] = _("No case matches the choice.")
    elif not recipients.reached and channel is not None:
        errors["criteria"] = _(
            "None of the chosen cases can be reached by %(channel)s.", channel=channel_label(channel).lower()
        )
    if errors:
        raise Invalid(_("The mailing could not be made. Correct the fields marked below."), errors=errors)
    assert channel is not None
    deadline = clock.today() + dt.timedelta(days=answer_days) if answer_days else None
    checked = Checked(
        criteria=criteria,
        channel=channel,
        subject=subject,
        body=body,
        question=question,
        answer_days=answer_days,
        answer_deadline=deadline,
        no_answer_status=status,
        eservice=eservice,
        recipients=recipients,
    )
    first_case, first_addressee = recipients.reached[0]
    text = mailing_text(subject, body, question, deadline, channel)
    checked.example = compose(first_case, NotificationEvent.MAILING, first_addressee, actor=actor, text=text)
    return checked


# -- creating and sending ------------------------------------------------------------------------


@transactional
def create_mailing(draft: Draft, *, actor: StaffUser, send_now: bool = True) -> Mailing:
    """Create a mailing (Skapa utskick) to the chosen cases the actor sees; with send_now, send it at once."""
    checked = check(draft, actor)
    mailing = Mailing(
        eservice_id=checked.eservice.id if checked.eservice is not None else None,
        created_by_id=actor.id,
        channel=checked.channel,
        subject=checked.subject,
        body=checked.body,
        criteria={
            **checked.criteria,
            "skipped": [
                {"case_id": c.id, "number": c.number, "reason": reason} for c, reason in checked.recipients.skipped
            ],
        },
        question=checked.question,
        answer_deadline=checked.answer_deadline,
        no_answer_status_id=checked.no_answer_status.id if checked.no_answer_status is not None else None,
    )
    mailing.recipients = [MailingRecipient(case_id=c.id) for c in checked.recipients.cases]
    db.session.add(mailing)
    db.session.flush()
    audit.record(
        "mailing_created",
        user=actor,
        obj=mailing,
        details={
            "subject": mailing.subject,
            "channel": str(mailing.channel),
            "recipients": len(mailing.recipients),
            "skipped": len(checked.recipients.skipped),
            "question": bool(mailing.question),
            "deadline": mailing.answer_deadline,
            "no_answer_status": checked.no_answer_status.name if checked.no_answer_status is not None else None,
        },
    )
    if send_now:
        send(mailing.id, actor=actor)
    return mailing


def _own_mailing(mailing_id: int, actor: StaffUser) -> Mailing:
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or not db.session.scalar(
        visible_mailings(actor).where(Mailing.id == mailing_id).with_only_columns(Mailing.id)
    ):
        raise NotFound(_("The mailing was not found."))
    return mailing


@transactional
def send(mailing_id: int, *, actor: StaffUser) -> Mailing:
    """Send the mailing: one notification per recipient on its channel, a line in each case's history."""
    mailing = _own_mailing(mailing_id, actor)
    if mailing.sent_at is not None:
        raise NotAllowed(_("The mailing has already been sent."))
    now = clock.now()
    text = mailing_text(mailing.subject, mailing.body, mailing.question, mailing.answer_deadline, mailing.channel)
    recipients = db.session.scalars(
        select(MailingRecipient)
        .where(MailingRecipient.mailing_id == mailing.id)
        .options(joinedload(MailingRecipient.case).joinedload(Case.citizen))
        .order_by(MailingRecipient.id)
    ).all()
    for recipient in recipients:
        found = recipient.case
        addressees = applicant_addressees(found, mailing.channel)[:1]
        if queue_to(found, NotificationEvent.MAILING, addressees, actor=actor, text=text):
            recipient.notified_at = now
        events.record(
            found,
            "mailing_sent",
            user=actor,
            mailing_id=mailing.id,
            subject=mailing.subject,
            channel=str(mailing.channel),
            question=mailing.question or None,
        )
    mailing.sent_at = now
    audit.record("mailing_sent", user=actor, obj=mailing, details={"recipients": len(recipients)})
    return mailing


# -- the citizen's answer ---------------------------------------------------------------------------


def answer_state(recipient: MailingRecipient, today: dt.date | None = None) -> str:
    """Where a recipient stands: "info" (no question), "open" (may answer), "answered", or "closed" (too late)."""
    mailing = recipient.mailing
    if not mailing.question:
        return "info"
    if recipient.answer is not None:
        return "answered"
    today = today or clock.today()
    if recipient.no_answer_action_at is not None or (mailing.answer_deadline and mailing.answer_deadline < today):
        return "closed"
    return "open"


@transactional
def answer(recipient_id: int, value: str, *, citizen: Citizen | None) -> MailingRecipient:
    """The citizen answers a mailing's question Ja or Nej: only on their own case, before the deadline, once."""
    recipient = db.session.get(MailingRecipient, recipient_id)
    if recipient is None or recipient.mailing.sent_at is None:
        raise NotFound(_("The mailing was not found."))
    access.require_citizen(citizen, "view", recipient.case)
    assert citizen is not None
    try:
        chosen = MailingAnswer(str(value or "").strip().lower())
    except ValueError:
        raise Invalid(_("Answer Yes or No."), errors={"answer": _("Answer Yes or No.")}) from None
    found = lock_case(recipient.case_id)
    db.session.refresh(recipient)
    mailing = recipient.mailing
    state = answer_state(recipient)
    if state == "info":
        raise NotAllowed(_("The mailing has no question to answer."))
    if state == "answered":
        raise NotAllowed(
            _(
                "You have already answered %(answer)s on %(date)s. To change your answer, write a message in the case.",
                answer=answer_label(recipient.answer),
                date=_local_day(recipient.answered_at),
            )
        )
    if state == "closed":
        raise NotAllowed(
            _("The last day to answer was %(date)s. It is no longer possible to answer.", date=mailing.answer_deadline)
        )
    recipient.answer = chosen
    recipient.answered_at = clock.now()
    events.record(
        found, "mailing_answered", citizen=citizen, mailing_id=mailing.id, subject=mailing.subject, answer=chosen
    )
    audit.record("mailing_answered", citizen=citizen, obj=recipient, case=found, details={"mailing_id": mailing.id})
    return recipient


def shown_text(recipient: MailingRecipient) -> tuple[str, str]:
    """The mailing's subject and text as this recipient's applicant reads them on Mina sidor (placeholders filled in)."""
    mailing, found = recipient.mailing, recipient.case
    own = {"svara_senast": mailing.answer_deadline.isoformat() if mailing.answer_deadline else ""}
    addressees = applicant_addressees(found, Channel.PORTAL)
    if not addressees:
        return mailing.subject, mailing.body
    text = Text(
        subject=render(mailing.subject, own, ("svara_senast",)),
        body=render(mailing.body, own, ("svara_senast",)),
        sms="",
    )
    shown = compose(found, NotificationEvent.MAILING, addressees[0], text=text)
    return shown.subject or mailing.subject, shown.body


def answer_label(value: MailingAnswer | str | None) -> str:
    """Ja, Nej, or Inte svarat."""
    if value is None:
        return _("Not answered")
    return _("Yes") if MailingAnswer(value) == MailingAnswer.YES else _("No")


def _local_day(value: dt.datetime | None) -> str:
    local = clock.to_local(value)
    return local.date().isoformat() if local is not None else ""


# -- what the screens show ---------------------------------------------------------------------------


def visible_mailings(actor: StaffUser) -> Select[tuple[Mailing]]:
    """The mailings the actor may open: all for an administrator; else their own and those to a case they see."""
    query = select(Mailing)
    if actor is None or not actor.active:
        return query.where(false())
    if access.is_admin(actor):
        return query
    seen = access.visible_cases(actor).with_only_columns(Case.id).order_by(None)
    return query.where(
        or_(
            Mailing.created_by_id == actor.id,
            Mailing.id.in_(select(MailingRecipient.mailing_id).where(MailingRecipient.case_id.in_(seen))),
        )
    )


@dataclass
class Counts:
    yes: int = 0
    no: int = 0
    unanswered: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no + self.unanswered


def _counts(mailing_ids: list[int]) -> dict[int, Counts]:
    if not mailing_ids:
        return {}
    rows = db.session.execute(
        select(
            MailingRecipient.mailing_id,
            func.sum(case((MailingRecipient.answer == MailingAnswer.YES, 1), else_=0)),
            func.sum(case((MailingRecipient.answer == MailingAnswer.NO, 1), else_=0)),
            func.sum(case((MailingRecipient.answer.is_(None), 1), else_=0)),
        )
        .where(MailingRecipient.mailing_id.in_(mailing_ids))
        .group_by(MailingRecipient.mailing_id)
    ).all()
    return {row[0]: Counts(int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in rows}


@dataclass
class ListRow:
    mailing: Mailing
    counts: Counts
    eservice_name: str | None = None


def list_mailings(actor: StaffUser, page: int = 1) -> tuple[list[ListRow], bool]:
    """Utskick: the mailings the actor may open, newest first, a page at a time, with their answer counts."""
    query = visible_mailings(actor).order_by(Mailing.created_at.desc(), Mailing.id.desc())
    mailings, has_next = listing.page_without_count(query, page, PAGE_SIZE)
    counts = _counts([m.id for m in mailings])
    ids = sorted({m.eservice_id for m in mailings if m.eservice_id})
    names = (
        dict(db.session.execute(select(EService.id, EService.name).where(EService.id.in_(ids))).all()) if ids else {}
    )
    rows = [ListRow(m, counts.get(m.id, Counts()), names.get(m.eservice_id)) for m in mailings]
    return rows, has_next


ANSWER_FILTERS = {"ja": MailingAnswer.YES, "nej": MailingAnswer.NO, "inget": None}


@dataclass
class Summary:
    """A mailing's summary: how many answered Ja, Nej or not at all, and a page of its recipients."""

    mailing: Mailing
    eservice: EService | None
    created_by: StaffUser | None
    no_answer_status: Status | None
    counts: Counts
    rows: list[MailingRecipient]
    page: int
    has_next: bool
    answer_filter: str | None
    skipped: list[dict[str, Any]]
    no_answer_done: int

    @property
    def deadline_passed(self) -> bool:
        deadline = self.mailing.answer_deadline
        return bool(self.mailing.question and deadline and deadline < clock.today())


def summary(mailing_id: int, *, actor: StaffUser, page: int = 1, answer_filter: str | None = None) -> Summary:
    """The per-mailing summary (Ja / Nej / Inte svarat); the rows list only the cases the actor sees."""
    mailing = _own_mailing(mailing_id, actor)
    seen = access.visible_cases(actor).with_only_columns(Case.id).order_by(None)
    query = (
        select(MailingRecipient)
        .join(Case, Case.id == MailingRecipient.case_id)
        .where(MailingRecipient.mailing_id == mailing.id, MailingRecipient.case_id.in_(seen))
        .options(
            joinedload(MailingRecipient.case).joinedload(Case.status),
            joinedload(MailingRecipient.case).joinedload(Case.citizen),
        )
        .order_by(Case.number, MailingRecipient.id)
    )
    if answer_filter in ANSWER_FILTERS:
        wanted = ANSWER_FILTERS[answer_filter]
        query = query.where(MailingRecipient.answer.is_(None) if wanted is None else MailingRecipient.answer == wanted)
    else:
        answer_filter = None
    rows, has_next = listing.page_without_count(query, max(page, 1), PAGE_SIZE)
    done = db.session.scalar(
        select(func.count())
        .select_from(MailingRecipient)
        .where(MailingRecipient.mailing_id == mailing.id, MailingRecipient.no_answer_action_at.is_not(None))
    )
    return Summary(
        mailing=mailing,
        eservice=db.session.get(EService, mailing.eservice_id) if mailing.eservice_id else None,
        created_by=db.session.get(StaffUser, mailing.created_by_id) if mailing.created_by_id else None,
        no_answer_status=db.session.get(Status, mailing.no_answer_status_id) if mailing.no_answer_status_id else None,
        counts=_counts([mailing.id]).get(mailing.id, Counts()),
        rows=rows,
        page=max(page, 1),
        has_next=has_next,
        answer_filter=answer_filter,
        skipped=list((mailing.criteria or {}).get("skipped") or []),
        no_answer_done=int(done or 0),
    )


def case_mailings(case_id: int) -> list[MailingRecipient]:
    """The sent mailings of one case with the applicant's answers, newest first (the caller has checked access)."""
    return list(
        db.session.scalars(
            select(MailingRecipient)
            .join(Mailing, Mailing.id == MailingRecipient.mailing_id)
            .where(MailingRecipient.case_id == case_id, Mailing.sent_at.is_not(None))
            .options(selectinload(MailingRecipient.mailing))
            .order_by(Mailing.sent_at.desc(), Mailing.id.desc())
        )
    )


def version_choices(eservice: EService) -> list[EServiceVersion]:
    """The e-service's versions that can have cases (not drafts), newest first."""
    return sorted((v for v in eservice.versions if v.published_at is not None), key=lambda v: -v.number)


# -- the deadline (F-JOB-4) ----------------------------------------------------------------------------


def _past_deadline(today: dt.date):
    return (
        Mailing.sent_at.is_not(None),
        Mailing.question.is_not(None),
        Mailing.question != "",
        Mailing.answer_deadline.is_not(None),
        Mailing.answer_deadline < today,
        Mailing.no_answer_status_id.is_not(None),
    )


@transactional
def _no_answer(recipient_id: int) -> str:
    recipient = db.session.get(MailingRecipient, recipient_id)
    if recipient is None:
        return "gone"
    try:
        found = lock_case(recipient.case_id)
    except NotFound:
        return "gone"
    db.session.refresh(recipient)
    if recipient.answer is not None or recipient.no_answer_action_at is not None:
        return "answered"
    recipient.no_answer_action_at = clock.now()
    mailing = recipient.mailing
    status = db.session.get(Status, mailing.no_answer_status_id)
    if status is None or status.group_id != found.eservice.status_group_id:
        return "skipped"  # the status was removed or belongs to another e-service
    if found.closed_at is not None or found.status_id == status.id:
        return "skipped"  # already closed, or already there
    move_to_status(found, status, actor=None, notify_applicant=True, mailing_id=mailing.id, no_answer=True)
    return "moved"


def run_no_answer_actions(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Move the cases that did not answer a mailing's question by its deadline to the mailing's no-answer status."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    rows = db.session.execute(
        select(MailingRecipient.id, Case.number, Mailing.id.label("mailing_id"))
        .join(Mailing, Mailing.id == MailingRecipient.mailing_id)
        .join(Case, Case.id == MailingRecipient.case_id)
        .where(
            *_past_deadline(today), MailingRecipient.answer.is_(None), MailingRecipient.no_answer_action_at.is_(None)
        )
        .order_by(Mailing.id, MailingRecipient.id)
    ).all()
    db.session.commit()
    if dry_run:
        lines = [
            _("Case %(number)s did not answer mailing %(mailing)d", number=r.number or "-", mailing=r.mailing_id)
            for r in rows
        ]
        return JobReport(counts={"would_move": len(rows)}, lines=lines)
    moved = sum(1 for r in rows if _no_answer(r.id) == "moved")
    # A mailing whose recipients have all been dealt with is done.
    done = db.session.execute(
        update(Mailing)
        .where(
            *_past_deadline(today),
            Mailing.no_answer_ran_at.is_(None),
            ~Mailing.recipients.any(
                (MailingRecipient.answer.is_(None)) & (MailingRecipient.no_answer_action_at.is_(None))
            ),
        )
        .values(no_answer_ran_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return JobReport(counts={"moved": moved, "mailings_done": done})


__all__ = [
    "ANSWER_FILTERS",
    "CHANNELS",
    "MAILING_PLACEHOLDERS",
    "SHOWN_PLACEHOLDERS",
    "Checked",
    "Counts",
    "Draft",
    "ListRow",
    "Recipients",
    "Summary",
    "answer",
    "answer_label",
    "answer_state",
    "case_mailings",
    "channel_label",
    "check",
    "clean_criteria",
    "FormChoices",
    "form_choices",
    "create_mailing",
    "list_mailings",
    "mailing_eservices",
    "mailing_text",
    "no_answer_statuses",
    "preview_recipients",
    "run_no_answer_actions",
    "send",
    "shown_text",
    "skip_reason",
    "summary",
    "version_choices",
    "visible_mailings",
]


# -- what the form offers --------------------------------------------------------------------------


@dataclass
class FormChoices:
    """What "Skapa utskick" offers: the actor's e-services, and for the chosen one its versions and statuses."""

    eservices: list[EService]
    eservice: EService | None = None
    versions: list[EServiceVersion] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    checked: list[Case] = field(default_factory=list)  # the checked cases the actor sees
    several_eservices: bool = False


def form_choices(actor: StaffUser, *, eservice_id: int | None = None, case_ids: list[int] | None = None) -> FormChoices:
    """The choices of the mailing form, for an e-service (by criteria) or for the checked cases."""
    choices = FormChoices(eservices=mailing_eservices(actor))
    if case_ids:
        choices.checked = list(
            db.session.scalars(
                access.visible_cases(actor)
                .where(Case.id.in_(case_ids[:MAX_RECIPIENTS]))
                .options(joinedload(Case.eservice))
                .order_by(Case.number)
            ).unique()
        )
        ids = {c.eservice_id for c in choices.checked}
        choices.several_eservices = len(ids) > 1
        if len(ids) == 1:
            choices.eservice = choices.checked[0].eservice
    elif eservice_id:
        choices.eservice = next((e for e in choices.eservices if e.id == eservice_id), None)
        if choices.eservice is not None:
            choices.versions = version_choices(choices.eservice)
    choices.statuses = no_answer_statuses(choices.eservice)
    return choices
