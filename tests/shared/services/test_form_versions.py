"""The form editor's services (F-ES-2, F-ES-3): version rules, editing steps and questions, import/export."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from shared.db import db
from shared.errors import Invalid, NotAllowed
from shared.forms import check_definition
from shared.models import AuditEntry, Case, EServiceVersion, VersionState
from shared.services import form_versions, trial_runs
from tests import factories


@pytest.fixture
def setup(ctx):
    builder = factories.builder()
    eservice = factories.eservice("Resebidrag")
    db.session.commit()
    return eservice, builder


def versions(eservice) -> list[EServiceVersion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EServiceVersion).where(EServiceVersion.eservice_id == eservice.id).order_by(EServiceVersion.number)
        )
    )


def audit_actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


QUESTION = {"type": "text", "label": "Telefontid"}


def test_only_builders_and_admins_may_edit_forms(setup):
    eservice, _builder = setup
    handler = factories.user("handlaggare")
    with pytest.raises(NotAllowed):
        form_versions.create_draft(eservice.id, actor=handler)
    with pytest.raises(NotAllowed):
        form_versions.list_versions(eservice.id, actor=handler)
    admin = factories.admin()
    assert form_versions.create_draft(eservice.id, actor=admin).number == 2


def test_new_version_copies_the_newest_and_is_a_draft(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    assert (draft.number, draft.state) == (2, VersionState.DRAFT)
    assert draft.definition == eservice.versions[0].definition
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "config_form_version_created")).one()
    assert entry.user_id == builder.id and entry.details["after"]["number"] == 2


def test_a_draft_without_cases_is_changed_in_place(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    edit = form_versions.add_question(eservice.id, draft.id, "sokande", QUESTION, actor=builder)
    assert not edit.forked and edit.version.id == draft.id and edit.item_id == "telefontid"
    assert [v.number for v in versions(eservice)] == [1, 2]
    assert versions(eservice)[1].definition["steps"][0]["questions"][-1] == {
        "id": "telefontid",
        "type": "text",
        "label": "Telefontid",
    }
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "config_form_question_created")).one()
    assert entry.details["after"]["label"] == "Telefontid" and "before" not in entry.details


def test_editing_a_version_with_cases_makes_a_new_draft_and_never_changes_it(setup):
    eservice, builder = setup
    published = eservice.versions[0]
    original = json.loads(json.dumps(published.definition))
    case = factories.case(eservice)
    db.session.commit()
    edit = form_versions.update_question(
        eservice.id, published.id, "namn", {"type": "text", "label": "Sökandens namn", "required": "1"}, actor=builder
    )
    assert edit.forked and edit.forked_from == 1 and edit.version.number == 2
    assert edit.version.state == VersionState.DRAFT
    old, new = versions(eservice)
    assert old.definition == original and old.state == VersionState.PUBLISHED
    assert new.definition["steps"][0]["questions"][0]["label"] == "Sökandens namn"
    # The case keeps its version.
    db.session.refresh(case)
    assert case.version_id == old.id
    # Editing the new draft again stays in it.
    again = form_versions.delete_question(eservice.id, new.id, "ovrigt", actor=builder)
    assert not again.forked and again.version.id == new.id


def test_a_draft_that_cases_use_is_not_changed_either(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    case = factories.case(eservice)
    case.version = draft  # e.g. a case made while testing the draft
    db.session.commit()
    edit = form_versions.move_question(eservice.id, draft.id, "skola", form_versions.UP, actor=builder)
    assert edit.forked and edit.version.number == 3


def test_publish_makes_the_new_version_the_one_applicants_get_and_old_cases_keep_theirs(setup):
    eservice, builder = setup
    old_case = factories.case(eservice)
    db.session.commit()
    draft = form_versions.create_draft(eservice.id, actor=builder)
    form_versions.add_question(eservice.id, draft.id, "sokande", QUESTION, actor=builder)
    form_versions.publish_version(eservice.id, draft.id, actor=builder)
    old, new = versions(eservice)
    assert (old.state, new.state) == (VersionState.RETIRED, VersionState.PUBLISHED)
    assert new.published_at is not None
    db.session.refresh(eservice)
    assert eservice.published_version.id == new.id
    db.session.refresh(old_case)
    assert old_case.version_id == old.id
    assert factories.case(eservice).version_id == new.id
    assert {"config_form_version_published", "config_form_version_retired"} <= set(audit_actions())
    with pytest.raises(Invalid, match="redan publicerad"):
        form_versions.publish_version(eservice.id, new.id, actor=builder)


BROKEN = [
    (
        "visible_if naming a missing question",
        lambda d: d["steps"][0]["questions"][3].update(visible_if={"question": "finns_inte", "equals": "x"}),
        "ovrigt",
        "finns_inte",
    ),
    (
        "duplicate id",
        lambda d: d["steps"][0]["questions"].append({"id": "namn", "type": "text", "label": "Namn igen"}),
        "namn",
        "flera frågor med detta id",
    ),
    (
        "formula syntax error",
        lambda d: d["steps"][0]["questions"].append(
            {"id": "summa", "type": "computed", "label": "Summa", "formula": "1 +* ("}
        ),
        "summa",
        "",
    ),
]


@pytest.mark.parametrize(("name", "breaks", "question_id", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_definition_that_breaks_the_schema_cannot_be_published(setup, name, breaks, question_id, words):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    definition = json.loads(json.dumps(draft.definition))
    breaks(definition)
    draft.definition = definition
    db.session.commit()
    with pytest.raises(Invalid) as raised:
        form_versions.publish_version(eservice.id, draft.id, actor=builder)
    problems = raised.value.details["problems"]
    assert any(p["question_id"] == question_id and words in p["message"] for p in problems), problems
    assert question_id in raised.value.errors
    assert versions(eservice)[1].state == VersionState.DRAFT
    assert eservice.published_version.number == 1


def test_the_editor_refuses_a_question_that_has_a_problem_itself(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    with pytest.raises(Invalid) as raised:
        form_versions.add_question(
            eservice.id, draft.id, "sokande", {"type": "computed", "label": "Summa", "formula": "1 +* ("}, actor=builder
        )
    assert "formula" in raised.value.errors
    with pytest.raises(Invalid) as raised:
        form_versions.add_question(
            eservice.id,
            draft.id,
            "sokande",
            {"type": "computed", "label": "Summa", "formula": "antal * 2"},
            actor=builder,
        )
    assert "antal" in raised.value.message
    with pytest.raises(Invalid) as raised:
        form_versions.add_question(
            eservice.id, draft.id, "sokande", {"type": "text", "label": "X", "id": "namn"}, actor=builder
        )
    assert raised.value.errors["id"] == "En annan del av formuläret har redan detta id."
    with pytest.raises(Invalid) as raised:
        form_versions.add_question(
            eservice.id, draft.id, "sokande", {"type": "single_choice", "label": "Val"}, actor=builder
        )
    assert "option-1-label" in raised.value.errors
    assert versions(eservice)[1].definition == versions(eservice)[0].definition


def test_every_question_type_with_options_validation_condition_and_formula(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    vid = eservice.id, draft.id
    add = lambda step, fields: form_versions.add_question(*vid, step, fields, actor=builder)  # noqa: E731
    form_versions.add_step(*vid, {"title": "Övrigt om resan"}, actor=builder)
    step = "ovrigt_om_resan"
    add(
        step,
        {"type": "number", "label": "Antal resor", "v-min": "1", "v-max": "40", "v-decimals": "0", "required": "1"},
    )
    add(step, {"type": "computed", "label": "Kostnad", "formula": "antal_resor * 50", "required": "1"})
    add(
        step,
        {
            "type": "multiple_choice",
            "label": "Hjälpmedel",
            "option_rows": "4",
            "option-1-label": "Rullstol",
            "option-2-label": "Rollator",
            "option-2-value": "rollator",
            "option-3-label": "Inget",
            "option-3-exclusive": "1",
            "v-min_choices": "1",
            "v-max_choices": "2",
        },
    )
    add(
        step,
        {
            "type": "text",
            "label": "Registreringsnummer",
            "v-pattern": "[A-Z]{3}[0-9]{2}[A-Z0-9]",
            "v-pattern_message": "Skriv som ABC123.",
            "v-max_length": "6",
            "cond-1-question": "hjalpmedel",
            "cond-1-operator": "contains",
            "cond-1-choice": "rullstol",
            "cond-2-question": "antal_resor",
            "cond-2-operator": "equals",
            "cond-2-text": "2",
            "cond-join": "any",
        },
    )
    add(step, {"type": "date", "label": "Första resan", "v-date_min": "idag", "v-date_max": "2030-12-31"})
    add(step, {"type": "yes_no", "label": "Ledsagare"})
    add(
        step,
        {
            "type": "file",
            "label": "Intyg",
            "file-max_files": "2",
            "file-max_size_mb": "5",
            "file-content_types": ["application/pdf", "image/png"],
            "cond-1-question": "ledsagare",
            "cond-1-operator": "equals",
            "cond-1-choice": "yes",
        },
    )
    add(step, {"type": "info", "label": "Om intyget", "text": "Intyget ska vara högst ett år gammalt."})
    for kind in ("textarea", "email", "phone", "personnummer", "organisationsnummer"):
        add(step, {"type": kind, "label": f"Fält {kind}", "help": "Hjälptext"})
    add(
        step,
        {
            "type": "single_choice",
            "label": "Färdsätt",
            "display": "select",
            "option_rows": "2",
            "option-1-label": "Taxi",
            "option-2-label": "Buss",
        },
    )
    definition = versions(eservice)[1].definition
    assert check_definition(definition) == []
    questions = {q["id"]: q for q in definition["steps"][1]["questions"]}
    assert questions["antal_resor"] == {
        "id": "antal_resor",
        "type": "number",
        "label": "Antal resor",
        "required": True,
        "validation": {"min": 1, "max": 40, "decimals": 0},
    }
    assert "required" not in questions["kostnad"]  # a computed question is never required
    assert questions["hjalpmedel"]["options"] == [
        {"value": "rullstol", "label": "Rullstol"},
        {"value": "rollator", "label": "Rollator"},
        {"value": "inget", "label": "Inget", "exclusive": True},
    ]
    assert questions["registreringsnummer"]["visible_if"] == {
        "any": [{"question": "hjalpmedel", "contains": "rullstol"}, {"question": "antal_resor", "equals": 2}]
    }
    assert questions["forsta_resan"]["validation"] == {"min": "today", "max": "2030-12-31"}
    assert questions["intyg"]["file"] == {
        "max_size_mb": 5,
        "max_files": 2,
        "content_types": ["application/pdf", "image/png"],
    }
    assert questions["intyg"]["visible_if"] == {"question": "ledsagare", "equals": True}
    assert questions["fardsatt"]["display"] == "select"
    # The stored condition reads back into the editor's rows.
    form = form_versions.condition_form(questions["registreringsnummer"]["visible_if"])
    assert form.join == "any" and [(r.question, r.operator, r.choice, r.text) for r in form.rows] == [
        ("hjalpmedel", "contains", "rullstol", "rullstol"),
        ("antal_resor", "equals", "", "2"),
    ]
    assert form_versions.condition_form({"not": {"question": "x", "answered": True}}).advanced is not None


def test_field_errors_name_each_field_in_swedish(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    with pytest.raises(Invalid) as raised:
        form_versions.add_question(
            eservice.id,
            draft.id,
            "sokande",
            {
                "type": "number",
                "label": "",
                "id": "Fel id",
                "v-min": "tio",
                "v-decimals": "2,5",
                "cond-1-question": "finns_inte",
            },
            actor=builder,
        )
    errors = raised.value.errors
    assert errors["label"] == "Skriv frågan (dess etikett)."
    assert errors["v-min"] == "Ange ett tal."
    assert errors["v-decimals"] == "Ange ett heltal."
    assert "id" in errors and "cond-1-question" in errors
    assert raised.value.message == "Det finns 5 fel i formuläret."


def test_conditions_may_only_name_earlier_questions(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    with pytest.raises(Invalid) as raised:
        form_versions.update_question(
            eservice.id,
            draft.id,
            "namn",
            {"type": "text", "label": "Namn", "cond-1-question": "skola", "cond-1-choice": "alne"},
            actor=builder,
        )
    assert "cond-1-question" in raised.value.errors
    edit = form_versions.update_question(
        eservice.id,
        draft.id,
        "ovrigt",
        {"type": "textarea", "label": "Övrigt", "cond-1-question": "skola", "cond-1-choice": "alne"},
        actor=builder,
    )
    assert edit.version.definition["steps"][0]["questions"][3]["visible_if"] == {"question": "skola", "equals": "alne"}


def test_renaming_a_question_renames_it_in_conditions(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    ids = eservice.id, draft.id
    form_versions.update_question(
        *ids,
        "ovrigt",
        {"type": "textarea", "label": "Övrigt", "cond-1-question": "skola", "cond-1-choice": "alne"},
        actor=builder,
    )
    form_versions.update_question(
        *ids,
        "skola",
        {
            "type": "single_choice",
            "label": "Skola",
            "id": "skolan",
            "option_rows": "2",
            "option-1-label": "Alneskolan",
            "option-1-value": "alne",
            "option-2-label": "Bergsskolan",
            "option-2-value": "bergs",
        },
        actor=builder,
    )
    definition = versions(eservice)[1].definition
    assert definition["steps"][0]["questions"][3]["visible_if"] == {"question": "skolan", "equals": "alne"}
    assert check_definition(definition) == []


def test_steps_add_edit_move_delete(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    ids = eservice.id, draft.id
    form_versions.add_step(*ids, {"title": "Resan", "description": "Om resan"}, actor=builder)
    form_versions.add_question(*ids, "resan", {"type": "yes_no", "label": "Taxi?"}, actor=builder)
    form_versions.update_step(
        *ids,
        "resan",
        {"title": "Resan", "id": "resa", "cond-1-question": "skola", "cond-1-choice": "bergs"},
        actor=builder,
    )
    definition = versions(eservice)[1].definition
    assert definition["steps"][1] == {
        "id": "resa",
        "title": "Resan",
        "visible_if": {"question": "skola", "equals": "bergs"},
        "questions": [{"id": "taxi", "type": "yes_no", "label": "Taxi?"}],
    }
    form_versions.move_question(*ids, "taxi", form_versions.UP, actor=builder)  # to the end of the step before
    definition = versions(eservice)[1].definition
    assert [q["id"] for q in definition["steps"][0]["questions"]][-1] == "taxi" and definition["steps"][1][
        "questions"
    ] == []
    form_versions.move_question(*ids, "taxi", form_versions.DOWN, actor=builder)
    assert versions(eservice)[1].definition["steps"][1]["questions"][0]["id"] == "taxi"
    form_versions.move_step(*ids, "resa", form_versions.UP, actor=builder)
    assert [s["id"] for s in versions(eservice)[1].definition["steps"]] == ["resa", "sokande"]
    # A step's condition may name the questions of the steps before it only.
    definition = versions(eservice)[1].definition
    assert form_versions.condition_questions(definition, step_id="resa") == []
    assert [q["id"] for q in form_versions.condition_questions(definition, step_id="sokande")] == ["taxi"]
    # The step's condition now names a later question: listed as a problem, not published.
    problems = form_versions.problems_of(versions(eservice)[1])
    assert problems and problems[0].step_id == "resa"
    form_versions.delete_step(*ids, "resa", actor=builder)
    assert [s["id"] for s in versions(eservice)[1].definition["steps"]] == ["sokande"]
    with pytest.raises(Invalid):
        form_versions.delete_step(*ids, "sokande", actor=builder)
    actions = audit_actions()
    for action in (
        "config_form_step_created",
        "config_form_step_changed",
        "config_form_step_moved",
        "config_form_step_deleted",
        "config_form_question_moved",
    ):
        assert action in actions
    changed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "config_form_step_changed")).one()
    assert changed.details["before"]["id"] == "resan" and changed.details["after"]["id"] == "resa"


def test_import_and_export_round_trip(setup):
    eservice, builder = setup
    name, content = form_versions.export_definition(eservice.id, eservice.versions[0].id, actor=builder)
    assert name == f"{eservice.slug}-v1.json"
    assert json.loads(content) == eservice.versions[0].definition
    imported = form_versions.import_definition(eservice.id, content, actor=builder)
    assert (imported.number, imported.state) == (2, VersionState.DRAFT)
    assert imported.definition == eservice.versions[0].definition
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "config_form_version_created")).one()
    assert entry.details["after"]["source"] == "import" and entry.details["after"]["definition"] == imported.definition


def test_import_errors_name_the_question(setup):
    eservice, builder = setup
    with pytest.raises(Invalid, match="inte giltig JSON"):
        form_versions.import_definition(eservice.id, b'{"steps": [', actor=builder)
    broken = {
        "steps": [
            {
                "id": "a",
                "title": "A",
                "questions": [
                    {"id": "namn", "type": "text", "label": "Namn"},
                    {"id": "val", "type": "single_choice", "label": "Val"},
                ],
            }
        ]
    }
    with pytest.raises(Invalid) as raised:
        form_versions.import_definition(eservice.id, json.dumps(broken).encode(), actor=builder)
    assert [p["question_id"] for p in raised.value.details["problems"]] == ["val"]
    assert "'val'" in raised.value.details["problems"][0]["message"]
    assert len(versions(eservice)) == 1


def test_delete_draft_only(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    with pytest.raises(Invalid):
        form_versions.delete_draft(eservice.id, eservice.versions[0].id, actor=builder)
    assert form_versions.delete_draft(eservice.id, draft.id, actor=builder) == 2
    assert len(versions(eservice)) == 1


def test_a_tested_draft_is_edited_in_place_and_deleted_with_its_test_runs(setup):
    # F-ES-4: a test run is never a case, so it neither forks the draft nor keeps it alive.
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    trial_runs.open_test(trial_runs.begin_test(eservice.id, draft.id, actor=builder))
    db.session.commit()
    assert form_versions.case_count(draft) == 0
    _eservice, rows = form_versions.list_versions(eservice.id, actor=builder)
    assert [row.cases for row in rows] == [0, 0]
    assert form_versions.delete_draft(eservice.id, draft.id, actor=builder) == 2
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.is_test.is_(True))) == 0


def test_list_versions_counts_cases(setup):
    eservice, builder = setup
    factories.case(eservice)
    factories.case(eservice, draft=True)
    db.session.commit()
    form_versions.create_draft(eservice.id, actor=builder)
    _eservice, rows = form_versions.list_versions(eservice.id, actor=builder)
    assert [(r.version.number, r.cases, r.editable) for r in rows] == [(2, 0, True), (1, 2, False)]


def test_options_are_reordered_by_their_order_numbers(setup):
    eservice, builder = setup
    draft = form_versions.create_draft(eservice.id, actor=builder)
    fields = {
        "type": "single_choice",
        "label": "Skola",
        "option_rows": "3",
        "option-1-label": "Alneskolan",
        "option-1-value": "alne",
        "option-1-order": "3",
        "option-2-label": "Bergsskolan",
        "option-2-value": "bergs",
        "option-2-order": "1",
        "option-3-label": "Centralskolan",
        "option-3-order": "2",
    }
    edit = form_versions.update_question(eservice.id, draft.id, "skola", fields, actor=builder)
    options = edit.version.definition["steps"][0]["questions"][2]["options"]
    assert [o["value"] for o in options] == ["bergs", "centralskolan", "alne"]
    with pytest.raises(Invalid) as raised:
        form_versions.update_question(
            eservice.id, draft.id, "skola", {**fields, "option-1-order": "först"}, actor=builder
        )
    assert raised.value.errors == {"option-1-order": "Ange ett heltal."}
