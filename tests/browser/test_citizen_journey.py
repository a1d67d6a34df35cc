"""The whole citizen journey in Chromium (issue 4, "Tests"): find Specialkost in the catalogue, read
its personal-data text, log in with e-ID through the real OpenID Connect redirect flow (against
oidc-provider-mock on 127.0.0.1), fill the form with the medical follow-up and a certificate,
save it, resume it on Mina sidor, send it in, get the receipt, open a handler's message from the
notification's deep link and answer it. axe-core checks each page of the portal on the way.

The portal is served by the real command, `etjanst serve --no-scheduler`, started as a process of its
own on a free port of 127.0.0.1 for this module (conftest's ``etjanst_serve``), configured through
ETJANST_* variables for this worker's test database and with e-ID login only, as in production: the
broker's settings given, the test login off. The handler's message is sent from the test's process
into the same database; nothing else here depends on the server's process (no mail is sent: the
notifications are checked as outbox rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from shared import notify
from shared.db import db
from shared.demo import definitions
from shared.models import (
    Case,
    Category,
    Citizen,
    Document,
    LegalBasis,
    Message,
    MessageDirection,
    NotificationEvent,
    OutboxMessage,
    StatusKind,
)
from shared.services import cases, messages
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE_VIEWPORT, etjanst_serve, new_page
from tests.oidc_provider import OIDCProvider, oidc_provider  # noqa: F401  (the e-ID broker fixture)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

MARIA = "19850709-9805"
CHILD = "20000101-2384"
HANDLER_TEXT = "Hej! Läkarintyget är mottaget. Gäller allergin även spår av nötter?"
REPLY_TEXT = "Hej! Ja, även spår av nötter. Köket får gärna ringa mig."

# Only the test's own servers: the mock's login page asks a CDN for its style sheet.
NOT_LOCAL = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z][a-z0-9+.-]*://")


@dataclass
class EidPortal:
    url: str


@pytest.fixture(scope="module")
def eid_portal(
    app,
    app_overrides: dict,
    oidc_provider: OIDCProvider,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EidPortal]:
    """`etjanst serve` with e-ID login through the mock (no test login), on 127.0.0.1 for this module.

    ``app`` first: the schema is migrated before the command starts.
    """
    eid = {f"ETJANST_{name}": value for name, value in oidc_provider.portal_settings().items()}
    folder = tmp_path_factory.mktemp("eid-serve")
    with etjanst_serve(app_overrides, folder, ETJANST_PORTAL_TEST_LOGIN="false", **eid) as (url, _process, _log):
        yield EidPortal(url=url)


def _local_only(context) -> None:
    context.route(NOT_LOCAL, lambda route: route.abort())


def _certificate_pdf() -> bytes:
    """A real one-page PDF, as a scanned or exported certificate would be."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text="Läkarintyg: Lisa Öljung, 20000101-2384")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(w=0, text="Lisa har en allergi mot gluten och nötter och behöver specialkost.")
    return bytes(pdf.output())


def _specialkost():
    """The demo's Specialkost e-service (its definition and personal-data text), here requiring e-ID."""
    hanna = factories.user("hanna", first_name="Hanna", last_name="Berg")
    food = Category(name="Mat och måltider", sort_order=1)
    db.session.add(food)
    eservice = factories.eservice(
        "Ansökan om specialkost",
        slug="specialkost",
        definition=definitions.SPECIALKOST,
        category=food,
        description="Ansök om specialkost i förskola och skola av medicinska, etiska eller religiösa skäl.",
        login_required=True,
        anonymous_allowed=False,
        summary_fields=["barn_namn", "enhet", "grund"],
        gdpr_categories=["namn", "personnummer", "e-post", "mobil"],
        gdpr_extra_categories="Uppgifter om hälsa (allergier, läkarintyg)",
        gdpr_purpose="Uppgifterna används för att kosthandläggaren ska kunna beställa rätt specialkost.",
        gdpr_legal_bases=[LegalBasis.PUBLIC_INTEREST.value],
        gdpr_retention="Ärendet gallras två år efter att det avslutats.",
        controller_name="Kostnämnden",
        controller_email="kost@exempelby.se",
        handlers=[hanna],
    )
    notify.default_notification_settings(eservice)
    factories.eservice("Skolskjuts – ansökan", slug="skolskjuts", description="Ansök om skolskjuts.")
    db.session.commit()
    return eservice, hanna


