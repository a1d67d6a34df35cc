"""Deluppgifter in a real browser (F-SUB-1..3): Hanna creates a subtask for Rut on her case,
Rut opens it from Mina deluppgifter, writes to Hanna, saves her conclusion and resolves it;
Hanna sees it resolved with the conclusion on the case's Deluppgifter tab. Every screen is
checked with axe-core; the screenshots are kept as /tmp/shots/subtasks-*.png.
"""

from __future__ import annotations

import datetime as dt

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared import clock
from shared.db import db
from shared.models import DocumentSource, Subtask, SubtaskStatus
from shared.services import documents
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("subtasks")

TITLE = "Bedöm trafiksäkerheten"
MESSAGE = "Vägen saknar trottoar på sträckan vid Alne skola."
CONCLUSION = "Sträckan är inte trafiksäker för en sjuåring: skolskjuts behövs."


def test_create_open_as_responsible_message_conclude_resolve(live, page, staff_login):
    world = factories.world()
    world.eservice.subtasks_enabled = True
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna], applicant_name="Maria Öljung")
    granted = documents.store_document(
        case, "utredning.pdf", factories.PDF_BYTES, "application/pdf", source=DocumentSource.HANDLER
    )
    documents.store_document(
        case, "läkarintyg.pdf", factories.PDF_BYTES, "application/pdf", source=DocumentSource.APPLICANT
    )
    db.session.commit()
    deadline = (clock.today() + dt.timedelta(days=3)).isoformat()

    # Hanna: the case's Deluppgifter tab, then Ny deluppgift.
    staff_login(page, "hanna")
    page.goto(f"{live.admin}/arenden/{case.id}/deluppgifter")
    page.locator("a.bo-new-subtask").click()
    expect(page.locator("#subtask-title")).to_be_visible()
    assert_accessible(page, "Ny deluppgift", include="main")
    shot(page, "01-ny")

    # A deadline before today is refused, with the field marked.
    page.fill("#subtask-title", TITLE)
    page.fill("#subtask-deadline", (clock.today() - dt.timedelta(days=1)).isoformat())
    page.select_option("#subtask-responsible", str(world.rut.id))
    page.locator(".bo-subtask-new button[type=submit]").click()
    expect(page.locator("#deadline-error")).to_be_visible()
    expect(page.locator("#subtask-deadline")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "Ny deluppgift with an error", include="main")
    shot(page, "02-fel")

    page.fill("#subtask-deadline", deadline)
    page.fill("#subtask-description", "Titta på vägen till skolan.")
    page.locator(f'input[name=document_ids][value="{granted.id}"]').check()
    page.locator(".bo-subtask-new button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    row = page.locator("table.bo-subtasks tr[data-subtask]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("Rut Lind")
    assert_accessible(page, "Deluppgifter tab", include="main")
    shot(page, "03-fliken")

    # Rut: Mina deluppgifter on her start page, then the subtask page.
    staff_login(page, "rut")
    page.goto(f"{live.admin}/start/")
    mine = page.locator(".bo-start-subtasks")
    expect(mine).to_contain_text(TITLE)
    expect(mine).to_contain_text(str(case.number))
    assert_accessible(page, "start page with Mina deluppgifter", include="main")
    shot(page, "04-start")
    mine.get_by_role("link", name=TITLE).click()
    expect(page.locator(".bo-subtask-status")).to_have_attribute("data-status", "open")
    expect(page.locator(".bo-subtask-documents")).to_contain_text("utredning.pdf")
    expect(page.locator(".bo-subtask-documents")).not_to_contain_text("läkarintyg.pdf")
    assert_accessible(page, "the subtask page", include="main")
    shot(page, "05-deluppgift")

    # A message to Hanna, the conclusion, then Lös deluppgift.
    page.fill("#subtask-message-body", MESSAGE)
    page.locator(".bo-subtask-message-form button[type=submit]").click()
    expect(page.locator(".bo-subtask-message")).to_contain_text(MESSAGE)
    page.fill("#subtask-conclusion-text", CONCLUSION)
    page.locator(".bo-subtask-conclusion-form button[type=submit]").click()
    expect(page.locator("#subtask-conclusion-text")).to_have_value(CONCLUSION)
    assert_accessible(page, "the subtask page with a message and a conclusion", include="main")
    shot(page, "06-slutsats")
    page.locator(".bo-subtask-resolve-form button[type=submit]").click()
    expect(page.locator(".bo-subtask-status")).to_have_attribute("data-status", "resolved")
    expect(page.locator(".bo-subtask-locked")).to_be_visible()
    expect(page.locator("#subtask-conclusion-text")).to_have_count(0)
    expect(page.locator("#subtask-message-body")).to_have_count(0)
    assert_accessible(page, "a resolved subtask", include="main")
    shot(page, "07-lost")

    # Hanna: the tab shows it resolved, with Rut's conclusion.
    staff_login(page, "hanna")
    page.goto(f"{live.admin}/arenden/{case.id}/deluppgifter")
    row = page.locator("table.bo-subtasks tr[data-subtask]")
    expect(row).to_contain_text(CONCLUSION)
    expect(row.locator("form")).to_have_count(0)
    shot(page, "08-fliken-lost")

    db.session.expire_all()
    subtask = db.session.query(Subtask).one()
    assert subtask.status == SubtaskStatus.RESOLVED and subtask.conclusion == CONCLUSION
    assert [m.body for m in subtask.messages] == [MESSAGE]


def test_closing_a_case_with_an_open_subtask_warns_first(live, page, staff_login):
    world = factories.world()
    world.eservice.subtasks_enabled = True
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.add(
        Subtask(
            case=case,
            title=TITLE,
            deadline=clock.today() + dt.timedelta(days=2),
            responsible=world.olle,
            created_by=world.hanna,
        )
    )
    db.session.commit()

    # Olle's overview lists his subtask above the cases.
    staff_login(page, "olle")
    page.goto(f"{live.admin}/arenden/")
    expect(page.locator(".bo-overview-subtasks")).to_contain_text(TITLE)
    assert_accessible(page, "the overview with Mina deluppgifter", include="main")
    shot(page, "09-oversikt")

    staff_login(page, "hanna")
    page.goto(f"{live.admin}/arenden/{case.id}?verktyg=status")
    panel = page.locator("#verktyg-panel")
    panel.locator(f'input[name=status_id][value="{factories.status(world.eservice, "Klart").id}"]').check()
    panel.locator('form[action$="/status"] button[type=submit]').click()
    warning = page.locator(".bo-close-subtasks")
    expect(warning).to_contain_text(TITLE)
    assert_accessible(page, "the warning before closing with open subtasks", include="main")
    shot(page, "10-avsluta-varning")
    warning.locator("form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Klart")

    db.session.expire_all()
    assert db.session.query(Subtask).one().status == SubtaskStatus.RESOLVED
