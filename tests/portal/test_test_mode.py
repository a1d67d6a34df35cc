"""Testa e-tjänsten (F-ES-4) in the portal: a test link from the back office, the normal application pages
with the test-mode banner, a test Skicka in that keeps nothing, and the clean-up of abandoned tests.

The test link is made by the service the back office calls (trial_runs.begin_test); the back
office's own screen is tested in tests/backoffice/test_eservice_test.py.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from portal.apply.routes import SESSION_DRAFTS, SESSION_TESTS
from scheduler.jobs import JOBS
from shared import storage
from shared.db import db
from shared.errors import NotAllowed, NotFound
from shared.models import (
    AuditEntry,
    Case,
    Document,
    EServiceVersion,
    OutboxMessage,
    RetentionAction,
    RetentionRule,
    StatusKind,
    VersionState,
)
from shared.notify import default_notification_settings
from shared.services import access, application, cases, mypages, overview, retention, trial_runs
from tests import factories
from tests.portal.conftest import csrf_token
from tests.portal.test_apply import REAL_PDF, SMALL, log_in, text_of

BANNER = (
    "Testläge: det här är ett test av e-tjänsten Resebidrag, version {n}. "
    "Inget du fyller i skickas in som ett riktigt ärende."
)
# Version 2 is a draft: it asks one more thing, which applicants do not get before it is published.
DRAFT_QUESTION = {"id": "nytt", "type": "text", "label": "Fråga bara i utkastet", "required": True}


def _draft_definition() -> dict:
    steps = [dict(step) for step in SMALL["steps"]]
    steps[0] = {**steps[0], "questions": [*steps[0]["questions"], DRAFT_QUESTION]}
    return {"steps": steps}


@pytest.fixture
def resebidrag(portal):
    """Resebidrag (e-ID required) with a published version 1 and a draft version 2; its builder and handler."""
    handler = factories.user("handlaggare")
    eservice = factories.eservice(
        "Resebidrag", slug="resebidrag", definition=SMALL, summary_fields=["namn"], handlers=[handler]
    )
    draft = EServiceVersion(eservice=eservice, number=2, definition=_draft_definition(), state=VersionState.DRAFT)
    db.session.add(draft)
    default_notification_settings(eservice)
    builder = factories.builder()
    db.session.commit()
    return eservice, draft, builder, handler


def post(client, url: str, data: dict | None = None, **kwargs):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(html), **(data or {})}, **kwargs)


def location(response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.get_data(as_text=True)[:1500])
    return response.headers["Location"]


def banner_text(response, number: int) -> bool:
    return BANNER.format(n=number) in text_of(response)


def open_test(client, eservice, version, user) -> int:
    """Start a test as the back office does and open its link; returns the test draft's id."""
    token = trial_runs.begin_test(eservice.id, version.id, actor=user)
    response = client.get(f"/testa/{token}")
    db.session.expire_all()
    draft = db.session.scalars(select(Case).where(Case.is_test.is_(True)).order_by(Case.id.desc())).first()
    assert location(response) == f"/ansokan/{draft.id}/steg/1"
    return draft.id


def attach_certificate(client, draft_id: int) -> str:
    """Attach a PDF in the test run's file step (step 4); the storage key of the only file stored."""
    post(
        client,
        f"/ansokan/{draft_id}/steg/4",
        {"bilaga": (io.BytesIO(REAL_PDF), "intyg.pdf", "application/pdf"), "action": "refresh"},
        content_type="multipart/form-data",
    )
    return db.session.scalars(select(Document.storage_key)).one()


def all_cases() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


# -- the link ------------------------------------------------------------------------------------


def test_a_changed_or_foreign_link_is_refused_with_a_clear_page(resebidrag, client):
    eservice, draft, builder, _handler = resebidrag
    token = trial_runs.begin_test(eservice.id, draft.id, actor=builder)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token.replace(".", "x", 1), "abc"):
        response = client.get(f"/testa/{bad}")
        assert response.status_code == 400
        assert "Testlänken är inte giltig" in text_of(response)
    # Signed with another key (another installation): refused the same way.
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("another-secret", salt=trial_runs.TOKEN_SALT).dumps(
        {"v": draft.id, "u": builder.id}
    )
    assert client.get(f"/testa/{forged}").status_code == 400
    assert all_cases() == 0


