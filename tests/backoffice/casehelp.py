"""Helpers for the case view's tests (ärendevyn): a Skolskjuts world with cases, real logins."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import inspect, select

from shared.db import db
from shared.models import Case, Channel, EService, NotificationEvent, Recipient, StaffUser
from tests import factories
from tests.backoffice.conftest import csrf_token

ANSWERS = {
    "namn": "Åsa Öberg-Ärlig",
    "personnummer": "19850709-9805",
    "skola": "alne",
    "ovrigt": "Behöver hämtas vid grinden på Västra vägen.",
}


@dataclass
class Setup:
    world: factories.World
    case: Case  # Skolskjuts, from the citizen (e-ID), assigned to Hanna in person
    open_case: Case  # Skolskjuts, unassigned (Obehandlade)
    group_case: Case  # Skolskjuts, assigned to Skolskjutsgruppen
    other_case: Case  # Bygglov: only the outsider Otto handles it


def make_setup() -> Setup:
    world = factories.world()
    eservice = world.eservice
    for event, recipient in [
        (NotificationEvent.TAKEN_OVER, Recipient.ASSIGNED_HANDLERS),
        (NotificationEvent.ASSIGNED, Recipient.ASSIGNED_HANDLERS),
        (NotificationEvent.GROUP_ASSIGNED, Recipient.GROUP_MEMBERS),
        (NotificationEvent.MESSAGE_TO_APPLICANT, Recipient.APPLICANT),
        (NotificationEvent.STATUS_CHANGED, Recipient.APPLICANT),
        (NotificationEvent.FILE_DOWNLOADED, Recipient.MAILBOX),
    ]:
        factories.setting(eservice, event, recipient, Channel.EMAIL)
    eservice.colour_marking = True
    factories.colour_label(eservice, "red", "Brådskande")
    factories.colour_label(eservice, "green", "Beviljad")
    factories.message_template(eservice, "Begäran om komplettering", "Hej! Vi behöver ett intyg från skolan.")
    case = factories.case(eservice, citizen=world.citizen, answers=dict(ANSWERS), users=[world.hanna])
    open_case = factories.case(eservice, citizen=world.citizen, answers=dict(ANSWERS, namn="Nils Nilsson"))
    group_case = factories.case(eservice, citizen=world.citizen, groups=[world.group])
    bygglov = db.session.scalar(select(EService).where(EService.name == "Bygglov"))
    other_case = factories.case(bygglov, citizen=world.citizen)
    db.session.commit()
    return Setup(world, case, open_case, group_case, other_case)


def status_id(case: Case, name: str) -> int:
    return factories.status(case.eservice, name).id


def fresh(case: Case) -> Case:
    """The case as the database has it now (after requests changed it), or None if deleted."""
    case_id = inspect(case).identity[0]  # known even when the row is gone
    db.session.expire_all()
    return db.session.get(Case, case_id)


def sign_in(client, user: StaffUser) -> str:
    """Log in through the login form; returns the session's CSRF token for the forms that follow."""
    db.session.commit()
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    response = client.post(
        "/login/", data={"username": user.username, "password": factories.PASSWORD, "csrf_token": token}
    )
    # Not followed: the landing page is the overview's business, and the login keeps the session's token.
    assert response.status_code == 302 and "/login/" not in response.headers["Location"], response.status_code
    return token


def text_of(response) -> str:
    """The visible text of a page, whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def header_of(response) -> str:
    """The visible text of the case header and the Verktyg box (everything above the tab bar)."""
    html = response.get_data(as_text=True).split("bo-case-tabs")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
