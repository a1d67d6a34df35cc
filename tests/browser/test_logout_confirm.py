"""A logout asked for by another site (Sec-Fetch-Site: cross-site) is confirmed first (issue 9)."""

from shared.db import db
from tests import factories
from tests.browser.axe import assert_accessible


def test_a_logout_link_on_another_site_asks_first_and_the_button_logs_out(live, page, staff_login):
    factories.world()
    db.session.commit()
    staff_login(page, "hanna")
    # localhost and 127.0.0.1 are different sites to the browser: the link is "cross-site".
    other = live.admin.replace("127.0.0.1", "localhost")
    page.goto(other + "/login/")
    page.evaluate(
        "url => { const a = document.createElement('a'); a.href = url; a.id = 'x'; a.textContent = 'x';"
        " document.body.appendChild(a); }",
        live.admin + "/logout/",
    )
    page.click("#x")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/logout/")
    assert page.locator("h1").inner_text() == "Logga ut?"
    assert_accessible(page, "the logout confirm page")
    # Still logged in until the button is pressed.
    page.goto(live.admin + "/start/")
    assert "/login/" not in page.url
    page.goto(other + "/login/")
    page.evaluate(
        "url => { const a = document.createElement('a'); a.href = url; a.id = 'y'; a.textContent = 'y';"
        " document.body.appendChild(a); }",
        live.admin + "/logout/",
    )
    page.click("#y")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_load_state()
    page.goto(live.admin + "/start/")
    assert "/login/" in page.url
