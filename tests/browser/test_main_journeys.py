"""The main journeys as one connected story in Chromium (issue 9, item 4), with axe-core on every
page landed on (the portal's whole page; the back office's main content, as its other browser
tests check it; the page frame has its own test):

1. Maria logs in on the portal and applies for Skolskjuts (the demo's form); the receipt.
2. The case goes to Skolskjutsgruppen; Gun, a member, takes it, writes to Maria and hands the case
   back to the group with the message (Fördela till gruppen efter svar).
3. Maria reads the message on Mina sidor and answers.
4. Gun takes the case again, gives Olle a subtask, and closes the case while the subtask is open:
   the warning, then the subtask is resolved and the case closed.
5. The builder changes the text of a notification and publishes a new version of the form.
6. The administrator sets an absence with forwarding to the group for Gun.

The citizen and the staff use browser contexts of their own (as two people on two computers).

Both apps are served by the real command, `etjanst serve --no-scheduler`, running as a process of its
own on a free port of 127.0.0.1 (conftest's ``served``, configured through ETJANST_* variables for
this worker's test database); the test reads and writes the same database from its own process.
Nothing here depends on the server's process otherwise: no mail is sent (notifications wait in the
outbox, which no scheduler dispatches) and the clock is the real one in both processes.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from sqlalchemy import select

from shared import clock, notify
from shared.db import db
from shared.demo import definitions
from shared.models import (
    Absence,
    Case,
    EServiceVersion,
    Message,
    MessageDirection,
    NotificationEvent,
    NotificationSetting,
    Recipient,
    StatusKind,
    Subtask,
    SubtaskStatus,
    VersionState,
)
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP_VIEWPORT, new_page

MARIA = "19850709-9805"
PUPIL = "20000101-2384"
REASON = "Eleven har en rörelsenedsättning och kan inte gå till busshållplatsen."
TO_MARIA = "Hej Maria! Vi behöver ett intyg från skolan om Elsas behov. Hälsningar Gun"
FROM_MARIA = "Hej! Intyget kommer från skolan i veckan."
SUBTASK = "Bedöm trafiksäkerheten på vägen till skolan"
SUBJECT = "Nytt meddelande i ärende {arendenummer}"
NEW_QUESTION = "Behöver eleven ledsagare?"
DAY = dt.timedelta(days=1)


@pytest.fixture
def live(served):
    """This module's journeys (and its login fixtures) run against the `etjanst serve` process."""
    return served


def _world():
    """The demo's Skolskjuts (its form), handled by Skolskjutsgruppen (Gun) and Olle; new cases go to the group."""
    gun = factories.user("gun", first_name="Gun", last_name="Ström")
    olle = factories.user("olle", first_name="Olle", last_name="Ek")
    group = factories.group("Skolskjutsgruppen", members=[gun])
    eservice = factories.eservice(
        "Skolskjuts – ansökan",
        slug="skolskjuts",
        definition=definitions.SKOLSKJUTS,
        description="Ansök om skolskjuts för ditt barn i grundskolan.",
        login_required=True,
        subtasks_enabled=True,
        summary_fields=["elev_namn", "elev_personnummer", "skola"],
        handlers=[olle],
        groups=[group],
        default_group=group,
    )
    notify.default_notification_settings(eservice)
    factories.builder("byggare")
    factories.admin("admin")
    citizen = factories.citizen(MARIA, first_name="Maria", last_name="Öljung", email="maria@example.org")
    db.session.commit()
    return eservice, group, gun, olle, citizen


def _case_id(url: str) -> int:
    return int(re.search(r"/ansokan/(\d+)", url).group(1))


def _handlers(case_id: int) -> list[tuple[int | None, int | None]]:
    """Who holds the case now, as (user id, group id) pairs, read afresh."""
    db.session.expire_all()
    held = [(h.user_id, h.group_id) for h in db.session.get(Case, case_id).handlers]
    db.session.commit()  # no read transaction of ours stays open while the live server writes
    return held


