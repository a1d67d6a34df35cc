"""Manual add (lägg till ärende, F-LIST-6): who may add where, every error at once, files in the same post."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict

from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import (
    Case,
    CaseChannel,
    Category,
    Citizen,
    Document,
    DocumentSource,
    EServiceVersion,
    VersionState,
)
from shared.services import access, cases, manual_add
from tests import factories

LARM_DEFINITION = {
    "steps": [
        {
            "id": "larm",
            "title": "Larm",
            "questions": [
                {"id": "personnummer", "type": "personnummer", "label": "Kontaktpersonens personnummer"},
                {
                    "id": "larmtyp",
                    "type": "multiple_choice",
                    "label": "Larmtyp",
                    "required": True,
                    "options": [
                        {"value": "brand", "label": "Brandlarm"},
                        {"value": "inbrott", "label": "Inbrottslarm"},
                        {"value": "hiss", "label": "Hisslarm"},
                    ],
                },
                {
                    "id": "intyg",
                    "type": "file",
                    "label": "Intyg",
                    "required": True,
                    "file": {"max_files": 2, "max_size_mb": 1, "content_types": ["application/pdf"]},
                },
            ],
        }
    ]
}


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def stored_files(ctx) -> list[Path]:
    root = Path(ctx.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def larm(world):
    eservice = factories.eservice(
        "Larmavtal", definition=LARM_DEFINITION, handlers=[world.hanna], restricted=[world.rut], manual_add=True
    )
    db.session.commit()
    return eservice


def test_a_multiple_choice_posted_as_a_form_keeps_every_choice(world):
    """request.form gives one value per get(): every checked box must still count."""
    definition = {
        "steps": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {"id": "namn", "type": "text", "label": "Namn", "required": True},
                    {"id": "personnummer", "type": "personnummer", "label": "Personnummer", "required": True},
                    {
                        "id": "skola",
                        "type": "single_choice",
                        "label": "Skola",
                        "options": [{"value": "alne", "label": "A"}],
                    },
                    {
                        "id": "kost",
                        "type": "multiple_choice",
                        "label": "Kost",
                        "options": [{"value": "gluten", "label": "G"}, {"value": "laktos", "label": "L"}],
                    },
                ],
            }
        ]
    }
    version = world.eservice.published_version
    version.definition = definition
    db.session.commit()
    form = ImmutableMultiDict(
        [("namn", "Kalle"), ("personnummer", "19850709-9805"), ("kost", "gluten"), ("kost", "laktos")]
    )
    case = cases.submit_case(world.eservice.id, form, citizen=world.citizen)
    assert case.answers["kost"] == ["gluten", "laktos"]
    assert case.answers["namn"] == "Kalle"


def test_manual_add_is_for_admins_and_handlers_with_full_access(world):
    eservice = world.eservice
    assert access.manual_add_denial(world.hanna, eservice) is None
    assert access.manual_add_denial(world.gun, eservice) is None  # through her group
    assert access.manual_add_denial(world.admin, eservice) is None
    assert isinstance(access.manual_add_denial(world.rut, eservice), NotAllowed)
    assert isinstance(access.manual_add_denial(world.outsider, eservice), NotAllowed)
    assert isinstance(access.manual_add_denial(world.builder, eservice), NotAllowed)
    assert isinstance(access.manual_add_denial(world.hanna, None), NotFound)
    with pytest.raises(NotAllowed):
        cases.submit_case(eservice.id, factories.answers(), actor=world.rut)
    eservice.enabled = False
    assert isinstance(access.manual_add_denial(world.hanna, eservice), NotAllowed)
    assert case_count() == 0


def test_the_choices_list_the_eservices_with_versions_and_counts(world):
    category = Category(name="Barnomsorg och utbildning")
    db.session.add(category)
    world.eservice.category = category
    world.eservice.versions.append(
        EServiceVersion(number=2, definition=factories.SIMPLE_DEFINITION, state=VersionState.DRAFT)
    )
    factories.case(world.eservice)
    factories.case(world.eservice, citizen=world.citizen)
    factories.case(world.eservice, citizen=world.citizen, draft=True)
    factories.eservice("Bygglov – ansökan", handlers=[world.hanna])  # no manual add
    factories.eservice("Larmavtal", handlers=[world.olle], manual_add=True)  # not hers
    factories.eservice("Avstängd", handlers=[world.hanna], manual_add=True, enabled=False)
    db.session.commit()

    [choice] = manual_add.manual_add_choices(world.hanna)
    assert (choice.eservice.name, choice.category, choice.versions) == ("Skolskjuts", "Barnomsorg och utbildning", 2)
    assert (choice.submitted, choice.drafts) == (2, 1)
    assert manual_add.manual_add_choices(world.rut) == []
    assert manual_add.manual_add_choices(world.hanna, search="barnomsorg skol")[0].eservice == world.eservice
    assert manual_add.manual_add_choices(world.hanna, search="bygg") == []
    assert [c.eservice.name for c in manual_add.manual_add_choices(world.admin)] == ["Larmavtal", "Skolskjuts"]


def test_every_error_comes_at_once_and_the_applicants_apart_from_the_answers(world, larm):
    with pytest.raises(Invalid) as raised:
        cases.add_case_manually(
            larm.id,
            {"personnummer": "12345"},
            actor=world.hanna,
            personnummer="19850709-9806",
            contact={"email": "inte-en-adress"},
        )
    error = raised.value
    # The question "personnummer" and the link field "personnummer" are told apart.
    assert set(error.errors) == {"personnummer", "larmtyp", "intyg"}
    assert set(error.details["applicant_errors"]) == {"personnummer", "email"}
    assert "5" in error.message  # "Det finns 5 fel i formuläret."
    assert case_count() == 0


def test_files_are_stored_with_the_case_and_named_in_the_answers(world, larm, ctx):
    hanna = world.hanna
    files_before = len(stored_files(ctx))
    case = cases.add_case_manually(
        larm.id,
        ImmutableMultiDict([("larmtyp", "brand"), ("larmtyp", "hiss")]),
        actor=hanna,
        personnummer="200001012384",
        contact={"name": "Per Papper", "phone": "070-123 45 67"},
        uploads={"intyg": [("intyg.pdf", io.BytesIO(factories.PDF_BYTES), "application/pdf")]},
    )
    assert case.number is not None and case.channel == CaseChannel.MANUAL
    assert case.answers["larmtyp"] == ["brand", "hiss"]
    [document] = db.session.scalars(select(Document).where(Document.case_id == case.id)).all()
    assert document.question_id == "intyg" and document.source == DocumentSource.APPLICANT
    assert document.uploaded_by_user_id == hanna.id
    assert case.answers["intyg"] == [document.descriptor()]
    citizen = db.session.scalar(select(Citizen).where(Citizen.personnummer == "200001012384"))
    assert case in db.session.scalars(access.citizen_cases(citizen)).all()  # on their Mina sidor
    assert case.applicant_name == "Per Papper" and case.contact_phone == "070-123 45 67"
    assert len(stored_files(ctx)) == files_before + 1


def test_a_bad_file_is_refused_beside_its_question_and_nothing_is_kept(world, larm, ctx):
    hanna = world.hanna
    before = len(stored_files(ctx))
    with pytest.raises(Invalid) as raised:
        cases.add_case_manually(
            larm.id,
            {"larmtyp": "brand"},
            actor=hanna,
            uploads={"intyg": [("bild.png", io.BytesIO(factories.PNG_BYTES), "image/png")]},
        )
    assert set(raised.value.errors) == {"intyg"}  # PNG is not among the question's types
    with pytest.raises(Invalid) as raised:
        cases.add_case_manually(
            larm.id,
            {},
            actor=hanna,
            uploads={"intyg": [("program.exe", io.BytesIO(b"MZ\x90\x00\x03" + b"\x00" * 60), "application/pdf")]},
        )
    assert set(raised.value.errors) == {"larmtyp", "intyg"}
    assert case_count() == 0
    assert len(stored_files(ctx)) == before  # the rolled-back files are gone from disk


def test_the_same_form_sent_twice_gives_one_case(world, larm):
    hanna = world.hanna

    def send():
        return cases.add_case_manually(
            larm.id,
            {"larmtyp": "brand"},
            actor=hanna,
            uploads={"intyg": [("intyg.pdf", io.BytesIO(factories.PDF_BYTES), "application/pdf")]},
            idempotency_key="form-1",
        )

    first, second = send(), send()
    assert first.id == second.id and case_count() == 1


def test_restricted_handlers_and_strangers_cannot_add(world, larm):
    for actor in (world.rut, world.outsider):
        with pytest.raises(NotAllowed):
            cases.add_case_manually(larm.id, {"larmtyp": "brand"}, actor=actor)
    with pytest.raises(NotFound):
        cases.add_case_manually(987654, {}, actor=world.hanna)
    assert case_count() == 0
