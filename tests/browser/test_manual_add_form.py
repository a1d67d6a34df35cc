"""Lägg till ärende in a real browser: follow-up questions appear as they are chosen (the form
macros' script), and a paper application with a file becomes a case."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from shared.models import Case
from tests import factories

DEFINITION = {
    "steps": [
        {
            "id": "skjuts",
            "title": "Skolskjuts",
            "questions": [
                {"id": "elev", "type": "text", "label": "Elevens namn", "required": True},
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
                    "required": True,
                    "visible_if": {"question": "typ", "equals": "taxi"},
                },
                {
                    "id": "intyg",
                    "type": "file",
                    "label": "Läkarintyg",
                    "visible_if": {"question": "typ", "equals": "taxi"},
                },
            ],
        }
    ]
}


def test_a_handler_adds_a_paper_application_with_a_follow_up_question_and_a_file(
    live, page, screenshot, tmp_path, staff_login
):
    world = factories.world()
    world.eservice.versions[0].definition = DEFINITION
    db.session.commit()
    certificate = tmp_path / "läkarintyg.pdf"
    certificate.write_bytes(factories.PDF_BYTES)

    staff_login(page, "hanna")
    page.goto(live.admin + "/arenden/lagg-till/")
    page.locator(f'a[href$="/arenden/lagg-till/{world.eservice.id}"]').click()
    expect(page.locator("#q-skal-group")).to_be_hidden()
    screenshot(page, "formular")

    page.fill("#applicant-personnummer", "20000101-2384")
    page.fill("#q-elev", "Elsa Öljung")
    page.check("#q-typ-2")  # Taxi: the reason and the certificate are asked for
    expect(page.locator("#q-skal-group")).to_be_visible()
    page.check("#q-typ")  # Busskort: hidden again
    expect(page.locator("#q-skal-group")).to_be_hidden()
    page.check("#q-typ-2")
    page.fill("#q-skal", "Eleven har rullstol.")
    page.set_input_files("#q-intyg", str(certificate))
    screenshot(page, "ifyllt")
    page.locator(".bo-manual-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/admin/arenden/\d+$"))
    case = db.session.scalar(db.select(Case))
    expect(page.locator(".bo-case-number")).to_have_text(str(case.number))
    expect(page.locator(".alert-success")).to_contain_text(str(case.number))
    screenshot(page, "arendet")
    assert case.answers["skal"] == "Eleven har rullstol."
    assert [f["name"] for f in case.answers["intyg"]] == ["läkarintyg.pdf"]
    assert case.citizen.personnummer == "200001012384"
