"""The builder's detail sections of an e-service (F-ES-6, 9-13), logged in for real with CSRF on."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry, EService
from tests import factories
from tests.backoffice.casehelp import sign_in
from tests.shared.services.test_eservice_details import KOST_DEFINITION

BASE = "/byggare/etjanster"


def text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def html_of(response) -> str:
    return response.get_data(as_text=True)


def _eservice(**kwargs) -> EService:
    return factories.eservice(name="Skolskjuts", definition=KOST_DEFINITION, summary_fields=[], **kwargs)


def _reload(eservice_id: int) -> EService:
    db.session.expire_all()
    return db.session.get(EService, eservice_id)


def _actions() -> list[str]:
    """The audit log's actions, oldest first, without the test's own logins (staff_login*)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.not_like("staff_login%")).order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def builder(bo):
    return factories.builder()


# The builder's sections; the colour legend is also the e-service's handlers' (F-ES-10, tested below).
SECTIONS = ("farger", "sammanfattning", "excel", "meddelandemallar", "tilldelning", "personuppgifter")


def test_a_handler_is_refused_every_section(client):
    eservice = _eservice()
    hanna = factories.user("hanna")
    token = sign_in(client, hanna)
    for section in SECTIONS:
        assert client.get(f"{BASE}/{eservice.id}/{section}").status_code == 403, section
        assert client.post(f"{BASE}/{eservice.id}/{section}", data={"csrf_token": token}).status_code == 403
    assert _actions() == []


def test_the_eservices_handlers_set_its_colour_legend_and_no_other(client):
    hanna = factories.user("hanna")
    eservice = _eservice(handlers=[hanna])
    other = factories.eservice(name="Larmavtal")
    db.session.commit()
    token = sign_in(client, hanna)
    # F-ES-10: the start page leads a handler to the legend of each e-service they handle.
    start = html_of(client.get("/start/"))
    assert f'href="{BASE}/{eservice.id}/farger"' in start
    assert f'href="{BASE}/{other.id}/farger"' not in start
    url = f"{BASE}/{eservice.id}/farger"
    page = client.get(url)
    assert page.status_code == 200
    assert f'href="{BASE}/{eservice.id}"' not in html_of(page)  # no builder's hub for a handler
    response = client.post(url, data={"csrf_token": token, "colour": "green", "meaning": "Beviljad"})
    assert response.status_code == 302
    assert [(c.colour, c.meaning) for c in _reload(eservice.id).colour_labels] == [("green", "Beviljad")]
    assert _actions() == ["config_colour_created"]
    # Another e-service's legend, and the builder's other sections, stay closed.
    assert client.get(f"{BASE}/{other.id}/farger").status_code == 403
    assert (
        client.post(
            f"{BASE}/{other.id}/farger", data={"csrf_token": token, "colour": "red", "meaning": "X"}
        ).status_code
        == 403
    )
    assert client.get(f"{BASE}/{eservice.id}/excel").status_code == 403


def test_a_visitor_is_sent_to_the_login_page(client):
    eservice = _eservice()
    db.session.commit()
    response = client.get(f"{BASE}/{eservice.id}/farger")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_every_section_opens_for_a_builder_and_an_admin_and_unknown_is_404(client, builder):
    eservice = _eservice()
    sign_in(client, builder)
    for section in SECTIONS:
        response = client.get(f"{BASE}/{eservice.id}/{section}")
        assert response.status_code == 200, section
        assert "Skolskjuts" in text(response)
        assert client.get(f"{BASE}/999999/{section}").status_code == 404
    client.get("/logout/")
    sign_in(client, factories.admin())
    assert client.get(f"{BASE}/{eservice.id}/personuppgifter").status_code == 200


def test_the_hub_links_to_every_section_and_each_section_back(client, builder):
    eservice = _eservice()
    sign_in(client, builder)
    hub = html_of(client.get(f"{BASE}/{eservice.id}"))
    for section in SECTIONS:
        assert f'href="{BASE}/{eservice.id}/{section}"' in hub, section
        page = html_of(client.get(f"{BASE}/{eservice.id}/{section}"))
        assert f'href="{BASE}/{eservice.id}"' in page and f'href="{BASE}/"' in page