def test_a_link_works_for_ten_minutes(resebidrag, client, time_machine):
    eservice, draft, builder, _handler = resebidrag
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 0), tick=False)
    token = trial_runs.begin_test(eservice.id, draft.id, actor=builder)
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 10, 30), tick=False)
    response = client.get(f"/testa/{token}")
    assert response.status_code == 403
    text = text_of(response)
    assert "Testlänken gäller inte längre" in text and "10 minuter" in text
    assert all_cases() == 0
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 9, 0), tick=False)
    assert client.get(f"/testa/{token}").status_code == 302


def test_a_handler_not_linked_cannot_start_a_test_and_a_link_dies_with_the_right(resebidrag, client):
    eservice, draft, _builder, handler = resebidrag
    stranger = factories.user("annan")
    db.session.commit()
    with pytest.raises(NotAllowed):
        trial_runs.begin_test(eservice.id, draft.id, actor=stranger)
    # The linked handler's link stops working once the handler is no longer linked.
    token = trial_runs.begin_test(eservice.id, draft.id, actor=handler)
    for link in list(eservice.handler_links):
        db.session.delete(link)
    db.session.commit()
    response = client.get(f"/testa/{token}")
    assert response.status_code == 403 and "Du kan bara testa" in text_of(response)
    assert all_cases() == 0


# -- the run -------------------------------------------------------------------------------------


