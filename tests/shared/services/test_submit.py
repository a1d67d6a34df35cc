"""Drafts and submission: numbering, validation, idempotency, auto-assignment, manual add (F-POR-3, F-LIST-6, F-ES-9)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shared import notify, storage
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import (
    AuditEntry,
    Case,
    CaseChannel,
    Citizen,
    Document,
    NotificationEvent,
    Recipient,
    StatusKind,
)
from shared.services import access, cases, documents
from tests import factories
from tests.factories import addresses, outbox

ORG_DEFINITION = {
    "steps": [
        {
            "id": "foretag",
            "title": "Företag",
            "questions": [
                {"id": "firma", "type": "text", "label": "Firma", "required": True},
                {"id": "orgnr", "type": "organisationsnummer", "label": "Organisationsnummer", "required": True},
                {"id": "kontakt_pnr", "type": "personnummer", "label": "Kontaktpersonens personnummer"},
                {
                    "id": "larm",
                    "type": "multiple_choice",
                    "label": "Larmtyp",
                    "options": [
                        {"value": "brand", "label": "Brandlarm"},
                        {"value": "inbrott", "label": "Inbrottslarm"},
                    ],
                },
                {"id": "bilaga", "type": "file", "label": "Bilaga"},
            ],
        }
    ]
}


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_submitted_case_gets_number_status_due_date_and_search_fields(world):
    notify.default_notification_settings(world.eservice)
    case = cases.submit_case(world.eservice.id, factories.answers(ovrigt="Rullstol"), citizen=world.citizen)
    assert case.number == 1
    assert case.status.kind == StatusKind.SUBMITTED and case.status.name == "Inskickat"
    assert case.submitted_at is not None
    assert case.due_at == case.submitted_at + dt.timedelta(days=14)
    assert case.summary == "Namn: Kalle Anka · Skola: Alneskolan"
    assert "Alneskolan" in case.search_text and "Rullstol" in case.search_text
    assert case.personnummer == "198507099805"
    assert case.applicant_name == "Maria Öljung"
    assert case.answers["personnummer"] == "19850709-9805"
    assert [e.kind for e in case.events] == ["submitted"]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.case_id == case.id)) == "case_submitted"
    receipt = outbox(NotificationEvent.SUBMITTED)
    assert {(str(m.channel), m.recipient_address) for m in receipt} == {
        ("email", "maria@example.org"),
        ("portal", None),
    }
    assert receipt[0].link == f"http://127.0.0.1:5000/mina-sidor/arenden/{case.id}"
    assert "ärendenummer är 1" in receipt[0].body


def test_case_numbers_are_sequential_and_unique_and_follow_existing_ones(world):
    factories.case(world.eservice, number=41)
    numbers = [
        cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen).number for _ in range(3)
    ]
    assert numbers == [42, 43, 44]
    assert db.session.scalar(select(func.count(func.distinct(Case.number)))) == 4


def test_invalid_answers_save_nothing_and_use_no_number(world):
    with pytest.raises(Invalid) as error:
        cases.submit_case(world.eservice.id, factories.answers(namn="", skola="nowhere"), citizen=world.citizen)
    assert set(error.value.errors) == {"namn", "skola"}
    assert case_count() == 0 and outbox() == []
    assert cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen).number == 1


def test_same_idempotency_key_gives_the_same_case(world):
    notify.default_notification_settings(world.eservice)
    first = cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen, idempotency_key="form-1")
    sent = len(outbox())
    again = cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen, idempotency_key="form-1")
    assert again.id == first.id and case_count() == 1 and len(outbox()) == sent
    other = factories.citizen("196408233234")
    with pytest.raises(Invalid):
        cases.submit_case(world.eservice.id, factories.answers(), citizen=other, idempotency_key="form-1")


def test_disabled_or_unpublished_eservice_refuses(world):
    world.eservice.enabled = False
    with pytest.raises(NotAllowed):
        cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen)
    world.eservice.enabled = True
    world.eservice.versions[0].state = "retired"
    with pytest.raises(NotAllowed):
        cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen)
    with pytest.raises(NotFound):
        cases.submit_case(999999, factories.answers(), citizen=world.citizen)


def test_anonymous_submission_only_where_allowed(world):
    with pytest.raises(NotAllowed):
        cases.submit_case(world.eservice.id, factories.answers(), contact={"email": "anna@example.org"})
    world.eservice.anonymous_allowed = True
    notify.default_notification_settings(world.eservice)
    case = cases.submit_case(
        world.eservice.id, factories.answers(), contact={"name": "Anna Anonym", "email": "anna@example.org"}
    )
    assert case.citizen_id is None and case.applicant_name == "Anna Anonym"
    assert case.personnummer == "198507099805"  # from the answer, as there is no citizen
    receipts = outbox(NotificationEvent.SUBMITTED)
    assert [(str(m.channel), m.recipient_address) for m in receipts] == [("email", "anna@example.org")]
    assert receipts[0].link is None and "Mina sidor" not in receipts[0].body  # no Mina sidor without e-ID
    with pytest.raises(Invalid) as error:
        cases.submit_case(world.eservice.id, factories.answers(), contact={"email": "not-an-address"})
    assert "contact_email" in error.value.errors


def test_organisation_number_and_summary_limits(ctx):
    eservice = factories.eservice(
        "Larmavtal", definition=ORG_DEFINITION, summary_fields=["firma", "larm"], login_required=False
    )
    answers = {"firma": "Ab " + "x" * 600, "orgnr": "556016-0680", "kontakt_pnr": "196408233234", "larm": ["brand"]}
    case = cases.submit_case(eservice.id, answers)
    assert case.organisationsnummer == "5560160680"
    assert case.personnummer == "196408233234"
    assert len(case.summary) == 500 and case.summary.endswith("…")


def test_draft_is_saved_partially_and_resumed_by_submitting_it(world):
    draft = cases.save_draft(world.eservice.id, {"namn": "Kalle"}, citizen=world.citizen)
    assert draft.number is None and draft.status.kind == StatusKind.DRAFT
    assert not access.can(world.admin, "view", draft)
    cases.save_draft(
        world.eservice.id, {"namn": "Kalle Anka", "skola": "bergs"}, citizen=world.citizen, draft_id=draft.id
    )
    assert draft.answers == {"namn": "Kalle Anka", "skola": "bergs"}
    with pytest.raises(Invalid):
        cases.save_draft(world.eservice.id, {"personnummer": "123"}, citizen=world.citizen, draft_id=draft.id)
    other = factories.citizen("196408233234")
    with pytest.raises(NotFound):
        cases.save_draft(world.eservice.id, {"namn": "X"}, citizen=other, draft_id=draft.id)
    with pytest.raises(NotFound):
        cases.submit_case(world.eservice.id, factories.answers(), citizen=other, draft_id=draft.id)
    case = cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen, draft_id=draft.id)
    assert case.id == draft.id and case.number == 1 and case_count() == 1
    assert (
        cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen, draft_id=draft.id).id
        == case.id
    )
    with pytest.raises(NotAllowed):
        cases.save_draft(world.eservice.id, {"namn": "Y"}, citizen=world.citizen, draft_id=draft.id)


def test_draft_keeps_its_version_after_a_new_one_is_published(world):
    draft = cases.save_draft(world.eservice.id, {"namn": "Kalle"}, citizen=world.citizen)
    definition = {
        "steps": [
            {"id": "s", "title": "S", "questions": [{"id": "ny", "type": "text", "label": "Ny", "required": True}]}
        ]
    }
    world.eservice.versions[0].state = "retired"
    world.eservice.versions.append(factories.EServiceVersion(number=2, definition=definition, state="published"))
    db.session.flush()
    case = cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen, draft_id=draft.id)
    assert case.version.number == 1


def test_anonymous_draft_only_where_anonymous_use_is_allowed(world):
    with pytest.raises(NotAllowed):
        cases.save_draft(world.eservice.id, {"namn": "Kalle"})
    world.eservice.anonymous_allowed = True
    draft = cases.save_draft(world.eservice.id, {"namn": "Kalle"})
    with pytest.raises(NotFound):  # a logged-in citizen cannot take over an anonymous draft
        cases.save_draft(world.eservice.id, {"namn": "X"}, citizen=world.citizen, draft_id=draft.id)
    case = cases.submit_case(world.eservice.id, factories.answers(), draft_id=draft.id)
    assert case.id == draft.id and case.number == 1


def test_file_answers_must_be_this_drafts_documents_and_are_trusted_from_storage(ctx):
    eservice = factories.eservice("Larmavtal", definition=ORG_DEFINITION, summary_fields=["firma"])
    citizen = factories.citizen("19850709-9805")
    draft = cases.save_draft(eservice.id, {"firma": "Ab"}, citizen=citizen)
    kept = documents.add_document(draft.id, "avtal.pdf", factories.PDF_BYTES, "application/pdf", citizen=citizen)
    dropped = documents.add_document(draft.id, "fel.png", factories.PNG_BYTES, "image/png", citizen=citizen)
    dropped_key = dropped.storage_key
    forged = dict(kept.descriptor(), size=1, name="annat.exe")
    answers = {"firma": "Ab", "orgnr": "5560160680", "bilaga": [forged]}
    foreign_draft = cases.save_draft(eservice.id, {"firma": "C"}, citizen=factories.citizen("196408233234"))
    foreign = documents.add_document(
        foreign_draft.id, "x.pdf", factories.PDF_BYTES, "application/pdf", citizen=foreign_draft.citizen
    )
    with pytest.raises(Invalid) as error:
        cases.submit_case(
            eservice.id, {**answers, "bilaga": [foreign.descriptor()]}, citizen=citizen, draft_id=draft.id
        )
    assert "bilaga" in error.value.errors
    case = cases.submit_case(eservice.id, answers, citizen=citizen, draft_id=draft.id)
    assert case.answers["bilaga"] == [kept.descriptor()]  # name and size from the stored file
    assert db.session.get(Document, kept.id).question_id == "bilaga"
    assert db.session.get(Document, dropped.id) is None and not storage.exists(dropped_key)


def test_auto_assignment_follows_the_first_matching_rule_then_the_default(world):
    notify.default_notification_settings(world.eservice)
    factories.assignment_rule(world.eservice, "skola", "bergs", user=world.olle, sort_order=1)
    factories.assignment_rule(world.eservice, "skola", "alne", group=world.group, sort_order=2)
    factories.assignment_rule(world.eservice, "skola", "alne", user=world.hanna, sort_order=3)
    world.eservice.default_handler = world.hanna
    bergs = cases.submit_case(world.eservice.id, factories.answers(skola="bergs"), citizen=world.citizen)
    alne = cases.submit_case(world.eservice.id, factories.answers(skola="alne"), citizen=world.citizen)
    assert bergs.handler_users == [world.olle] and bergs.assigned
    assert alne.handler_groups == [world.group] and alne.handler_users == []
    assert [e.kind for e in alne.events] == ["submitted", "assigned"]
    assert addresses(NotificationEvent.ASSIGNED) == {"olle@example.org"}
    assert addresses(NotificationEvent.GROUP_ASSIGNED) == {"gun@example.org"}
    db.session.delete(world.eservice.assignment_rules[0])
    db.session.flush()
    db.session.expire(world.eservice, ["assignment_rules"])
    fallback = cases.submit_case(world.eservice.id, factories.answers(skola="bergs"), citizen=world.citizen)
    assert fallback.handler_users == [world.hanna]


def test_rules_match_one_of_several_choices_and_skip_people_who_are_no_longer_handlers(ctx):
    former = factories.user("fia")
    handler = factories.user("hugo")
    eservice = factories.eservice("Larmavtal", definition=ORG_DEFINITION, handlers=[handler], login_required=False)
    factories.assignment_rule(eservice, "larm", "inbrott", user=former, sort_order=1)
    factories.assignment_rule(eservice, "larm", "inbrott", user=handler, sort_order=2)
    case = cases.submit_case(eservice.id, {"firma": "Ab", "orgnr": "5560160680", "larm": ["brand", "inbrott"]})
    assert case.handler_users == [handler]


def test_handler_adds_a_case_manually_for_a_personnummer(world):
    notify.default_notification_settings(world.eservice)
    case = cases.submit_case(
        world.eservice.id,
        factories.answers(),
        actor=world.hanna,
        personnummer="20000101-2384",
        contact={"name": "Per Papper"},
    )
    assert case.channel == CaseChannel.MANUAL and case.submitted_by_id == world.hanna.id
    citizen = db.session.scalar(select(Citizen).where(Citizen.personnummer == "200001012384"))
    assert case.citizen_id == citizen.id and case.personnummer == "200001012384"
    assert case.applicant_name == "Per Papper"
    with pytest.raises(Invalid) as error:
        cases.submit_case(world.eservice.id, factories.answers(), actor=world.hanna, personnummer="20000101-2385")
    assert "personnummer" in error.value.errors


def test_manual_add_needs_the_feature_and_a_handler_link(world):
    with pytest.raises(NotAllowed):
        cases.submit_case(world.eservice.id, factories.answers(), actor=world.outsider)
    with pytest.raises(NotAllowed):
        cases.submit_case(world.eservice.id, factories.answers(), actor=world.builder)
    world.eservice.manual_add = False
    with pytest.raises(NotAllowed):
        cases.submit_case(world.eservice.id, factories.answers(), actor=world.hanna)
    assert case_count() == 0


def test_new_case_goes_to_all_handlers_who_may_see_it_when_switched_on(world):
    factories.setting(world.eservice, NotificationEvent.NEW_CASE, Recipient.ALL_HANDLERS)
    cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen)
    # Rut is restricted and not assigned: she is not told of a case she cannot open.
    assert addresses(NotificationEvent.NEW_CASE) == {"hanna@example.org", "olle@example.org", "gun@example.org"}
