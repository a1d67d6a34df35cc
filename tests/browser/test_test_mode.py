"""Testa e-tjänsten (F-ES-4) in a real browser: a builder picks the draft version under Verktyg > Testa
e-tjänster, the portal opens it in test mode on a phone (375 px) with the banner on every page, and
Skicka in shows how the application would have looked, keeping nothing. Each page passes axe
(WCAG 2.1 AA; in the back office the main content, as in the other back-office browser tests).
Screenshots: /tmp/shots/testmode-*.png.
"""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

import pytest
from sqlalchemy import func, select

from shared.db import db
from shared.models import Case, EServiceVersion, OutboxMessage, VersionState
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import SHOTS, shots_named
from tests.portal.test_apply import SMALL

BANNER = re.compile(
    r"Testläge: det här är ett test av e-tjänsten Resebidrag, version 2\. "
    r"Inget du fyller i skickas in som ett riktigt ärende\."
)


@pytest.fixture
def shot():
    for old in SHOTS.glob("testmode-*.png"):  # this run's pictures only
        old.unlink()
    return shots_named("testmode")


def expect_banner(page) -> None:
    banner = page.get_by_role("region", name="Testläge")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(BANNER)
    box = banner.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375  # whole, on a phone


def test_a_builder_tests_a_draft_version_on_a_phone(live, page, phone_page, shot, monkeypatch, staff_login):
    monkeypatch.setitem(live.backoffice.config, "PORTAL_URL", live.url)
    factories.builder()
    eservice = factories.eservice("Resebidrag", slug="resebidrag", definition=SMALL, summary_fields=["namn"])
    steps = [dict(s) for s in SMALL["steps"]]
    steps[0] = {
        **steps[0],
        "questions": [*steps[0]["questions"], {"id": "nytt", "type": "text", "label": "Telefon dagtid"}],
    }
    db.session.add(EServiceVersion(eservice=eservice, number=2, definition={"steps": steps}, state=VersionState.DRAFT))
    db.session.commit()

    # The back office: Verktyg > Testa e-tjänster, and the e-service's versions.
    staff_login(page, "builder")
    page.goto(live.admin + "/testa-etjanster/")
    expect(page.locator("h1")).to_have_text("Testa e-tjänster")
    expect(page.get_by_role("link", name="Testa version 2")).to_be_visible()
    assert_accessible(page, "Testa e-tjänster", include="main")
    shot(page, "01-list")
    page.get_by_role("link", name="Versioner").click()
    expect(page.locator("h1")).to_have_text("Testa e-tjänsten: Resebidrag")
    assert_accessible(page, "Testa e-tjänsten: versions", include="main")
    shot(page, "02-versions")

    # On a phone: the test opens in the portal, e-ID not asked for, the banner first on every page.
    phone = phone_page
    staff_login(phone, "builder")
    phone.goto(live.admin + f"/testa-etjanster/{eservice.id}")
    phone.get_by_role("row", name=re.compile("Version 2")).get_by_role("link", name="Testa").click()
    phone.wait_for_url(re.compile(r"/ansokan/\d+/steg/1$"))
    expect(phone).to_have_title(re.compile(r"^Testläge: Sökande"))
    expect_banner(phone)
    expect(phone.get_by_label("Telefon dagtid")).to_be_visible()  # the draft's own question
    assert_accessible(phone, "test mode, step 1")
    shot(phone, "03-step1-phone")
    phone.get_by_label("Namn").fill("Test Testsson")
    phone.get_by_label("Personnummer").fill("19850709-9805")
    phone.get_by_role("button", name="Nästa").click()

    phone.wait_for_url(re.compile(r"/steg/2$"))
    expect_banner(phone)
    phone.get_by_role("radio", name="Taxi").check()
    expect(phone.get_by_label("Skäl till taxi")).to_be_visible()  # the follow-up question, at once
    phone.get_by_label("Skäl till taxi").fill("Rullstol")
    phone.get_by_label("Antal resor").fill("3")
    shot(phone, "04-step2-phone")
    phone.get_by_role("button", name="Nästa").click()
    phone.wait_for_url(re.compile(r"/steg/3$"))
    expect_banner(phone)
    phone.get_by_label("Önskade tider").fill("Tisdagar")
    phone.get_by_role("button", name="Nästa").click()
    phone.wait_for_url(re.compile(r"/steg/4$"))
    expect_banner(phone)
    phone.get_by_role("button", name="Nästa").click()

    phone.wait_for_url(re.compile(r"/sammanfattning$"))
    expect_banner(phone)
    expect(phone.locator("main")).to_contain_text("Rullstol")
    assert_accessible(phone, "test mode, summary")
    shot(phone, "05-summary-phone")
    phone.get_by_role("button", name="Skicka in").click()

    expect(phone.locator("h1")).to_have_text("Testet är klart: ansökan skickades inte in")
    expect_banner(phone)
    expect(phone.get_by_role("heading", name="Så här skulle ansökan ha sett ut")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Test Testsson")
    assert_accessible(phone, "test mode, receipt")
    shot(phone, "06-receipt-phone")

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
