"""The builder's detail sections in a real browser: personal data with its preview, a colour, an
assignment rule whose answer list follows the chosen question; every section passes axe."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from shared.models import EService
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named
from tests.shared.services.test_eservice_details import KOST_DEFINITION

shot = shots_named("details")


def test_a_builder_sets_the_personal_data_texts_and_previews_them(live, page, staff_login):
    factories.builder("byggare")
    eservice = factories.eservice(name="Skolskjuts", definition=KOST_DEFINITION, slug="skolskjuts")
    db.session.commit()
    staff_login(page, "byggare")
    base = f"{live.admin}/byggare/etjanster/{eservice.id}"

    page.goto(base + "/personuppgifter")
    expect(page.locator("h1")).to_contain_text("Personuppgiftshantering (GDPR)")
    page.get_by_label("Namn", exact=True).check()
    page.get_by_label("Personnummer", exact=True).check()
    page.get_by_label("En arbetsuppgift av allmänt intresse ska kunna utföras").check()
    page.fill("#retention", "Två år efter beslut.")
    page.fill("#controller_name", "Barn- och utbildningsnämnden")
    page.fill("#controller_email", "bun@example.org")
    page.get_by_role("button", name="Förhandsgranska utan att spara").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("inte sparade")
    expect(preview).to_contain_text("Personnummer")
    expect(preview).to_contain_text("Två år efter beslut.")
    shot(page, "gdpr-preview")
    assert_accessible(page, context="personal data, preview", include="main")

    page.get_by_role("button", name="Spara", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("har sparats")
    db.session.expire_all()
    saved = db.session.get(EService, eservice.id)
    assert saved.gdpr_categories == ["namn", "personnummer"]

    # The portal shows what the preview showed.
    page.goto(live.url + "/e-tjanster/skolskjuts")
    expect(page.locator(".personal-data")).to_contain_text("Barn- och utbildningsnämnden")

    # An error names its field and keeps what was typed.
    page.goto(base + "/personuppgifter")
    page.fill("#retention", "")
    page.get_by_role("button", name="Spara", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("Skriv hur länge personuppgifterna sparas.")
    shot(page, "gdpr-error")
    assert_accessible(page, context="personal data, error", include="main")


def test_colours_and_an_assignment_rule_and_every_section_is_accessible(live, page, staff_login):
    factories.builder("byggare")
    anna = factories.user("anna", first_name="Anna", last_name="Alm")
    eservice = factories.eservice(name="Skolskjuts", definition=KOST_DEFINITION, handlers=[anna])
    db.session.commit()
    staff_login(page, "byggare")
    base = f"{live.admin}/byggare/etjanster/{eservice.id}"

    page.goto(base + "/farger")
    page.get_by_label("Gul").check()
    page.fill("#meaning", "Kontakta skolan")
    page.get_by_role("button", name="Lägg till färgen").click()
    expect(page.locator("#legend")).to_contain_text("Kontakta skolan")
    page.get_by_label("Röd").check()
    page.fill("#meaning", "Brådskande")
    page.get_by_role("button", name="Lägg till färgen").click()
    expect(page.locator("#legend tbody tr")).to_have_count(2)
    shot(page, "colours")
    assert_accessible(page, context="colour legend", include="main")

    page.goto(base + "/tilldelning")
    answer = page.locator("#answer")
    expect(answer).to_be_disabled()
    page.select_option("#question", label="Skola")
    # Only the chosen question's answers are offered.
    expect(answer.locator("option")).to_have_text(["Välj ett svar", "Alneskolan", "Bergsskolan"])
    page.select_option("#answer", label="Bergsskolan")
    page.select_option("#user_id", label="Anna Alm (anna)")
    page.get_by_role("button", name="Lägg till regeln").click()
    expect(page.locator("#rules")).to_contain_text("Bergsskolan")
    shot(page, "rules")
    assert_accessible(page, context="assignment rules", include="main")

    for section in ("sammanfattning", "excel", "meddelandemallar"):
        page.goto(f"{base}/{section}")
        shot(page, section)
        assert_accessible(page, context=section, include="main")
    db.session.expire_all()
    rules = db.session.get(EService, eservice.id).assignment_rules
    assert [(r.question_id, r.answer_value, r.user_id) for r in rules] == [("skola", "bergs", anna.id)]