# -- colour legend -------------------------------------------------------------------------------


def test_colour_legend_add_edit_move_delete(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/farger"
    page = text(client.get(url))
    assert "Färgförklaring" in page and "Inga färger ännu." in page
    # The palette names each colour in words.
    assert "Grön" in page and "Röd" in page

    response = client.post(url, data={"csrf_token": token, "colour": "green", "meaning": "Beviljad"})
    assert response.status_code == 302
    client.post(url, data={"csrf_token": token, "colour": "red", "meaning": "Brådskande"})
    page = text(client.get(url))
    assert page.index("Beviljad") < page.index("Brådskande")

    labels = _reload(eservice.id).colour_labels
    red = labels[1]
    client.post(f"{url}/{red.id}/flytta", data={"csrf_token": token, "direction": "up"})
    assert [c.colour for c in _reload(eservice.id).colour_labels] == ["red", "green"]

    edit = client.get(f"{url}/{red.id}")
    assert edit.status_code == 200 and 'value="Brådskande"' in html_of(edit)
    response = client.post(f"{url}/{red.id}", data={"csrf_token": token, "colour": "green", "meaning": "Akut"})
    assert response.status_code == 422 and "E-tjänsten har redan den här färgen." in text(response)
    assert 'value="Akut"' in html_of(response)
    response = client.post(f"{url}/{red.id}", data={"csrf_token": token, "colour": "orange", "meaning": "Akut"})
    assert response.status_code == 302
    assert [(c.colour, c.meaning) for c in _reload(eservice.id).colour_labels] == [
        ("orange", "Akut"),
        ("green", "Beviljad"),
    ]

    client.post(f"{url}/{red.id}/ta-bort", data={"csrf_token": token})
    assert [c.colour for c in _reload(eservice.id).colour_labels] == ["green"]
    assert _actions() == [
        "config_colour_created",
        "config_colour_created",
        "config_colour_legend_reordered",
        "config_colour_changed",
        "config_colour_deleted",
    ]


def test_removing_asks_first_and_cancel_keeps_it(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/farger"
    client.post(url, data={"csrf_token": token, "colour": "green", "meaning": "Beviljad"})
    label = _reload(eservice.id).colour_labels[0]
    # The list's Ta bort leads to a question; looking at it removes nothing.
    assert f'href="{url}/{label.id}/ta-bort"' in html_of(client.get(url))
    question = client.get(f"{url}/{label.id}/ta-bort")
    assert question.status_code == 200
    assert "Ta bort färgen Grön – Beviljad?" in text(question)
    assert f'action="{url}/{label.id}/ta-bort"' in html_of(question) and f'href="{url}"' in html_of(question)
    assert len(_reload(eservice.id).colour_labels) == 1
    client.post(f"{url}/{label.id}/ta-bort", data={"csrf_token": token})
    assert _reload(eservice.id).colour_labels == []
    # The same for a message template.
    templates = f"{BASE}/{eservice.id}/meddelandemallar"
    client.post(templates, data={"csrf_token": token, "name": "Beslut", "body": "Hej!"})
    template = _reload(eservice.id).message_templates[0]
    assert "Ta bort meddelandemallen Beslut?" in text(client.get(f"{templates}/{template.id}/ta-bort"))
    assert len(_reload(eservice.id).message_templates) == 1


def test_colour_legend_validation_keeps_what_was_typed(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/farger"
    response = client.post(url, data={"csrf_token": token, "colour": "", "meaning": "Kontakta skolan"})
    assert response.status_code == 422
    html = html_of(response)
    assert 'role="alert"' in html and 'href="#colour"' in html
    assert "Välj en av färgerna." in text(response)
    assert 'value="Kontakta skolan"' in html
    assert 'aria-invalid="true"' not in html.split('id="meaning"')[0][-5:]
    response = client.post(url, data={"csrf_token": token, "colour": "blue", "meaning": ""})
    assert response.status_code == 422 and "Skriv vad färgen betyder." in text(response)
    assert _reload(eservice.id).colour_labels == []


# -- summary fields --------------------------------------------------------------------------------


def test_summary_fields_chosen_by_label_and_ordered(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/sammanfattning"
    page = html_of(client.get(url))
    # Questions are offered by label, not by id to type; info texts are not offered.
    assert '<option value="skola">Skola</option>' in page and "Om kosten" not in page

    client.post(url, data={"csrf_token": token, "action": "add", "question": "namn"})
    client.post(url, data={"csrf_token": token, "action": "add", "question": "skola", "field": ["namn"]})
    assert _reload(eservice.id).summary_fields == ["namn", "skola"]
    client.post(url, data={"csrf_token": token, "action": "up:1", "field": ["namn", "skola"]})
    assert _reload(eservice.id).summary_fields == ["skola", "namn"]
    client.post(url, data={"csrf_token": token, "action": "remove:0", "field": ["skola", "namn"]})
    assert _reload(eservice.id).summary_fields == ["namn"]
    page = text(client.get(url))
    assert "Elevens namn" in page

    response = client.post(url, data={"csrf_token": token, "action": "add", "question": "", "field": ["namn"]})
    assert response.status_code == 422 and "Välj en fråga att lägga till." in text(response)
    response = client.post(url, data={"csrf_token": token, "action": "add", "question": "info", "field": ["namn"]})
    assert response.status_code == 422
    assert _reload(eservice.id).summary_fields == ["namn"]
    assert _actions().count("config_summary_fields_changed") == 4


# -- Excel columns -------------------------------------------------------------------------------


def test_excel_columns_with_headings(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/excel"
    assert "alla frågor" in text(client.get(url)).lower()

    client.post(url, data={"csrf_token": token, "action": "add", "new_question": "skola", "new_heading": "Skolenhet"})
    client.post(
        url,
        data={
            "csrf_token": token,
            "action": "add",
            "question_id": ["skola"],
            "heading": ["Skolenhet"],
            "new_question": "namn",
            "new_heading": "",
        },
    )
    assert _reload(eservice.id).excel_columns == [
        {"question": "skola", "heading": "Skolenhet"},
        {"question": "namn", "heading": "Elevens namn"},
    ]
    client.post(
        url,
        data={"csrf_token": token, "action": "down:0", "question_id": ["skola", "namn"], "heading": ["Skola", "Elev"]},
    )
    assert _reload(eservice.id).excel_columns == [
        {"question": "namn", "heading": "Elev"},
        {"question": "skola", "heading": "Skola"},
    ]
    response = client.post(
        url, data={"csrf_token": token, "action": "save", "question_id": ["namn"], "heading": ["x" * 201]}
    )
    assert response.status_code == 422
    assert 'href="#heading-0"' in html_of(response) and "högst 200 tecken" in text(response)
    client.post(url, data={"csrf_token": token, "action": "clear"})
    assert _reload(eservice.id).excel_columns == []
    client.post(url, data={"csrf_token": token, "action": "all"})
    assert [c["question"] for c in _reload(eservice.id).excel_columns] == ["namn", "skola", "skoltid"]


# -- message templates ---------------------------------------------------------------------------


def test_message_templates_list_add_edit_delete(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/meddelandemallar"
    response = client.post(url, data={"csrf_token": token, "name": "Komplettering", "body": "Skicka in intyg."})
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Komplettering" in page and "Skicka in intyg." in page

    template = _reload(eservice.id).message_templates[0]
    response = client.post(url, data={"csrf_token": token, "name": "komplettering", "body": ""})
    assert response.status_code == 422
    page = text(response)
    assert "E-tjänsten har redan en mall med det namnet." in page and "Skriv mallens text." in page

    assert 'value="Komplettering"' in html_of(client.get(f"{url}/{template.id}"))
    response = client.post(f"{url}/{template.id}", data={"csrf_token": token, "name": "", "body": "Beviljad."})
    assert response.status_code == 422 and "Skriv ett namn på mallen." in text(response)
    response = client.post(f"{url}/{template.id}", data={"csrf_token": token, "name": "Beslut", "body": "Beviljad."})
    assert response.status_code == 302
    assert [(t.name, t.body) for t in _reload(eservice.id).message_templates] == [("Beslut", "Beviljad.")]
    client.post(f"{url}/{template.id}/ta-bort", data={"csrf_token": token})
    assert _reload(eservice.id).message_templates == []
    assert _actions() == [
        "config_message_template_created",
        "config_message_template_changed",
        "config_message_template_deleted",
    ]


def test_a_template_of_another_eservice_is_not_found(client, builder):
    eservice, other = _eservice(), _eservice()
    template = factories.message_template(other)
    token = sign_in(client, builder)
    assert client.get(f"{BASE}/{eservice.id}/meddelandemallar/{template.id}").status_code == 404
    assert (
        client.post(
            f"{BASE}/{eservice.id}/meddelandemallar/{template.id}/ta-bort", data={"csrf_token": token}
        ).status_code
        == 404
    )


# -- automatic assignment ------------------------------------------------------------------------


def test_assignment_rules_choose_question_option_and_handler(client, builder):
    anna = factories.user("anna", first_name="Anna", last_name="Alm")
    group = factories.group("Skolskjutsgruppen")
    eservice = _eservice(handlers=[anna], groups=[group])
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/tilldelning"
    page = html_of(client.get(url))
    # Choice questions and their options by label; handlers and groups by name.
    assert '<option value="skola">Skola</option>' in page and 'value="namn"' not in page
    assert ">Bergsskolan</option>" in page and ">Ja</option>" in page
    assert "Anna Alm (anna)" in page and ">Skolskjutsgruppen</option>" in page

    response = client.post(
        url,
        data={"csrf_token": token, "question": "skola", "answer": "bergs", "user_id": "", "group_id": str(group.id)},
    )
    assert response.status_code == 302
    client.post(url, data={"csrf_token": token, "question": "skoltid", "answer": "ja", "user_id": str(anna.id)})
    page = text(client.get(url))
    assert "Skola Bergsskolan Grupp: Skolskjutsgruppen" in page
    assert "Under skoltid? Ja Anna Alm" in page

    rules = _reload(eservice.id).assignment_rules
    client.post(f"{url}/{rules[1].id}/flytta", data={"csrf_token": token, "direction": "up"})
    assert [r.question_id for r in _reload(eservice.id).assignment_rules] == ["skoltid", "skola"]

    edit = html_of(client.get(f"{url}/{rules[0].id}"))
    assert '<option value="skola" selected>' in edit and '<option value="bergs" selected>' in edit
    response = client.post(f"{url}/{rules[0].id}", data={"csrf_token": token, "question": "skola", "answer": "nej"})
    assert response.status_code == 422 and "Välj ett av svaren på frågan Skola." in text(response)
    response = client.post(
        f"{url}/{rules[0].id}",
        data={"csrf_token": token, "question": "skola", "answer": "alne", "user_id": str(anna.id), "group_id": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    rule = db.session.get(type(rules[0]), rules[0].id)
    assert (rule.answer_value, rule.user_id, rule.group_id) == ("alne", anna.id, None)

    client.post(f"{url}/standard", data={"csrf_token": token, "user_id": "", "group_id": str(group.id)})
    assert _reload(eservice.id).default_group_id == group.id
    # rules[0] is second in the order now: the question names it so.
    assert "Ta bort tilldelningsregel 2?" in text(client.get(f"{url}/{rules[0].id}/ta-bort"))
    client.post(f"{url}/{rules[0].id}/ta-bort", data={"csrf_token": token})
    assert len(_reload(eservice.id).assignment_rules) == 1
    assert _actions() == [
        "config_assignment_rule_created",
        "config_assignment_rule_created",
        "config_assignment_rules_reordered",
        "config_assignment_rule_changed",
        "config_default_assignment_changed",
        "config_assignment_rule_deleted",
    ]


def test_assignment_rule_validation_errors(client, builder):
    anna = factories.user("anna")
    stranger = factories.user("sten")
    eservice = _eservice(handlers=[anna])
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/tilldelning"
    response = client.post(url, data={"csrf_token": token, "question": "skola", "answer": "ja", "user_id": ""})
    assert response.status_code == 422
    page, html = text(response), html_of(response)
    assert "Välj ett av svaren på frågan Skola." in page and 'href="#answer"' in html
    assert "Välj en handläggare, en grupp eller båda." in page
    # What was chosen stays chosen.
    assert '<option value="skola" selected>' in html
    response = client.post(f"{url}/standard", data={"csrf_token": token, "user_id": str(stranger.id), "group_id": ""})
    assert response.status_code == 422 and 'href="#default-user_id"' in html_of(response)
    assert _actions() == []


# -- personal data (GDPR) ------------------------------------------------------------------------


GDPR_POST = {
    "categories": ["namn", "personnummer", "gps-koordinat"],
    "extra_categories": "Elevens skola",
    "purpose_choice": "standard",
    "purpose": "",
    "legal_bases": ["public_interest"],
    "retention": "Två år efter beslut.",
    "controller_name": "Barn- och utbildningsnämnden",
    "controller_email": "bun@example.org",
    "complaint_choice": "standard",
    "complaint_text": "",
}


def test_gdpr_page_offers_the_seeds_categories_and_legal_bases(client, builder):
    eservice = _eservice()
    sign_in(client, builder)
    page = text(client.get(f"{BASE}/{eservice.id}/personuppgifter"))
    for label in (
        "Namn",
        "Adress",
        "Fastighetsbeteckning",
        "E-postadress",
        "Personnummer",
        "Lön på personnivå",
        "Telefonnummer",
        "Mobilnummer",
        "IP-nummer",
        "Kundnummer",
        "GPS-koordinat kopplat till en individ",
        "Den registrerade har lämnat sitt samtycke",
        "Avtal ska kunna fullgöras med den registrerade",
        "Den personuppgiftsansvarige ska kunna fullgöra en rättslig skyldighet",
        "Vitala intressen för den registrerade ska skyddas",
        "En arbetsuppgift av allmänt intresse ska kunna utföras",
        "En arbetsuppgift i samband med myndighetsutövning ska kunna utföras",
        "Berättigat intresse för behandlingen väger tyngre än den registrerades intresse av skydd mot kränkning av den personliga integriteten",
    ):
        assert label in page, label


def test_gdpr_saved_and_the_preview_matches_the_portal(client, builder, app_overrides):
    import config
    from portal import create_app as create_portal

    eservice = _eservice(slug="skolskjuts-gdpr")
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/personuppgifter"
    response = client.post(url, data={"csrf_token": token, "action": "save", **GDPR_POST})
    assert response.status_code == 302
    saved = _reload(eservice.id)
    assert saved.gdpr_categories == ["namn", "personnummer", "gps-koordinat"]
    assert saved.gdpr_legal_bases == ["public_interest"] and saved.gdpr_purpose is None
    assert _actions() == ["config_personal_data_changed"]

    preview = html_of(client.get(url)).split('class="personal-data"')[1].split("</section>")[0]
    db.session.commit()
    portal = create_portal(config.get_config("test"), overrides=app_overrides)
    portal_page = portal.test_client().get("/e-tjanster/skolskjuts-gdpr").get_data(as_text=True)
    shown = portal_page.split('class="personal-data"')[1].split("</section>")[0]

    def words(html: str) -> str:
        return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split(">", 1)[1]))).strip()

    assert words(preview) == words(shown)
    assert "Elevens skola" in words(shown) and "Två år efter beslut." in words(shown)


def test_gdpr_preview_without_saving_and_validation(client, builder):
    eservice = _eservice()
    token = sign_in(client, builder)
    url = f"{BASE}/{eservice.id}/personuppgifter"
    data = {**GDPR_POST, "purpose_choice": "own", "purpose": "Att ordna skolskjuts."}
    response = client.post(url, data={"csrf_token": token, "action": "preview", **data})
    assert response.status_code == 200
    preview = text(response).split("Förhandsgranskning")[1]
    assert "Att ordna skolskjuts." in preview and "inte sparade" in preview
    assert _reload(eservice.id).gdpr_purpose is None and _actions() == []

    bad = {
        **GDPR_POST,
        "categories": [],
        "extra_categories": "",
        "legal_bases": [],
        "retention": "",
        "controller_email": "inte-en-adress",
        "purpose_choice": "own",
        "purpose": "",
    }
    response = client.post(url, data={"csrf_token": token, "action": "save", **bad})
    assert response.status_code == 422
    html = html_of(response)
    for field in ("categories", "legal_bases", "retention", "controller_email", "purpose"):
        assert f'href="#{field}"' in html and f'id="{field}"' in html, field
    assert 'value="inte-en-adress"' in html
    assert _actions() == []
