"""The portal in a real browser: axe-core finds nothing against WCAG 2.1 A/AA on any page, the
pages fit a 375 px phone screen, and the keyboard can skip to the content and always shows focus.

Adding a page to the axe check is one line in PAGES: its path (``{placeholders}`` are filled
from the PortalWorld below), whether a citizen is logged in, the HTTP status to expect, a button
to press first (to check the page a form comes back as, errors and all), and the endpoint that
serves it (checked first, so a renamed route fails by its name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from shared.db import db
from shared.demo import definitions
from shared.models import Category, Citizen
from shared.services import messages
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE_VIEWPORT


@dataclass(frozen=True)
class PortalPage:
    name: str
    path: str  # str.format()-ed with the PortalWorld's fields
    login: bool = False  # log in first (test login) as the citizen who has a draft and a case
    status: int = 200
    requires: str | None = None  # the endpoint that serves the page (the test checks the portal has it)
    click: str | None = None  # a button to press on the page first; the page it leads to is checked

    def __str__(self) -> str:
        return self.name


PAGES = [
    PortalPage("start", "/"),
    PortalPage("start-search", "/?q=skolskjuts"),
    PortalPage("start-search-no-hits", "/?q=hundskatt"),
    PortalPage("start-logged-in", "/", login=True),
    PortalPage("start-english", "/?lang=en"),
    PortalPage("eservice", "/e-tjanster/{specialkost}"),
    PortalPage("eservice-login-required", "/e-tjanster/{skolskjuts}"),
    PortalPage("login", "/logga-in"),
    PortalPage("test-login", "/testinloggning"),
    PortalPage("logout", "/logga-ut", login=True),
    PortalPage("mypages", "/mina-sidor", login=True),
    PortalPage("mypages-case", "/mina-sidor/arenden/{case_id}", login=True, requires="mypages.case"),
    PortalPage(
        "mypages-message",
        "/mina-sidor/arenden/{case_id}?meddelande={message_id}#meddelande-{message_id}",
        login=True,
        requires="mypages.case",
    ),
    PortalPage(
        "mypages-reply-empty",
        "/mina-sidor/arenden/{case_id}",
        login=True,
        requires="mypages.reply",
        click="form[action$='/meddelanden'] [type=submit]",
    ),
    PortalPage("apply-start", "/e-tjanster/{specialkost}/ansokan", requires="apply.start"),
    PortalPage(
        "apply-start-errors",
        "/e-tjanster/{specialkost}/ansokan",
        requires="apply.start",
        click=".apply-actions button[value=next]",
    ),
    PortalPage("apply-step", "/ansokan/{draft_id}/steg/1", login=True, requires="apply.step"),
    PortalPage("apply-step-errors", "/ansokan/{draft_id}/steg/1?fel=1", login=True, requires="apply.step"),
    PortalPage("apply-step-2", "/ansokan/{draft_id}/steg/2", login=True, requires="apply.step"),
    PortalPage("apply-step-3", "/ansokan/{draft_id}/steg/3", login=True, requires="apply.step"),
    PortalPage("apply-saved", "/ansokan/{draft_id}/sparad", login=True, requires="apply.saved"),
    PortalPage("apply-summary", "/ansokan/{draft_id}/sammanfattning", login=True, requires="apply.summary"),
    PortalPage("apply-discard", "/ansokan/{draft_id}/ta-bort", login=True, requires="apply.discard"),
    PortalPage("receipt", "/kvittens/{case_id}", login=True, requires="apply.receipt"),
    PortalPage("accessibility-statement", "/tillganglighet"),
    PortalPage("privacy", "/personuppgifter"),
    PortalPage("not-found", "/finns-inte", status=404),
    PortalPage("eservice-not-found", "/e-tjanster/finns-inte", status=404),
]


@dataclass
class PortalWorld:
    citizen: Citizen
    specialkost: str  # slugs
    skolskjuts: str
    case_id: int  # the citizen's submitted Skolskjuts case, with a message from the handler
    message_id: int  # that message
    draft_id: int  # the citizen's saved Specialkost application

    def format(self, path: str) -> str:
        return path.format(**{k: v for k, v in vars(self).items() if k != "citizen"})


def portal_world() -> PortalWorld:
    """A small municipality: categories, e-services with their GDPR texts, a citizen with a case and a draft."""
    school = Category(name="Skola och förskola", description="Skolskjuts, specialkost och modersmål.", sort_order=1)
    safety = Category(name="Trygghet och omsorg", sort_order=2)
    db.session.add_all([school, safety])
    gdpr = {
        "gdpr_categories": ["namn", "personnummer", "e-post"],
        "gdpr_extra_categories": "Uppgifter om hälsa (allergier, läkarintyg)",
        "gdpr_legal_bases": ["public_interest"],
        "gdpr_retention": "Ärendet gallras två år efter att det avslutats.",
        "controller_name": "Barn- och utbildningsnämnden",
        "controller_email": "bun@exempelby.se",
    }
    handler = factories.user("hanna", first_name="Hanna", last_name="Berg")
    specialkost = factories.eservice(
        "Ansökan om specialkost",
        slug="specialkost",
        category=school,
        definition=definitions.SPECIALKOST,
        description="Ansök om specialkost i förskola och skola av medicinska, etiska eller religiösa skäl.",
        login_required=False,
        anonymous_allowed=True,
        summary_fields=["barn_namn"],
        **gdpr,
    )
    skolskjuts = factories.eservice(
        "Skolskjuts",
        slug="skolskjuts",
        category=school,
        description="Ansök om skolskjuts för ditt barn.",
        login_required=True,
        handlers=[handler],
        **gdpr,
    )
    factories.eservice("Larmavtal", category=safety, description="Trygghetslarm för dig som bor hemma.")
    factories.eservice("Felanmälan", anonymous_allowed=True, login_required=False)
    citizen = factories.citizen("19850709-9805", first_name="Maria", last_name="Öljung")
    case = factories.case(
        skolskjuts, citizen=citizen, users=[handler], applicant_name="Maria Öljung", external_number="BUN 2026/311"
    )
    draft = factories.case(specialkost, citizen=citizen, draft=True, answers={"barn_namn": "Elsa Öljung"})
    db.session.commit()
    message = messages.send_message(case.id, "Hej Maria! Vi behöver ett intyg från skolan.", actor=handler)
    return PortalWorld(citizen, specialkost.slug, skolskjuts.slug, case.id, message.id, draft.id)


def _page_text_size(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def open_page(live, page, citizen_login, target: PortalPage) -> PortalWorld:
    """Build the world, log in if the page asks for it, open the page (and press its button)."""
    assert not target.requires or target.requires in live.portal.view_functions, target.requires
    world = portal_world()
    if target.login:
        citizen_login(page, world.citizen)
    response = page.goto(live.url + world.format(target.path))
    assert response.status == target.status, (target.path, response.status)
    if target.click:
        with page.expect_navigation():
            page.locator(target.click).first.click()
    return world


@pytest.mark.parametrize("target", PAGES, ids=str)
def test_every_portal_page_passes_axe(live, page, citizen_login, screenshot, target: PortalPage):
    open_page(live, page, citizen_login, target)
    assert page.locator("h1").count() == 1, "one main heading per page"
    screenshot(page, target.name)
    assert_accessible(page, context=target.name)


def test_axe_check_fails_on_a_page_with_violations(live, page):
    """The check itself: a page with an unlabelled field, an image without text alternative and
    light grey text is caught, and the report names each rule and element."""
    page.goto(live.url + "/tillganglighet")
    page.evaluate(
        """() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
          '<input id="unnamed" type="text"><img id="pic" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">' +
          '<p id="faint">Svårläst</p>');
        document.getElementById('faint').style.color = '#c8c8c8';  // the CSP allows no style attribute
    }"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, context="a broken page")
    text = str(failure.value)
    for rule, element in (("label", "#unnamed"), ("image-alt", "#pic"), ("color-contrast", "#faint")):
        assert f"- {rule} (" in text, rule
        assert element in text, element
    assert "a broken page" in text


