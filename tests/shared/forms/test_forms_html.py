"""The form macros (forms/fields.html) and reading a posted form back (shared/forms/html.py).

Rendered in a bare Flask app with only the forms blueprint, as either app registers it.
"""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict

from shared import forms
from shared.forms import html

DEFINITION = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {
                    "id": "namn",
                    "type": "text",
                    "label": "Elevens namn",
                    "required": True,
                    "help": "Som i folkbokföringen.",
                },
                {"id": "pnr", "type": "personnummer", "label": "Personnummer"},
                {"id": "orgnr", "type": "organisationsnummer", "label": "Organisationsnummer"},
                {"id": "epost", "type": "email", "label": "E-post"},
                {"id": "telefon", "type": "phone", "label": "Telefon"},
                {"id": "start", "type": "date", "label": "Startdatum"},
                {"id": "arskurs", "type": "number", "label": "Årskurs"},
                {"id": "ovrigt", "type": "textarea", "label": "Övrigt"},
                {
                    "id": "skola",
                    "type": "single_choice",
                    "display": "select",
                    "label": "Skola",
                    "options": [{"value": "alne", "label": "Alneskolan"}, {"value": "bergs", "label": "Bergsskolan"}],
                },
                {
                    "id": "typ",
                    "type": "single_choice",
                    "display": "radio",
                    "label": "Typ av skolskjuts",
                    "required": True,
                    "options": [{"value": "buss", "label": "Busskort"}, {"value": "taxi", "label": "Taxi"}],
                },
                {
                    "id": "skal",
                    "type": "textarea",
                    "label": "Skäl till taxi",
                    "visible_if": {"question": "typ", "equals": "taxi"},
                },
            ],
        },
        {
            "id": "kost",
            "title": "Kost",
            "questions": [
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Kost",
                    "options": [
                        {"value": "gluten", "label": "Glutenfri"},
                        {"value": "laktos", "label": "Laktosfri"},
                        {"value": "ingen", "label": "Ingen", "exclusive": True},
                    ],
                },
                {"id": "skoltid", "type": "yes_no", "label": "Under skoltid?", "required": True},
                {
                    "id": "info",
                    "type": "info",
                    "label": "Läkarintyg",
                    "text": "Lagen kräver intyg.\n\nBifoga det nedan.",
                },
                {
                    "id": "intyg",
                    "type": "file",
                    "label": "Intyg",
                    "file": {"max_files": 3, "max_size_mb": 10, "content_types": ["application/pdf"]},
                },
                {"id": "belopp", "type": "number", "label": "Belopp"},
                {"id": "avgift", "type": "computed", "label": "Avgift", "formula": "belopp * 0.5"},
            ],
        },
    ]
}


@pytest.fixture(scope="module")
def forms_app():
    app = Flask("forms_html_test")
    app.config["BABEL_DEFAULT_LOCALE"] = "sv"
    Babel(app)
    app.register_blueprint(html.blueprint)
    return app


def render(app, source: str, **context) -> str:
    with app.test_request_context():
        return render_template_string('{% import "forms/fields.html" as fields %}' + source, **context)


def test_the_definition_is_one_a_builder_could_save():
    assert forms.check_definition(DEFINITION) == []


def test_every_question_type_has_a_labelled_input(forms_app):
    page = render(forms_app, "{{ fields.steps(definition) }}", definition=DEFINITION)
    for question_id in ("namn", "pnr", "orgnr", "epost", "telefon", "start", "arskurs", "ovrigt", "skola", "intyg"):
        assert re.search(rf'<label class="control-label" for="q-{question_id}">', page), question_id
        assert re.search(rf'id="q-{question_id}" name="{question_id}"', page), question_id
    assert 'type="email" id="q-epost"' in page and 'type="tel" id="q-telefon"' in page
    assert 'type="date" id="q-start"' in page and 'inputmode="decimal"' in page
    assert '<select class="form-control" id="q-skola" name="skola"' in page
    assert '<h2 class="form-step-title" id="q-step-elev-title">Elev</h2>' in page


