"""Personnummer masked in the back office's lists, found by search, revealed per case and logged (issue 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry, Subtask
from shared.services import messages
from tests import factories
from tests.backoffice.casehelp import make_setup, sign_in, text_of

SUMMARY = "Namn: Åsa Öberg-Ärlig · Personnummer: 19850709-9805 · Skola: Alneskolan"
OVERVIEW = "/arenden/?tab=alla"


@pytest.fixture
def setup(bo):
    made = make_setup()
    for case in (made.case, made.open_case):
        case.summary = SUMMARY
        case.personnummer = "198507099805"
    db.session.commit()
    return made


def row_of(html: str, number: int) -> str:
    return html.split(f'<tr data-case="{number}"')[1].split("</tr>")[0]


def reveals() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personnummer_revealed")))


def test_the_overview_masks_the_personnummer_and_offers_to_show_it(client, setup):
    sign_in(client, setup.world.hanna)
    html = client.get(OVERVIEW).get_data(as_text=True)
    row = row_of(html, setup.case.number)
    assert "19850709-****" in row
    assert "9805" not in row
    assert "Åsa Öberg-Ärlig" in row and "Alneskolan" in row  # only the number is hidden
    assert "Visa personnummer" in row and f'name="reveal_case" value="{setup.case.id}"' in row


def test_search_by_the_full_personnummer_still_finds_the_case_masked(client, setup):
    sign_in(client, setup.world.hanna)
    html = client.get("/arenden/?tab=alla&q=19850709-9805").get_data(as_text=True)
    assert f'<tr data-case="{setup.case.number}"' in html
    assert f'<tr data-case="{setup.group_case.number}"' not in html  # no personnummer: not a hit
    assert "9805" not in row_of(html, setup.case.number)


def test_show_personnummer_reveals_that_case_only_and_is_audited(bo, client, setup):
    world = setup.world
    token = sign_in(client, world.hanna)
    response = client.post(
        "/arenden/visa-personnummer",
        data={"csrf_token": token, "reveal_case": str(setup.case.id), "next": OVERVIEW},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(OVERVIEW)
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert "19850709-9805" in row_of(html, setup.case.number)
    assert "Visa personnummer" not in row_of(html, setup.case.number)
    assert "19850709-****" in row_of(html, setup.open_case.number)  # another case stays masked

    [entry] = reveals()
    assert (entry.username, entry.case_id, entry.case_number) == ("hanna", setup.case.id, setup.case.number)
    admin = bo.test_client()
    sign_in(admin, world.admin)
    log = admin.get(f"/granskningslogg/?case={setup.case.number}")
    assert "Visade personnumret i en lista" in text_of(log)


def test_a_case_the_handler_cannot_see_cannot_be_revealed(client, setup):
    token = sign_in(client, setup.world.outsider)  # Otto handles Bygglov only
    response = client.post(
        "/arenden/visa-personnummer",
        data={"csrf_token": token, "reveal_case": str(setup.case.id), "next": OVERVIEW},
    )
    assert response.status_code == 404
    assert reveals() == []


def test_reveal_needs_the_csrf_token_and_never_redirects_off_site(client, setup):
    token = sign_in(client, setup.world.hanna)
    refused = client.post("/arenden/visa-personnummer", data={"reveal_case": str(setup.case.id)})
    assert refused.status_code == 400
    response = client.post(
        "/arenden/visa-personnummer",
        data={"csrf_token": token, "reveal_case": str(setup.case.id), "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_the_case_page_shows_the_personnummer_in_full(client, setup):
    sign_in(client, setup.world.hanna)
    page = text_of(client.get(f"/arenden/{setup.case.id}"))
    assert "19850709-9805" in page or "198507099805" in page


def test_group_mailbox_masks_a_personnummer_in_the_message(client, setup):
    world = setup.world
    world.group.members.append(factories.GroupMember(user=world.hanna))
    factories.absence(world.hanna, forward_to=world.group)
    db.session.commit()
    message = messages.reply_as_citizen(
        setup.case.id, "Mitt barns personnummer är 20000101-2384, hälsningar.", citizen=world.citizen
    )
    token = sign_in(client, world.gun)
    html = client.get(f"/gruppbrevlada/{world.group.id}").get_data(as_text=True)
    row = html.split(f'data-message="{message.id}"')[1].split("</tr>")[0]
    assert "20000101-****" in row and "2384" not in row
    assert "Visa personnummer" in row
    back = f"/gruppbrevlada/{world.group.id}"
    client.post(
        "/arenden/visa-personnummer", data={"csrf_token": token, "reveal_case": str(setup.case.id), "next": back}
    )
    html = client.get(back).get_data(as_text=True)
    assert "20000101-2384" in html.split(f'data-message="{message.id}"')[1].split("</tr>")[0]


def test_my_subtasks_mask_a_personnummer_in_the_title(client, setup):
    world = setup.world
    db.session.add(
        Subtask(
            case_id=setup.case.id,
            title="Kontrollera 198507099805 mot folkbokföringen",
            responsible_id=world.hanna.id,
            created_by_id=world.hanna.id,
            deadline=dt.date(2030, 1, 1),
        )
    )
    db.session.commit()
    sign_in(client, world.hanna)
    html = client.get(OVERVIEW).get_data(as_text=True)
    section = html.split('id="bo-my-subtasks"')[1].split("</table>")[0]
    assert "Kontrollera 19850709-**** mot folkbokföringen" in section
    assert "198507099805" not in section


def test_dates_and_phone_numbers_in_a_summary_are_not_masked(client, setup):
    setup.case.summary = "Datum: 2026-03-01 · Telefon: 070-123 45 67 · Beställning: 20260301-1234"
    db.session.commit()
    sign_in(client, setup.world.hanna)
    row = row_of(client.get(OVERVIEW).get_data(as_text=True), setup.case.number)
    assert "2026-03-01" in row and "070-123 45 67" in row
    assert "Visa personnummer" not in row
