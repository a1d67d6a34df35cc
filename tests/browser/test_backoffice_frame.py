"""The back office's page frame (navbar, menus, footer) in a real browser passes axe on its own.

Screen tests check their own ``main``; this one checks what every page shares, for each role.
"""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from tests import factories
from tests.browser.axe import assert_accessible


def _log_in(live, page, username: str) -> None:
    page.goto(live.admin + "/login/")
    assert_accessible(page, "the login page")
    page.fill("#username", username)
    page.fill("#password", factories.PASSWORD)
    page.click("input[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_the_page_frame_passes_axe_for_admin_and_handler(live, page, screenshot):
    factories.world()
    db.session.commit()
    _log_in(live, page, "admin")
    page.goto(live.admin + "/start/")
    assert_accessible(page, "the start page with the administrator's menu")
    page.keyboard.press("Tab")
    screenshot(page, "frame-admin")
    page.goto(live.admin + "/logout/")
    _log_in(live, page, "hanna")
    page.goto(live.admin + "/start/")
    assert_accessible(page, "the start page with the handler's menu")