# -- a phone's screen ------------------------------------------------------------------------------

PHONE_PAGES = [
    PortalPage("start", "/"),
    PortalPage("eservice", "/e-tjanster/{specialkost}"),
    PortalPage("mypages", "/mina-sidor", login=True),
    PortalPage("mypages-case", "/mina-sidor/arenden/{case_id}", login=True, requires="mypages.case"),
    PortalPage(
        "apply-start-errors",
        "/e-tjanster/{specialkost}/ansokan",
        requires="apply.start",
        click=".apply-actions button[value=next]",
    ),
    PortalPage("apply-step-2", "/ansokan/{draft_id}/steg/2", login=True, requires="apply.step"),
    PortalPage("apply-summary", "/ansokan/{draft_id}/sammanfattning", login=True, requires="apply.summary"),
]
# The main ways on: buttons, the menu, the catalogue's e-services, the footer's links.
TAP_TARGETS = "main .button, main button, .site-nav a, .site-nav button, .eservice__name a, .site-footer a"
MIN_TAP = 44  # CSS pixels (WCAG 2.5.5; Apple's and Google's guidance)


@pytest.mark.parametrize("target", PHONE_PAGES, ids=str)
def test_pages_fit_a_phone_screen(live, phone_page, citizen_login, screenshot, target: PortalPage):
    page = phone_page
    open_page(live, page, citizen_login, target)
    shot = screenshot(page, f"375-{target.name}")
    assert shot.exists()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the page scrolls sideways: {width}px wide"
    overflowing = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
            .filter(el => !el.closest('.table-scroll'))
            .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > limit + 0.5; })
            .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))""",
        PHONE_VIEWPORT["width"],
    )
    assert not overflowing, f"cut off at the right edge: {overflowing}"
    assert _page_text_size(page) >= 16, "body text at least 16 px"

    small = page.evaluate(
        """([selector, min]) => Array.from(document.querySelectorAll(selector))
            .filter(el => el.offsetParent !== null && el.tabIndex >= 0 && !el.closest('[aria-hidden="true"]'))
            .map(el => [el.textContent.trim(), Math.round(el.getBoundingClientRect().height)])
            .filter(([, height]) => height < min)""",
        [TAP_TARGETS, MIN_TAP],
    )
    assert not small, f"tap targets lower than {MIN_TAP}px: {small}"
    assert_accessible(page, context=f"{target.name} at 375 px")


# -- the keyboard ----------------------------------------------------------------------------------


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _colours(css: str) -> list[tuple[int, int, int]]:
    """The opaque rgb() colours in a computed style value (e.g. a box-shadow)."""
    found = []
    for match in re.finditer(r"rgba?\(([^)]*)\)", css):
        parts = [p.strip() for p in match.group(1).replace("/", ",").split(",")]
        if len(parts) == 4 and float(parts[3]) < 1:
            continue
        found.append(tuple(int(float(p)) for p in parts[:3]))
    return found


def _focus_ring(page) -> dict:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
            return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor,
                    shadow: s.boxShadow}; }"""
    )


