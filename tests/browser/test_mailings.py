"""Utskick in a real browser (F-MAIL-1, F-MAIL-2): Hanna checks cases in the overview, chooses
Skapa utskick, writes a text with a question, previews and sends it; Maria answers Ja on Mina
sidor; Hanna sees the answer in the summary. Every screen is checked with axe-core; the
screenshots are kept as /tmp/shots/mailings-*.png.
"""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from sqlalchemy import select

from shared.db import db
from shared.models import Mailing, MailingAnswer
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("mailings")


def test_create_preview_send_answer_and_follow_up(live, page, staff_login, citizen_login):
    world = factories.world()
    marias = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna], applicant_name="Maria Öljung")
    factories.case(world.eservice, contact_name="Utan Adress", applicant_name="Utan Adress")
    db.session.commit()

    # Hanna: the overview, check every case, Skapa utskick.
    staff_login(page, "hanna")
    page.goto(f"{live.admin}/arenden/?tab=alla")
    for box in page.locator("input[name=case_id]").all():
        box.check()
    page.get_by_role("button", name="Skapa utskick").click()
    expect(page.locator("#mailing-checked")).to_contain_text("2 markerade ärendena")
    page.locator("input[name=channel][value=portal]").check()
    page.fill("#mailing-subject", "Köplats i kulturskolan")
    page.fill("#mailing-body", "Hej {namn}! Svara senast {svara_senast}.")
    page.fill("#mailing-question", "Vill du stå kvar i kön?")
    page.fill("#mailing-days", "30")
    assert_accessible(page, "Skapa utskick", include="main")
    shot(page, "01-skapa")

    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.locator("#mailing-count")).to_contain_text("1 ärende")
    expect(page.locator("#mailing-example-body")).to_contain_text("Hej Maria Öljung! Svara senast")
    expect(page.locator(".bo-mailing-skipped")).to_contain_text("e-legitimation")
    assert_accessible(page, "the preview", include="main")
    shot(page, "02-forhandsgranska")

    page.get_by_role("button", name="Skicka till 1 ärende").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#count-unanswered")).to_have_text("1")
    assert_accessible(page, "the summary", include="main")
    shot(page, "03-sammanstallning")

    # Maria: Mina sidor shows the question with Ja and Nej; she answers Ja.
    citizen_login(page, world.citizen)
    card = page.locator(".mp-card--mailing")
    expect(card).to_contain_text("Vill du stå kvar i kön?")
    expect(card).to_contain_text("Hej Maria Öljung! Svara senast")  # placeholders filled in
    assert_accessible(page, "Mina sidor with a mailing to answer", include="main")
    shot(page, "04-mina-sidor")
    card.get_by_role("button", name="Ja").click()
    expect(page.locator(".mp-answered")).to_contain_text("Du svarade Ja den")
    assert_accessible(page, "the case page after answering", include="main")
    shot(page, "05-besvarat")

    db.session.expire_all()
    mailing = db.session.scalar(select(Mailing))
    assert mailing.recipients[0].case_id == marias.id and mailing.recipients[0].answer == MailingAnswer.YES

    # Hanna: the summary counts the answer.
    staff_login(page, "hanna")
    page.goto(f"{live.admin}/utskick/{mailing.id}")
    expect(page.locator("#count-yes")).to_have_text("1")
    expect(page.locator(".bo-mailing-recipients")).to_contain_text("Ja")
