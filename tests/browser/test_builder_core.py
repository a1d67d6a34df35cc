"""E-tjänster for builders (issue 6 part A) in a real browser: a builder creates an e-service
through the form (an error first), lands on its hub, links a handler, and looks at a status
group and a handler group; every page passes axe (WCAG 2.1 AA). Screenshots go to
/tmp/shots/core-*.png to look at."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from sqlalchemy import select

from shared.db import db
from shared.models import EService, HandlerLink
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("core")


def test_a_builder_creates_an_eservice_and_links_a_handler(live, page, staff_login):
    world = factories.world()
    db.session.commit()

    staff_login(page, "builder")

    page.goto(live.admin + "/byggare/etjanster/")
    expect(page.locator("h1")).to_have_text("E-tjänster")
    assert_accessible(page, context="e-service list", include="main")
    shot(page, "list")

    page.get_by_role("link", name="Ny e-tjänst").click()
    page.fill("#f-name", "Ansökan om bygglov")
    page.fill("#f-slug", "bygglov på nätet")
    page.fill("#f-due_days", "trettio")
    page.locator("button[type=submit]", has_text="Spara").click()
    summary = page.locator(".bo-error-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#f-slug")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name")).to_have_value("Ansökan om bygglov")
    assert_accessible(page, context="e-service form with errors", include="main")
    shot(page, "form-errors")

    page.fill("#f-slug", "")
    page.fill("#f-due_days", "30")
    page.check("#f-colour_marking")
    page.check("#f-login-2")  # anonymous applicants allowed
    page.fill("#f-general_mailbox", "bygglov@example.org")
    page.locator("button[type=submit]", has_text="Spara").click()

    expect(page).to_have_url(re.compile(r"/admin/byggare/etjanster/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("E-tjänsten Ansökan om bygglov har skapats.")
    eservice = db.session.scalar(select(EService).where(EService.name == "Ansökan om bygglov"))
    assert eservice.slug == "ansokan-om-bygglov" and eservice.anonymous_allowed and eservice.colour_marking
    assert_accessible(page, context="e-service hub", include="main")
    shot(page, "hub")

    page.get_by_role("link", name="Handläggare och grupper").click()
    page.select_option("#f-user_id", str(world.olle.id))
    page.check("#f-restricted")
    page.fill("#f-valid_to", "2030-12-31")
    page.get_by_role("button", name="Lägg till").click()
    expect(page.locator(".alert-success")).to_contain_text("Olle Ek är nu handläggare för e-tjänsten.")
    link = db.session.scalar(select(HandlerLink).where(HandlerLink.eservice_id == eservice.id))
    assert link.user_id == world.olle.id and link.restricted
    assert_accessible(page, context="handler links", include="main")
    shot(page, "handler-links")

    page.goto(live.admin + f"/byggare/statusgrupper/{eservice.status_group_id}")
    expect(page.locator("h1")).to_contain_text("Standard")
    assert_accessible(page, context="status group", include="main")
    shot(page, "status-group")
    page.get_by_role("link", name="Ny status").click()
    expect(page.locator("h1")).to_have_text("Ny status i Standard")
    assert_accessible(page, context="status form", include="main")
    shot(page, "status-form")

    page.goto(live.admin + f"/byggare/grupper/{world.group.id}")
    expect(page.locator("h1")).to_contain_text("Skolskjutsgruppen")
    assert_accessible(page, context="handler group", include="main")
    shot(page, "group")