def _log_in_at_broker(page, sub: str) -> None:
    """The person's part at the e-ID broker (the mock's page): type who you are, press Authorize."""
    page.wait_for_selector('input[name="sub"]')
    page.fill('input[name="sub"]', sub)
    page.get_by_role("button", name="Authorize").click()


def _on_live_server(link: str, base: str) -> str:
    """The notification's link, on the server's host (the test's process, which queued it, has another PORTAL_URL)."""
    parts, server = urlsplit(link), urlsplit(base)
    return urlunsplit((server.scheme, server.netloc, parts.path, parts.query, parts.fragment))


def _draft_id(url: str) -> int:
    return int(re.search(r"/ansokan/(\d+)", url).group(1))


def test_the_citizen_journey_from_catalogue_to_reply(
    eid_portal,
    ctx,
    browser,
    page,
    oidc_provider,  # noqa: F811  (the fixture imported above)
    screenshot,
    tmp_path,
):
    base = eid_portal.url
    eservice, hanna = _specialkost()
    oidc_provider.person("maria", MARIA, given_name="Maria", family_name="Öljung")
    certificate = tmp_path / "lakarintyg.pdf"
    certificate.write_bytes(_certificate_pdf())
    _local_only(page.context)

    # -- The catalogue: search for specialkost. -----------------------------------------------
    page.goto(base + "/")
    expect(page.get_by_role("link", name="Skolskjuts – ansökan")).to_be_visible()
    assert_accessible(page, "catalogue")
    page.get_by_label("Sök bland e-tjänsterna").fill("specialkost")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url(re.compile(r"\?q=specialkost"))
    expect(page.get_by_role("link", name="Ansökan om specialkost")).to_be_visible()
    expect(page.get_by_role("link", name="Skolskjuts – ansökan")).to_have_count(0)
    assert_accessible(page, "catalogue, search for specialkost")
    screenshot(page, "catalogue-search")

    # -- The e-service's start page: the personal-data block before Starta e-tjänsten. -------------
    page.get_by_role("link", name="Ansökan om specialkost").click()
    page.wait_for_url(base + "/e-tjanster/specialkost")
    personal_data = page.locator("section.personal-data")
    expect(personal_data).to_be_visible()
    expect(personal_data.get_by_role("heading", name="Behandling av personuppgifter")).to_be_visible()
    for text in ("Uppgifter om hälsa", "kosthandläggaren", "Kostnämnden", "kost@exempelby.se", "gallras två år"):
        expect(personal_data).to_contain_text(text)
    start = page.get_by_role("link", name="Starta e-tjänsten")
    # The personal-data text comes before the button in the reading order.
    assert page.evaluate(
        "([a, b]) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)",
        [personal_data.element_handle(), start.element_handle()],
    )
    assert_accessible(page, "e-service start page")
    screenshot(page, "eservice")

    # -- Starta e-tjänsten: e-ID login at the broker, the real redirect flow. ---------------------
    start.click()
    page.wait_for_url(re.compile(re.escape(oidc_provider.url) + r"/oauth2/authorize\?"))
    screenshot(page, "broker-login")
    _log_in_at_broker(page, "maria")
    page.wait_for_url(base + "/e-tjanster/specialkost/ansokan")
    expect(page.locator(".flashes")).to_contain_text("Maria Öljung")
    citizen = db.session.scalar(select(Citizen).where(Citizen.personnummer == MARIA.replace("-", "")))
    assert citizen is not None and citizen.first_name == "Maria"
    db.session.commit()  # no read transaction of ours stays open while the live server writes

    # -- Step 1: the child. -------------------------------------------------------------------------
    expect(page.locator("h1")).to_have_text("Barnet")
    expect(page.locator(".apply-progress__count")).to_have_text("Steg 1 av 4")
    assert_accessible(page, "step 1")
    page.get_by_label("Barnets namn").fill("Lisa Öljung")
    page.get_by_label("Barnets personnummer").fill(CHILD)
    page.get_by_label("Förskola eller skola").select_option("forskolan_tallen")
    screenshot(page, "step-1")
    page.get_by_role("button", name="Nästa", exact=True).click()
    page.wait_for_url(re.compile(r"/ansokan/\d+/steg/2$"))
    draft_id = _draft_id(page.url)

    # -- Step 2: medical reasons bring up the certificate; attach it; save for later. -------------
    expect(page.locator("h1")).to_have_text("Specialkost")
    certificate_group = page.locator("#q-intyg-group")
    expect(certificate_group).to_be_hidden()
    page.get_by_label("Medicinska skäl").check()
    expect(certificate_group).to_be_visible()
    expect(page.locator("#q-intyg_info-group")).to_contain_text("läkarintyg")
    page.get_by_label("Glutenfri").check()
    page.get_by_label("Fri från nötter").check()
    page.get_by_label("Beskriv allergin eller kosten").fill("Celiaki och nötallergi.")
    page.set_input_files("#q-intyg", str(certificate))
    assert_accessible(page, "step 2 with the medical follow-up")
    screenshot(page, "step-2")
    page.get_by_role("button", name="Spara och fortsätt senare").click()
    page.wait_for_url(base + f"/ansokan/{draft_id}/sparad")
    expect(page.locator("h1")).to_have_text("Din ansökan är sparad")
    assert_accessible(page, "saved")
    screenshot(page, "saved")

    db.session.expire_all()
    draft = db.session.get(Case, draft_id)
    assert draft.is_draft and draft.citizen_id == citizen.id
    assert draft.answers["grund"] == "medicinsk" and set(draft.answers["kost"]) == {"gluten", "notter"}
    assert [f["name"] for f in draft.answers["intyg"]] == ["lakarintyg.pdf"]
    db.session.commit()

    # -- Mina sidor shows the draft; resume it. ------------------------------------------------------
    page.get_by_role("link", name="Gå till Mina sidor").click()
    page.wait_for_url(base + "/mina-sidor")
    saved = page.locator("section", has=page.get_by_role("heading", name="Sparade ansökningar"))
    expect(saved).to_contain_text("Ansökan om specialkost")
    assert_accessible(page, "Mina sidor with a saved application")
    screenshot(page, "mypages-draft")
    saved.get_by_role("link", name=re.compile(r"^Fortsätt")).click()

    # The first step with something missing: the contact details.
    page.wait_for_url(base + f"/ansokan/{draft_id}/steg/3")
    expect(page.locator("h1")).to_have_text("Kontaktuppgifter")
    # Back to step 2: everything given there, the certificate too, is still there.
    page.get_by_role("button", name="Föregående").click()
    page.wait_for_url(base + f"/ansokan/{draft_id}/steg/2")
    expect(page.get_by_label("Medicinska skäl")).to_be_checked()
    expect(page.get_by_label("Fri från nötter")).to_be_checked()
    expect(certificate_group.locator(".attached-files")).to_contain_text("lakarintyg.pdf")
    page.get_by_role("button", name="Nästa", exact=True).click()
    page.wait_for_url(base + f"/ansokan/{draft_id}/steg/3")

    # -- Step 3: contact details; then the summary. ----------------------------------------------
    page.get_by_label("Vårdnadshavares namn").fill("Maria Öljung")
    page.get_by_label("E-postadress").fill("maria@example.org")
    page.get_by_label("Mobilnummer").fill("070-123 45 67")
    assert_accessible(page, "step 3")
    screenshot(page, "step-3")
    page.get_by_role("button", name="Nästa", exact=True).click()
    page.wait_for_url(base + f"/ansokan/{draft_id}/sammanfattning")
    expect(page.locator("h1")).to_have_text("Sammanfattning")
    main = page.locator("main")
    for text in (
        "Lisa Öljung",
        "Förskolan Tallen",
        "Medicinska skäl",
        "Glutenfri",
        "lakarintyg.pdf",
        "maria@example.org",
    ):
        expect(main).to_contain_text(text)
    assert_accessible(page, "summary")
    screenshot(page, "summary")

    # -- Skicka in: the receipt with the case number. ----------------------------------------------
    page.get_by_role("button", name="Skicka in").click()
    page.wait_for_url(base + f"/kvittens/{draft_id}")
    expect(page.locator("h1")).to_have_text("Din ansökan är inskickad")
    db.session.expire_all()
    case = db.session.get(Case, draft_id)
    assert case.number is not None and case.status.kind == StatusKind.SUBMITTED
    assert case.citizen_id == citizen.id and case.answers["barn_namn"] == "Lisa Öljung"
    certificate_doc = db.session.scalar(select(Document).where(Document.case_id == case.id))
    assert certificate_doc.filename == "lakarintyg.pdf" and certificate_doc.question_id == "intyg"
    number = str(case.number)
    db.session.commit()
    expect(page.locator(".apply-receipt__number")).to_have_text(number)
    assert_accessible(page, "receipt")
    screenshot(page, "receipt")

    # -- Mina sidor lists the case; no saved application is left. ----------------------------------
    page.get_by_role("link", name="Mina sidor", exact=True).click()
    page.wait_for_url(base + "/mina-sidor")
    my_cases = page.locator("section", has=page.get_by_role("heading", name="Mina ärenden"))
    expect(my_cases.locator(".mp-card")).to_have_count(1)
    expect(my_cases).to_contain_text(number)
    expect(my_cases).to_contain_text("Ansökan om specialkost")
    expect(page.locator("section", has=page.get_by_role("heading", name="Sparade ansökningar"))).not_to_contain_text(
        "Ansökan om specialkost"
    )
    assert_accessible(page, "Mina sidor with the case")
    screenshot(page, "mypages-case")

    # -- A handler writes; the notification's link opens that message, here after a fresh login. ---
    cases.take_case(case.id, actor=hanna)
    message = messages.send_message(case.id, HANDLER_TEXT, actor=hanna)
    link = db.session.scalar(
        select(OutboxMessage.link).where(
            OutboxMessage.event == str(NotificationEvent.MESSAGE_TO_APPLICANT),
            OutboxMessage.recipient_citizen_id == citizen.id,
            OutboxMessage.case_id == case.id,
        )
    )
    db.session.commit()
    assert link and link.endswith(f"/mina-sidor/arenden/{case.id}?meddelande={message.id}#meddelande-{message.id}")

    # The e-mail is opened on another device (a phone): not logged in there yet.
    with new_page(browser, viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True) as mobile:
        _local_only(mobile.context)
        mobile.goto(_on_live_server(link, base))
        mobile.wait_for_url(re.compile(re.escape(oidc_provider.url) + r"/oauth2/authorize\?"))
        _log_in_at_broker(mobile, "maria")
        mobile.wait_for_url(re.compile(re.escape(base) + rf"/mina-sidor/arenden/{case.id}\?meddelande={message.id}"))
        shown = mobile.locator(f"#meddelande-{message.id}")
        expect(shown).to_have_attribute("aria-current", "true")
        expect(shown).to_have_class(re.compile(r"\bmp-message--focus\b"))
        expect(shown).to_be_focused()
        expect(shown).to_contain_text(HANDLER_TEXT)
        expect(shown).to_be_in_viewport()
        assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
        assert_accessible(mobile, "case page opened from the notification's link")
        screenshot(mobile, "message-deep-link")
        db.session.expire_all()
        assert db.session.get(Message, message.id).read_at is not None
        db.session.commit()

        # -- The reply. ------------------------------------------------------------------------------
        mobile.get_by_label("Ditt meddelande till handläggaren").fill(REPLY_TEXT)
        mobile.get_by_role("button", name="Skicka meddelande").click()
        mobile.wait_for_url(re.compile(re.escape(base) + rf"/mina-sidor/arenden/{case.id}"))
        expect(mobile.locator(".mp-thread")).to_contain_text(REPLY_TEXT)
        assert_accessible(mobile, "case page after the reply")
        screenshot(mobile, "replied")

    db.session.expire_all()
    replies = db.session.scalars(
        select(Message).where(Message.case_id == case.id, Message.direction == MessageDirection.FROM_APPLICANT)
    ).all()
    assert [(m.body, m.author_citizen_id) for m in replies] == [(REPLY_TEXT, citizen.id)]
    # The handler is told about the reply.
    assert db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.event == str(NotificationEvent.MESSAGE_FROM_APPLICANT), OutboxMessage.case_id == case.id
        )
    ).all()
