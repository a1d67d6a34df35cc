"""The application flow in a real browser on a phone (375 px): a follow-up question shows at once
even when it depends on an earlier step's answer, a computed value follows the answers (from
the server), Enter means Nästa, the error summary takes the focus, and axe-core finds nothing."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from shared.models import Case
from tests import factories
from tests.browser.axe import assert_accessible

DEFINITION = {
    "steps": [
        {
            "id": "barnet",
            "title": "Barnet",
            "questions": [
                {"id": "namn", "type": "text", "label": "Barnets namn", "required": True},
                {"id": "allergi", "type": "yes_no", "label": "Har barnet en allergi?", "required": True},
            ],
        },
        {
            "id": "kost",
            "title": "Kosten",
            "questions": [
                {
                    "id": "grund",
                    "type": "single_choice",
                    "label": "Grund för specialkost",
                    "required": True,
                    "options": [
                        {"value": "medicinsk", "label": "Medicinska skäl"},
                        {"value": "etisk", "label": "Etiska skäl"},
                    ],
                },
                {
                    "id": "intyg",
                    "type": "file",
                    "label": "Läkarintyg",
                    "required": True,
                    # Follows an answer on this page and one on the step before.
                    "visible_if": {
                        "all": [{"question": "allergi", "equals": True}, {"question": "grund", "equals": "medicinsk"}]
                    },
                    "file": {"max_files": 2, "max_size_mb": 5, "content_types": ["application/pdf"]},
                },
                {"id": "portioner", "type": "number", "label": "Portioner i veckan"},
                {"id": "kostnad", "type": "computed", "label": "Merkostnad (kr)", "formula": "portioner * 40"},
            ],
        },
    ]
}


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def test_a_citizen_fills_in_the_form_on_a_phone(live, phone_page, citizen_login, screenshot, tmp_path):
    page = phone_page
    eservice = factories.eservice("Specialkost i skolan", slug="specialkost-skola", definition=DEFINITION)
    citizen = factories.citizen("19850709-9805", first_name="Maria", last_name="Öljung", email="maria@example.org")
    certificate = tmp_path / "intyg.pdf"
    certificate.write_bytes(factories.PDF_BYTES)
    citizen_login(page, citizen)

    page.goto(live.url + "/e-tjanster/specialkost-skola")
    page.get_by_role("link", name="Starta e-tjänsten").click()
    expect(page.locator("h1")).to_have_text("Barnet")
    expect(page.locator(".apply-progress__count")).to_have_text("Steg 1 av 3")
    _no_sideways_scroll(page)
    assert_accessible(page, "step 1")
    screenshot(page, "step-1")

    page.fill("#q-namn", "Lisa")
    page.check("#q-allergi")  # Ja
    page.focus("#q-namn")
    page.keyboard.press("Enter")  # the form's default button is Nästa, not a Remove button further down
    page.wait_for_url(re.compile(r"/ansokan/\d+/steg/2$"))
    draft_id = int(re.search(r"/ansokan/(\d+)/", page.url).group(1))

    # The follow-up needs "Ja" from step 1 and "Medicinska skäl" here: shown the moment it is chosen.
    expect(page.locator("#q-intyg-group")).to_be_hidden()
    page.check("#q-grund")
    expect(page.locator("#q-intyg-group")).to_be_visible()
    page.check("#q-grund-2")
    expect(page.locator("#q-intyg-group")).to_be_hidden()
    page.check("#q-grund")

    # The computed value comes from the server as the answer is typed.
    page.fill("#q-portioner", "3")
    expect(page.locator("#q-kostnad")).to_have_text("120")
    assert_accessible(page, "step 2 with the follow-up shown")
    screenshot(page, "step-2")

    # Nästa without the certificate: the errors, the summary focused, nothing typed lost.
    page.get_by_role("button", name="Nästa", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Bifoga Läkarintyg")
    expect(page.locator("#q-portioner")).to_have_value("3")
    expect(page.locator("#q-grund")).to_be_checked()
    _no_sideways_scroll(page)
    assert_accessible(page, "step 2 with an error")
    screenshot(page, "step-2-error")

    page.set_input_files("#q-intyg", str(certificate))
    page.get_by_role("button", name="Nästa", exact=True).click()
    page.wait_for_url(re.compile(r"/sammanfattning$"))
    expect(page.locator("main")).to_contain_text("intyg.pdf")
    expect(page.locator("main")).to_contain_text("120")
    _no_sideways_scroll(page)
    assert_accessible(page, "summary")
    screenshot(page, "summary")

    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_url(re.compile(r"/kvittens/\d+$"))
    expect(page.locator("h1")).to_have_text("Din ansökan är inskickad")
    _no_sideways_scroll(page)
    assert_accessible(page, "receipt")
    screenshot(page, "receipt")
    db.session.expire_all()
    case = db.session.get(Case, draft_id)
    assert case.number is not None and case.answers["kostnad"] == 120
    assert case.answers["intyg"][0]["name"] == "intyg.pdf"
    assert str(case.number) in page.locator("main").inner_text()
    assert eservice.id == case.eservice_id
