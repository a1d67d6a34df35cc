"""The back office's page frame (navbar, menus, footer) in a real browser passes axe on its own.

Screen tests check their own ``main``; this one checks what every page shares, for each role.
"""

from __future__ import annotations

from shared.db import db
from tests import factories
from tests.browser.axe import assert_accessible


def _log_in(live, page, staff_login, username: str) -> None:
    page.goto(live.admin + "/login/")
    assert_accessible(page, "the login page")
    staff_login(page, username)


def test_the_page_frame_passes_axe_for_admin_and_handler(live, page, screenshot, staff_login):
    factories.world()
    db.session.commit()
    _log_in(live, page, staff_login, "admin")
    page.goto(live.admin + "/start/")
    assert_accessible(page, "the start page with the administrator's menu")
    page.keyboard.press("Tab")
    screenshot(page, "frame-admin")
    page.goto(live.admin + "/logout/")
    _log_in(live, page, staff_login, "hanna")
    page.goto(live.admin + "/start/")
    assert_accessible(page, "the start page with the handler's menu")
