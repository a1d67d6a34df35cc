"""The builder's detail settings (F-ES-6, 9-13): rules, validation, audit, and that the case services use them."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import AuditEntry, EServiceVersion, VersionState
from shared.services import cases, catalogue, eservice_details, export
from shared.services.eservice_details import PersonalDataForm
from tests import factories

KOST_DEFINITION = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {"id": "namn", "type": "text", "label": "Elevens namn", "required": True},
                {"id": "info", "type": "info", "label": "Om kosten", "text": "Läs detta."},
                {
                    "id": "skola",
                    "type": "single_choice",
                    "label": "Skola",
                    "required": True,
                    "options": [{"value": "alne", "label": "Alneskolan"}, {"value": "bergs", "label": "Bergsskolan"}],
                },
                {"id": "skoltid", "type": "yes_no", "label": "Under skoltid?"},
            ],
        }
    ]
}


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _last_entry() -> AuditEntry:
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


@pytest.fixture
def builder(ctx):
    return factories.builder()


# -- access ------------------------------------------------------------------------------------


def test_only_builders_and_admins_may_change_details(builder):
    eservice = factories.eservice()
    handler = factories.user("hanna", role_names=("Handler",))
    db.session.commit()  # a refused call rolls back its transaction
    with pytest.raises(NotAllowed):
        eservice_details.add_colour_label(eservice.id, colour="red", meaning="Brådskande", actor=handler)
    with pytest.raises(NotAllowed):
        eservice_details.set_summary_fields(eservice.id, ["namn"], actor=handler)
    admin = factories.admin()
    eservice_details.add_colour_label(eservice.id, colour="red", meaning="Brådskande", actor=admin)
    with pytest.raises(NotFound):
        eservice_details.add_colour_label(999999, colour="red", meaning="x", actor=builder)


# -- colour legend -----------------------------------------------------------------------------


def test_colour_legend_add_change_move_delete_audited(builder):
    eservice = factories.eservice()
    green = eservice_details.add_colour_label(eservice.id, colour="green", meaning="Beviljad", actor=builder)
    red = eservice_details.add_colour_label(eservice.id, colour="red", meaning="Brådskande", actor=builder)
    db.session.refresh(eservice)
    assert [(c.colour, c.meaning) for c in eservice.colour_labels] == [("green", "Beviljad"), ("red", "Brådskande")]

    eservice_details.move_colour_label(eservice.id, red.id, up=True, actor=builder)
    db.session.refresh(eservice)
    assert [c.colour for c in eservice.colour_labels] == ["red", "green"]
    # Moving the first one up changes nothing and logs nothing.
    count = len(_actions())
    eservice_details.move_colour_label(eservice.id, red.id, up=True, actor=builder)
    assert len(_actions()) == count

    eservice_details.change_colour_label(eservice.id, green.id, colour="blue", meaning="Klar", actor=builder)
    entry = _last_entry()
    assert entry.action == "config_colour_changed" and entry.user_id == builder.id
    assert entry.details["before"] == {"colour": "green", "meaning": "Beviljad"}
    assert entry.details["after"] == {"colour": "blue", "meaning": "Klar"}

    eservice_details.delete_colour_label(eservice.id, red.id, actor=builder)
    db.session.refresh(eservice)
    assert [c.colour for c in eservice.colour_labels] == ["blue"]
    assert _actions() == [
        "config_colour_created",
        "config_colour_created",
        "config_colour_legend_reordered",
        "config_colour_changed",
        "config_colour_deleted",
    ]


def test_colour_legend_validation(builder):
    eservice = factories.eservice()
    eservice_details.add_colour_label(eservice.id, colour="green", meaning="Beviljad", actor=builder)
    with pytest.raises(Invalid) as error:
        eservice_details.add_colour_label(eservice.id, colour="green", meaning="", actor=builder)
    assert set(error.value.errors) == {"colour", "meaning"}
    with pytest.raises(Invalid) as error:
        eservice_details.add_colour_label(eservice.id, colour="#123456", meaning="Hex", actor=builder)
    assert set(error.value.errors) == {"colour"}
    with pytest.raises(Invalid):
        eservice_details.add_colour_label(eservice.id, colour="red", meaning="x" * 201, actor=builder)


def test_a_handler_may_mark_a_case_with_a_colour_from_the_legend(builder):
    handler = factories.user("hanna")
    eservice = factories.eservice(handlers=[handler], colour_marking=True)
    eservice_details.add_colour_label(eservice.id, colour="yellow", meaning="Kontakta skolan", actor=builder)
    case = factories.case(eservice)
    cases.set_colour(case.id, "yellow", actor=handler)
    assert case.colour == "yellow"


# -- summary fields and Excel columns ------------------------------------------------------------


def test_question_choices_come_from_the_published_version_else_the_draft(builder):
    eservice = factories.eservice(definition=KOST_DEFINITION)
    assert [q.id for q in eservice_details.question_choices(eservice)] == ["namn", "skola", "skoltid"]
    draft = EServiceVersion(eservice=eservice, number=2, definition=factories.SIMPLE_DEFINITION)
    db.session.add(draft)
    db.session.flush()
    # A newer draft does not replace the published version.
    assert eservice_details.current_version(eservice).number == 1
    eservice.versions[0].state = VersionState.RETIRED
    db.session.flush()
    assert eservice_details.current_version(eservice).number == 2
    assert "ovrigt" in [q.id for q in eservice_details.question_choices(eservice)]


def test_summary_fields_in_order_and_shown_on_the_case(builder):
    eservice = factories.eservice(summary_fields=[])
    eservice_details.set_summary_fields(eservice.id, ["skola", "namn"], actor=builder)
    assert eservice.summary_fields == ["skola", "namn"]
    entry = _last_entry()
    assert entry.action == "config_summary_fields_changed"
    assert entry.details["before"] == {"summary_fields": []}
    case = cases.submit_case(
        eservice.id, factories.answers(namn="Kalle Anka", skola="bergs"), citizen=factories.citizen()
    )
    assert case.summary == "Skola: Bergsskolan · Namn: Kalle Anka"
    # Cases already in get the new description too (the case list shows the stored one).
    eservice_details.set_summary_fields(eservice.id, ["namn"], actor=builder)
    db.session.refresh(case)
    assert case.summary == "Namn: Kalle Anka"


def test_summary_fields_refuse_unknown_duplicates_and_info(builder):
    eservice = factories.eservice(definition=KOST_DEFINITION, summary_fields=["gammal"])
    db.session.commit()
    with pytest.raises(Invalid) as error:
        eservice_details.set_summary_fields(eservice.id, ["namn", "namn", "info", "okand"], actor=builder)
    assert set(error.value.errors) == {"field-1", "field-2", "field-3"}
    # A field left over from an older version may stay.
    eservice_details.set_summary_fields(eservice.id, ["gammal", "skola"], actor=builder)
    assert eservice.summary_fields == ["gammal", "skola"]


def test_excel_columns_and_headings_reach_the_export(builder):
    handler = factories.user("hanna")
    eservice = factories.eservice(handlers=[handler])
    eservice_details.set_excel_columns(eservice.id, [("skola", "Skolenhet"), ("namn", "")], actor=builder)
    # An empty heading takes the question's label.
    assert eservice.excel_columns == [
        {"question": "skola", "heading": "Skolenhet"},
        {"question": "namn", "heading": "Namn"},
    ]
    case = factories.case(eservice)
    db.session.commit()  # the export reads the cases on a connection of its own (PostgreSQL), as after a request
    workbook = load_workbook(export.export_cases([case.id], actor=handler))
    header = [cell.value for cell in next(workbook.active.iter_rows(max_row=1))]
    assert header[-2:] == ["Skolenhet", "Namn"]


def test_excel_columns_validation(builder):
    eservice = factories.eservice()
    db.session.commit()
    with pytest.raises(Invalid) as error:
        eservice_details.set_excel_columns(
            eservice.id, [("skola", "x" * 201), ("skola", "Igen"), ("saknas", "Rubrik")], actor=builder
        )
    assert set(error.value.errors) == {"heading-0", "question-1", "question-2"}
    assert eservice.excel_columns == []


# -- message templates ---------------------------------------------------------------------------


def test_message_templates(builder):
    eservice = factories.eservice()
    template = eservice_details.add_message_template(
        eservice.id, name="Komplettering", body="Skicka in intyg.\r\nTack!", actor=builder
    )
    assert template.body == "Skicka in intyg.\nTack!"
    with pytest.raises(Invalid) as error:
        eservice_details.add_message_template(eservice.id, name="komplettering", body="", actor=builder)
    assert set(error.value.errors) == {"name", "body"}
    eservice_details.change_message_template(eservice.id, template.id, name="Beslut", body="Beviljad.", actor=builder)
    assert (template.name, template.body) == ("Beslut", "Beviljad.")
    other = factories.eservice()
    db.session.commit()
    with pytest.raises(NotFound):
        eservice_details.delete_message_template(other.id, template.id, actor=builder)
    eservice_details.delete_message_template(eservice.id, template.id, actor=builder)
    db.session.refresh(eservice)
    assert eservice.message_templates == []
    assert _actions() == [
        "config_message_template_created",
        "config_message_template_changed",
        "config_message_template_deleted",
    ]


# -- automatic assignment ------------------------------------------------------------------------


def test_assignment_rules_choose_question_and_option_and_assign_new_cases(builder):
    anna, bertil = factories.user("anna"), factories.user("bertil")
    group = factories.group("Skolskjuts", members=[bertil])
    eservice = factories.eservice(definition=KOST_DEFINITION, handlers=[anna], groups=[group])
    choices = eservice_details.assignment_choices(eservice)
    assert [q.id for q in choices.questions] == ["skola", "skoltid"]
    assert choices.questions[1].options == [("ja", "Ja"), ("nej", "Nej")]

    eservice_details.add_assignment_rule(
        eservice.id, question_id="skola", answer_value="bergs", user_id="", group_id=str(group.id), actor=builder
    )
    eservice_details.add_assignment_rule(
        eservice.id, question_id="skoltid", answer_value="ja", user_id=str(anna.id), group_id="", actor=builder
    )
    case = cases.submit_case(
        eservice.id, {"namn": "Kalle", "skola": "bergs", "skoltid": "ja"}, citizen=factories.citizen()
    )
    assert [h.group_id for h in case.handlers] == [group.id]

    # The second rule first: now the yes/no rule wins.
    db.session.refresh(eservice)
    second = eservice.assignment_rules[1]
    eservice_details.move_assignment_rule(eservice.id, second.id, up=True, actor=builder)
    case = cases.submit_case(
        eservice.id, {"namn": "Kajsa", "skola": "bergs", "skoltid": "ja"}, citizen=factories.citizen()
    )
    assert [h.user_id for h in case.handlers] == [anna.id]
    assert "config_assignment_rules_reordered" in _actions()


def test_assignment_rule_validation(builder):
    anna = factories.user("anna")
    stranger = factories.user("sten")
    eservice = factories.eservice(definition=KOST_DEFINITION, handlers=[anna])
    db.session.commit()
    with pytest.raises(Invalid) as error:
        eservice_details.add_assignment_rule(
            eservice.id, question_id="namn", answer_value="x", user_id="", group_id="", actor=builder
        )
    assert set(error.value.errors) == {"question", "user_id"}
    with pytest.raises(Invalid) as error:
        eservice_details.add_assignment_rule(
            eservice.id, question_id="skola", answer_value="ja", user_id=str(stranger.id), group_id="", actor=builder
        )
    assert set(error.value.errors) == {"answer", "user_id"}
    rule = eservice_details.add_assignment_rule(
        eservice.id, question_id="skola", answer_value="alne", user_id=str(anna.id), group_id="", actor=builder
    )
    with pytest.raises(Invalid) as error:
        eservice_details.add_assignment_rule(
            eservice.id, question_id="skola", answer_value="alne", user_id=str(anna.id), group_id="", actor=builder
        )
    assert set(error.value.errors) == {"answer"}
    eservice_details.change_assignment_rule(
        eservice.id,
        rule.id,
        question_id="skola",
        answer_value="bergs",
        user_id=str(anna.id),
        group_id="",
        actor=builder,
    )
    assert rule.answer_value == "bergs"
    entry = _last_entry()
    assert entry.action == "config_assignment_rule_changed"
    assert entry.details["before"] == {"answer": "alne"} and entry.details["after"] == {"answer": "bergs"}
    eservice_details.delete_assignment_rule(eservice.id, rule.id, actor=builder)
    assert _last_entry().action == "config_assignment_rule_deleted"


def test_default_assignment(builder):
    anna = factories.user("anna")
    eservice = factories.eservice(definition=KOST_DEFINITION, handlers=[anna])
    eservice_details.set_default_assignment(eservice.id, user_id=str(anna.id), group_id="", actor=builder)
    assert eservice.default_handler == anna
    case = cases.submit_case(eservice.id, {"namn": "Kalle", "skola": "alne"}, citizen=factories.citizen())
    assert [h.user_id for h in case.handlers] == [anna.id]
    db.session.commit()
    with pytest.raises(Invalid):
        eservice_details.set_default_assignment(eservice.id, user_id="12345", group_id="", actor=builder)
    eservice_details.set_default_assignment(eservice.id, user_id="", group_id="", actor=builder)
    assert eservice.default_handler is None
    assert _last_entry().details == {
        "name": eservice.name,
        "before": {"default_handler": "anna"},
        "after": {"default_handler": None},
    }


# -- personal data (GDPR) ------------------------------------------------------------------------


def _gdpr_form(**overrides) -> PersonalDataForm:
    data = {
        "categories": ["namn", "personnummer"],
        "extra_categories": "Elevens skola",
        "legal_bases": ["public_interest"],
        "retention": "Två år efter beslut.",
        "controller_name": "Barn- och utbildningsnämnden",
        "controller_email": "bun@example.org",
    }
    data.update(overrides)
    return PersonalDataForm(**data)


def test_personal_data_saved_and_shown_as_the_portal_builds_it(builder):
    eservice = factories.eservice()
    eservice_details.update_personal_data(eservice.id, _gdpr_form(), actor=builder)
    assert eservice.gdpr_categories == ["namn", "personnummer"]
    assert eservice.gdpr_purpose is None and eservice.complaint_text is None
    text = catalogue.personal_data_text(eservice)
    assert text.categories == ["Namn", "Personnummer", "Elevens skola"]
    assert text.legal_bases == ["En arbetsuppgift av allmänt intresse ska kunna utföras"]
    assert text.purpose.startswith("Vid handläggningen av ditt ärende")
    assert eservice_details.personal_data_preview(_gdpr_form()) == text
    entry = _last_entry()
    assert entry.action == "config_personal_data_changed"
    assert entry.details["after"]["gdpr_legal_bases"] == ["public_interest"]

    eservice_details.update_personal_data(
        eservice.id,
        _gdpr_form(
            own_purpose=True, purpose="Att ordna skolskjuts.", own_complaint=True, complaint_text="Kontakta oss först."
        ),
        actor=builder,
    )
    text = catalogue.personal_data_text(eservice)
    assert (text.purpose, text.complaint_text) == ("Att ordna skolskjuts.", "Kontakta oss först.")


def test_personal_data_validation(builder):
    eservice = factories.eservice()
    db.session.commit()
    with pytest.raises(Invalid) as error:
        eservice_details.update_personal_data(
            eservice.id,
            PersonalDataForm(
                categories=["hemligt"], own_purpose=True, controller_email="inte en adress", own_complaint=True
            ),
            actor=builder,
        )
    assert set(error.value.errors) == {
        "categories",
        "legal_bases",
        "retention",
        "purpose",
        "controller_email",
        "complaint_text",
    }
    assert eservice.gdpr_categories == []
    # Own text typed but the standard chosen: the standard is kept.
    eservice_details.update_personal_data(eservice.id, _gdpr_form(purpose="Ignoreras"), actor=builder)
    assert eservice.gdpr_purpose is None
