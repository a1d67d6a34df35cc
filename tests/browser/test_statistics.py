"""Statistik (F-STAT-1) in a real browser: Hanna opens Ärenden → Statistik, picks Skolskjuts, sees the
charts with their tables, opens a table, and downloads the Excel file. Checked with axe-core; the
screenshots are kept as /tmp/shots/statistics-*.png.
"""

from __future__ import annotations

import datetime as dt

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared import clock
from shared.db import db
from shared.services import cases as case_service
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("statistics")


def test_statistics_page_with_charts_tables_and_excel(live, page, staff_login):
    world = factories.world()
    eservice = world.eservice
    eservice.queue_question_id = "skola"
    now = clock.now()
    made = []
    for days, school in [(1, "alne"), (8, "alne"), (8, "bergs"), (15, "bergs"), (40, "alne")]:
        made.append(
            factories.case(
                eservice,
                citizen=world.citizen,
                answers=factories.answers(skola=school),
                submitted_at=now - dt.timedelta(days=days),
                due_at=now - dt.timedelta(days=days - 5),
            )
        )
    db.session.commit()
    case_service.change_status(made[-1].id, factories.status(eservice, "Klart").id, actor=world.hanna)

    staff_login(page, "hanna")
    page.goto(f"{live.admin}/statistik/")
    expect(page.get_by_role("heading", name="Statistik", exact=True)).to_be_visible()
    page.get_by_role("link", name="Skolskjuts").click()

    expect(page.get_by_role("heading", name="Statistik: Skolskjuts")).to_be_visible()
    for name in ["Inkomna ärenden per vecka", "Ärenden per status just nu", "Förfallna ärenden just nu"]:
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_role("img", name="Kölängd per skola")).to_be_visible()
    # The status table: four open cases are Inskickat, one is Klart.
    status_table = page.locator("table", has=page.locator("caption", has_text="efter status just nu"))
    expect(status_table.locator("tr", has_text="Inskickat").locator("td").last).to_have_text("4")
    expect(status_table.locator("tr", has_text="Klart").locator("td").last).to_have_text("1")
    overdue = page.locator("table", has=page.locator("caption", has_text="Alla öppna ärenden"))
    expect(overdue.locator("tr", has_text="Förfallna ärenden").locator("td")).to_have_text("3")
    page.get_by_text("Visa siffrorna som tabell").first.click()
    expect(page.locator("caption", has_text="Inkomna ärenden per vecka")).to_be_visible()
    assert_accessible(page, "Statistik: Skolskjuts", include="main")
    shot(page, "01-skolskjuts")

    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner som Excel").click()
    assert download.value.suggested_filename.startswith("statistik-")

    # A period that ends before it begins: the message, the field marked, the default figures.
    page.fill("#period-start", "2026-05-01")
    page.fill("#period-end", "2026-04-01")
    page.get_by_role("button", name="Visa").click()
    expect(page.locator("#period-error")).to_contain_text("Slutet får inte vara före början.")
    expect(page.locator("#period-end")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#period-end")).to_have_value("2026-04-01")
    assert_accessible(page, "Statistik with an error", include="main")
    shot(page, "02-fel")
