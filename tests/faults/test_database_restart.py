"""PostgreSQL restarts while citizens use the portal (issue 9 item 6).

The test runs a PostgreSQL cluster of its own (initdb in a temporary folder, a free port,
trust authentication) so that stopping it never touches the shared server that other tests
use in parallel. It migrates the schema with ``etjanst db upgrade``, adds an e-service open
to anonymous applicants, and serves the portal (and the back office under /admin) as
``etjanst serve`` does, in a thread. A few threads then send applications through HTTP,
CSRF and form token and all, and read pages, while the cluster is stopped (``pg_ctl stop -m
fast``), left down for three seconds and started again.

What must hold: every request during the outage is answered, with the 503 page in Swedish
(never a 500, never hanging); requests succeed again by themselves shortly after the restart;
and every application that got its receipt is in the database, once.

PostgreSQL only (where web workers meet a database that restarts); skipped without its
server programs (/usr/lib/postgresql/*/bin), which .ci/run's machine has.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

import config
from tests.conftest import TEST_DATABASE_URL
from tests.faults.conftest import OUTAGE_HEADING

TIMEOUT = 15  # seconds a request may take before it counts as hanging
DOWN_SECONDS = 3
SUBMITTERS = 3
PERSONNUMMER = "198507099805"  # Skatteverket's test number; it must never reach the log
STEP_NOT_SAVED = "Svaren på den här sidan sparades inte."
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_RE = re.compile(r'name="form-token" value="([^"]+)"')


# -- a PostgreSQL cluster of the test's own -------------------------------------------------------


def _server_programs() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        return None
    folder = Path(found[-1]).parent
    return folder if (folder / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """initdb, pg_ctl start/stop on a temporary data folder; as the postgres user when we are root."""

    def __init__(self, programs: Path, folder: Path) -> None:
        self.programs, self.folder, self.port = programs, folder, _free_port()
        self.data = folder / "data"
        self.as_postgres = os.geteuid() == 0

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.programs / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"
        )

    def start(self) -> None:
        # fsync off: this test stops the server cleanly (a fast shutdown writes everything out);
        # it does not pull the power, which is what fsync protects against.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (TEST_DATABASE_URL or "").startswith("postgres"):
        pytest.skip("PostgreSQL only: set ETJANST_TEST_DATABASE_URL (make test-postgres)")
    programs = _server_programs()
    if programs is None:
        pytest.skip("PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin/initdb, pg_ctl)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb refuses root")
    folder = Path(tempfile.mkdtemp(prefix="etjanst-pg-restart-"))
    server = Cluster(programs, folder)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def _migrate_and_seed(server: Cluster) -> str:
    """The schema by ``etjanst db upgrade`` (as a deploy does), and Skolskjuts open to anonymous applicants."""
    admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE etjanst"))
    admin.dispose()
    url = server.url("etjanst")
    env = {**os.environ, "ETJANST_DATABASE_URL": url, "ETJANST_ENV": "development"}
    subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "db", "upgrade"],
        cwd=config.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    from shared.app import create_core_app
    from shared.db import db
    from tests import factories

    seeder = create_core_app("faults_seed", config.get_config("test"), overrides={"SQLALCHEMY_DATABASE_URI": url})
    with seeder.app_context():
        factories.eservice("Skolskjuts", slug="skolskjuts", login_required=False, anonymous_allowed=True)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


@contextlib.contextmanager
def _serve(url: str, tmp_path: Path) -> Iterator[str]:
    """The portal at / and the back office at /admin/ on a free port, as `etjanst serve` runs them."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import make_server

    from backoffice import create_app as create_backoffice
    from portal import create_app as create_portal

    overrides = {
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": True,
        "FAB_UPDATE_PERMS": False,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "MAIL_BACKEND": "file",
        "SERVER_NAME": None,
    }
    portal = create_portal(config.get_config("test"), overrides=overrides)
    backoffice = create_backoffice(config.get_config("test"), overrides=overrides)
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(portal, {"/admin": backoffice}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="faults-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        for app in (portal, backoffice):
            with app.app_context():
                from shared.db import db

                db.engine.dispose()


# -- citizens ---------------------------------------------------------------------------------------


@dataclass
class Load:
    """What the citizens' threads saw."""

    url: str
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (what, status)
    outage_pages: list[tuple[str, bool]] = field(default_factory=list)  # (what, in Swedish with Retry-After)
    problems: list[str] = field(default_factory=list)  # a 500, a hang, anything unexpected
    receipts: dict[str, int] = field(default_factory=dict)  # form token -> case id, per receipt given
    receipts_at: list[float] = field(default_factory=list)

    def request(self, http: requests.Session, what: str, method: str, path: str, **kwargs) -> requests.Response | None:
        try:
            response = http.request(method, self.url + path, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            self.note_problem(f"{what}: {type(error).__name__}: {error}")
            return None
        with self.lock:
            self.answers.append((what, response.status_code))
            if response.status_code == 503:
                proper = response.headers.get("Retry-After") == "5" and OUTAGE_HEADING in response.text
                self.outage_pages.append((what, proper))
        if response.status_code not in (200, 302, 303, 503):
            self.note_problem(f"{what}: {response.status_code} {response.text[:300]}")
        return response

    def note_problem(self, problem: str) -> None:
        with self.lock:
            self.problems.append(problem)

    def receipt(self, token: str, location: str) -> None:
        match = re.fullmatch(r"/kvittens/(\d+)", location)
        if match is None:
            self.note_problem(f"Skicka in led to {location}, not a receipt")
            return
        with self.lock:
            if token in self.receipts:
                self.problems.append(f"form token {token} got a second receipt")
            self.receipts[token] = int(match.group(1))
            self.receipts_at.append(time.monotonic())


def _send_application(load: Load, http: requests.Session, number: int) -> None:
    """Start, fill the one step, then Skicka in; a Skicka in that meets the outage is sent again, as the page says."""
    form = load.request(http, "form", "GET", "/e-tjanster/skolskjuts/ansokan")
    if form is None or form.status_code != 200:
        return
    answers = {
        "namn": f"Sökande {number}",
        "personnummer": PERSONNUMMER,
        "skola": "alne",
        "ovrigt": "",
        "action": "next",
    }
    step = load.request(
        http,
        "step",
        "POST",
        "/e-tjanster/skolskjuts/ansokan",
        data={"csrf_token": CSRF_RE.search(form.text)[1], **answers},
    )
    if step is None or step.status_code != 302:
        return  # the answers were not saved: this citizen starts again
    summary_path = step.headers["Location"]
    summary = load.request(http, "summary", "GET", summary_path)
    if summary is None or summary.status_code != 200:
        return
    data = {
        "csrf_token": CSRF_RE.search(summary.text)[1],
        "form-token": TOKEN_RE.search(summary.text)[1],
        "contact_email": f"sokande{number}@example.org",
    }
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sent = load.request(http, "submit", "POST", summary_path, data=data)
        if sent is not None and sent.status_code == 302:
            load.receipt(data["form-token"], sent.headers["Location"])
            return
        if sent is not None and sent.status_code != 503:
            return  # noted as a problem by request()
        time.sleep(0.3)  # the 503 page: go back and press Skicka in again in a while
    load.note_problem(f"Skicka in with token {data['form-token']} never got through")


def _submitter(load: Load, first: int) -> None:
    http = requests.Session()
    number = first
    while not load.stop.is_set():
        receipts = len(load.receipts)
        _send_application(load, http, number)
        number += SUBMITTERS
        # A citizen who met the outage waits a little before starting again.
        time.sleep(0.05 if len(load.receipts) > receipts else 0.3)


def _reader(load: Load) -> None:
    http = requests.Session()
    while not load.stop.is_set():
        load.request(http, "start page", "GET", "/")
        load.request(http, "e-service page", "GET", "/e-tjanster/skolskjuts")
        time.sleep(0.1)


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        time.sleep(0.1)


# -- the test -----------------------------------------------------------------------------------------


def test_the_portal_rides_out_a_database_restart(cluster: Cluster, tmp_path: Path, caplog):
    url = _migrate_and_seed(cluster)
    with _serve(url, tmp_path) as base, caplog.at_level("WARNING"):
        load = Load(base)
        threads = [threading.Thread(target=_submitter, args=(load, n), daemon=True) for n in range(SUBMITTERS)]
        threads.append(threading.Thread(target=_reader, args=(load,), daemon=True))
        for thread in threads:
            thread.start()
        _wait_for(lambda: len(load.receipts) >= SUBMITTERS, 30, "the first receipts")

        # A citizen on the form's first page when the database goes.
        citizen = requests.Session()
        form = citizen.get(base + "/e-tjanster/skolskjuts/ansokan", timeout=TIMEOUT)
        assert form.status_code == 200

        cluster.stop("fast")
        stopped = time.monotonic()
        during = citizen.get(base + "/", timeout=TIMEOUT)
        assert during.status_code == 503 and during.headers["Retry-After"] == "5"
        assert OUTAGE_HEADING in during.text and "försök igen om en stund" in during.text
        sent = citizen.post(
            base + "/e-tjanster/skolskjuts/ansokan",
            data={"csrf_token": CSRF_RE.search(form.text)[1], "namn": "Maria", "personnummer": PERSONNUMMER},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert sent.status_code == 503 and STEP_NOT_SAVED in sent.text
        staff = requests.get(base + "/admin/login/", timeout=TIMEOUT)
        assert staff.status_code == 503 and OUTAGE_HEADING in staff.text and staff.headers["Retry-After"] == "5"
        time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - stopped)))
        receipts_before_restart = len(load.receipts)

        cluster.start()
        # The pool recovers by itself: no restart of the app, no request refused for long.
        _wait_for(lambda: citizen.get(base + "/", timeout=TIMEOUT).status_code == 200, 20, "the portal to recover")
        _wait_for(lambda: len(load.receipts) >= receipts_before_restart + SUBMITTERS, 30, "receipts after the restart")
        load.stop.set()
        for thread in threads:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in threads)

    assert load.problems == []
    statuses = {status for _what, status in load.answers}
    assert 500 not in statuses and statuses <= {200, 302, 503}, statuses
    assert 503 in statuses, "the citizens' threads met the outage"
    assert all(proper for _what, proper in load.outage_pages), load.outage_pages

    # Every receipt is a case in the database, once; no case without a receipt.
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT idempotency_key, id FROM cases WHERE number IS NOT NULL")).all()
    engine.dispose()
    assert len(rows) == len(load.receipts) > receipts_before_restart
    assert dict(rows) == load.receipts

    # The outage is logged at WARNING, without the statements or what the citizens wrote.
    outage_lines = [r.getMessage() for r in caplog.records if r.name == "shared.outage"]
    assert outage_lines and all("answered 503" in line for line in outage_lines)
    assert not any(PERSONNUMMER in r.getMessage() or "19850709" in r.getMessage() for r in caplog.records)
    assert not any("INSERT INTO" in line or "SELECT" in line for line in outage_lines)
