"""The case resources per role: what each token sees, what it may change, and that the changes
land as the case view's do (history, outbox, messages, notes)."""

from __future__ import annotations

import datetime as dt

from shared.db import db
from shared.models import NotificationEvent
from shared.services import case_queries
from tests import factories
from tests.backoffice.casehelp import fresh, status_id


def numbers(response) -> set[int]:
    return {row["number"] for row in response.get_json()["result"]}


def test_each_role_lists_exactly_the_cases_it_may_see(setup, api_as):
    world = setup.world
    skolskjuts = {setup.case.number, setup.open_case.number, setup.group_case.number}
    assert numbers(api_as(world.admin).get("/cases/")) == skolskjuts | {setup.other_case.number}
    assert numbers(api_as(world.hanna).get("/cases/")) == skolskjuts
    assert numbers(api_as(world.outsider).get("/cases/")) == {setup.other_case.number}
    # Rut's link is restricted: only the cases given to her.
    assert numbers(api_as(world.rut).get("/cases/")) == set()
    mine = factories.case(world.eservice, citizen=world.citizen, users=[world.rut])
    db.session.commit()
    rut = api_as(world.rut, via="key")
    assert numbers(rut.get("/cases/")) == {mine.number}
    assert rut.get(f"/cases/{mine.id}").status_code == 200
    hidden = rut.get(f"/cases/{setup.case.id}")
    assert hidden.status_code == 404
    assert hidden.get_json() == {"message": "Ärendet hittades inte."}
    assert rut.post(f"/cases/{setup.case.id}/notes", json={"body": "Hej"}).status_code == 404


def test_filters_and_pages(setup, api_as):
    world = setup.world
    api = api_as(world.admin)
    eservice_id = world.eservice.id
    assert api.get(f"/cases/?eservice_id={eservice_id}").get_json()["count"] == 3
    setup.case.external_number = "KS-2026/17"
    setup.case.updated_at = dt.datetime(2030, 1, 1)
    setup.open_case.submitted_at = dt.datetime(2020, 3, 1, 12)
    db.session.commit()
    assert numbers(api.get("/cases/?external_number=KS-2026/17")) == {setup.case.number}
    assert numbers(api.get("/cases/?updated_since=2029-12-31T00:00:00%2B01:00")) == {setup.case.number}
    assert numbers(api.get("/cases/?submitted_from=2020-03-01&submitted_to=2020-03-01")) == {setup.open_case.number}
    closed_id = status_id(setup.case, "Klart")
    setup.group_case.status_id = closed_id
    db.session.commit()
    assert numbers(api.get(f"/cases/?status_id={closed_id}")) == {setup.group_case.number}
    # Mina: open cases given to me (Hanna) or my groups (Gun's group).
    assert numbers(api_as(world.hanna).get("/cases/?assigned_to_me=true")) == {setup.case.number}
    first = api.get("/cases/?page_size=3&page=1").get_json()
    second = api.get("/cases/?page_size=3&page=2").get_json()
    assert first["count"] == second["count"] == 4
    assert (len(first["result"]), len(second["result"])) == (3, 1)
    assert not {r["id"] for r in first["result"]} & {r["id"] for r in second["result"]}
    too_big = api.get("/cases/?page_size=101&eservice_id=abc")
    assert too_big.status_code == 422
    body = too_big.get_json()
    assert body["message"] == "Kontrollera uppgifterna du skickade."
    assert set(body["errors"]) == {"page_size", "eservice_id"}
    assert body["errors"]["eservice_id"] == ["Ange ett heltal."]


def test_a_case_with_its_answers_handlers_and_dates(setup, api_as):
    response = api_as(setup.world.hanna).get(f"/cases/{setup.case.id}")
    assert response.status_code == 200
    case = response.get_json()["result"]
    assert case["number"] == setup.case.number
    assert case["eservice"]["name"] == "Skolskjuts"
    assert case["status"]["name"] == "Inskickat" and case["status"]["is_final"] is False
    assert case["handlers"] == [{"type": "user", "id": setup.world.hanna.id, "name": "Hanna Berg", "username": "hanna"}]
    answers = {a["question_id"]: a for a in case["answers"]}
    assert answers["namn"]["label"] == "Namn" and answers["namn"]["value"] == "Åsa Öberg-Ärlig"
    assert answers["skola"]["value"] == "alne" and answers["skola"]["text"] == "Alneskolan"
    assert case["submitted_at"].endswith("+00:00")
    assert case["applicant"]["e_id"] is True


