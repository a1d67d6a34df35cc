"""One handler's day in a real browser: log in, open Obehandlade, take a case, write to the
applicant, close the case as Klart. Each step is checked on what the page shows; the
screenshots are in the test's tmp dir.

The steps find their way by what the screens are built from (the tab's data-tab, the case row's
data-case, the forms' actions and field names) and check what the user reads that does not
depend on the catalogue: the case number, the handler's name, the message, the status name.
"""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from tests import factories

MESSAGE = "Hej Maria! Vi behöver ett läkarintyg för att kunna gå vidare med ansökan om skolskjuts."


def test_a_handler_takes_a_case_writes_to_the_applicant_and_closes_it(live, page, screenshot, staff_login):
    world = factories.world()
    unassigned = factories.case(
        world.eservice,
        citizen=world.citizen,
        answers={"namn": "Elsa Öljung", "skola": "alne"},
        applicant_name="Maria Öljung",
    )
    factories.case(world.eservice, answers={"namn": "Nils Holm", "skola": "bergs"})  # also unassigned
    factories.case(world.eservice, answers={"namn": "Eva Ek", "skola": "alne"}, users=[world.olle])  # Olle's
    db.session.commit()
    number = str(unassigned.number)

    # Log in: a handler lands on Ärenden.
    staff_login(page, "hanna")
    expect(page).to_have_url(re.compile(r"/admin/arenden/"))
    screenshot(page, "arenden")

    # Obehandlade: the two cases nobody has taken, Olle's not among them.
    page.click("a[data-tab=obehandlade]")
    expect(page.locator("a[data-tab=obehandlade]")).to_have_attribute("aria-current", "page")
    expect(page.locator("a[data-tab=obehandlade] .bo-count")).to_have_attribute("data-count", "2")
    expect(page.locator("tr[data-case]")).to_have_count(2)
    row = page.locator(f'tr[data-case="{number}"]')
    expect(row).to_contain_text("Maria Öljung")
    screenshot(page, "obehandlade")

    # Open the case: its number and applicant in the header, nobody handling it yet.
    row.get_by_role("link", name=number, exact=True).click()
    expect(page.locator(".bo-case-number")).to_have_text(number)
    expect(page.locator(".bo-case-header")).to_contain_text("Maria Öljung")
    expect(page.locator(".bo-case-handlers")).not_to_contain_text("Hanna Berg")
    screenshot(page, "arendet")

    # Ta ärendet: Hanna is its handler now.
    page.locator(f'.bo-case-handlers form[action$="/arenden/{unassigned.id}/ta"] button').click()
    expect(page.locator(".bo-case-handlers")).to_contain_text("Hanna Berg")
    expect(page.locator(".alert-success")).to_be_visible()
    screenshot(page, "taget")

    # Meddelanden: write to the applicant; the message is in the thread.
    page.locator(f'.bo-case-tabs a[href$="/arenden/{unassigned.id}/meddelanden"]').click()
    page.fill("textarea[name=body]", MESSAGE)
    screenshot(page, "nytt-meddelande")
    page.locator(".bo-message-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_text(MESSAGE)).to_be_visible()
    screenshot(page, "meddelande-skickat")

    # Verktyg → Ändra status → Klart: the header says Klart and the case is closed.
    page.locator('.bo-tools a[href*="verktyg=status"]').click()
    panel = page.locator("#verktyg-panel")
    panel.get_by_label(re.compile(r"^\s*Klart\b")).check()
    screenshot(page, "andra-status")
    panel.locator('form[action$="/status"] button[type=submit]').click()
    expect(page.locator(".alert-success")).to_contain_text("Klart")
    expect(page.locator(".bo-case-header")).to_contain_text("Klart")
    screenshot(page, "klart")

    db.session.expire_all()
    db.session.refresh(unassigned)
    assert unassigned.status.name == "Klart" and unassigned.closed_at is not None
    assert [h.user_id for h in unassigned.handlers] == [world.hanna.id]
    assert [m.body for m in unassigned.messages] == [MESSAGE]
    assert len(screenshot.taken) == 8
