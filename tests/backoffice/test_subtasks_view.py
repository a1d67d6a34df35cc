"""Deluppgifter in the back office (F-SUB-1..5): Ny deluppgift, the subtask page, the tab,
Mina deluppgifter, and closing a case with open subtasks. Real logins, real database.

Rut is a restricted handler of Skolskjuts who is not on the case: as a subtask's responsible
she may see the subtask page and the documents it grants, and nothing else of the case.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.models import AuditEntry, CaseEvent, Document, DocumentSource, NotificationEvent, Subtask, SubtaskStatus
from shared.services import documents
from tests import factories
from tests.backoffice.casehelp import fresh, make_setup, sign_in, status_id, text_of


def _world():
    setup = make_setup()
    setup.world.eservice.subtasks_enabled = True
    granted = documents.store_document(
        setup.case, "utredning.pdf", factories.PDF_BYTES, "application/pdf", source=DocumentSource.HANDLER
    )
    secret = documents.store_document(
        setup.case,
        "läkarintyg.pdf",
        factories.PDF_BYTES,
        "application/pdf",
        source=DocumentSource.APPLICANT,
        citizen=setup.world.citizen,
    )
    db.session.commit()
    return setup, granted, secret


def _create(client, token, case, **fields):
    data = {
        "csrf_token": token,
        "title": "Bedöm trafiksäkerheten",
        "deadline": (clock.today() + dt.timedelta(days=3)).isoformat(),
        "description": "Titta på vägen till Alne skola.",
        **fields,
    }
    return client.post(f"/arenden/{case.id}/deluppgifter/ny", data=data)


def _subtasks(case) -> list[Subtask]:
    db.session.expire_all()
    return list(db.session.scalars(select(Subtask).where(Subtask.case_id == case.id).order_by(Subtask.id)))


def _kinds(case) -> list[str]:
    return list(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


def _with_subtask(client, setup, granted: Document) -> tuple[str, Subtask]:
    """Hanna creates a subtask for Rut on her case, granting one document; Hanna stays logged in."""
    token = sign_in(client, setup.world.hanna)
    response = _create(client, token, setup.case, responsible_id=str(setup.world.rut.id), document_ids=[granted.id])
    assert response.status_code == 302, text_of(response)
    (subtask,) = _subtasks(setup.case)
    return token, subtask


def test_new_subtask_form_offers_the_eservices_handlers_and_the_cases_documents(client):
    setup, granted, secret = _world()
    sign_in(client, setup.world.hanna)
    tab = client.get(f"/arenden/{setup.case.id}/deluppgifter")
    assert "Ny deluppgift" in text_of(tab)
    page = client.get(f"/arenden/{setup.case.id}/deluppgifter/ny")
    assert page.status_code == 200
    text = text_of(page)
    for words in ("Rubrik", "Tidsfrist", "Ansvarig", "Beskrivning", "Hanna Berg", "Olle Ek", "Rut Lind"):
        assert words in text
    assert "Otto Annan" not in text  # a handler of another e-service
    assert "utredning.pdf" in text and "läkarintyg.pdf" in text
    html = page.get_data(as_text=True)
    assert f'min="{clock.today().isoformat()}"' in html
    assert 'for="subtask-deadline"' in html and 'id="subtask-deadline"' in html


def test_creating_a_subtask_notifies_the_responsible_and_is_in_the_history(client):
    setup, granted, _secret = _world()
    _token, subtask = _with_subtask(client, setup, granted)
    assert subtask.title == "Bedöm trafiksäkerheten"
    assert subtask.responsible_id == setup.world.rut.id and subtask.status == SubtaskStatus.NEW
    assert [d.id for d in subtask.documents] == [granted.id]
    assert "rut@example.org" in factories.addresses(NotificationEvent.SUBTASK_ASSIGNED, "email")
    html = client.get(f"/arenden/{setup.case.id}/deluppgifter").get_data(as_text=True)
    assert "Bedöm trafiksäkerheten" in html and "Rut Lind" in html
    assert '<td class="bo-subtask-status">Ny</td>' in html
    assert "subtask_created" in _kinds(setup.case)
    history = text_of(client.get(f"/arenden/{setup.case.id}/historik"))
    assert "Deluppgift skapad" in history


def test_the_deadline_must_be_between_today_and_the_cases_due_date(client):
    setup, _granted, _secret = _world()
    token = sign_in(client, setup.world.hanna)
    rut = str(setup.world.rut.id)
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    response = _create(client, token, setup.case, responsible_id=rut, deadline=yesterday)
    assert response.status_code == 422
    assert "Tidsfristen kan inte vara före i dag." in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    too_late = (clock.to_local(fresh(setup.case).due_at).date() + dt.timedelta(days=1)).isoformat()
    response = _create(client, token, setup.case, responsible_id=rut, deadline=too_late)
    assert response.status_code == 422
    assert "Tidsfristen kan inte vara efter ärendets tidsfrist" in text_of(response)
    # What was typed stays in the form.
    assert 'value="Bedöm trafiksäkerheten"' in response.get_data(as_text=True)
    response = _create(client, token, setup.case, responsible_id=str(setup.world.outsider.id))
    assert response.status_code == 422
    assert _subtasks(setup.case) == []


def test_the_responsible_sees_only_the_subtask_and_its_granted_documents(client):
    setup, granted, secret = _world()
    _with_subtask(client, setup, granted)
    (subtask,) = _subtasks(setup.case)
    client.get("/logout/")
    sign_in(client, setup.world.rut)

    page = client.get(f"/deluppgifter/{subtask.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Bedöm trafiksäkerheten" in text and str(setup.case.number) in text and "Hanna Berg" in text
    assert "Titta på vägen till Alne skola." in text
    assert "utredning.pdf" in text
    assert "läkarintyg.pdf" not in text  # not granted
    assert "Åsa Öberg-Ärlig" not in text  # the answers are not shown
    assert f"/arenden/{setup.case.id}" not in page.get_data(as_text=True)  # no way into the case
    assert fresh(setup.case) and _subtasks(setup.case)[0].status == SubtaskStatus.OPEN  # Ny → Öppen

    # By URL: the case, its tabs and its other documents stay closed to her.
    for path in ("", "/meddelanden", "/noteringar", "/handlingar", "/historik", "/deluppgifter"):
        assert client.get(f"/arenden/{setup.case.id}{path}").status_code == 404, path
    assert client.get(f"/arenden/{setup.case.id}/handlingar/{secret.id}").status_code in (403, 404)
    assert client.get(f"/deluppgifter/{subtask.id}/handlingar/{secret.id}").status_code == 404
    download = client.get(f"/deluppgifter/{subtask.id}/handlingar/{granted.id}")
    assert download.status_code == 200 and download.data == factories.PDF_BYTES
    assert "attachment" in download.headers["Content-Disposition"]


def test_someone_neither_responsible_nor_on_the_case_gets_404(client):
    setup, granted, _secret = _world()
    _with_subtask(client, setup, granted)
    (subtask,) = _subtasks(setup.case)
    client.get("/logout/")
    sign_in(client, setup.world.outsider)
    assert client.get(f"/deluppgifter/{subtask.id}").status_code == 404
    assert client.get(f"/deluppgifter/{subtask.id}/handlingar/{granted.id}").status_code == 404
    assert client.get("/deluppgifter/999999").status_code == 404
    assert _subtasks(setup.case)[0].status == SubtaskStatus.NEW


def test_messages_conclusion_and_resolve_then_nothing_can_change(client):
    setup, granted, _secret = _world()
    _with_subtask(client, setup, granted)
    (subtask,) = _subtasks(setup.case)
    client.get("/logout/")
    token = sign_in(client, setup.world.rut)
    url = f"/deluppgifter/{subtask.id}"
    page = text_of(client.get(url))
    assert "Spara slutsats" in page and "Lös deluppgift" in page

    response = client.post(f"{url}/meddelanden", data={"csrf_token": token, "body": "Vägen saknar trottoar."})
    assert response.status_code == 302
    assert "hanna@example.org" in factories.addresses(NotificationEvent.SUBTASK_MESSAGE, "email")
    response = client.post(f"{url}/slutsats", data={"csrf_token": token, "conclusion": "Skolskjuts behövs."})
    assert response.status_code == 302
    page = text_of(client.get(url))
    assert "Vägen saknar trottoar." in page and "Skolskjuts behövs." in page

    response = client.post(f"{url}/los", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    text = text_of(response)
    assert "Löst" in text and "Deluppgiften är löst och kan inte längre ändras." in text
    html = response.get_data(as_text=True)
    assert 'name="conclusion"' not in html and 'name="body"' not in html and "/los" not in html

    # Locked: neither a message nor a conclusion is taken any more.
    response = client.post(
        f"{url}/meddelanden", data={"csrf_token": token, "body": "En sak till."}, follow_redirects=True
    )
    assert "Deluppgiften är löst och kan inte längre ändras." in text_of(response)
    client.post(f"{url}/slutsats", data={"csrf_token": token, "conclusion": "Ändrad."})
    subtask = _subtasks(setup.case)[0]
    assert [m.body for m in subtask.messages] == ["Vägen saknar trottoar."]
    assert subtask.conclusion == "Skolskjuts behövs." and subtask.status == SubtaskStatus.RESOLVED

    kinds = _kinds(setup.case)
    for kind in ("subtask_created", "subtask_opened", "subtask_message", "subtask_concluded", "subtask_resolved"):
        assert kind in kinds, kind
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"subtask_created", "subtask_viewed", "subtask_message", "subtask_resolved"} <= actions

    # The owner's tab: status Löst and the conclusion.
    client.get("/logout/")
    sign_in(client, setup.world.hanna)
    html = client.get(f"/arenden/{setup.case.id}/deluppgifter").get_data(as_text=True)
    assert '<td class="bo-subtask-status">Löst</td>' in html and "Skolskjuts behövs." in html
    assert "Deluppgift löst" in text_of(client.get(f"/arenden/{setup.case.id}/historik"))


def test_the_owner_resolves_a_subtask_from_the_tab(client):
    setup, granted, _secret = _world()
    token, subtask = _with_subtask(client, setup, granted)
    tab = client.get(f"/arenden/{setup.case.id}/deluppgifter").get_data(as_text=True)
    assert f'action="/deluppgifter/{subtask.id}/los"' in tab
    response = client.post(f"/deluppgifter/{subtask.id}/los", data={"csrf_token": token, "next": "case"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/arenden/{setup.case.id}/deluppgifter"
    )
    assert _subtasks(setup.case)[0].status == SubtaskStatus.RESOLVED
    assert f'action="/deluppgifter/{subtask.id}/los"' not in client.get(
        f"/arenden/{setup.case.id}/deluppgifter"
    ).get_data(as_text=True)


def test_my_subtasks_on_the_start_page_the_overview_and_the_list(client):
    setup, granted, _secret = _world()
    _with_subtask(client, setup, granted)
    client.get("/logout/")
    sign_in(client, setup.world.rut)
    for path in ("/start/", "/arenden/", "/deluppgifter/"):
        text = text_of(client.get(path))
        assert "Mina deluppgifter" in text, path
        assert "Bedöm trafiksäkerheten" in text and "Skolskjuts" in text and str(setup.case.number) in text, path
    # Olle is responsible for nothing: no such section.
    client.get("/logout/")
    sign_in(client, setup.world.olle)
    assert "Bedöm trafiksäkerheten" not in text_of(client.get("/start/"))
    assert "Bedöm trafiksäkerheten" not in text_of(client.get("/arenden/"))


def test_closing_a_case_with_open_subtasks_warns_then_resolves_them_all(client):
    setup, granted, _secret = _world()
    token, subtask = _with_subtask(client, setup, granted)
    done = status_id(setup.case, "Klart")
    data = {"csrf_token": token, "status_id": str(done), "notify": "0"}
    response = client.post(f"/arenden/{setup.case.id}/status", data=data)
    assert response.status_code == 200
    text = text_of(response)
    assert "Ärendet har olösta deluppgifter" in text and "Bedöm trafiksäkerheten" in text
    case = fresh(setup.case)
    assert case.closed_at is None and case.status.name != "Klart"
    assert _subtasks(setup.case)[0].status == SubtaskStatus.NEW

    html = response.get_data(as_text=True)
    assert 'name="resolve_subtasks" value="1"' in html
    response = client.post(f"/arenden/{setup.case.id}/status", data={**data, "resolve_subtasks": "1"})
    assert response.status_code == 302
    case = fresh(setup.case)
    assert case.status.name == "Klart" and case.closed_at is not None
    assert _subtasks(setup.case)[0].status == SubtaskStatus.RESOLVED
    assert _kinds(setup.case).count("subtask_resolved") == 1
    assert "Ny deluppgift" not in text_of(client.get(f"/arenden/{setup.case.id}/deluppgifter"))


def test_no_new_subtask_where_the_eservice_has_subtasks_switched_off(client):
    setup, _granted, _secret = _world()
    setup.world.eservice.subtasks_enabled = False
    db.session.commit()
    token = sign_in(client, setup.world.hanna)
    assert client.get(f"/arenden/{setup.case.id}/deluppgifter/ny").status_code == 403
    response = _create(client, token, setup.case, responsible_id=str(setup.world.rut.id))
    assert response.status_code == 403
    assert _subtasks(setup.case) == []
