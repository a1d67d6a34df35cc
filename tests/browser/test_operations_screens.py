"""Drift in a real browser: an administrator opens Utkorg and Schemalagda jobb from the menu,
filters the outbox, opens a notification and sends a failed one again; every page passes axe.

The steps find their way by the page's structure (ids, data attributes, URLs), not its words.
"""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from scheduler.jobs import JOBS
from shared.db import db
from shared.models import Channel, OutboxMessage, OutboxState
from shared.notify import dispatch
from shared.services import jobs as job_runs
from tests import factories
from tests.browser.axe import assert_accessible
from tests.shared.services.test_outbox_log import message


def test_an_administrator_follows_the_outbox_and_the_jobs(live, page, screenshot, staff_login):
    world = factories.world()
    world.citizen.first_name, world.citizen.last_name = "Maria", "Öberg"
    case = factories.case(world.eservice, citizen=world.citizen)
    message(case=case, citizen=world.citizen)
    message(channel=Channel.PORTAL, address=None, citizen=world.citizen, case=case, event="closed")
    message(channel=Channel.SMS, address="+46701234567", state=OutboxState.PENDING, event="submitted")
    failed = message(state=OutboxState.FAILED, case=case, address="maria.oberg@example.org")
    message(
        state=OutboxState.FAILED,
        address="hanna@example.org",
        user=world.hanna,
        event="assigned",
        error=dispatch.UNCERTAIN,
    )
    db.session.commit()
    job_runs.run("overdue", JOBS["overdue"].func)
    job_runs.run("dispatch", JOBS["dispatch"].func, dry_run=True)

    def broken(now, dry_run=False):
        raise RuntimeError("the retention rules could not be read")

    job_runs.run("retention", broken)

    staff_login(page, "admin")
    # Drift is in the menu, with both screens.
    page.goto(live.admin + "/drift/utkorg/")
    expect(page.locator("tr[data-outbox]")).to_have_count(5)
    expect(page.locator('a[data-state="failed"] .badge')).to_have_text("2")
    assert_accessible(page, context="Utkorg", include="main")
    screenshot(page, "utkorg")

    # Only the failed ones, then one of them opened.
    page.select_option("#ob-state", "failed")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"state=failed"))
    expect(page.locator("tr[data-outbox]")).to_have_count(2)
    screenshot(page, "utkorg-misslyckade")
    with page.expect_navigation():
        page.locator(f'tr[data-outbox="{failed.id}"] a[href*="/drift/utkorg/{failed.id}"]').click()
    expect(page.locator("h1")).to_contain_text(str(failed.id))
    assert_accessible(page, context="one notification", include="main")
    screenshot(page, "avisering")

    # Sent again from its page: back on its page, queued.
    with page.expect_navigation():
        page.locator(f'form[action$="/drift/utkorg/{failed.id}/forsok-igen"] button[type=submit]').click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".bo-outbox-state")).to_have_attribute("data-state", "pending")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed.id).state == OutboxState.PENDING

    # The bulk action's question, answered.
    page.goto(live.admin + "/drift/utkorg/?state=failed")
    with page.expect_navigation():
        page.locator('form[action$="/drift/utkorg/forsok-igen"] button[type=submit]').click()
    assert_accessible(page, context="send failed notifications again", include="main")
    screenshot(page, "utkorg-fraga")
    with page.expect_navigation():
        page.locator('form input[name=confirm][value="1"] ~ button[type=submit]').click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("tr[data-outbox]")).to_have_count(0)

    page.goto(live.admin + "/drift/jobb/")
    expect(page.locator('tr[data-job="retention"]')).to_have_attribute("data-state", "failed")
    expect(page.locator('tr[data-job="retention"] .text-danger')).to_be_visible()
    expect(page.locator("tr[data-run]")).to_have_count(3)
    page.locator("tr.bo-job-error details summary").click()
    expect(page.locator("tr.bo-job-error details pre")).to_contain_text("Traceback")
    assert_accessible(page, context="Schemalagda jobb", include="main")
    screenshot(page, "jobb")