def test_apply_handle_in_a_group_answer_close_build_and_set_absence(
    live, browser, page, citizen_login, staff_login, screenshot
):
    eservice, group, gun, olle, citizen = _world()
    citizen_page = page
    start = clock.today() + 14 * DAY

    # -- 1. Maria applies for Skolskjuts. -----------------------------------------------------------
    citizen_login(citizen_page, citizen)
    assert_accessible(citizen_page, "Mina sidor, nothing yet")
    citizen_page.goto(live.url + "/e-tjanster/skolskjuts")
    expect(citizen_page.locator("h1")).to_contain_text("Skolskjuts – ansökan")
    assert_accessible(citizen_page, "Skolskjuts, start page")
    citizen_page.get_by_role("link", name="Starta e-tjänsten").click()
    expect(citizen_page.locator("h1")).to_have_text("Elev")
    assert_accessible(citizen_page, "Skolskjuts, step 1")
    citizen_page.get_by_label("Elevens namn").fill("Elsa Öljung")
    citizen_page.get_by_label("Elevens personnummer").fill(PUPIL)
    citizen_page.get_by_label("Skola").select_option(label="Alneskolan")
    citizen_page.get_by_label("Årskurs").fill("2")
    screenshot(citizen_page, "skolskjuts-steg-1")
    citizen_page.get_by_role("button", name="Nästa", exact=True).click()
    citizen_page.wait_for_url(re.compile(r"/ansokan/\d+/steg/2$"))
    case_id = _case_id(citizen_page.url)

    # Step 2: taxi brings up the question about why.
    expect(citizen_page.locator("h1")).to_have_text("Skolskjuts")
    reason = citizen_page.get_by_label("Skäl till anpassad skolskjuts")
    expect(reason).to_be_hidden()
    citizen_page.get_by_label("Anpassad skolskjuts (taxi)").check()
    expect(reason).to_be_visible()
    reason.fill(REASON)
    citizen_page.get_by_label("Önskat startdatum för skolskjuts").fill(start.isoformat())
    citizen_page.get_by_label("Avstånd hem–skola (km)").fill("4,5")
    citizen_page.get_by_label("Vårdnadshavares telefon").fill("070-123 45 67")
    assert_accessible(citizen_page, "Skolskjuts, step 2 with the follow-up question")
    screenshot(citizen_page, "skolskjuts-steg-2")
    citizen_page.get_by_role("button", name="Nästa", exact=True).click()
    citizen_page.wait_for_url(re.compile(rf"/ansokan/{case_id}/sammanfattning$"))
    summary = citizen_page.locator("main")
    for text in ("Elsa Öljung", "Alneskolan", "Anpassad skolskjuts (taxi)", REASON):
        expect(summary).to_contain_text(text)
    assert_accessible(citizen_page, "Skolskjuts, summary")
    screenshot(citizen_page, "skolskjuts-sammanfattning")
    citizen_page.get_by_role("button", name="Skicka in").click()
    citizen_page.wait_for_url(re.compile(rf"/kvittens/{case_id}$"))
    expect(citizen_page.locator("h1")).to_have_text("Din ansökan är inskickad")
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    number = str(case.number)
    assert case.status.kind == StatusKind.SUBMITTED and case.citizen_id == citizen.id
    assert case.answers["typ"] == "taxi" and case.answers["skal_taxi"] == REASON
    db.session.commit()
    expect(citizen_page.locator(".apply-receipt__number")).to_have_text(number)
    assert_accessible(citizen_page, "Skolskjuts, receipt")
    screenshot(citizen_page, "skolskjuts-kvittens")
    # Nobody in person: the e-service's group holds it.
    assert _handlers(case_id) == [(None, group.id)]

    with new_page(browser, viewport=DESKTOP_VIEWPORT) as staff:
        # -- 2. Gun, in the group, takes the case, writes, and hands it back to the group. -----------
        staff_login(staff, "gun")
        staff.goto(live.admin + "/arenden/?tab=mina")
        expect(staff.locator("a[data-tab=mina]")).to_have_attribute("aria-current", "page")
        row = staff.locator(f'tr[data-case="{number}"]')
        expect(row).to_contain_text("Skolskjutsgruppen")
        assert_accessible(staff, "overview, Mine with the group's case", include="main")
        screenshot(staff, "oversikt-mina")
        row.get_by_role("link", name=number, exact=True).click()
        expect(staff.locator(".bo-case-number")).to_have_text(number)
        expect(staff.locator(".bo-case-handlers")).to_contain_text("Skolskjutsgruppen")
        assert_accessible(staff, "case, held by the group", include="main")
        screenshot(staff, "arendet-gruppen")

        staff.locator(f'.bo-case-handlers form[action$="/arenden/{case_id}/ta"] button').click()
        expect(staff.locator(".alert-success")).to_be_visible()
        expect(staff.locator(".bo-case-handlers")).to_contain_text("Gun Ström")
        assert_accessible(staff, "case, taken by Gun", include="main")
        assert _handlers(case_id) == [(gun.id, None)]

        staff.locator(f'.bo-case-tabs a[href$="/arenden/{case_id}/meddelanden"]').click()
        expect(staff.locator("#new-message-heading")).to_be_visible()
        assert_accessible(staff, "messages, empty", include="main")
        staff.fill("textarea[name=body]", TO_MARIA)
        staff.get_by_label("Fördela till gruppen efter svar").select_option(label="Skolskjutsgruppen")
        screenshot(staff, "meddelande-fordela")
        staff.locator(".bo-message-form button[type=submit]").click()
        expect(staff.locator(".alert-success")).to_contain_text(
            "Meddelandet är skickat och ärendet är fördelat till Skolskjutsgruppen."
        )
        expect(staff.get_by_text(TO_MARIA)).to_be_visible()
        expect(staff.locator(".bo-case-handlers")).not_to_contain_text("Gun Ström")
        expect(staff.locator(".bo-case-handlers")).to_contain_text("Skolskjutsgruppen")
        assert_accessible(staff, "messages, sent and handed back", include="main")
        screenshot(staff, "meddelande-skickat")
        assert _handlers(case_id) == [(None, group.id)]

        # -- 3. Maria reads the message on Mina sidor and answers. -------------------------------------
        citizen_page.goto(live.url + "/mina-sidor")
        my_cases = citizen_page.locator("section", has=citizen_page.get_by_role("heading", name="Mina ärenden"))
        expect(my_cases).to_contain_text(number)
        assert_accessible(citizen_page, "Mina sidor with the case and an unread message")
        screenshot(citizen_page, "mina-sidor")
        citizen_page.goto(f"{live.url}/mina-sidor/arenden/{case_id}")
        expect(citizen_page.locator(".mp-thread")).to_contain_text(TO_MARIA)
        assert_accessible(citizen_page, "the case on Mina sidor with Gun's message")
        citizen_page.get_by_label("Ditt meddelande till handläggaren").fill(FROM_MARIA)
        citizen_page.get_by_role("button", name="Skicka meddelande").click()
        citizen_page.wait_for_url(re.compile(rf"/mina-sidor/arenden/{case_id}"))
        expect(citizen_page.locator(".mp-thread")).to_contain_text(FROM_MARIA)
        assert_accessible(citizen_page, "the case on Mina sidor after the answer")
        screenshot(citizen_page, "mina-sidor-svar")
        db.session.expire_all()
        thread = db.session.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.id)).all()
        assert [(m.direction, m.body) for m in thread] == [
            (MessageDirection.TO_APPLICANT, TO_MARIA),
            (MessageDirection.FROM_APPLICANT, FROM_MARIA),
        ]
        assert thread[0].read_at is not None
        db.session.commit()

        # -- 4. Gun takes it again, gives Olle a subtask, closes the case with the subtask open. -------
        staff.goto(f"{live.admin}/arenden/{case_id}/meddelanden")
        expect(staff.get_by_text(FROM_MARIA)).to_be_visible()
        staff.locator(f'.bo-case-handlers form[action$="/arenden/{case_id}/ta"] button').click()
        expect(staff.locator(".bo-case-handlers")).to_contain_text("Gun Ström")
        staff.goto(f"{live.admin}/arenden/{case_id}/deluppgifter")
        assert_accessible(staff, "Deluppgifter, none yet", include="main")
        staff.locator("a.bo-new-subtask").click()
        staff.fill("#subtask-title", SUBTASK)
        staff.fill("#subtask-deadline", (clock.today() + 3 * DAY).isoformat())
        staff.select_option("#subtask-responsible", str(olle.id))
        assert_accessible(staff, "Ny deluppgift", include="main")
        staff.locator(".bo-subtask-new button[type=submit]").click()
        expect(staff.locator(".alert-success")).to_be_visible()
        subtask_row = staff.locator("table.bo-subtasks tr[data-subtask]")
        expect(subtask_row).to_contain_text(SUBTASK)
        expect(subtask_row).to_contain_text("Olle Ek")
        assert_accessible(staff, "Deluppgifter with Olle's subtask", include="main")
        screenshot(staff, "deluppgift")

        staff.locator(f'.bo-case-tabs a[href$="/arenden/{case_id}"]').first.click()
        staff.locator('.bo-tools a[href*="verktyg=status"]').click()
        panel = staff.locator("#verktyg-panel")
        panel.get_by_label(re.compile(r"^\s*Klart\b")).check()
        assert_accessible(staff, "the status tool", include="main")
        panel.locator('form[action$="/status"] button[type=submit]').click()
        warning = staff.locator(".bo-close-subtasks")
        expect(warning).to_contain_text(SUBTASK)
        assert_accessible(staff, "the warning before closing with an open subtask", include="main")
        screenshot(staff, "avsluta-varning")
        warning.locator("form button[type=submit]").click()
        expect(staff.locator(".alert-success")).to_contain_text("Klart")
        expect(staff.locator(".bo-case-header")).to_contain_text("Klart")
        assert_accessible(staff, "the closed case", include="main")
        screenshot(staff, "klart")
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        assert case.status.name == "Klart" and case.closed_at is not None
        assert [(s.title, s.status) for s in db.session.scalars(select(Subtask))] == [(SUBTASK, SubtaskStatus.RESOLVED)]
        db.session.commit()

        # -- 5. The builder changes a notification's text and publishes a new version of the form. ----
        staff_login(staff, "byggare")
        staff.goto(f"{live.admin}/byggare/etjanster/{eservice.id}/notifieringar")
        expect(staff.locator("h1")).to_contain_text("Notifieringsinställningar")
        assert_accessible(staff, "notification settings", include="main")
        staff.locator(f"#texts-{NotificationEvent.MESSAGE_TO_APPLICANT.value} summary").click()
        subject = staff.locator(f"#f-text-{NotificationEvent.MESSAGE_TO_APPLICANT.value}-applicant-subject")
        subject.fill(SUBJECT)
        screenshot(staff, "notifieringstext")
        staff.get_by_role("button", name="Spara").first.click()
        expect(staff.locator(".alert-success")).to_contain_text("har sparats")
        expect(subject).to_have_value(SUBJECT)
        assert_accessible(staff, "notification settings, saved", include="main")
        db.session.expire_all()
        subjects = db.session.scalars(
            select(NotificationSetting.subject).where(
                NotificationSetting.eservice_id == eservice.id,
                NotificationSetting.event == NotificationEvent.MESSAGE_TO_APPLICANT,
                NotificationSetting.recipient == Recipient.APPLICANT,
            )
        ).all()
        assert SUBJECT in subjects
        db.session.commit()

        staff.goto(f"{live.admin}/byggare/etjanster/{eservice.id}/formular")
        expect(staff.locator("h1")).to_contain_text("Formulär och versioner")
        assert_accessible(staff, "form editor, versions", include="main")
        staff.get_by_role("button", name="Ny version").click()
        expect(staff.locator(".alert-success")).to_contain_text("Version 2 har skapats som utkast.")
        staff.get_by_role("link", name="Lägg till fråga i steget Skolskjuts").click()
        staff.get_by_label("Ja eller nej", exact=True).check()
        staff.get_by_role("button", name="Fortsätt").click()
        staff.fill("#f-label", NEW_QUESTION)
        assert_accessible(staff, "form editor, the new question", include="main")
        staff.get_by_role("button", name="Spara frågan").click()
        expect(staff.locator(".alert-success")).to_contain_text("Frågan har lagts till.")
        assert_accessible(staff, "form editor, version 2", include="main")
        staff.get_by_role("button", name="Publicera version 2").click()
        expect(staff.locator(".alert-success")).to_contain_text("Version 2 är publicerad")
        screenshot(staff, "version-2")
        db.session.expire_all()
        versions = db.session.scalars(
            select(EServiceVersion).where(EServiceVersion.eservice_id == eservice.id).order_by(EServiceVersion.number)
        ).all()
        assert [v.state for v in versions] == [VersionState.RETIRED, VersionState.PUBLISHED]
        labels = [q["label"] for step in versions[1].definition["steps"] for q in step["questions"]]
        assert NEW_QUESTION in labels
        db.session.commit()

        # The portal asks the new question at once.
        citizen_page.goto(live.url + "/e-tjanster/skolskjuts")
        citizen_page.get_by_role("link", name="Starta e-tjänsten").click()
        expect(citizen_page.locator("h1")).to_have_text("Elev")
        citizen_page.get_by_label("Elevens namn").fill("Nils Öljung")
        citizen_page.get_by_label("Elevens personnummer").fill(PUPIL)
        citizen_page.get_by_label("Skola").select_option(label="Bergsskolan")
        citizen_page.get_by_label("Årskurs").fill("4")
        citizen_page.get_by_role("button", name="Nästa", exact=True).click()
        expect(citizen_page.locator("main")).to_contain_text(NEW_QUESTION)
        assert_accessible(citizen_page, "Skolskjuts version 2, step 2")

        # -- 6. The administrator sets Gun's absence with forwarding to the group. ---------------------
        staff_login(staff, "admin")
        staff.goto(live.admin + "/franvaro/hantera")
        assert_accessible(staff, "Frånvarohantering", include="main")
        staff.select_option("#user_id", label="Gun Ström")
        staff.get_by_role("button", name="Välj", exact=True).click()
        expect(staff.locator("h3")).to_contain_text("Frånvaro för Gun Ström")
        staff.fill("#ends_on", f"{clock.today() + 5 * DAY:%Y-%m-%d}")
        staff.select_option("#forward_to_group_id", label="Skolskjutsgruppen")
        assert_accessible(staff, "Frånvarohantering, the form for Gun", include="main")
        screenshot(staff, "franvaro-formular")
        staff.get_by_role("button", name="Spara frånvaro").click()
        expect(staff.locator(".alert-success")).to_contain_text("Frånvaron för Gun Ström är sparad.")
        expect(staff.locator("table.bo-absences")).to_contain_text("Gun Ström")
        assert_accessible(staff, "Frånvarohantering with Gun's absence", include="main")
        screenshot(staff, "franvaro")

    db.session.expire_all()
    absence = db.session.scalar(select(Absence).where(Absence.user_id == gun.id))
    assert absence.forward_to_group_id == group.id
    assert absence.starts_on <= clock.today() and absence.ends_on == clock.today() + 5 * DAY