def test_setting_the_external_number(setup, api_as):
    api = api_as(setup.world.hanna)
    response = api.put(f"/cases/{setup.case.id}/external-number", json={"external_number": " KS 2026/99 "})
    assert response.status_code == 200
    assert response.get_json()["result"]["external_number"] == "KS 2026/99"
    assert fresh(setup.case).external_number == "KS 2026/99"
    kinds = [e["kind"] for e in api.get(f"/cases/{setup.case.id}/events").get_json()["result"]]
    assert "external_number_changed" in kinds
    too_long = api.put(f"/cases/{setup.case.id}/external-number", json={"external_number": "x" * 101})
    assert too_long.status_code == 422 and "external_number" in too_long.get_json()["errors"]
    typo = api.put(f"/cases/{setup.case.id}/external-number", json={"externalnumber": "1"})
    assert typo.status_code == 422
    assert typo.get_json()["errors"] == {
        "external_number": ["Fältet måste fyllas i."],
        "externalnumber": ["Okänt fält."],
    }
    not_json = api.client.put(
        f"/api/v1/cases/{setup.case.id}/external-number", headers=api.headers, data="KS-1", content_type="text/plain"
    )
    assert not_json.status_code == 400 and not_json.get_json()["message"].startswith("Skicka begärans innehåll")


def test_changing_status_records_history_notifies_and_can_write_to_the_applicant(setup, api_as):
    api = api_as(setup.world.hanna)
    closed = status_id(setup.case, "Klart")
    response = api.post(
        f"/cases/{setup.case.id}/status", json={"status_id": closed, "message": "Beslutet finns under Dokument."}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["status"] == {"id": closed, "name": "Klart", "is_final": True}
    case = fresh(setup.case)
    assert case.status_id == closed and case.closed_at is not None
    assert factories.outbox(NotificationEvent.STATUS_CHANGED), "the applicant is told"
    assert [m.body for m in case_queries.case_messages(case.id)] == ["Beslutet finns under Dokument."]
    events = api.get(f"/cases/{case.id}/events").get_json()["result"]
    status_event = next(e for e in events if e["kind"] == "status_changed")
    assert status_event["data"]["to_status"] == "Klart"
    assert status_event["actor"] == {"type": "user", "name": "Hanna Berg"}
    assert status_event["label"]
    foreign = api.post(f"/cases/{setup.case.id}/status", json={"status_id": 999999})
    assert foreign.status_code == 422 and "status_id" in foreign.get_json()["errors"]


def test_a_failing_message_leaves_the_status_unchanged(setup, api_as):
    # Olle sees the case but is not its handler in person: the message is refused, so is the whole change.
    api = api_as(setup.world.olle)
    started = status_id(setup.case, "Inskickat")
    response = api.post(
        f"/cases/{setup.case.id}/status", json={"status_id": status_id(setup.case, "Klart"), "message": "Hej"}
    )
    assert response.status_code == 403
    assert "Ta ärendet först" in response.get_json()["message"]
    assert fresh(setup.case).status_id == started


def test_messages_to_the_applicant_follow_the_case_views_rules(setup, api_as):
    hanna, olle = api_as(setup.world.hanna), api_as(setup.world.olle)
    sent = hanna.post(f"/cases/{setup.case.id}/messages", json={"body": "Vi behöver ett intyg."})
    assert sent.status_code == 201
    result = sent.get_json()["result"]
    assert result["body"] == "Vi behöver ett intyg." and result["case_id"] == setup.case.id
    assert [m.body for m in case_queries.case_messages(setup.case.id)] == ["Vi behöver ett intyg."]
    assert factories.outbox(NotificationEvent.MESSAGE_TO_APPLICANT)
    refused = olle.post(f"/cases/{setup.case.id}/messages", json={"body": "Hej"})
    assert refused.status_code == 403
    assert refused.get_json()["message"].startswith("Bara en handläggare")
    empty = hanna.post(f"/cases/{setup.case.id}/messages", json={"body": "   "})
    assert empty.status_code == 422 and "body" in empty.get_json()["errors"]


def test_internal_notes(setup, api_as):
    api = api_as(setup.world.olle)
    response = api.post(f"/cases/{setup.open_case.id}/notes", json={"body": "Ring skolan."})
    assert response.status_code == 201
    assert [n.body for n in case_queries.case_notes(setup.open_case.id)] == ["Ring skolan."]
    kinds = [e["kind"] for e in api.get(f"/cases/{setup.open_case.id}/events").get_json()["result"]]
    assert kinds[-1] == "note_added"
    assert (
        api_as(setup.world.outsider).post(f"/cases/{setup.open_case.id}/notes", json={"body": "x"}).status_code == 404
    )


def test_eservices_per_role(setup, api_as):
    world = setup.world
    names = lambda response: [e["name"] for e in response.get_json()["result"]]  # noqa: E731
    assert names(api_as(world.admin).get("/eservices/")) == ["Bygglov", "Skolskjuts"]
    assert names(api_as(world.hanna).get("/eservices/")) == ["Skolskjuts"]
    detail = api_as(world.hanna).get(f"/eservices/{world.eservice.id}").get_json()["result"]
    assert {"id": "namn", "label": "Namn", "type": "text", "step": "Sökande"} in detail["questions"]
    assert "Klart" in [s["name"] for s in detail["statuses"]]
    assert detail["published_version"] == 1
    other = setup.other_case.eservice_id
    assert api_as(world.hanna).get(f"/eservices/{other}").status_code == 404
