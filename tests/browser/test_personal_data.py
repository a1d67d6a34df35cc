"""Personal data in a real browser (issue 9): Hanna sees a masked personnummer in Ärenden and shows it
with "Visa personnummer"; Maria opens Mina uppgifter from Mina sidor and downloads her data. Both
pages are checked with axe-core; screenshots in /tmp/shots/personal-data-*.png.
"""

from __future__ import annotations

import json

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry
from shared.services import messages
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("personal-data")
SUMMARY = "Namn: Kalle Anka · Personnummer: 20000101-2384 · Skola: Alneskolan"


def test_the_overview_masks_and_reveals_a_personnummer(live, page, staff_login):
    world = factories.world()
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna], summary=SUMMARY)
    db.session.commit()

    staff_login(page, "hanna")
    page.goto(f"{live.admin}/arenden/?tab=alla")
    row = page.locator(f'tr[data-case="{case.number}"]')
    expect(row.locator(".bo-col-summary")).to_contain_text("20000101-****")
    expect(row.locator(".bo-col-summary")).not_to_contain_text("2384")
    assert_accessible(page, "Ärenden, personnummer masked", include="main")
    shot(page, "overview-masked")

    # No case is checked, and the bulk buttons are off: "Visa personnummer" still works.
    row.get_by_role("button", name=f"Visa personnummer i ärende {case.number}").click()
    expect(page.locator(f'tr[data-case="{case.number}"] .bo-col-summary')).to_contain_text("20000101-2384")
    expect(page.get_by_text(f"Personnumren i ärende {case.number} visas nu i sin helhet.")).to_be_visible()
    assert_accessible(page, "Ärenden, personnummer shown", include="main")
    db.session.expire_all()
    assert db.session.scalars(
        select(AuditEntry.username).where(AuditEntry.action == "personnummer_revealed")
    ).all() == ["hanna"]


def test_mina_uppgifter_page_and_downloads(live, page, citizen_login):
    world = factories.world()
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    messages.send_message(case.id, "Vi behöver ett intyg", actor=world.hanna)

    citizen_login(page, world.citizen)
    page.get_by_role("link", name="Mina uppgifter").click()
    expect(page.get_by_role("heading", level=1, name="Mina uppgifter")).to_be_visible()
    expect(page.get_by_text("19850709-9805")).to_be_visible()
    assert_accessible(page, "Mina uppgifter", include="main")
    shot(page, "mina-uppgifter")

    with page.expect_download() as pdf:
        page.get_by_role("link", name="Ladda ner som PDF").click()
    assert pdf.value.suggested_filename.startswith("mina-uppgifter-") and pdf.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as json_file:
        page.get_by_role("link", name="Ladda ner som JSON").click()
    with open(json_file.value.path(), encoding="utf-8") as handle:
        data = json.load(handle)
    assert data["cases"][0]["messages"][0]["text"] == "Vi behöver ett intyg"
