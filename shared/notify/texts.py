"""The standard Swedish texts of every notification (used when a setting has no own text).

Written in the users' words: ärende, e-tjänst, handläggare, Mina sidor. Texts to the
applicant never carry the message itself or answers (e-mail and SMS are not secure
channels); they say that something happened and link to Mina sidor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.models import NotificationEvent as E
from shared.models import Recipient

Audience = Literal["applicant", "handler"]


@dataclass(frozen=True)
class Text:
    subject: str
    body: str
    sms: str


_APPLICANT_FOOTER = "\n\nDet här meddelandet går inte att svara på.\n\nMed vänliga hälsningar\n{kommun}"
_HANDLER_FOOTER = "\n\nDet här är ett automatiskt meddelande från e-tjänsteplattformen."


def _applicant(subject: str, body: str, sms: str) -> Text:
    return Text(subject, body + _APPLICANT_FOOTER, sms)


def _handler(subject: str, body: str, sms: str) -> Text:
    return Text(subject, body + _HANDLER_FOOTER, sms)


APPLICANT_TEXTS: dict[E, Text] = {
    E.SUBMITTED: _applicant(
        "Vi har tagit emot ditt ärende {arendenummer}",
        "Hej!\n\nTack! Vi har tagit emot ditt ärende i e-tjänsten {etjanst}. "
        "Ditt ärendenummer är {arendenummer}.\n\nDu kan följa ärendet på Mina sidor: {lank}",
        "{kommun}: Vi har tagit emot ditt ärende {arendenummer} ({etjanst}).\nFölj ärendet på Mina sidor: {lank}",
    ),
    E.STATUS_CHANGED: _applicant(
        "Ditt ärende {arendenummer} har fått ny status",
        "Hej!\n\nDitt ärende {arendenummer} i e-tjänsten {etjanst} har nu status: {status}."
        "\n\nLäs mer på Mina sidor: {lank}",
        "{kommun}: Ditt ärende {arendenummer} har nu status: {status}.\nMina sidor: {lank}",
    ),
    E.MESSAGE_TO_APPLICANT: _applicant(
        "Nytt meddelande i ditt ärende {arendenummer}",
        "Hej!\n\nDu har fått ett nytt meddelande från handläggaren i ditt ärende {arendenummer} ({etjanst})."
        "\n\nLogga in på Mina sidor för att läsa och svara: {lank}"
        "\n\nAv säkerhetsskäl skickar vi inte själva meddelandet med e-post.",
        "{kommun}: Du har ett nytt meddelande i ärende {arendenummer}.\nLogga in på Mina sidor för att läsa: {lank}",
    ),
    E.CLOSED: _applicant(
        "Ditt ärende {arendenummer} är avslutat",
        "Hej!\n\nDitt ärende {arendenummer} i e-tjänsten {etjanst} är nu avslutat."
        "\n\nPå Mina sidor kan du se ärendet och dina meddelanden: {lank}",
        "{kommun}: Ditt ärende {arendenummer} ({etjanst}) är avslutat.\nMina sidor: {lank}",
    ),
    E.AUTO_REPLY: _applicant(
        "Automatiskt svar i ärende {arendenummer}",
        "Hej!\n\nTack för ditt meddelande i ärende {arendenummer}. Det här är ett automatiskt svar."
        "\n\n{meddelande}\n\nDitt meddelande har skickats vidare till kollegor som kan hjälpa dig."
        "\n\nDu hittar ärendet på Mina sidor: {lank}",
        "{kommun}: Automatiskt svar i ärende {arendenummer}: {meddelande}",
    ),
    E.MESSAGE_FROM_APPLICANT: _applicant(
        "Vi har tagit emot ditt meddelande i ärende {arendenummer}",
        "Hej!\n\nVi har tagit emot ditt meddelande i ärende {arendenummer} ({etjanst}).\n\nMina sidor: {lank}",
        "{kommun}: Vi har tagit emot ditt meddelande i ärende {arendenummer}.",
    ),
    E.SUPPLEMENT: _applicant(
        "Vi har tagit emot din komplettering i ärende {arendenummer}",
        "Hej!\n\nVi har tagit emot din komplettering ({fil}) i ärende {arendenummer} ({etjanst})."
        "\n\nMina sidor: {lank}",
        "{kommun}: Vi har tagit emot din komplettering i ärende {arendenummer}.",
    ),
    E.FILE_DOWNLOADED: _applicant(
        "Din fil i ärende {arendenummer} har öppnats",
        "Hej!\n\nHandläggaren har öppnat filen {fil} som du skickade in i ärende {arendenummer} ({etjanst}).",
        "{kommun}: Handläggaren har öppnat filen {fil} i ärende {arendenummer}.",
    ),
    E.MAILING: _applicant(
        "Information om ditt ärende {arendenummer}",
        "Hej!\n\n{meddelande}\n\nLäs mer och svara på Mina sidor: {lank}",
        "{kommun}: {meddelande}\nMina sidor: {lank}",
    ),
    E.OVERDUE: _applicant(
        "Ditt ärende {arendenummer} tar längre tid än väntat",
        "Hej!\n\nHandläggningen av ditt ärende {arendenummer} ({etjanst}) tar längre tid än vi räknat med. "
        "Vi hör av oss så snart vi kan.\n\nMina sidor: {lank}",
        "{kommun}: Handläggningen av ditt ärende {arendenummer} tar längre tid än väntat.",
    ),
}

HANDLER_TEXTS: dict[E, Text] = {
    E.NEW_CASE: _handler(
        "Nytt ärende {arendenummer} i {etjanst}",
        "Hej!\n\nEtt nytt ärende har kommit in i e-tjänsten {etjanst}.\n\nÄrendenummer: {arendenummer}"
        "\nStatus: {status}\n\nÖppna ärendet: {lank}",
        "Nytt ärende {arendenummer} i {etjanst}: {lank}",
    ),
    E.SUBMITTED: _handler(
        "Nytt ärende {arendenummer} i {etjanst}",
        "Hej!\n\nEtt nytt ärende har skickats in i e-tjänsten {etjanst}.\n\nÄrendenummer: {arendenummer}"
        "\n\nÖppna ärendet: {lank}",
        "Nytt ärende {arendenummer} i {etjanst}: {lank}",
    ),
    E.ASSIGNED: _handler(
        "Du har tilldelats ärende {arendenummer}",
        "Hej {namn}!\n\nDu har blivit tilldelad ärende {arendenummer} i e-tjänsten {etjanst}.\n\nÖppna ärendet: {lank}",
        "Du har tilldelats ärende {arendenummer} ({etjanst}): {lank}",
    ),
    E.GROUP_ASSIGNED: _handler(
        "Ärende {arendenummer} har fördelats till din grupp",
        "Hej {namn}!\n\nÄrende {arendenummer} i e-tjänsten {etjanst} har fördelats till en grupp som du ingår i."
        "\nTa ärendet innan du svarar den sökande, så att det alltid är en person som besvarar ärendet."
        "\n\nÖppna ärendet: {lank}",
        "Ärende {arendenummer} ({etjanst}) har fördelats till din grupp: {lank}",
    ),
    E.TAKEN_OVER: _handler(
        "Ärende {arendenummer} har tagits över av {handlaggare}",
        "Hej {namn}!\n\n{handlaggare} har tagit över ärende {arendenummer} i e-tjänsten {etjanst}. "
        "Du är inte längre handläggare för ärendet.\n\nÄrendet: {lank}",
        "{handlaggare} har tagit över ärende {arendenummer} ({etjanst}).",
    ),
    E.STATUS_CHANGED: _handler(
        "Ärende {arendenummer} har fått status {status}",
        "Hej!\n\nÄrende {arendenummer} i e-tjänsten {etjanst} har fått status: {status}.\n\nÖppna ärendet: {lank}",
        "Ärende {arendenummer} ({etjanst}) har fått status: {status}",
    ),
    E.CLOSED: _handler(
        "Ärende {arendenummer} är avslutat",
        "Hej!\n\nÄrende {arendenummer} i e-tjänsten {etjanst} är avslutat (status: {status}).\n\nÄrendet: {lank}",
        "Ärende {arendenummer} ({etjanst}) är avslutat.",
    ),
    E.MESSAGE_FROM_APPLICANT: _handler(
        "Nytt meddelande från sökande i ärende {arendenummer}",
        "Hej!\n\nDen sökande har skickat ett nytt meddelande i ärende {arendenummer} ({etjanst})."
        "\n\nLäs meddelandet: {lank}",
        "Nytt meddelande från sökande i ärende {arendenummer} ({etjanst}): {lank}",
    ),
    E.MESSAGE_TO_APPLICANT: _handler(
        "Meddelande skickat till sökande i ärende {arendenummer}",
        "Hej!\n\n{handlaggare} har skickat ett meddelande till den sökande i ärende {arendenummer} ({etjanst})."
        "\n\nÖppna ärendet: {lank}",
        "Meddelande skickat till sökande i ärende {arendenummer}.",
    ),
    E.INTERNAL_NOTE: _handler(
        "Ny intern notering i ärende {arendenummer}",
        "Hej!\n\n{handlaggare} har skrivit en intern notering i ärende {arendenummer} ({etjanst})."
        "\n\nLäs noteringen: {lank}",
        "Ny intern notering i ärende {arendenummer} ({etjanst}): {lank}",
    ),
    E.SUPPLEMENT: _handler(
        "Komplettering inkommen i ärende {arendenummer}",
        "Hej!\n\nDen sökande har skickat in en komplettering ({fil}) i ärende {arendenummer} ({etjanst})."
        "\n\nÖppna ärendet: {lank}",
        "Komplettering inkommen i ärende {arendenummer} ({etjanst}): {lank}",
    ),
    E.OVERDUE: _handler(
        "Ärende {arendenummer} har förfallit",
        "Hej!\n\nÄrende {arendenummer} i e-tjänsten {etjanst} har passerat sitt förfallodatum och är inte avslutat."
        "\n\nÖppna ärendet: {lank}",
        "Ärende {arendenummer} ({etjanst}) har förfallit: {lank}",
    ),
    E.MESSAGE_READ: _handler(
        "Läskvitto: den sökande har läst ditt meddelande i ärende {arendenummer}",
        "Hej!\n\nDen sökande har läst meddelandet som skickades i ärende {arendenummer} ({etjanst})."
        "\n\nÖppna ärendet: {lank}",
        "Den sökande har läst ditt meddelande i ärende {arendenummer}.",
    ),
    E.FILE_DOWNLOADED: _handler(
        "Nedladdningskvitto: filen {fil} i ärende {arendenummer}",
        "Hej!\n\nFilen {fil} i ärende {arendenummer} ({etjanst}) har laddats ned.\n\nÖppna ärendet: {lank}",
        "Filen {fil} i ärende {arendenummer} har laddats ned.",
    ),
    E.SUBTASK_ASSIGNED: _handler(
        "Ny deluppgift i ärende {arendenummer}",
        "Hej {namn}!\n\nDu har blivit ansvarig för en deluppgift i ärende {arendenummer} ({etjanst}): {meddelande}"
        "\n\nÖppna deluppgiften: {lank}",
        "Ny deluppgift i ärende {arendenummer}: {meddelande}",
    ),
    E.SUBTASK_DUE: _handler(
        "Påminnelse om en deluppgift i ärende {arendenummer}",
        "Hej {namn}!\n\nPåminnelse om deluppgiften {meddelande} i ärende {arendenummer} ({etjanst})."
        "\n\nÖppna deluppgiften: {lank}",
        "Påminnelse om deluppgiften {meddelande} i ärende {arendenummer}.",
    ),
    E.SUBTASK_MESSAGE: _handler(
        "Nytt meddelande i en deluppgift i ärende {arendenummer}",
        "Hej {namn}!\n\nDet finns ett nytt meddelande i deluppgiften {meddelande} i ärende {arendenummer}."
        "\n\nÖppna deluppgiften: {lank}",
        "Nytt meddelande i deluppgift i ärende {arendenummer}.",
    ),
    E.AUTO_REPLY: _handler(
        "Automatiskt svar skickat i ärende {arendenummer}",
        "Hej!\n\nDen sökande har fått ett automatiskt frånvarosvar i ärende {arendenummer} ({etjanst})."
        "\n\nÖppna ärendet: {lank}",
        "Automatiskt frånvarosvar skickat i ärende {arendenummer}.",
    ),
    E.MAILING: _handler(
        "Utskick i ärende {arendenummer}",
        "Hej!\n\nEtt utskick har skickats till den sökande i ärende {arendenummer} ({etjanst}).\n\n{meddelande}",
        "Utskick skickat i ärende {arendenummer}.",
    ),
}

_GENERIC = {
    "applicant": _applicant(
        "Nytt i ditt ärende {arendenummer}",
        "Hej!\n\nDet har hänt något nytt i ditt ärende {arendenummer} ({etjanst}).\n\nMina sidor: {lank}",
        "{kommun}: Nytt i ditt ärende {arendenummer}.\nMina sidor: {lank}",
    ),
    "handler": _handler(
        "Nytt i ärende {arendenummer}",
        "Hej!\n\nDet har hänt något nytt i ärende {arendenummer} ({etjanst}).\n\nÖppna ärendet: {lank}",
        "Nytt i ärende {arendenummer} ({etjanst}): {lank}",
    ),
}


def audience_of(recipient: Recipient) -> Audience:
    """Whom a recipient kind writes to: the applicant, or the municipality's staff."""
    return "applicant" if recipient == Recipient.APPLICANT else "handler"


def standard_text(event: E | str, audience: Audience) -> Text:
    """The standard text for an event to the applicant or to handlers (the builder shows it as the default)."""
    event = E(event)
    texts = APPLICANT_TEXTS if audience == "applicant" else HANDLER_TEXTS
    return texts.get(event) or _GENERIC[audience]