def _background(page, selector: str) -> tuple[int, int, int]:
    return _colours(page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).backgroundColor"))[0]


def test_the_keyboard_skips_to_the_content_and_focus_is_always_visible(live, page, screenshot):
    portal_world()
    db.session.commit()
    page.goto(live.url + "/")

    # The first Tab reaches the skip link, which is then on screen.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#innehall", f"first Tab stop: {focused}"
    skip = page.locator(".skip-link")
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] >= 24, "the focused skip link is visible"
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    screenshot(page, "skip-link")

    # The focus ring stands out (3:1, WCAG 1.4.11) on the page and on the header's colour: one
    # colour of a two-colour ring is enough (WCAG technique C40).
    ring = _focus_ring(page)
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    ring_colours = _colours(ring["color"]) + _colours(ring["shadow"])
    for where in ("body", ".site-header"):
        background = _background(page, where)
        best = max(contrast(colour, background) for colour in ring_colours)
        assert best >= 3, f"focus ring {ring_colours} against {where} {background}: {best:.2f}:1"

    # Enter follows the link: the content has focus, and the next Tab goes into it, not the menu.
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("!!document.activeElement.closest('main')")
    assert inside_main, page.evaluate("document.activeElement.outerHTML")
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    screenshot(page, "first-in-content")
    ring = _focus_ring(page)
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    assert max(contrast(c, _background(page, "body")) for c in _colours(ring["color"]) + _colours(ring["shadow"])) >= 3

    # Every link and button of the page shows the ring when tabbed to.
    stops = 0
    while stops < 60:
        page.keyboard.press("Tab")
        stops += 1
        info = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
                return {tag: el.tagName, text: el.textContent.trim().slice(0, 40), style: s.outlineStyle,
                        width: parseFloat(s.outlineWidth), visible: el.matches(':focus-visible')}; }"""
        )
        if info["tag"] == "BODY":
            break
        assert info["visible"] and info["style"] != "none" and info["width"] >= 2, info
    assert stops > 5, "the page has links and buttons to tab through"