def test_a_draft_version_is_tested_through_every_step_and_submit_keeps_nothing(resebidrag, client, portal):
    eservice, version2, builder, _handler = resebidrag
    # New applicants get version 1: the draft's question is not theirs.
    assert "Fråga bara i utkastet" not in text_of(client.get("/e-tjanster/resebidrag/ansokan", follow_redirects=True))

    draft_id = open_test(client, eservice, version2, builder)
    draft = db.session.get(Case, draft_id)
    assert draft.is_test and draft.version_id == version2.id and draft.number is None and draft.citizen_id is None
    with client.session_transaction() as session:
        assert session[SESSION_TESTS] == [draft_id] and not session.get(SESSION_DRAFTS)

    # Step 1: e-ID is not asked for; the draft's question is there; the banner too.
    page = client.get(f"/ansokan/{draft_id}/steg/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and banner_text(page, 2) and "Fråga bara i utkastet" in text_of(page)
    assert re.search(r"<title>Testläge: Sökande", html)
    assert 'role="region" aria-label="Testläge"' in html
    assert "Spara och fortsätt senare" not in text_of(page)
    response = post(client, f"/ansokan/{draft_id}/steg/1", {"namn": "Test Testsson", "personnummer": "19850709-9805"})
    assert response.status_code == 200 and banner_text(response, 2)  # the draft's required question is checked
    assert "Det finns 1 fel i formuläret" in text_of(response)
    response = post(
        client,
        f"/ansokan/{draft_id}/steg/1",
        {"namn": "Test Testsson", "personnummer": "19850709-9805", "nytt": "Svar"},
    )
    assert location(response) == f"/ansokan/{draft_id}/steg/2"

    # Step 2 with its follow-up question (a condition), then the step shown only for taxi.
    page = client.get(f"/ansokan/{draft_id}/steg/2")
    assert banner_text(page, 2)
    response = post(client, f"/ansokan/{draft_id}/steg/2", {"typ": "taxi", "skal": "Rullstol", "antal": "3"})
    assert location(response) == f"/ansokan/{draft_id}/steg/3"
    assert banner_text(client.get(f"/ansokan/{draft_id}/steg/3"), 2)
    response = post(client, f"/ansokan/{draft_id}/steg/3", {"tider": "Tisdagar"})
    assert location(response) == f"/ansokan/{draft_id}/steg/4"

    # Step 4 with a file.
    assert banner_text(client.get(f"/ansokan/{draft_id}/steg/4"), 2)
    response = post(
        client,
        f"/ansokan/{draft_id}/steg/4",
        {"meddelande": "Hej", "bilaga": (io.BytesIO(REAL_PDF), "intyg.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert location(response) == f"/ansokan/{draft_id}/sammanfattning"
    key = db.session.scalars(select(Document.storage_key).where(Document.case_id == draft_id)).one()
    assert storage.exists(key)

    # The summary: banner, answers, and no e-mail box (e-ID e-services know the applicant's address).
    page = client.get(f"/ansokan/{draft_id}/sammanfattning")
    text = text_of(page)
    assert banner_text(page, 2) and "Rullstol" in text and "intyg.pdf" in text
    assert 'name="contact_email"' not in page.get_data(as_text=True)
    assert "I testläge kontrollerar Skicka in svaren som på riktigt" in text
    # While the test runs, nobody else sees it: not the handlers, not the overview, not Mina sidor.
    admin = factories.admin()
    db.session.commit()
    assert db.session.scalars(access.visible_cases(admin)).all() == []
    assert sum(overview.tab_counts(admin).values()) == 0

    response = post(client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": "t-1"})
    assert response.status_code == 200
    text = text_of(response)
    assert banner_text(response, 2)
    assert "Testet är klart: ansökan skickades inte in" in text
    assert "Så här skulle ansökan ha sett ut" in text
    for answer in ("Test Testsson", "Svar", "Rullstol", "Tisdagar", "intyg.pdf"):
        assert answer in text, answer

    # Nothing is left: no case (numbered or not), no file, nothing to send, no case number used.
    assert all_cases() == 0
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert not storage.exists(key)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"eservice_test_started", "eservice_test_opened", "eservice_test_submitted"} <= actions
    assert "case_submitted" not in actions
    with client.session_transaction() as session:
        assert not session.get(SESSION_TESTS)
    assert client.get(f"/ansokan/{draft_id}/sammanfattning").status_code in (302, 404)


def test_a_test_submit_checks_like_the_real_thing(portal, client):
    """An e-service for anonymous use asks for the receipt's address; missing answers send back to their step."""
    builder = factories.builder()
    eservice = factories.eservice(
        "Resebidrag", slug="resebidrag", definition=SMALL, anonymous_allowed=True, login_required=False, enabled=False
    )  # not even open yet
    db.session.commit()
    draft_id = open_test(client, eservice, eservice.versions[0], builder)

    # Straight to the summary with nothing filled in: Skicka in finds the first step with errors.
    response = post(client, f"/ansokan/{draft_id}/sammanfattning", {"contact_email": "test@example.org"})
    assert location(response) == f"/ansokan/{draft_id}/steg/1?fel=1"
    page = client.get(location(response))
    assert banner_text(page, 1) and "Ansökan kunde inte skickas in" in text_of(page)

    post(client, f"/ansokan/{draft_id}/steg/1", {"namn": "Test", "personnummer": "19850709-9805"})
    post(client, f"/ansokan/{draft_id}/steg/2", {"typ": "buss", "antal": "2"})
    post(client, f"/ansokan/{draft_id}/steg/4", {})
    page = client.get(f"/ansokan/{draft_id}/sammanfattning")
    assert 'name="contact_email"' in page.get_data(as_text=True)
    response = post(client, f"/ansokan/{draft_id}/sammanfattning", {"contact_email": ""})
    assert response.status_code == 200 and "Ange din e-postadress" in text_of(response)
    assert db.session.get(Case, draft_id) is not None
    response = post(client, f"/ansokan/{draft_id}/sammanfattning", {"contact_email": "fel"})
    assert response.status_code == 200 and db.session.get(Case, draft_id) is not None
    response = post(client, f"/ansokan/{draft_id}/sammanfattning", {"contact_email": "test@example.org"})
    assert response.status_code == 200
    assert "På riktigt skulle ett kvitto ha skickats till test@example.org" in text_of(response)
    assert all_cases() == 0 and db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_test_run_is_the_sessions_own_and_never_a_citizens(resebidrag, client, portal):
    eservice, version2, builder, _handler = resebidrag
    citizen = factories.citizen("19850709-9805", first_name="Maria", last_name="Öljung")
    db.session.commit()
    log_in(client, citizen)  # a tester who is also logged in as a citizen in the same browser
    draft_id = open_test(client, eservice, eservice.versions[0], builder)
    post(client, f"/ansokan/{draft_id}/steg/1", {"namn": "Test", "personnummer": "19850709-9805"})
    db.session.expire_all()
    assert db.session.get(Case, draft_id).citizen_id is None
    # Not on Mina sidor, as a draft or a case.
    assert mypages.drafts(citizen) == [] and mypages.cases(citizen) == []
    assert "Resebidrag" not in text_of(client.get("/mina-sidor"))

    # Another browser gets nothing by typing the id, logged in or not.
    other = portal.test_client()
    assert other.get(f"/ansokan/{draft_id}/steg/1").status_code in (302, 404)
    log_in(other, citizen)
    assert other.get(f"/ansokan/{draft_id}/steg/1").status_code == 404
    assert other.get(f"/ansokan/{draft_id}/sammanfattning").status_code == 404

    # The anonymous visitor's own list is no way in either.
    anonymous = portal.test_client()
    with anonymous.session_transaction() as session:
        session[SESSION_DRAFTS] = [draft_id]
    assert anonymous.get(f"/ansokan/{draft_id}/steg/1").status_code == 404


def test_the_banner_is_on_the_discard_page_and_ending_the_test_deletes_it(resebidrag, client):
    eservice, version2, builder, _handler = resebidrag
    draft_id = open_test(client, eservice, version2, builder)
    key = attach_certificate(client, draft_id)
    page = client.get(f"/ansokan/{draft_id}/ta-bort")
    assert page.status_code == 200 and banner_text(page, 2)
    response = post(client, f"/ansokan/{draft_id}/ta-bort")
    assert location(response) == "/"
    assert "Testet är avslutat" in text_of(client.get("/"))
    assert all_cases() == 0 and not storage.exists(key)


def test_the_real_flow_cannot_submit_or_number_a_test_draft(portal, client):
    builder = factories.builder()
    eservice = factories.eservice("Resebidrag", definition=SMALL, anonymous_allowed=True, login_required=False)
    db.session.commit()
    draft_id = open_test(client, eservice, eservice.versions[0], builder)
    answers = {"namn": "Test", "personnummer": "19850709-9805", "typ": "buss", "antal": "2"}
    with pytest.raises(NotFound):
        cases.submit_case(eservice.id, answers, contact={"email": "a@example.org"}, draft_id=draft_id)
    db.session.rollback()
    assert db.session.get(Case, draft_id).number is None
    # Nor does the anonymous applicant's draft list lead to it.
    with pytest.raises(NotFound):
        application.load_draft(draft_id, application.Applicant(draft_ids=frozenset({draft_id})))


# -- clean-up ------------------------------------------------------------------------------------


def test_an_abandoned_test_is_deleted_by_the_hourly_job_with_its_files(resebidrag, client, time_machine):
    eservice, version2, builder, _handler = resebidrag
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 0), tick=False)
    old_id = open_test(client, eservice, version2, builder)
    key = attach_certificate(client, old_id)
    time_machine.move_to(dt.datetime(2026, 12, 2, 8, 0), tick=False)
    recent_id = open_test(client, eservice, version2, builder)
    # A retention rule on Sparat ignores test runs: they are no records.
    rule = RetentionRule(
        eservice_id=eservice.id,
        status_id=factories.status(eservice, StatusKind.DRAFT).id,
        days=0,
        action=RetentionAction.DELETE,
    )
    db.session.add(rule)
    db.session.commit()
    assert retention.cases_covered_count(rule, dt.datetime(2026, 12, 3)) == 0

    spec = JOBS["abandoned_tests"]
    assert spec.trigger == "interval" and spec.period == dt.timedelta(hours=1)
    now = dt.datetime(2026, 12, 2, 9, 30)
    dry = spec.func(now, dry_run=True)
    assert dry.counts == {"would_delete_tests": 1} and all_cases() == 2
    report = spec.func(now)
    assert report.counts == {"tests_deleted": 1}
    db.session.expire_all()
    assert db.session.get(Case, old_id) is None and db.session.get(Case, recent_id) is not None
    assert not storage.exists(key)
    assert spec.func(now).counts == {"tests_deleted": 0}
    assert spec.func(dt.datetime(2026, 12, 3, 9, 0)).counts == {"tests_deleted": 1}
    assert all_cases() == 0
