"""Exportera till Excel in a real browser: from the overview to the page (axe, with and without an
error), a background export whose progress bar fills and whose download link appears (export.js).

The steps find their way by the page's structure (ids, names, hrefs), not by its words.
"""

from __future__ import annotations

import datetime as dt
import io
import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from openpyxl import load_workbook

from shared.db import db
from tests import factories
from tests.browser.axe import assert_accessible


def test_export_page_and_a_background_export(live, page, screenshot, staff_login, monkeypatch):
    monkeypatch.setitem(live.backoffice.config, "EXPORT_BACKGROUND_THRESHOLD", 2)
    world = factories.world()
    for number, day in ((21, 2), (22, 3), (23, 4)):
        factories.case(world.eservice, number=number, submitted_at=dt.datetime(2026, 3, day, 9), applicant_name="Åsa")
    db.session.commit()

    staff_login(page, "hanna")
    page.locator("a[href$='/exportera/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/exportera/$"))
    expect(page.locator("#export-eservice")).to_have_value(str(world.eservice.id))
    expect(page.locator("input[name=version]:checked")).to_have_count(1)
    assert_accessible(page, "Exportera till Excel", include="main")
    screenshot(page, "exportsidan")

    # The end before the start: explained, the choices kept.
    page.fill("#export-from", "2026-03-10")
    page.fill("#export-to", "2026-03-01")
    page.locator(".bo-export-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#export-to")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#export-from")).to_have_value("2026-03-10")
    assert_accessible(page, "Exportera till Excel with an error", include="main")

    # Three cases, more than this test's threshold of two: the export runs in the background.
    page.fill("#export-from", "")
    page.fill("#export-to", "")
    page.locator(".bo-export-form button[type=submit]").click()
    row = page.locator("tr.bo-export-job").first
    expect(row.locator("progress")).to_be_visible()
    expect(row.locator("progress")).to_have_attribute("max", "3")
    # export.js follows the progress and shows the link when the file is ready.
    link = row.locator("a.bo-export-download")
    expect(link).to_be_visible(timeout=60_000)
    expect(row.locator("progress")).to_have_js_property("value", 3)
    expect(row).to_have_attribute("data-state", "done")
    assert_accessible(page, "Exportera till Excel with a finished export", include="main")
    screenshot(page, "export-klar")

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.match(r"arenden-skolskjuts-\d{8}-\d{4}\.xlsx$", download.suggested_filename)
    with open(download.path(), "rb") as fileobj:
        workbook = load_workbook(io.BytesIO(fileobj.read()))
    numbers = [r[0] for r in workbook[workbook.sheetnames[0]].iter_rows(min_row=2, values_only=True)]
    assert numbers == [21, 22, 23]
