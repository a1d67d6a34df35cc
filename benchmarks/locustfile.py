"""The users of benchmarks/load.py, for locust (run headless by load.py, not by hand).

    locust -f benchmarks/locustfile.py --headless ... CitizenUser HandlerUser   (our apps)
    locust -f benchmarks/locustfile.py --headless ... BareUser                  (the bare insert app)

Everything comes from the environment that load.py sets:

- LOAD_PLAN: a JSON file with the citizens (personnummer, names: the e-ID broker's
  subjects), the handlers' usernames and password, the e-services to apply for and the
  words to search for;
- LOAD_PORTAL_URL, LOAD_BACKOFFICE_URL, LOAD_BROKER_URL, LOAD_BARE_URL: where they run;
- LOAD_CITIZENS, LOAD_HANDLERS: how many of each user (fixed counts);
- LOAD_WAIT: "MIN,MAX" seconds a person waits between two pages (think time);
- LOAD_SAMPLES: where every request's outcome is written at the end (JSON lines:
  name, milliseconds, ok, the error), so that load.py computes exact percentiles over any
  group of request types.

A citizen logs in with e-ID once (through the mock broker, the real redirect flow), then
over and over: opens an e-service's form, fills in its two steps, opens the summary and
sends it in (CSRF token and the form's idempotency ``form-token``), reads the receipt,
opens Mina sidor and one of their cases. A handler logs in to the back office once, then
browses the overview (tabs, sorting, searching, paging) and takes new cases.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from urllib.parse import urlsplit

from locust import HttpUser, between, constant, events, task

_PLAN: dict = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read()) if os.environ.get("LOAD_PLAN") else {}
_WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "5,20").split(",")]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form-token"[^>]*value="([^"]+)"')
_CASE_ID = re.compile(r'name="case_id" value="(\d+)"')  # the overview's rows (data-case holds the number)
_FIELD_ERROR = re.compile(r'class="help-block field-error"[^>]*>(.*?)</p>', re.S)
_MY_CASE = re.compile(r'href="/mina-sidor/arenden/(\d+)"')
_RECEIPT = re.compile(r"/kvittens/(\d+)$")
TABS = ("obehandlade", "forfallna", "mina", "flaggade", "pagaende", "alla")
SORTS = ("submitted", "number", "status", "due", "applicant")


def _wait_time():
    low, high = _WAIT
    return constant(0) if high <= 0 else between(low, high)


# -- every request's outcome, for load.py --------------------------------------------------------

_samples: list[tuple[str, float, float, bool, str]] = []
_lock = threading.Lock()


@events.request.add_listener
def _remember(request_type, name, response_time, response_length, exception=None, **_kwargs):
    with _lock:
        _samples.append(
            (name, time.time(), response_time, exception is None, str(exception)[:300] if exception else "")
        )


@events.quitting.add_listener
def _write_samples(**_kwargs):
    path = os.environ.get("LOAD_SAMPLES")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as out:
        for name, at, ms, ok, error in _samples:
            out.write(json.dumps({"name": name, "at": at, "ms": ms, "ok": ok, "error": error}) + "\n")


# -- helpers -------------------------------------------------------------------------------------------


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _expect(response, status: int | tuple[int, ...], *, location: str | None = None, contains: str | None = None):
    """Mark the response failed unless it has the status (and Location part, and text) a person would see."""
    wanted = (status,) if isinstance(status, int) else status
    if response.status_code == 0:  # no answer at all: the connection failed (refused, reset, timed out)
        response.failure(f"HTTP 0, expected {wanted}: {response.error!r}")
        return False
    if response.status_code not in wanted:
        said = "; ".join(re.sub(r"<[^>]+>", "", e).strip() for e in _FIELD_ERROR.findall(response.text))
        if not said:  # the page's own words (its main part, without the markup)
            main = response.text.split("<main", 1)[-1]
            said = " ".join(re.sub(r"<[^>]+>", " ", main).split())[:240]
        response.failure(f"HTTP {response.status_code}, expected {wanted}: {said}")
        return False
    if location is not None and location not in response.headers.get("Location", ""):
        response.failure(f"redirected to {response.headers.get('Location')!r}, expected {location!r}")
        return False
    if contains is not None and contains not in response.text:
        response.failure(f"{contains!r} missing from the page")
        return False
    response.success()
    return True


# -- citizens ------------------------------------------------------------------------------------------


class CitizenUser(HttpUser):
    """A citizen: e-ID login once, then apply, read the receipt, Mina sidor and a case, again and again."""

    host = os.environ.get("LOAD_PORTAL_URL", "http://127.0.0.1")
    fixed_count = int(os.environ.get("LOAD_CITIZENS", "0"))
    wait_time = _wait_time()
    _next = 0

    def on_start(self) -> None:
        people = _PLAN["citizens"]
        self.person = people[CitizenUser._next % len(people)]
        CitizenUser._next += 1
        self.logged_in = self._log_in()

    def _log_in(self) -> bool:
        client = self.client
        with client.get(
            "/logga-in/e-legitimation", name="login: start", allow_redirects=False, catch_response=True
        ) as r:
            if not _expect(r, 302, location="/oauth2/authorize"):
                return False
            broker = r.headers["Location"]
        with client.post(
            broker,
            data={"sub": self.person["sub"]},
            name="login: e-ID broker (mock)",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if not _expect(r, (302, 303), location="/logga-in/callback"):
                return False
            back = r.headers["Location"]
        with client.get(_local(back), name="login: callback", allow_redirects=False, catch_response=True) as r:
            return _expect(r, 302, location="/mina-sidor")

    @task
    def apply_and_read(self) -> None:
        if not self.logged_in:
            self.logged_in = self._log_in()
            if not self.logged_in:
                return
        client = self.client
        slug = random.choice(_PLAN["eservices"])
        rng = random.Random()
        with client.get(f"/e-tjanster/{slug}/ansokan", name="form: open", catch_response=True) as r:
            if not _expect(r, 200, contains='name="elev_namn"'):
                return
            csrf = _CSRF.search(r.text).group(1)
        self.wait()
        step1 = {
            "csrf_token": csrf,
            "elev_namn": f"{rng.choice(_PLAN['first_names'])} {self.person['family_name']}",
            "elev_personnummer": rng.choice(_PLAN["child_personnummer"]),
            "skola": rng.choice(["alneskolan", "bergsskolan", "centrumskolan", "solbackens_skola"]),
            "arskurs": str(rng.randint(0, 9)),
            "action": "next",
        }
        with client.post(
            f"/e-tjanster/{slug}/ansokan", data=step1, name="form: step 1", allow_redirects=False, catch_response=True
        ) as r:
            if not _expect(r, 302, location="/steg/2"):
                return
            step2_url = _local(r.headers["Location"])
        draft = step2_url.split("/")[2]
        with client.get(step2_url, name="form: step 2 (open)", catch_response=True) as r:
            if not _expect(r, 200, contains='name="startdatum"'):
                return
        self.wait()
        step2 = {
            "csrf_token": csrf,
            "typ": "buss",
            "startdatum": _PLAN["start_date"],
            "avstand": f"{rng.uniform(2, 25):.1f}".replace(".", ","),
            "telefon": "070-123 45 67",
            "action": "next",
        }
        with client.post(step2_url, data=step2, name="form: step 2", allow_redirects=False, catch_response=True) as r:
            if not _expect(r, 302, location="/sammanfattning"):
                return
        summary = f"/ansokan/{draft}/sammanfattning"
        with client.get(summary, name="form: summary", catch_response=True) as r:
            if not _expect(r, 200, contains='name="form-token"'):
                return
            token = _FORM_TOKEN.search(r.text).group(1)
        self.wait()
        with client.post(
            summary,
            data={"csrf_token": csrf, "form-token": token},
            name="submit",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if not _expect(r, 302, location="/kvittens/"):
                return
            receipt = _local(r.headers["Location"])
        with client.get(receipt, name="receipt", catch_response=True) as r:
            _expect(r, 200)
        self.wait()
        with client.get("/mina-sidor", name="mina sidor", catch_response=True) as r:
            if not _expect(r, 200):
                return
            cases = _MY_CASE.findall(r.text)
        if not cases:
            return
        self.wait()
        with client.get(
            f"/mina-sidor/arenden/{random.choice(cases)}", name="mina sidor: case", catch_response=True
        ) as r:
            _expect(r, 200)


# -- handlers ------------------------------------------------------------------------------------------


class HandlerUser(HttpUser):
    """A handler: logs in to the back office once, then browses the overview and takes new cases."""

    host = os.environ.get("LOAD_BACKOFFICE_URL", "http://127.0.0.1")
    fixed_count = int(os.environ.get("LOAD_HANDLERS", "0"))
    wait_time = _wait_time()
    _next = 0

    def on_start(self) -> None:
        names = _PLAN["handlers"]
        self.username = names[HandlerUser._next % len(names)]
        HandlerUser._next += 1
        self.csrf = None
        self._log_in()

    def _log_in(self) -> None:
        with self.client.get("/login/", name="bo: login form", catch_response=True) as r:
            if not _expect(r, 200, contains="csrf_token"):
                return
            csrf = _CSRF.search(r.text).group(1)
        with self.client.post(
            "/login/",
            data={"username": self.username, "password": _PLAN["password"], "csrf_token": csrf},
            name="bo: login",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if _expect(r, 302):
                self.csrf = csrf

    def _overview(self, name: str, query: str) -> str | None:
        # Not following redirects: a session that ended would show as a redirect to the login, a failure.
        with self.client.get(f"/arenden/?{query}", name=name, allow_redirects=False, catch_response=True) as r:
            return r.text if _expect(r, 200, contains="tab=obehandlade") else None

    @task(4)
    def tab(self) -> None:
        if self.csrf is None:
            return self._log_in()
        self._overview("overview: tab", f"tab={random.choice(TABS)}")

    @task(1)
    def sort(self) -> None:
        if self.csrf is None:
            return self._log_in()
        column, direction = random.choice(SORTS), random.choice(("asc", "desc"))
        self._overview("overview: sort", f"tab={random.choice(('alla', 'pagaende'))}&sort={column}&dir={direction}")

    @task(1)
    def search(self) -> None:
        if self.csrf is None:
            return self._log_in()
        self._overview("overview: search", f"tab=alla&q={random.choice(_PLAN['searches'])}")

    @task(1)
    def page(self) -> None:
        if self.csrf is None:
            return self._log_in()
        self._overview("overview: page", f"tab={random.choice(('alla', 'pagaende'))}&page={random.randint(2, 20)}")

    @task(2)
    def take(self) -> None:
        """Obehandlade, open one of its cases, Ta ärendet."""
        if self.csrf is None:
            return self._log_in()
        html = self._overview("overview: tab", "tab=obehandlade")
        ids = _CASE_ID.findall(html or "")
        if not ids:
            return
        case_id = random.choice(ids[:10])
        self.wait()
        with self.client.get(f"/arenden/{case_id}", name="case", catch_response=True) as r:
            if not _expect(r, 200):
                return
            found = _CSRF.search(r.text)
            can_take = f"/arenden/{case_id}/ta" in r.text
        if not can_take:  # someone took it meanwhile (the page says who)
            return
        self.wait()
        with self.client.post(
            f"/arenden/{case_id}/ta",
            data={"csrf_token": found.group(1) if found else self.csrf},
            name="take",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            # Taken (back to the case), or someone was quicker: the take-over question (200).
            _expect(r, (200, 302))


# -- the bare limit ------------------------------------------------------------------------------------


class BareUser(HttpUser):
    """One INSERT per request against benchmarks/bare_insert.py, with the same think time."""

    host = os.environ.get("LOAD_BARE_URL", "http://127.0.0.1")
    wait_time = _wait_time()

    @task
    def insert(self) -> None:
        with self.client.post("/", data={"payload": "x" * 200}, name="bare: insert", catch_response=True) as r:
            _expect(r, 200)
