"""API-nycklar in a real browser: a handler finds the page in the menu, creates a key and sees it once; axe passes."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from tests import factories
from tests.browser.axe import assert_accessible


def test_a_handler_creates_an_api_key(live, page, screenshot, staff_login):
    factories.world()
    staff_login(page, "hanna")
    page.goto(live.admin + "/api-nycklar/")
    assert_accessible(page, context="API-nycklar", include="main")
    expect(page.locator("main")).to_contain_text("'Authorization: Bearer <nyckel>'")
    page.fill("#key-name", "Diariet")
    with page.expect_navigation():
        page.click("form[action$='/api-nycklar/'] button[type=submit]")
    expect(page.locator("#new-key-value")).to_have_value(re.compile(r"^etj_"))
    expect(page.locator("tr[data-key-id]")).to_have_count(1)
    assert_accessible(page, context="API-nycklar, ny nyckel", include="main")
    screenshot(page, "api-nycklar")
