"""The Verktyg box (F-CASE-3/5): take, take over, handlers, remove oneself, status, flag, colour,
edit submitted answers, external number and delete — each through the real forms, and refused
where the rules say."""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry, CaseEvent, CaseFlag, DeletionRecord, DocumentSource
from shared.services import documents
from tests import factories
from tests.backoffice.casehelp import ANSWERS, fresh, header_of, make_setup, sign_in, status_id, text_of


def _events(case, kind):
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)))


def _audit(case, action):
    return list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id, AuditEntry.action == action))
    )


def _holders(case) -> set[str]:
    case = fresh(case)
    return {h.user.username if h.user else h.group.name for h in case.handlers}


# -- take and take over ------------------------------------------------------------------------


def test_take_an_unassigned_case(client):
    setup = make_setup()
    token = sign_in(client, setup.world.olle)
    url = f"/arenden/{setup.open_case.id}"
    response = client.post(f"{url}/ta", data={"csrf_token": token, "next": f"{url}/meddelanden"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}/meddelanden")
    assert _holders(setup.open_case) == {"olle"}
    assert _events(setup.open_case, "taken")
    assert "Olle Ek" in header_of(client.get(url))


def test_the_next_field_never_leads_off_the_case(client):
    setup = make_setup()
    token = sign_in(client, setup.world.olle)
    url = f"/arenden/{setup.open_case.id}"
    response = client.post(f"{url}/ta", data={"csrf_token": token, "next": "https://evil.example/arenden/1"})
    assert response.headers["Location"].endswith(url)


def test_taking_someone_elses_case_asks_first_then_notifies_them(client):
    setup = make_setup()
    world = setup.world
    token = sign_in(client, world.olle)
    url = f"/arenden/{setup.case.id}"
    confirm = client.post(f"{url}/ta", data={"csrf_token": token})
    assert confirm.status_code == 200
    assert "Hanna Berg" in text_of(confirm)  # names the current holder
    assert 'name="take_over" value="1"' in confirm.get_data(as_text=True)
    assert _holders(setup.case) == {"hanna"}  # nothing changed yet
    assert factories.outbox("taken_over") == []

    done = client.post(f"{url}/ta", data={"csrf_token": token, "take_over": "1"})
    assert done.status_code == 302
    assert _holders(setup.case) == {"olle"}
    assert _events(setup.case, "taken_over")
    assert factories.addresses("taken_over") == {"hanna@example.org"}


def test_a_group_member_takes_the_groups_case_without_asking(client):
    setup = make_setup()
    token = sign_in(client, setup.world.gun)
    response = client.post(f"/arenden/{setup.group_case.id}/ta", data={"csrf_token": token})
    assert response.status_code == 302
    assert _holders(setup.group_case) == {"gun"}


# -- handlers ----------------------------------------------------------------------------------


def test_change_handlers_lists_only_the_eservices_handlers(client):
    setup = make_setup()
    world = setup.world
    sign_in(client, world.hanna)
    panel = client.get(f"/arenden/{setup.case.id}?verktyg=handlaggare").get_data(as_text=True)
    panel = panel.split('id="verktyg-panel"')[1].split("</section>")[0]
    for person in (world.hanna, world.olle, world.rut, world.gun):
        assert f'name="user_ids" value="{person.id}"' in panel
    assert f'name="group_ids" value="{world.group.id}"' in panel
    assert f'value="{world.outsider.id}"' not in panel  # Otto handles Bygglov only
    assert f'value="{world.builder.id}"' not in panel


def test_change_handlers_to_people_and_a_group(client):
    setup = make_setup()
    world = setup.world
    token = sign_in(client, world.hanna)
    response = client.post(
        f"/arenden/{setup.case.id}/handlaggare",
        data={
            "csrf_token": token,
            "user_ids": [str(world.hanna.id), str(world.olle.id)],
            "group_ids": str(world.group.id),
        },
    )
    assert response.status_code == 302
    assert _holders(setup.case) == {"hanna", "olle", "Skolskjutsgruppen"}
    header = header_of(client.get(f"/arenden/{setup.case.id}"))
    assert "Olle Ek" in header and "Skolskjutsgruppen" in header
    # The group's members are told (queued; the scheduler delivers), and the new person too.
    assert "gun@example.org" in factories.addresses("group_assigned")
    assert "olle@example.org" in factories.addresses("assigned")
    assert _audit(setup.case, "case_handlers_changed")


def test_a_person_who_is_not_a_handler_cannot_be_assigned(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = client.post(
        f"/arenden/{setup.case.id}/handlaggare",
        data={"csrf_token": token, "user_ids": str(setup.world.outsider.id)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Otto Annan är inte handläggare för den här e-tjänsten." in text_of(response)
    assert _holders(setup.case) == {"hanna"}


def test_a_restricted_handler_who_removes_themself_loses_the_case(client):
    setup = make_setup()
    world = setup.world
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.rut])
    db.session.commit()
    token = sign_in(client, world.rut)
    panel = client.get(f"/arenden/{case.id}?verktyg=ta-bort-mig")
    assert 'id="verktyg-panel"' in panel.get_data(as_text=True)  # the warning before the button
    response = client.post(f"/arenden/{case.id}/ta-bort-mig", data={"csrf_token": token})
    assert response.status_code == 302
    assert f"/arenden/{case.id}" not in response.headers["Location"]  # back to the overview
    assert _holders(case) == set()
    assert client.get(f"/arenden/{case.id}").status_code == 404


def test_an_unrestricted_handler_who_removes_themself_stays_on_the_case(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = client.post(f"/arenden/{setup.case.id}/ta-bort-mig", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/arenden/{setup.case.id}")
    assert _holders(setup.case) == set()
    assert client.get(f"/arenden/{setup.case.id}").status_code == 200


# -- status, flag, colour, external number -------------------------------------------------------


def test_change_status_and_notify_the_applicant(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    panel = client.get(f"/arenden/{setup.case.id}?verktyg=status").get_data(as_text=True)
    assert 'name="notify" value="1" checked' in panel
    assert "Sparat" not in panel.split('id="verktyg-panel"')[1].split("</section>")[0]  # never back to draft
    response = client.post(
        f"/arenden/{setup.case.id}/status",
        data={"csrf_token": token, "status_id": status_id(setup.case, "Under behandling"), "notify": "1"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert fresh(setup.case).status.name == "Under behandling"
    assert "(Ärendet är under handläggning)" in header_of(response)
    assert "maria@example.org" in factories.addresses("status_changed")


def test_change_status_without_notifying_the_applicant(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    client.post(
        f"/arenden/{setup.case.id}/status",
        data={"csrf_token": token, "status_id": status_id(setup.case, "Klart")},  # box unticked
    )
    case = fresh(setup.case)
    assert case.status.name == "Klart" and case.closed_at is not None
    assert factories.outbox("status_changed") == []
    assert _events(case, "status_changed")[0].data["notified"] is False


def test_a_status_of_another_eservice_is_refused_with_a_message(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = client.post(
        f"/arenden/{setup.case.id}/status", data={"csrf_token": token, "status_id": "999999"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Statusen hör inte till den här e-tjänsten." in text_of(response)
    assert fresh(setup.case).status.name == "Inskickat"


def test_flag_and_unflag(client):
    setup = make_setup()
    world = setup.world
    token = sign_in(client, world.hanna)
    url = f"/arenden/{setup.case.id}"
    client.post(f"{url}/flagga", data={"csrf_token": token, "flagged": "1"})
    assert db.session.get(CaseFlag, (setup.case.id, world.hanna.id)) is not None
    assert 'class="bo-star"' in client.get(url).get_data(as_text=True)
    assert db.session.get(CaseFlag, (setup.case.id, world.olle.id)) is None  # a personal star
    client.post(f"{url}/flagga", data={"csrf_token": token, "flagged": "0"})
    db.session.expire_all()
    assert db.session.get(CaseFlag, (setup.case.id, world.hanna.id)) is None
    assert 'class="bo-star"' not in client.get(url).get_data(as_text=True)


def test_colour_mark_with_the_eservices_colours(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    url = f"/arenden/{setup.case.id}"
    panel = client.get(f"{url}?verktyg=farg")
    assert "Brådskande" in text_of(panel) and "Beviljad" in text_of(panel)
    client.post(f"{url}/farg", data={"csrf_token": token, "colour": "green"})
    assert fresh(setup.case).colour == "green"
    history = client.get(f"{url}/historik").get_data(as_text=True).split("<tbody>")[1]
    assert "Beviljad" in history  # the colour is named by what it means
    refused = client.post(f"{url}/farg", data={"csrf_token": token, "colour": "purple"}, follow_redirects=True)
    assert "Välj en av e-tjänstens färger." in text_of(refused)
    assert fresh(setup.case).colour == "green"
    client.post(f"{url}/farg", data={"csrf_token": token, "colour": ""})
    assert fresh(setup.case).colour is None


def test_external_number(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    url = f"/arenden/{setup.case.id}"
    response = client.post(f"{url}/externt", data={"csrf_token": token, "external_number": " KS 2026/88 "})
    assert response.headers["Location"].endswith(f"{url}/externt")
    assert fresh(setup.case).external_number == "KS 2026/88"
    assert "KS 2026/88" in header_of(client.get(url))
    assert _audit(setup.case, "case_external_number_changed")


# -- edit submitted answers ----------------------------------------------------------------------


def test_edit_answers_shows_the_stored_answers(client):
    setup = make_setup()
    sign_in(client, setup.world.hanna)
    html = client.get(f"/arenden/{setup.case.id}/andra").get_data(as_text=True)
    assert 'name="namn" value="Åsa Öberg-Ärlig"' in html
    assert 'name="personnummer" value="19850709-9805"' in html
    assert re.search(r'value="alne"[^>]*checked', html)


def test_edit_answers_refuses_an_invalid_personnummer_beside_the_field(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    data = dict(ANSWERS, namn="Åsa Öberg", personnummer="19850709-9806", csrf_token=token)
    response = client.post(f"/arenden/{setup.case.id}/andra", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = html.split('id="field-personnummer"')[1].split('id="field-skola"')[0]
    assert "Ange ett giltigt personnummer (ÅÅÅÅMMDD-NNNN)." in field
    assert 'aria-invalid="true"' in field
    assert 'value="19850709-9806"' in field  # what was typed is kept
    assert 'name="namn" value="Åsa Öberg"' in html
    assert fresh(setup.case).answers["namn"] == "Åsa Öberg-Ärlig"  # nothing saved


def test_edit_answers_saves_and_logs_before_and_after(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    data = dict(ANSWERS, skola="bergs", ovrigt="Hämtas vid busshållplatsen.", csrf_token=token)
    response = client.post(f"/arenden/{setup.case.id}/andra", data=data)
    assert response.status_code == 302
    case = fresh(setup.case)
    assert case.answers["skola"] == "bergs"
    entry = _audit(case, "case_answers_edited")[0]
    assert entry.details["changed"]["skola"] == {"before": "alne", "after": "bergs"}
    assert entry.username == "hanna"
    assert _events(case, "answers_edited")[0].data["questions"] == ["Skola", "Övrigt"]
    assert "Bergsskolan" in text_of(client.get(f"/arenden/{case.id}"))


def test_edit_answers_is_refused_where_the_eservice_does_not_allow_it(client):
    setup = make_setup()
    setup.world.eservice.edit_submitted_enabled = False
    db.session.commit()
    token = sign_in(client, setup.world.hanna)
    assert client.get(f"/arenden/{setup.case.id}/andra").status_code == 403
    response = client.post(f"/arenden/{setup.case.id}/andra", data=dict(ANSWERS, csrf_token=token))
    assert response.status_code == 403
    assert "Inskickade uppgifter kan inte ändras i den här e-tjänsten." in text_of(response)


# -- delete ----------------------------------------------------------------------------------------


def test_delete_is_refused_where_the_status_does_not_allow_it(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    url = f"/arenden/{setup.case.id}/ta-bort"
    page = client.get(url)
    assert page.status_code == 403
    assert "Ärenden med status Inskickat kan inte tas bort." in text_of(page)
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert fresh(setup.case) is not None


def test_delete_after_confirmation_leaves_a_record_and_an_audit_entry(client):
    setup = make_setup()
    case = factories.case(
        setup.world.eservice, citizen=setup.world.citizen, users=[setup.world.hanna], status_kind="Klart"
    )
    db.session.commit()
    number, case_id = case.number, case.id
    token = sign_in(client, setup.world.hanna)
    url = f"/arenden/{case_id}/ta-bort"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f'action="{url}"' in confirm.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and f"/arenden/{case_id}" not in response.headers["Location"]
    assert fresh(case) is None
    record = db.session.scalar(select(DeletionRecord).where(DeletionRecord.case_number == number))
    assert record.performed_by_id == setup.world.hanna.id and record.eservice_name == "Skolskjuts"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.case_number == number, AuditEntry.action == "case_deleted")
    )
    assert entry.username == "hanna"
    assert client.get(f"/arenden/{case_id}").status_code == 404


def test_a_restricted_handler_may_not_delete_where_only_full_handlers_may(client):
    setup = make_setup()
    world = setup.world
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.rut], status_kind="Klart")
    db.session.commit()
    token = sign_in(client, world.rut)
    assert f'/arenden/{case.id}/ta-bort"' not in client.get(f"/arenden/{case.id}").get_data(as_text=True)
    assert client.post(f"/arenden/{case.id}/ta-bort", data={"csrf_token": token}).status_code == 403
    assert fresh(case) is not None


def test_edit_answers_keeps_the_applicants_files_and_follows_the_forms_rules(client):
    world = factories.world()
    definition = {
        "steps": [
            {
                "id": "kost",
                "title": "Specialkost",
                "questions": [
                    {"id": "barn", "type": "text", "label": "Barnets namn", "required": True},
                    {"id": "medicinsk", "type": "yes_no", "label": "Medicinska skäl?", "required": True},
                    {
                        "id": "kost",
                        "type": "multiple_choice",
                        "label": "Kost",
                        "options": [
                            {"value": "gluten", "label": "Glutenfri"},
                            {"value": "laktos", "label": "Laktosfri"},
                        ],
                    },
                    {"id": "intyg", "type": "file", "label": "Läkarintyg"},
                ],
            }
        ]
    }
    eservice = factories.eservice("Specialkost", definition=definition, handlers=[world.hanna], summary_fields=[])
    case = factories.case(
        eservice, citizen=world.citizen, users=[world.hanna], answers={"barn": "Elsa", "medicinsk": True}
    )
    document = documents.store_document(
        case,
        "intyg.pdf",
        factories.PDF_BYTES,
        "application/pdf",
        source=DocumentSource.APPLICANT,
        citizen=world.citizen,
        question_id="intyg",
    )
    case.answers = dict(case.answers, intyg=[document.descriptor()])
    db.session.commit()
    token = sign_in(client, world.hanna)
    url = f"/arenden/{case.id}/andra"
    form = client.get(url).get_data(as_text=True)
    assert 'value="yes" id="q-medicinsk-yes" checked' in form
    assert f"/arenden/{case.id}/handlingar/{document.id}" in form  # the file is shown, not editable
    assert 'name="intyg"' not in form
    response = client.post(
        url, data={"csrf_token": token, "barn": "Elsa Ek", "medicinsk": "no", "kost": ["gluten", "laktos"]}
    )
    assert response.status_code == 302
    answers = fresh(case).answers
    assert answers["barn"] == "Elsa Ek" and answers["medicinsk"] is False
    assert answers["kost"] == ["gluten", "laktos"]
    assert [item["document_id"] for item in answers["intyg"]] == [document.id]
