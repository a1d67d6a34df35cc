"""The back office's Content-Security-Policy in a real browser: every page of the main screens
renders and runs its scripts without one violation (issue 9 item 1).

The browser here enforces the policy (no ``bypass_csp``, unlike test_xss_browser.py). Each
page is checked two ways: Chromium's console ("Refused to …") and the page's own
``securitypolicyviolation`` events, collected by a script that Playwright adds before the
page's own (an init script is not subject to the page's policy).

The pages are found as a user finds them: every link of the menu for an administrator, a
builder and a handler, then the links inside the screens (case tabs, builder sections),
within the back office and not leaving it; plus FAB's own screens (users, roles, profile).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    expect = None

from shared.db import db
from tests import factories

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
    + `(${event.sourceFile || ""}:${event.lineNumber || ""} ${event.sample || ""})`);
});
"""
# Links a crawl must not follow: leaving, switching language, files (downloads), the API, test mode (to the portal).
SKIP = re.compile(
    r"/logout/|/lang/|/api/|/testa-etjanster/\d|\.(pdf|xlsx|csv|json|zip)\b|/ladda-ner|/export|/pdf|/fil/|/download",
    re.I,
)
MAX_PAGES = 90


class Watch:
    """The page's CSP complaints: console messages and securitypolicyviolation events."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.console.append(f"{self.page.url}: {text}")

    def events(self) -> list[str]:
        return self.page.evaluate("window.__csp || []")


def _links(page, admin: str) -> set[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = set()
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "tel:")):
            continue
        url = urljoin(page.url, href).split("#", 1)[0]
        if url.startswith(admin + "/") and not SKIP.search(urlsplit(url).path):
            found.add(url)
    return found


def _crawl(page, watch: Watch, admin: str, start: list[str], *, depth: int, visited: set[str]) -> dict[str, list[str]]:
    """Visit the pages from ``start`` and the back-office links on them, ``depth`` links deep."""
    problems: dict[str, list[str]] = {}
    frontier = list(start)
    for _level in range(depth + 1):
        following: list[str] = []
        for url in frontier:
            if url in visited or len(visited) >= MAX_PAGES:
                continue
            visited.add(url)
            response = page.goto(url)
            page.wait_for_load_state("load")
            assert response is not None and response.status < 500, (url, response and response.status)
            assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()} or (
                "content-security-policy" in response.headers
            ), url
            events = watch.events()
            if events:
                problems[url] = events
            following.extend(sorted(_links(page, admin) - visited))
        frontier = following
    return problems


@pytest.fixture
def world_with_cases(live):
    world = factories.world()
    factories.colour_label(world.eservice, "green", "Brådskande")
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna], colour="green")
    factories.case(world.eservice, citizen=world.citizen, groups=[world.group])
    db.session.commit()
    return world, case


def test_the_main_back_office_pages_keep_to_the_content_security_policy(live, page, staff_login, world_with_cases):
    world, case = world_with_cases
    watch = Watch(page)
    admin = live.admin
    visited: set[str] = set()
    problems: dict[str, list[str]] = {}

    # The login page, before anyone is logged in.
    page.goto(admin + "/login/")
    problems.update({admin + "/login/": watch.events()} if watch.events() else {})

    # A handler: the start page, the overview, a case and its tabs, absence, the group mailbox.
    staff_login(page, world.hanna.username)
    problems.update(
        _crawl(
            page,
            watch,
            admin,
            [admin + "/start/", admin + "/arenden/?tab=alla", f"{admin}/arenden/{case.id}", admin + "/franvaro/"],
            depth=1,
            visited=visited,
        )
    )
    # Scripts work under the policy: the menu's dropdown opens (Bootstrap's script).
    page.goto(admin + "/start/")
    toggle = page.locator("header .dropdown-toggle").first
    toggle.click()
    expect(page.locator("header .dropdown.open, header .dropdown-menu:visible").first).to_be_visible()

    # A builder: the e-services and every section of one (form editor, colours, rules …).
    staff_login(page, world.builder.username)
    problems.update(
        _crawl(
            page,
            watch,
            admin,
            [admin + "/start/", f"{admin}/byggare/etjanster/{world.eservice.id}"],
            depth=2,
            visited=visited,
        )
    )

    # An administrator: every menu entry (operations, audit, users, roles, absence management …).
    staff_login(page, world.admin.username)
    problems.update(
        _crawl(
            page,
            watch,
            admin,
            [admin + "/start/", admin + "/users/list/", admin + "/users/add", admin + "/users/userinfo/"],
            depth=1,
            visited=visited,
        )
    )
    # FAB's add-user form with its select2 role picker, opened.
    page.goto(admin + "/users/add")
    page.locator(".select2-container").first.click()
    page.keyboard.press("Escape")
    if watch.events():
        problems[admin + "/users/add (select2)"] = watch.events()

    reached = {urlsplit(url).path.removeprefix("/admin") for url in visited}
    # The crawl really went through the main screens.
    for expected in (
        "/start/",
        "/arenden/",
        f"/arenden/{case.id}",
        "/franvaro/",
        f"/byggare/etjanster/{world.eservice.id}",
        f"/byggare/etjanster/{world.eservice.id}/formular",
        "/users/list/",
    ):
        assert expected in reached, f"{expected} not visited; visited: {sorted(reached)}"
    assert any(path.startswith("/drift/") for path in reached), sorted(reached)
    assert len(visited) >= 25, sorted(reached)
    assert problems == {}
    assert watch.console == []
