"""Mina uppgifter (issue 9, GDPR art. 15 and 20): what the municipality holds about a citizen, as JSON and PDF.

``citizen_data`` builds one plain dict that both formats are made from, so the JSON file
and the PDF always say the same. It starts from the access rules' query of the citizen's
own cases (``access.citizen_cases``): another person's case, an anonymous case (submitted
without e-ID: it names nobody we can tell is this citizen) or an anonymised one is never in it.

Not included, and the page says why: internal notes, subtasks and the handlers' other working
data (work material that is not shared with the applicant, and documents that are only
drafts within the authority), and the audit log beyond the citizen's own e-ID logins.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask_babel import gettext as _
from fpdf.enums import XPos, YPos
from sqlalchemy import select

from shared import clock
from shared.db import db, transactional
from shared.models import AuditEntry, Case, Citizen, MessageDirection, PortalNotice
from shared.services import access, audit, case_queries, mailings, mypages
from shared.services.pdf import FONT, _ApplicationPdf

FORMAT_VERSION = 1
FORMATS = ("json", "pdf")
LOGIN_ACTIONS = ("citizen_logged_in",)


def _when(value: dt.datetime | None) -> str | None:
    local = clock.to_local(value)
    return local.isoformat(timespec="seconds") if local is not None else None


def _answers(case: Case) -> list[dict[str, str]]:
    return [
        {
            "section": section.title,
            "question": str(row.question.get("label") or row.question.get("id")),
            "answer": row.text,
        }
        for section in case_queries.answer_sections(case)
        for row in section.rows
    ]


def _case(citizen: Citizen, case: Case) -> dict[str, Any]:
    thread = case_queries.case_messages(case.id)
    return {
        "number": case.number,
        "eservice": case.eservice.name,
        "status": case.status.label_for_citizen,
        "submitted_at": _when(case.submitted_at),
        "status_changed_at": _when(case.status_changed_at),
        "closed_at": _when(case.closed_at),
        "external_number": case.external_number,
        "contact": {"name": case.contact_name, "email": case.contact_email, "phone": case.contact_phone},
        "answers": _answers(case),
        "messages": [
            {
                "from": "municipality" if message.direction == MessageDirection.TO_APPLICANT else "you",
                "sent_at": _when(message.created_at),
                "read_at": _when(message.read_at),
                "text": message.body,
                "attachments": [document.filename for document in message.attachments],
            }
            for message in thread
        ],
        "documents": [
            {"name": document.filename, "added_at": _when(document.created_at), "size_bytes": document.size}
            for document in case_queries.case_documents(case.id)
        ],
        "mailings": [_mailing(recipient) for recipient in mypages.case_mailings(citizen, case.id)],
    }


def _mailing(recipient: Any) -> dict[str, Any]:
    subject, text = mailings.shown_text(recipient)
    mailing = recipient.mailing
    return {
        "subject": subject,
        "text": text,
        "sent_at": _when(mailing.sent_at),
        "question": mailing.question or None,
        "last_day_to_answer": mailing.answer_deadline.isoformat() if mailing.answer_deadline else None,
        "answer": mailings.answer_label(recipient.answer) if mailing.question else None,
        "answered_at": _when(recipient.answered_at),
    }


def citizen_data(citizen: Citizen) -> dict[str, Any]:
    """Everything held about the citizen that Mina uppgifter gives out, as plain data (changes nothing)."""
    own_cases = list(db.session.scalars(access.citizen_cases(citizen, drafts=False)))
    drafts = mypages.drafts(citizen)
    notices = db.session.scalars(
        select(PortalNotice)
        .where(PortalNotice.citizen_id == citizen.id)
        .order_by(PortalNotice.created_at.desc(), PortalNotice.id.desc())
    )
    case_numbers = {case.id: case.number for case in own_cases}
    logins = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.citizen_id == citizen.id, AuditEntry.action.in_(LOGIN_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return {
        "format_version": FORMAT_VERSION,
        "created_at": _when(clock.now()),
        "person": {
            "personnummer": citizen.personnummer_display,
            "first_name": citizen.first_name,
            "last_name": citizen.last_name,
            "email": citizen.email,
            "phone": citizen.phone,
            "notify_by_email": citizen.notify_by_email,
            "notify_by_sms": citizen.notify_by_sms,
            "first_login_at": _when(citizen.created_at),
            "last_login_at": _when(citizen.last_login_at),
        },
        "cases": [_case(citizen, case) for case in own_cases],
        "drafts": [
            {
                "eservice": draft.eservice.name,
                "created_at": _when(draft.created_at),
                "saved_at": _when(draft.updated_at),
                "answers": _answers(draft),
            }
            for draft in drafts
        ],
        "notices": [
            {
                "subject": notice.subject,
                "text": notice.body,
                "created_at": _when(notice.created_at),
                "read_at": _when(notice.read_at),
                "case_number": case_numbers.get(notice.case_id) if notice.case_id else None,
            }
            for notice in notices
        ],
        "logins": [
            {"at": _when(entry.at), "method": (entry.details or {}).get("method"), "ip": entry.ip} for entry in logins
        ],
    }


# -- the two files ----------------------------------------------------------------------------------


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def _day_time(value: str | None) -> str:
    """An ISO time from the dict as people read it (2026-03-01 14:05)."""
    if not value:
        return "–"
    return value[:16].replace("T", " ")


def as_pdf(data: dict[str, Any], *, municipality: str) -> bytes:
    """The same data as a PDF to read and keep, in the application PDF's fonts and layout."""
    pdf = _ApplicationPdf(_("Created %(when)s", when=_day_time(data["created_at"])))
    pdf.set_title(_("My data"))
    pdf.set_subject(municipality)
    pdf.set_creator("Etjänst")
    pdf.set_lang("sv")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(
        0, 8, _("My data – %(municipality)s", municipality=municipality), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(2)

    person = data["person"]
    pdf.heading(_("About you"))
    name = " ".join(p for p in (person["first_name"], person["last_name"]) if p)
    pdf.line_of(_("Name"), name)
    pdf.line_of(_("Personnummer"), person["personnummer"])
    pdf.line_of(_("E-mail"), person["email"] or "")
    pdf.line_of(_("Mobile phone"), person["phone"] or "")
    pdf.line_of(_("Notify by e-mail"), _yes_no(person["notify_by_email"]))
    pdf.line_of(_("Notify by SMS"), _yes_no(person["notify_by_sms"]))
    pdf.line_of(_("First login"), _day_time(person["first_login_at"]))
    pdf.line_of(_("Latest login"), _day_time(person["last_login_at"]))

    if not data["cases"]:
        pdf.heading(_("Cases"))
        pdf.answer(_("Cases"), _("You have no cases."))
    for case in data["cases"]:
        pdf.heading(_("Case %(number)s – %(eservice)s", number=case["number"], eservice=case["eservice"]))
        pdf.line_of(_("Status"), case["status"])
        pdf.line_of(_("Submitted"), _day_time(case["submitted_at"]))
        if case["closed_at"]:
            pdf.line_of(_("Closed"), _day_time(case["closed_at"]))
        if case["external_number"]:
            pdf.line_of(_("External case number"), case["external_number"])
        contact = case["contact"]
        if any(contact.values()):
            pdf.line_of(_("Contact details"), ", ".join(v for v in contact.values() if v))
        if case["answers"]:
            pdf.heading(_("Your answers"), size=11)
            for row in case["answers"]:
                pdf.answer(row["question"], row["answer"])
        if case["messages"]:
            pdf.heading(_("Messages"), size=11)
            for message in case["messages"]:
                who = _("From the municipality") if message["from"] == "municipality" else _("From you")
                text = message["text"]
                if message["attachments"]:
                    text += "\n" + _("Attached: %(names)s", names=", ".join(message["attachments"]))
                pdf.answer(f"{who}, {_day_time(message['sent_at'])}", text)
        if case["documents"]:
            pdf.heading(_("Documents"), size=11)
            pdf.set_font(FONT, "", 10)
            for document in case["documents"]:
                line = f"• {document['name']} ({_day_time(document['added_at'])})"
                pdf.multi_cell(0, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if case["mailings"]:
            pdf.heading(_("Mailings"), size=11)
            for mailing in case["mailings"]:
                text = mailing["text"]
                if mailing["question"]:
                    text += "\n" + _("Question: %(question)s", question=mailing["question"])
                    text += "\n" + _("Your answer: %(answer)s", answer=mailing["answer"])
                pdf.answer(f"{mailing['subject']}, {_day_time(mailing['sent_at'])}", text)

    pdf.heading(_("Saved applications (drafts)"))
    if not data["drafts"]:
        pdf.answer(_("Saved applications (drafts)"), _("You have no saved applications."))
    for draft in data["drafts"]:
        pdf.answer(draft["eservice"], _("Saved %(when)s", when=_day_time(draft["saved_at"])))
        for row in draft["answers"]:
            pdf.answer(row["question"], row["answer"])

    pdf.heading(_("Notices on My pages"))
    if not data["notices"]:
        pdf.answer(_("Notices on My pages"), _("You have no notices."))
    for notice in data["notices"]:
        pdf.answer(f"{notice['subject'] or _('Notice')}, {_day_time(notice['created_at'])}", notice["text"])

    pdf.heading(_("Logins with e-ID"))
    if not data["logins"]:
        pdf.answer(_("Logins with e-ID"), _("No logins are recorded."))
    pdf.set_font(FONT, "", 10)
    for login in data["logins"]:
        pdf.multi_cell(0, 5.5, f"• {_day_time(login['at'])}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.heading(_("What is not included"))
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5.5, not_included_text(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def not_included_text() -> str:
    """Why some data is left out (shown on the page and printed in the PDF)."""
    return _(
        "The handlers' internal notes, subtasks and other working material are not included: they are "
        "the municipality's work material and not shared with the applicant. You can ask the municipality "
        "for them; they are then examined under the rules on public access to official documents."
    )


@transactional
def download(citizen: Citizen, fmt: str, *, municipality: str) -> tuple[str, str, bytes]:
    """Mina uppgifter as a file (name, content type, bytes): the citizen's own data, logged in the audit log."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    data = citizen_data(citizen)
    day = clock.today().isoformat()
    audit.record("citizen_data_downloaded", citizen=citizen, obj=citizen, details={"format": fmt})
    if fmt == "json":
        return f"mina-uppgifter-{day}.json", "application/json", as_json(data)
    return f"mina-uppgifter-{day}.pdf", "application/pdf", as_pdf(data, municipality=municipality)


__all__ = ["FORMATS", "as_json", "as_pdf", "citizen_data", "download", "not_included_text"]
