"""Browser tests: the portal and the back office served on the test database as `etjanst serve`
serves them (portal at /, back office at /admin), driven by Debian's Chromium through Playwright.

Two ways to serve them, both on a free port of 127.0.0.1 and on this pytest worker's database:

- ``live``: a server thread inside the pytest process, set up like `etjanst serve` (fast; most tests).
- ``served``: the real command, ``etjanst serve --no-scheduler``, started as a subprocess for the
  session and configured only through ETJANST_* variables (``etjanst_serve``); the main journeys
  use it, so what they check is what the command a developer runs serves. A test module switches
  by overriding ``live`` with it (the login fixtures below then log in there).

Chromium is never downloaded: without /usr/bin/chromium (apt-get install chromium) the tests
are skipped, unless the environment variable CI is set, where a missing browser fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
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


@dataclass
class ServedProcess(LiveServer):
    """``etjanst serve`` running as a subprocess; ``backoffice``/``portal`` are in-process apps on the
    same database, for the test's app contexts (roles, setup, asserts)."""

    process: subprocess.Popen | None = None
    log: Path | None = None  # its stdout and stderr

    def log_since(self, offset: int) -> str:
        return self.log.read_bytes()[offset:].decode(errors="replace") if self.log else ""

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log else 0


@pytest.fixture(scope="session")
def live_apps(app, app_overrides: dict) -> tuple[Flask, Flask]:
    """The back office and the portal in this process, configured as the live servers need them
    (CSRF on, as in production; the test config turns it off for the test clients)."""
    from backoffice import create_app as create_backoffice
    from portal import create_app as create_portal

    overrides = {**app_overrides, "WTF_CSRF_ENABLED": True, "FAB_UPDATE_PERMS": True}
    backoffice = create_backoffice(config.get_config("test"), overrides=overrides)
    portal = create_portal(config.get_config("test"), overrides=overrides)
    return backoffice, portal


@pytest.fixture(scope="session")
def live_server(live_apps: tuple[Flask, Flask]):
    """Both apps on one free port of 127.0.0.1, in a background thread, for the whole session."""
    backoffice, portal = live_apps
    with serve(DispatcherMiddleware(portal, {"/admin": backoffice}), "live-server") as url:
        yield LiveServer(url=url, backoffice=backoffice, portal=portal)


def _with_roles(server: LiveServer) -> LiveServer:
    """Write the roles and permissions (``ctx`` removes every row after each test, those too)."""
    from backoffice.security import sync_roles

    with server.backoffice.app_context():
        sync_roles(server.backoffice.appbuilder)
        db.session.remove()
    return server


@pytest.fixture
def live(live_server: LiveServer, ctx) -> LiveServer:
    """The live server with the roles in place; the test's rows are removed afterwards (ctx)."""
    return _with_roles(live_server)


def _free_port() -> int:
    # The port is closed again before the command binds it: another process could take it in
    # between, which the start-up check below reports (the log says "Address already in use").
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _etjanst_command() -> list[str]:
    """The `etjanst` console script of this venv ([project.scripts] in pyproject.toml)."""
    script = Path(sys.executable).parent / "etjanst"
    if script.exists():
        return [str(script)]
    # Not installed as a script (e.g. a bare checkout on sys.path): the same entry point.
    return [sys.executable, "-c", "import sys; from cli import main; main(sys.argv[1:])"]


def serve_env(app_overrides: dict, url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The ETJANST_* variables that make `etjanst serve` behave as the ``live`` apps do, on the same
    database, upload folder and mail folder as ``app_overrides``; ``extra`` adds or replaces variables.

    ETJANST_ENV=development, not test: the test config turns CSRF off (for the test clients) and no
    variable turns it on again, while the live apps and production have it on. What the test config
    does besides is set here: rate limits off, no scheduler. Permissions are not synced at start
    (UPDATE_PERMS off, as in production's web workers): the ``served`` fixture syncs them for each
    test, as ``live`` does, since ``ctx`` empties every table after a test.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("ETJANST_")}
    env.update(
        {
            "ETJANST_ENV": "development",
            "ETJANST_INSTANCE_DIR": str(instance),
            "ETJANST_DATABASE_URL": app_overrides["SQLALCHEMY_DATABASE_URI"],
            "ETJANST_UPLOAD_DIR": app_overrides["UPLOAD_DIR"],
            "ETJANST_MAIL_BACKEND": app_overrides["MAIL_BACKEND"],
            "ETJANST_MAIL_FOLDER": app_overrides["MAIL_FOLDER"],
            "ETJANST_SMS_BACKEND": "log",
            "ETJANST_PORTAL_URL": url,
            "ETJANST_BACKOFFICE_URL": url + "/admin",
            "ETJANST_PORTAL_TEST_LOGIN": "true",
            "ETJANST_RATELIMIT_ENABLED": "false",
            "ETJANST_SCHEDULER_IN_PROCESS": "false",
            "ETJANST_UPDATE_PERMS": "false",
            **extra,
        }
    )
    return env


def _wait_until_serving(process: subprocess.Popen, url: str, log: Path, timeout: float = 90) -> None:
    """Poll /healthz until it answers 200; fail with the command's output if it dies or never does."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`etjanst serve` exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
                last = f"HTTP {answer.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except OSError as error:  # not listening yet
            last = str(error)
        time.sleep(0.2)
    _stop(process)
    pytest.fail(f"`etjanst serve` did not answer {url}/healthz in {timeout:.0f} s ({last}):\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextlib.contextmanager
def etjanst_serve(app_overrides: dict, folder: Path, **extra_env: str) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """Run ``etjanst serve --host 127.0.0.1 --port <free> --no-scheduler`` on the test database until
    the block ends; yields its URL, the process and its log file (in ``folder``)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "etjanst-serve.log"
    env = serve_env(app_overrides, url, folder / "instance", **extra_env)
    command = [*_etjanst_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, cwd=config.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_serving(process, url, log)
        yield url, process, log
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def served_server(live_apps: tuple[Flask, Flask], app_overrides: dict, tmp_path_factory: pytest.TempPathFactory):
    """`etjanst serve` as a subprocess on this worker's test database, for the whole session."""
    backoffice, portal = live_apps
    with etjanst_serve(app_overrides, tmp_path_factory.mktemp("etjanst-serve")) as (url, process, log):
        yield ServedProcess(url=url, backoffice=backoffice, portal=portal, process=process, log=log)


@pytest.fixture
def served(served_server: ServedProcess, ctx) -> Iterator[ServedProcess]:
    """The `etjanst serve` process with the roles in place; the test's rows are removed afterwards
    (ctx). What the command wrote while the test ran is printed after it (pytest shows it when the
    test fails: a 500's traceback is in there, not in the browser)."""
    if served_server.process.poll() is not None:
        pytest.fail(f"`etjanst serve` has exited ({served_server.process.returncode}):\n{served_server.log_since(0)}")
    start = served_server.log_size()
    yield _with_roles(served_server)
    print(f"--- etjanst serve ({served_server.url}), while the test ran ---")
    print(served_server.log_since(start))


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
