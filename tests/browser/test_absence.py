"""Absence and the group mailbox in a real browser (F-GRP-3): Hanna sets her absence with
forwarding (first with an error), the applicant writes, Gun takes the message over from
Skolskjutsgruppen's mailbox and answers; an administrator's Frånvarohantering. Each page's
main content passes axe (WCAG 2.1 AA; FAB's navbar is left out, as in the other back-office
browser tests); the screenshots are in /tmp/shots/absence/.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

import pytest

from shared import clock
from shared.db import db
from shared.services import messages
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import Screenshots

SHOTS = Path("/tmp/shots/absence")
DAY = dt.timedelta(days=1)
AUTO_REPLY = "Jag är på kurs och tillbaka om en vecka. Skolskjutsgruppen svarar under tiden."
ANSWER = "Hej Maria! Vi har fått intyget och återkommer med beslut i veckan. Hälsningar Gun"


@pytest.fixture
def shots() -> Screenshots:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return Screenshots(SHOTS)


def test_absence_forwarding_and_taking_over_from_the_group_mailbox(live, page, shots, staff_login):
    world = factories.world()
    world.group.members.append(factories.GroupMember(user=world.hanna))
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna], applicant_name="Maria Öljung")
    db.session.commit()
    today = clock.today()

    # Hanna: Frånvaro och brevlådor → Min frånvaro; a last day before the first is refused.
    staff_login(page, "hanna")
    page.goto(live.admin + "/franvaro/")
    expect(page.locator("h1")).to_have_text("Min frånvaro")
    assert_accessible(page, "Min frånvaro, no absence yet", include="main")
    shots(page, "min-franvaro")
    page.fill("#starts_on", f"{today + 3 * DAY:%Y-%m-%d}")
    page.fill("#ends_on", f"{today:%Y-%m-%d}")
    page.select_option("#forward_to_group_id", label="Skolskjutsgruppen")
    page.fill("#auto_reply", AUTO_REPLY)
    page.get_by_role("button", name="Spara frånvaro").click()
    expect(page.locator("#error-summary")).to_contain_text("Sista dagen kan inte vara före första dagen.")
    expect(page.locator("#ends_on")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#auto_reply")).to_have_value(AUTO_REPLY)  # nothing typed is lost
    expect(page.locator("#forward_to_group_id")).to_have_value(str(world.group.id))
    assert_accessible(page, "Min frånvaro with an error", include="main")
    shots(page, "min-franvaro-fel")

    page.fill("#starts_on", f"{today:%Y-%m-%d}")
    page.fill("#ends_on", f"{today + 7 * DAY:%Y-%m-%d}")
    page.get_by_role("button", name="Spara frånvaro").click()
    expect(page.locator(".alert-success")).to_contain_text("Din frånvaro är sparad.")
    expect(page.locator(".bo-absence-now")).to_contain_text(f"Du är frånvarande t.o.m. {today + 7 * DAY:%Y-%m-%d}")
    expect(page.locator("table.bo-absences tbody tr")).to_have_count(1)
    assert_accessible(page, "Min frånvaro with the current absence", include="main")
    shots(page, "min-franvaro-sparad")

    # The applicant writes while Hanna is away: the message goes to Skolskjutsgruppen.
    message = messages.reply_as_citizen(case.id, "Här kommer intyget från skolan.", citizen=world.citizen)
    assert message.forwarded_to_group_id == world.group.id

    # Gun: the start page counts it; the mailbox lists it; Ta över opens it in the case.
    staff_login(page, "gun")
    page.goto(live.admin + "/start/")
    expect(page.locator(f'.bo-start-mailboxes li[data-group="{world.group.id}"]')).to_contain_text(
        "1 meddelande väntar på att tas över."
    )
    page.locator(f'.bo-start-mailboxes li[data-group="{world.group.id}"] a').click()
    expect(page.locator("h1")).to_have_text("Gruppbrevlåda Skolskjutsgruppen")
    row = page.locator(f'tr[data-message="{message.id}"]')
    expect(row).to_contain_text(str(case.number))
    expect(row).to_contain_text("Hanna Berg")
    expect(row).to_contain_text("Här kommer intyget från skolan.")
    assert_accessible(page, "group mailbox", include="main")
    shots(page, "gruppbrevlada")

    row.get_by_role("button", name=re.compile("^Ta över")).click()
    expect(page).to_have_url(re.compile(rf"/arenden/{case.id}/meddelanden#meddelande-{message.id}$"))
    expect(page.locator(".alert-success")).to_contain_text("Du har tagit över meddelandet")
    expect(page.locator(".bo-case-handlers")).to_contain_text("Gun Ström")
    # (The case view is another screen's; its own browser tests check it.)
    shots(page, "overtaget")
    page.fill("textarea[name=body]", ANSWER)
    page.locator(".bo-message-form button[type=submit]").click()
    expect(page.get_by_text(ANSWER)).to_be_visible()
    shots(page, "besvarat")

    page.goto(live.admin + f"/gruppbrevlada/{world.group.id}")
    expect(page.locator(f'tr[data-message="{message.id}"]')).to_contain_text("Gun Ström")
    expect(page.locator(".bo-mailbox-count")).to_have_attribute("data-count", "0")
    shots(page, "gruppbrevlada-overtaget")

    # An administrator: Frånvarohantering lists Hanna's absence; set one for Olle (sick leave).
    staff_login(page, "admin")
    page.goto(live.admin + "/franvaro/hantera")
    expect(page.locator("table.bo-absences")).to_contain_text("Hanna Berg")
    page.select_option("#user_id", label="Olle Ek")
    page.get_by_role("button", name="Välj", exact=True).click()
    expect(page.locator("h3")).to_contain_text("Frånvaro för Olle Ek")
    page.fill("#ends_on", f"{today + 2 * DAY:%Y-%m-%d}")
    page.select_option("#forward_to_group_id", label="Skolskjutsgruppen")
    assert_accessible(page, "Frånvarohantering, the form for a colleague", include="main")
    shots(page, "franvarohantering-formular")
    page.get_by_role("button", name="Spara frånvaro").click()
    expect(page.locator(".alert-success")).to_contain_text("Frånvaron för Olle Ek är sparad.")
    expect(page.locator("table.bo-absences tbody tr")).to_have_count(2)
    assert_accessible(page, "Frånvarohantering with two absences", include="main")
    shots(page, "franvarohantering")
