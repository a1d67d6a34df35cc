"""Browser tests: the portal and the back office served as `etjanst serve` does (portal at /,
back office at /admin) by a live server thread on the test database, driven by Debian's
Chromium through Playwright.

Chromium is never downloaded: without /usr/bin/chromium (apt-get install chromium) the tests
are skipped, unless the environment variable CI is set, where a missing browser fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

import config
from shared.db import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _no_browser(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)")
    pytest.skip(reason)


@contextlib.contextmanager
def serve(wsgi_app, name: str) -> Iterator[str]:
    """Serve a WSGI app on a free port of 127.0.0.1 in a background thread; yields its URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def new_page(browser, **options) -> Iterator:
    """A page in a browser context of its own (Swedish, 15 s timeouts; ``options`` for the context), closed after."""
    context = browser.new_context(locale="sv-SE", **options)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass
class LiveServer:
    url: str  # the portal; the back office is at url + "/admin"
    backoffice: Flask
    portal: Flask

    @property
    def admin(self) -> str:
        return self.url + "/admin"


@pytest.fixture(scope="session")
def live_server(app, app_overrides: dict):
    """Both apps on one free port of 127.0.0.1, in a background thread, for the whole session."""
    from backoffice import create_app as create_backoffice
    from portal import create_app as create_portal

    overrides = {**app_overrides, "WTF_CSRF_ENABLED": True, "FAB_UPDATE_PERMS": True}
    backoffice = create_backoffice(config.get_config("test"), overrides=overrides)
    portal = create_portal(config.get_config("test"), overrides=overrides)
    with serve(DispatcherMiddleware(portal, {"/admin": backoffice}), "live-server") as url:
        yield LiveServer(url=url, backoffice=backoffice, portal=portal)


@pytest.fixture
def live(live_server: LiveServer, ctx) -> LiveServer:
    """The live server with the roles in place; the test's rows are removed afterwards (ctx)."""
    from backoffice.security import sync_roles

    with live_server.backoffice.app_context():
        sync_roles(live_server.backoffice.appbuilder)
        db.session.remove()
    return live_server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _no_browser(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Playwright for Python is not installed (pip install playwright; never `playwright install`)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
PHONE_VIEWPORT = {"width": 375, "height": 812}  # a common phone's CSS pixels (iPhone X to 13 mini)


@pytest.fixture
def page(browser):
    with new_page(browser, viewport=DESKTOP_VIEWPORT) as desktop:
        yield desktop


@pytest.fixture
def phone_page(browser):
    """A page in a phone's browser: 375 CSS pixels wide, touch, the meta viewport honoured."""
    with new_page(browser, viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True) as phone:
        yield phone


@pytest.fixture
def citizen_login(live):
    """Log a citizen in on a page through the portal's development test login (/testinloggning).

    ``citizen_login(page, citizen)`` commits the test's rows first (the live server reads them
    from another connection) and returns once the portal has landed on Mina sidor.
    """

    def log_in(page, citizen) -> None:
        db.session.commit()
        page.goto(live.url + "/testinloggning")
        page.check(f'input[name=citizen][value="{citizen.id}"]')
        page.locator("main form[method=post] [type=submit]").click()
        page.wait_for_url(re.compile(r"/mina-sidor"))

    return log_in


@pytest.fixture
def staff_login(live):
    """Log a back-office user in on a page through the real login form (/admin/login/).

    ``staff_login(page, username)`` commits the test's rows first (the live server reads them
    from another connection), logs out whoever the page had logged in (so a test can switch
    users on one page), and returns once the login form is gone: the user is in, on the page
    the back office lands them on (a test that cares which asserts it after).
    """
    from tests import factories

    def log_in(page, username: str) -> None:
        from playwright.sync_api import expect  # here: without Playwright the page fixture has skipped

        db.session.commit()
        page.goto(live.admin + "/logout/")
        page.goto(live.admin + "/login/")
        page.fill("#username", username)
        page.fill("#password", factories.PASSWORD)
        page.click("input[type=submit]")
        expect(page.locator("#username")).to_have_count(0)

    return log_in


class Screenshots:
    """Numbered full-page screenshots in the test's tmp dir, to look at while developing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, page, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def screenshot(tmp_path: Path) -> Screenshots:
    return Screenshots(tmp_path)


SHOTS = Path("/tmp/shots")


def shots_named(prefix: str) -> Callable[[Any, str], None]:
    """``shot(page, name)``: a full-page screenshot kept as /tmp/shots/<prefix>-<name>.png, where a
    developer looks at a screen family's pages after a run (unlike ``screenshot``, it outlives the test)."""

    def shot(page, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{prefix}-{name}.png"), full_page=True)

    return shot