def test_help_text_and_required_are_tied_to_the_input(forms_app):
    page = render(forms_app, "{{ fields.steps(definition) }}", definition=DEFINITION)
    assert '<p class="help-block field-help" id="q-namn-help">Som i folkbokföringen.</p>' in page
    assert re.search(r'id="q-namn"[^>]*aria-describedby="q-namn-help"[^>]*aria-required="true"', page)
    label = re.search(r'<label class="control-label" for="q-namn">(.*?)</label>', page, re.S).group(1)
    assert "*" in label and "sr-only" in label


def test_choices_are_fieldsets_with_a_legend(forms_app):
    page = render(forms_app, "{{ fields.steps(definition) }}", definition=DEFINITION)
    typ = re.search(r'<fieldset[^>]*id="q-typ-group".*?</fieldset>', page, re.S).group(0)
    assert 'role="radiogroup"' in typ and 'aria-required="true"' in typ
    assert re.search(r"<legend[^>]*>Typ av skolskjuts", typ)
    assert '<label for="q-typ"><input type="radio" id="q-typ" name="typ" value="buss"' in typ
    assert '<label for="q-typ-2"><input type="radio" id="q-typ-2" name="typ" value="taxi"' in typ
    kost = re.search(r'<fieldset[^>]*id="q-kost-group".*?</fieldset>', page, re.S).group(0)
    assert kost.count('type="checkbox"') == 3 and "<legend" in kost
    skoltid = re.search(r'<fieldset[^>]*id="q-skoltid-group".*?</fieldset>', page, re.S).group(0)
    assert 'value="yes"' in skoltid and 'value="no"' in skoltid


def test_info_computed_file_and_conditions(forms_app):
    page = render(forms_app, "{{ fields.steps(definition, {}, {}, {'avgift': '50'}) }}", definition=DEFINITION)
    assert "<p>Lagen kräver intyg.</p>" in page and "<p>Bifoga det nedan.</p>" in page
    assert re.search(r'<output class="form-control-static computed-value" id="q-avgift"[^>]*>50</output>', page)
    assert 'name="avgift"' not in page  # computed: shown, never sent
    assert 'type="file" id="q-intyg" name="intyg" multiple accept="application/pdf"' in page
    skal = re.search(r'<div class="form-group" id="q-skal-group"[^>]*>', page).group(0)
    condition = re.search(r'data-visible-if="([^"]+)"', skal).group(1)
    assert json.loads(unescape(condition)) == {"question": "typ", "equals": "taxi"}


def test_errors_and_values_are_shown_beside_each_field(forms_app):
    values = html.raw_answers(
        ImmutableMultiDict(
            [
                ("namn", 'Kalle "K" <Anka>'),
                ("skola", "bergs"),
                ("kost", "gluten"),
                ("kost", "laktos"),
                ("skoltid", "no"),
            ]
        ),
        DEFINITION,
    )
    errors = {"namn": "Fyll i Elevens namn.", "typ": "Välj Typ av skolskjuts.", "start": "Ange ett giltigt datum."}
    page = render(
        forms_app, "{{ fields.steps(definition, values, errors) }}", definition=DEFINITION, values=values, errors=errors
    )
    assert 'value="Kalle &#34;K&#34; &lt;Anka&gt;"' in page
    assert re.search(r'id="q-namn"[^>]*aria-describedby="q-namn-help q-namn-error"[^>]*aria-invalid="true"', page)
    assert re.search(r'<p class="help-block field-error" id="q-namn-error">.*Fyll i Elevens namn.</p>', page)
    assert re.search(r'<fieldset class="form-group choice-group has-error"[^>]*id="q-typ-group"', page)
    assert '<option value="bergs" selected>' in page
    assert re.search(r'value="gluten"\s+checked', page) and re.search(r'value="laktos"\s+checked', page)
    assert re.search(r'value="no"\s+checked', page) and not re.search(r'value="yes"\s+checked', page)


