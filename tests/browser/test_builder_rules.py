"""The builder's rule sections in a real browser: the notification matrix with its texts, an error
and a preview; a retention rule counted before it is saved. Every page passes axe."""

from __future__ import annotations

import datetime as dt
import re

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from sqlalchemy import select

from shared import clock, notify
from shared.db import db
from shared.models import (
    Channel,
    NotificationEvent,
    NotificationSetting,
    Recipient,
    RetentionRule,
    StatusKind,
)
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shots_named

shot = shots_named("rules")


def test_a_builder_sets_notifications_with_a_text_an_error_and_a_preview(live, page, staff_login):
    factories.builder("byggare")
    eservice = factories.eservice(name="Skolskjuts", slug="skolskjuts")
    notify.default_notification_settings(eservice)
    db.session.commit()
    staff_login(page, "byggare")
    url = f"{live.admin}/byggare/etjanster/{eservice.id}/notifieringar"

    page.goto(url)
    expect(page.locator("h1")).to_contain_text("Notifieringsinställningar")
    shot(page, "notifications")
    assert_accessible(page, context="notification settings", include="main")

    # A switch by its accessible name; a text with an unknown placeholder.
    page.get_by_label("Byte av status: Den sökande, SMS").check()
    page.locator("#texts-status_changed summary").click()
    page.fill("#f-text-status_changed-applicant-sms", "Ärende {arendenr}: {status}")
    page.get_by_role("button", name="Spara").first.click()
    summary = page.locator(".bo-error-summary")
    expect(summary).to_contain_text("okänd platshållare {arendenr}")
    expect(page.locator("#f-text-status_changed-applicant-sms")).to_have_value("Ärende {arendenr}: {status}")
    expect(page.get_by_label("Byte av status: Den sökande, SMS")).to_be_checked()
    shot(page, "notifications-error")
    assert_accessible(page, context="notification settings, error", include="main")

    # Corrected, previewed for an example case, then saved.
    page.fill("#f-text-status_changed-applicant-sms", "Ärende {arendenummer}: {status}")
    page.get_by_role("button", name=re.compile(r"Förhandsgranska\W*Byte av status")).click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Ärende 123456: Inskickat")
    shot(page, "notifications-preview")
    assert_accessible(page, context="notification settings, preview", include="main")
    page.get_by_role("button", name="Spara").first.click()
    expect(page.locator(".alert-success")).to_contain_text("har sparats")

    db.session.expire_all()
    sms = db.session.scalar(
        select(NotificationSetting).where(
            NotificationSetting.eservice_id == eservice.id,
            NotificationSetting.event == NotificationEvent.STATUS_CHANGED,
            NotificationSetting.recipient == Recipient.APPLICANT,
            NotificationSetting.channel == Channel.SMS,
        )
    )
    assert sms.enabled and sms.body == "Ärende {arendenummer}: {status}"


def test_a_builder_counts_a_retention_rule_before_saving_it(live, page, staff_login):
    factories.builder("byggare")
    eservice = factories.eservice(name="Skolskjuts", slug="skolskjuts")
    for days_ago in (400, 200, 10):
        factories.case(
            eservice, status_kind=StatusKind.COMPLETED, status_changed_at=clock.now() - dt.timedelta(days=days_ago)
        )
    db.session.commit()
    staff_login(page, "byggare")
    base = f"{live.admin}/byggare/etjanster/{eservice.id}/gallring"

    page.goto(base)
    assert_accessible(page, context="retention rules, empty", include="main")
    page.get_by_role("link", name="Lägg till gallringsregel").click()
    page.get_by_role("combobox", name="Status").select_option(label="Klart")
    page.get_by_label("Dagar i statusen").fill("100")
    page.get_by_role("button", name="Räkna ärenden").click()
    expect(page.locator("#preview")).to_contain_text("2 ärenden skulle gallras i natt")
    expect(page.get_by_label("Dagar i statusen")).to_have_value("100")
    shot(page, "retention-preview")
    assert_accessible(page, context="retention rule, preview", include="main")

    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".alert-success")).to_contain_text("Gallringsregeln har lagts till.")
    expect(page.locator(".bo-retention-rules")).to_contain_text("2 ärenden skulle gallras i natt")
    shot(page, "retention-list")
    assert_accessible(page, context="retention rules", include="main")
    db.session.expire_all()
    assert db.session.scalar(select(RetentionRule)).days == 100
