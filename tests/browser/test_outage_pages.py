"""The 503 pages of a database outage in a real browser: readable, and accessible (axe, WCAG 2.1 AA).

The apps point at a database that cannot be reached (tests/faults/conftest.py); the other
outage tests are in tests/faults/.
"""

from __future__ import annotations

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import config
from tests.browser.axe import assert_accessible
from tests.browser.conftest import serve
from tests.faults.conftest import DEAD_DATABASE_URL, OUTAGE_HEADING

SEND_STEP = """([action, field]) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  const input = document.createElement("input");
  input.name = field;
  input.value = "Maria Öljung";
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
}"""


@pytest.fixture(scope="module")
def outage_server(app_overrides: dict):
    """Both apps as `etjanst serve` runs them, on a database that cannot be reached."""
    from backoffice import create_app as create_backoffice
    from portal import create_app as create_portal

    overrides = {**app_overrides, "SQLALCHEMY_DATABASE_URI": DEAD_DATABASE_URL, "FAB_UPDATE_PERMS": False}
    overrides.update(WTF_CSRF_ENABLED=False, MUNICIPALITY_NAME="Exempelby kommun")
    portal = create_portal(config.get_config("test"), overrides=overrides)
    backoffice = create_backoffice(config.get_config("test"), overrides=overrides)
    with serve(DispatcherMiddleware(portal, {"/admin": backoffice}), "outage-server") as url:
        yield url


def test_the_outage_pages_are_accessible(outage_server, page):
    from playwright.sync_api import expect

    url = outage_server
    response = page.goto(url + "/e-tjanster/skolskjuts")
    assert response.status == 503 and response.headers["retry-after"] == "5"
    expect(page.locator("h1")).to_have_text(OUTAGE_HEADING)
    expect(page).to_have_title(f"{OUTAGE_HEADING} – Exempelby kommun")
    expect(page.get_by_role("link", name="Försök igen")).to_have_attribute("href", "/e-tjanster/skolskjuts")
    assert_accessible(page, "the portal's outage page")

    # A form step sent into the outage: the browser's Back brings the answers back.
    with page.expect_navigation():
        page.evaluate(SEND_STEP, ["/e-tjanster/skolskjuts/ansokan", "namn"])
    expect(page.locator("main")).to_contain_text("Svaren på den här sidan sparades inte.")
    assert_accessible(page, "the portal's outage page after a form step")

    response = page.goto(url + "/admin/login/")
    assert response.status == 503
    expect(page.locator("h1")).to_have_text(OUTAGE_HEADING)
    expect(page.get_by_role("link", name="Försök igen")).to_have_attribute("href", "/admin/login/")
    assert_accessible(page, "the back office's outage page")
