"""The script payloads of tests/test_xss.py in a real browser: loading the back office's case view
and the portal's pages runs none of them (window.__xss stays undefined, no alert opens).

The browser here ignores the portal's Content-Security-Policy (which would block inline
scripts and handlers by itself): what is tested is the escaping; the policy is a second fence.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP_VIEWPORT, new_page
from tests.test_xss import xss_world


@pytest.fixture
def page(browser):
    """A desktop page that does not apply Content-Security-Policy headers."""
    with new_page(browser, viewport=DESKTOP_VIEWPORT, bypass_csp=True) as desktop:
        yield desktop


BACKOFFICE_PAGES = ["", "/historik", "/meddelanden", "/noteringar", "/handlingar", "/externt", "/andra"]


class Watch:
    """Every dialog the page opens (alert, confirm, prompt), dismissed and remembered."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def assert_nothing_ran(page, watch: Watch, where: str) -> None:
    page.wait_for_load_state("load")  # broken images have fired their onerror by now
    assert page.evaluate("typeof window.__xss") == "undefined", f"a payload ran on {where}"
    assert not watch.dialogs, f"{where} opened {watch.dialogs}"


def test_no_payload_runs_in_the_back_office(live, page, screenshot, staff_login):
    world = xss_world()
    watch = Watch(page)
    staff_login(page, world.hanna.username)
    page.wait_for_url(re.compile(r"/admin/arenden/"))
    for path in ["/arenden/?tab=alla", *(f"/arenden/{world.case.id}{tab}" for tab in BACKOFFICE_PAGES)]:
        response = page.goto(live.admin + path)
        assert response.status == 200, (path, response.status)
        assert_nothing_ran(page, watch, path)
    screenshot(page, "andra")
    # The payload is on the page, as text.
    page.goto(live.admin + f"/arenden/{world.case.id}/meddelanden")
    assert page.get_by_text("<script>window.__xss=1</script>", exact=False).count() >= 2


def test_no_payload_runs_in_the_portal(live, page, citizen_login, screenshot):
    world = xss_world()
    watch = Watch(page)
    for path in ["/", "/?q=%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E", f"/e-tjanster/{world.eservice.slug}"]:
        response = page.goto(live.url + path)
        assert response.status == 200, (path, response.status)
        assert_nothing_ran(page, watch, path)
    assert page.locator("h1").inner_text().startswith("E-tjänst <script>")
    screenshot(page, "e-tjanst")

    citizen_login(page, world.citizen)  # the test login lists the citizen by the payload name
    assert_nothing_ran(page, watch, "the test login and Mina sidor")
    screenshot(page, "mina-sidor")
    later = {  # pages of features still being built: checked once their endpoint is there
        "mypages.case": f"/mina-sidor/arenden/{world.case.id}",
        "apply.start": f"/e-tjanster/{world.eservice.slug}/ansokan",
        "apply.step": f"/ansokan/{world.draft.id}/steg/1",
        "apply.summary": f"/ansokan/{world.draft.id}/sammanfattning",
        "apply.receipt": f"/kvittens/{world.case.id}",
    }
    paths = ["/mina-sidor", *later.values()]
    for path in paths:
        response = page.goto(live.url + path)
        assert response.status == 200, (path, response.status)
        assert_nothing_ran(page, watch, path)
    screenshot(page, "sist")


def test_the_watch_sees_a_payload_that_runs(live, page):
    """The checks above can fail: markup that is not escaped sets window.__xss and opens an alert."""
    from tests.test_xss import IMAGE

    watch = Watch(page)
    page.goto(live.url + "/tillganglighet")
    page.evaluate("(html) => document.querySelector('main').insertAdjacentHTML('beforeend', html)", IMAGE)
    page.wait_for_function("window.__xss === 1")
    with pytest.raises(AssertionError, match="a payload ran"):
        assert_nothing_ran(page, watch, "a page with unescaped markup")
    assert watch.dialogs == ["alert: 1"]