def test_the_error_summary_links_to_each_field_in_the_forms_order(forms_app):
    errors = {"start": "Ange ett giltigt datum.", "namn": "Fyll i Elevens namn.", "other": "Något annat."}
    page = render(
        forms_app,
        "{{ fields.error_summary(definition, errors, extra=[('applicant-email', 'E-post: Fel.')], title='2 fel') }}",
        definition=DEFINITION,
        errors=errors,
    )
    assert 'role="alert"' in page and "2 fel" in page
    assert re.findall(r'href="#([^"]+)"', page) == ["applicant-email", "q-namn", "q-start"]
    assert ">Fyll i Elevens namn.</a>" in page  # already names its question
    assert ">Startdatum: Ange ett giltigt datum.</a>" in page
    assert "<li>Något annat.</li>" in page
    assert render(forms_app, "{{ fields.error_summary(definition, {}) }}", definition=DEFINITION).strip() == ""


def test_stored_answers_show_in_the_inputs(forms_app):
    stored = {
        "namn": "Elsa",
        "arskurs": 3,
        "skoltid": True,
        "kost": ["gluten"],
        "intyg": [{"document_id": 7, "name": "intyg.pdf", "size": 10, "content_type": "application/pdf"}],
    }
    values = html.input_values(DEFINITION, stored)
    assert values["skoltid"] == "yes" and values["arskurs"] == "3"
    page = render(forms_app, "{{ fields.steps(definition, values) }}", definition=DEFINITION, values=values)
    assert re.search(r'value="yes"\s+checked', page)
    assert re.search(r'name="intyg" value="7" checked> intyg.pdf', page)


def test_a_posted_form_reads_back_as_raw_answers():
    form = MultiDict(
        [
            ("csrf_token", "x"),
            ("applicant-name", "Per"),
            ("namn", "Elsa"),
            ("kost", "gluten"),
            ("kost", "laktos"),
            ("skoltid", "yes"),
            ("intyg", "7"),
            ("intyg", "junk"),
            ("avgift", "999"),
        ]
    )
    raw = html.raw_answers(form, DEFINITION)
    assert raw == {
        "namn": "Elsa",
        "kost": ["gluten", "laktos"],
        "skoltid": "yes",
        "intyg": [{"document_id": 7}],
        "avgift": "999",
    }
    cleaned = forms.clean_answers(DEFINITION, {**raw, "intyg": None, "typ": "buss"})
    assert cleaned["kost"] == ["gluten", "laktos"] and cleaned["skoltid"] is True
    assert "avgift" not in cleaned  # computed on the server, from belopp, which is empty
    assert html.raw_answers(MultiDict([("kost", "gluten")]), DEFINITION) == {"kost": ["gluten"]}


def test_uploads_and_computed_values():
    files = MultiDict(
        [
            ("intyg", FileStorage(io.BytesIO(b"%PDF-1.4"), filename="a.pdf", content_type="application/pdf")),
            ("intyg", FileStorage(io.BytesIO(b""), filename="", content_type="application/octet-stream")),
            ("namn", FileStorage(io.BytesIO(b"x"), filename="x.txt")),
        ]
    )
    found = html.uploads(files, DEFINITION)
    assert list(found) == ["intyg"] and [name for name, _stream, _type in found["intyg"]] == ["a.pdf"]
    assert html.computed_values(DEFINITION, {"belopp": "1 000"}) == {"avgift": "500"}
    assert html.computed_values(DEFINITION, {}) == {}


def test_both_apps_find_the_macros_and_serve_the_script(app, app_overrides):
    import config
    from backoffice import create_app as create_backoffice
    from portal import create_app as create_portal

    for create in (create_portal, create_backoffice):
        web = create(config.get_config("test"), overrides={**app_overrides, "FAB_UPDATE_PERMS": False})
        assert web.jinja_env.get_template("forms/fields.html") is not None
        with web.test_client() as client:
            script = client.get("/forms-static/forms/conditions.js")
            assert script.status_code == 200 and b"visible_if" in script.data
            script.close()
