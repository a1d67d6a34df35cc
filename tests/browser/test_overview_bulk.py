"""Ärenden's bulk actions in a real browser: "check all", the status button that needs one
e-service version (and says why it is off), and the question whether to tell the applicants.

The steps find their way by the page's structure (data-case, the form's field names, ids),
not by its words, which come from the catalogue.
"""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from shared.models import Case, EServiceVersion, VersionState
from tests import factories


def test_bulk_status_needs_one_version_and_asks_about_the_applicants(live, page, screenshot, staff_login):
    world = factories.world()
    first = factories.case(world.eservice, citizen=world.citizen, applicant_name="Maria Öljung")
    second = factories.case(world.eservice, citizen=world.citizen, applicant_name="Karin Gustafsson")
    version2 = EServiceVersion(
        eservice_id=world.eservice.id, number=2, definition=factories.SIMPLE_DEFINITION, state=VersionState.PUBLISHED
    )
    db.session.add(version2)
    db.session.flush()
    newer = factories.case(world.eservice, applicant_name="Erik Åström")
    newer.version_id = version2.id
    db.session.commit()

    staff_login(page, "hanna")
    expect(page).to_have_url(re.compile(r"/admin/arenden/"))
    status_button = page.locator("#bo-bulk-status")
    expect(status_button).to_be_disabled()  # nothing checked yet

    # Check all: three cases from two versions, so the status cannot be changed on them together.
    page.locator("#bo-check-all").check()
    expect(page.locator("input[name=case_id]:checked")).to_have_count(3)
    expect(status_button).to_be_disabled()
    expect(page.locator("#bo-bulk-status-why")).to_contain_text("v2")
    expect(page.locator("#bo-bulk-status-why")).to_have_class(re.compile("text-danger"))
    screenshot(page, "olika-versioner")

    # Unchecking the newer version's case turns the button on.
    page.locator(f'tr[data-case="{newer.number}"] input[name=case_id]').uncheck()
    expect(status_button).to_be_enabled()
    status_button.click()

    # Second step: the status, and the applicants are not to be told.
    expect(page).to_have_url(re.compile(r"/arenden/massandring/status$"))
    expect(page.locator(".bo-chosen")).to_contain_text(str(first.number))
    expect(page.locator(".bo-chosen")).to_contain_text(str(second.number))
    klart = factories.status(world.eservice, "Klart")
    page.select_option("select[name=status_id]", str(klart.id))
    page.check("input[name=notify][value='0']")
    screenshot(page, "ändra-status")
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/arenden/"))
    expect(page.locator(".alert-success")).to_be_visible()
    screenshot(page, "klart")

    db.session.expire_all()
    assert {db.session.get(Case, c.id).status.name for c in (first, second)} == {"Klart"}
    assert db.session.get(Case, newer.id).status.name == "Inskickat"
    assert factories.outbox() == []  # nobody told
