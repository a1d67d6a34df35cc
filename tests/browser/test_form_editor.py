"""The form editor in a real browser: a builder makes a new version, adds a question with options
and a follow-up question with a condition chosen in selects, moves it with the keyboard, sees the
preview follow the condition, and publishes; every screen passes axe."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from shared.models import EServiceVersion, VersionState
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("form_editor")


def test_a_builder_builds_a_follow_up_question_and_publishes(live, page, staff_login):
    factories.builder("byggare")
    eservice = factories.eservice("Resebidrag", slug="resebidrag")
    db.session.commit()
    staff_login(page, "byggare")

    page.goto(f"{live.admin}/byggare/etjanster/{eservice.id}/formular")
    expect(page.locator("h1")).to_contain_text("Formulär och versioner")
    shot(page, "versions")
    assert_accessible(page, context="form editor, versions", include="main")
    page.get_by_role("button", name="Ny version").click()
    expect(page.locator(".alert-success")).to_contain_text("Version 2 har skapats som utkast.")
    expect(page.locator("h1")).to_contain_text("Formulär version 2")

    # A new single-choice question at the end of the step.
    page.get_by_role("link", name="Lägg till fråga i steget Sökande").click()
    page.get_by_label("Enkelval (ett alternativ)").check()
    page.get_by_role("button", name="Fortsätt").click()
    page.fill("#f-label", "Typ av resa")
    page.fill("#f-option-1-label", "Buss")
    page.fill("#f-option-2-label", "Taxi")
    page.check("#f-required")
    page.get_by_role("button", name="Förhandsgranska utan att spara").click()
    expect(page.locator("#question-preview-title")).to_be_visible()
    expect(page.locator("#preview-typ_av_resa-2")).to_be_visible()
    expect(page.locator("#f-option-2-label")).to_have_value("Taxi")  # nothing typed is lost
    shot(page, "question-form")
    assert_accessible(page, context="form editor, question form", include="main")
    page.get_by_role("button", name="Spara frågan").click()
    expect(page.locator(".alert-success")).to_contain_text("Frågan har lagts till.")

    # A follow-up question: shown only when Typ av resa is Taxi, chosen in selects.
    page.get_by_role("link", name="Lägg till fråga i steget Sökande").click()
    page.get_by_label("Lång text").check()
    page.get_by_role("button", name="Fortsätt").click()
    page.fill("#f-label", "Skäl till taxi")
    expect(page.locator("#f-cond-1-choice")).to_be_hidden()  # the script shows the answer field that fits
    page.select_option("#f-cond-1-question", "typ_av_resa")
    expect(page.locator("#f-cond-1-text")).to_be_hidden()
    expect(page.locator("#f-cond-1-choice optgroup[label='Skola']")).to_be_disabled()
    page.select_option("#f-cond-1-operator", "equals")
    page.select_option("#f-cond-1-choice", label="Taxi")
    shot(page, "condition")
    assert_accessible(page, context="form editor, condition", include="main")
    page.get_by_role("button", name="Spara frågan").click()
    expect(page.locator("#question-skal_till_taxi")).to_contain_text("Visas bara när: Typ av resa är Taxi")

    # The preview follows the condition, with the portal's own script.
    follow_up = page.locator("#preview-skal_till_taxi-group")
    expect(follow_up).to_be_hidden()
    page.locator("#preview-typ_av_resa-2").check()
    expect(follow_up).to_be_visible()
    shot(page, "version-preview")
    assert_accessible(page, context="form editor, version with preview", include="main")

    # Move Övrigt one place down with the keyboard only.
    move_down = page.locator("#question-ovrigt button[value=down]")
    move_down.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("Frågan har flyttats.")
    rows = page.locator("#step-sokande tbody tr")
    expect(rows.nth(4)).to_have_id("question-ovrigt")

    page.get_by_role("button", name="Publicera version 2").click()
    expect(page.locator(".alert-success")).to_contain_text("Version 2 är publicerad")
    shot(page, "published")
    db.session.expire_all()
    versions = db.session.scalars(db.select(EServiceVersion).order_by(EServiceVersion.number)).all()
    assert [v.state for v in versions] == [VersionState.RETIRED, VersionState.PUBLISHED]
    questions = versions[1].definition["steps"][0]["questions"]
    assert [q["id"] for q in questions] == ["namn", "personnummer", "skola", "typ_av_resa", "ovrigt", "skal_till_taxi"]
    assert questions[5]["visible_if"] == {"question": "typ_av_resa", "equals": "taxi"}
