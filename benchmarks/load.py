"""Citizens and handlers under load (issue 9 item 5): locust against both apps under gunicorn.

    .venv/bin/python benchmarks/load.py [--cases N] [--database-url URL | --reuse] [--duration 5m]
                                        [--citizens 200] [--handlers 50] [--wait 5,20] [--limit-duration 60s]
                                        [--threads T] [--profile DIR]

Needs the bench extras (``pip install -e ".[bench]"``: locust, py-spy).

1. The database: PostgreSQL with N cases (default 1,000,000), filled by the code of
   benchmarks/overview.py (20 e-services built from the demo's forms, 200 handlers with
   access, 200,000 citizens), the migrations applied and the roles synced once (as
   ``etjanst db upgrade`` does). Without --database-url a fresh database is made and
   dropped afterwards (--keep keeps it); --reuse uses the database ``etj_bench_load``
   (made and filled the first time, kept) so that later runs skip the filling.
2. The apps: the portal (portal.wsgi:app) and the back office (backoffice.wsgi:app) each
   under gunicorn with 2 workers (--workers) of 4 threads each (--threads; gthread workers, as
   in production: a request mostly waits on PostgreSQL, and a sync worker would sit idle
   meanwhile; --threads 1 gives sync workers), on free loopback ports, in the development
   environment (the production config forces Secure cookies, which plain http on loopback
   would not send back) with: rate limits off, FAB_UPDATE_PERMS off, no scheduler in the
   workers, and e-ID login through oidc-provider-mock (a local broker in a process of its
   own) -- citizens log in through the real redirect flow, never the test login.
3. The load: locust headless (benchmarks/locustfile.py) with 200 citizens and 50 handlers
   for --duration, each spending 5 to 20 seconds on a page before the next (--wait: the
   pace of a person filling in a form or reading a list). A citizen logs in once, then
   applies for Skolskjuts (two steps, the summary, Skicka in with its CSRF token and
   idempotency form-token), reads the receipt, Mina sidor and one of their cases, over
   and over. A handler logs in once, then browses the overview (tabs, sorting,
   searching, paging) and takes new cases.
4. The figures: throughput, p50/p95/p99 per request type, errors, and the cases the
   database gained during the run against the successful submits (lost = successful
   submits - new submitted cases). A short warm-up with a few users comes first and is
   not counted (--warmup): each worker's first requests compile templates.
5. The limit: the same users without think time for --limit-duration, first against our
   apps, then against benchmarks/bare_insert.py (Flask + psycopg, one INSERT per request)
   under the same gunicorn setup; ratio_to_bare is ours/bare of those two throughputs (a
   journey's request against an insert: what our stack costs beside the least a web
   request that writes a row can cost on this machine).

Ends with ``RESULT errors=… lost=… p95_overview_ms=… p95_submit_ms=… ratio_to_bare=… …``.
Targets on 2 cores: errors=0, lost=0, p95 of the overview and of Skicka in <= 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import overview  # noqa: E402  (the filler of benchmarks/overview.py, reused)
import sqlalchemy as sa  # noqa: E402
from bench_db import database, named_database  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

REUSED_DATABASE = "etj_bench_load"
PERSONNUMMER_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
TARGET_MS = 300
LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"


# -- the database -----------------------------------------------------------------------------------


def _backoffice_app(url: str):
    import config
    from backoffice import create_app

    return create_app(
        config.get_config("development"),
        overrides={"SQLALCHEMY_DATABASE_URI": url, "FAB_UPDATE_PERMS": False, "SCHEDULER_IN_PROCESS": False},
    )


def prepare(url: str, n_cases: int) -> None:
    """Migrations, roles and permissions (once, as `etjanst db upgrade`), and the cases when there are none."""
    overview.migrate(url)  # creates the schema, or brings a reused database up to date
    from backoffice.security import sync_roles
    from shared.db import db

    app = _backoffice_app(url)
    with app.app_context():
        sync_roles(app.appbuilder)
        existing = db.session.scalar(text("SELECT count(*) FROM cases"))
        if existing == 0:
            print(f"Filling {n_cases:,} cases (benchmarks/overview.py's filler) …", flush=True)
            overview.fill(n_cases)
        db.session.remove()
        db.engine.dispose()
    if existing == 0:
        overview.create_indexes_and_analyze(url)
    else:
        print(f"The database holds {existing:,} cases already: using them.")


def _valid(pnr: str) -> bool:
    """Whether the portal takes the personnummer (overview.py's filler makes a few it refuses: serial 000)."""
    from shared.models import normalize_personnummer

    try:
        normalize_personnummer(pnr)
    except ValueError:
        return False
    return True


def _child_personnummer(rng: random.Random) -> str:
    while not _valid(pnr := overview.personnummer(rng, 2010, 2020)):
        pass
    return f"{pnr[:8]}-{pnr[8:]}"


def make_plan(url: str, n_citizens: int, n_handlers: int) -> dict:
    """Who logs in (citizens with cases, handlers with access) and what they apply for and search."""
    from flask_appbuilder.security.sqla.models import Role
    from sqlalchemy import select

    from shared import clock, roles
    from shared.db import db
    from shared.models import Case, Citizen, EService, HandlerLink, StaffUser, VersionState

    rng = random.Random(9)
    app = _backoffice_app(url)
    with app.app_context():
        handlers = db.session.scalars(
            select(StaffUser)
            .join(StaffUser.roles)
            .where(Role.name == roles.HANDLER, StaffUser.active.is_(True))
            .order_by(StaffUser.username)
        ).all()
        chosen = [handlers[i % len(handlers)] for i in range(n_handlers)]
        handler_ids = {h.id for h in chosen}
        seen_eservices = set(
            db.session.scalars(
                select(HandlerLink.eservice_id).where(
                    HandlerLink.user_id.in_(handler_ids), HandlerLink.restricted.is_(False)
                )
            )
        )
        # E-services with the Skolskjuts form (the two steps the citizens fill in) the chosen handlers see.
        slugs = []
        for eservice in db.session.scalars(select(EService).where(EService.enabled.is_(True)).order_by(EService.id)):
            published = [v for v in eservice.versions if v.state == VersionState.PUBLISHED]
            definition = published[0].definition if published else None
            steps = [s.get("id") for s in (definition or {}).get("steps", [])]
            if steps == ["elev", "skjuts"] and eservice.id in seen_eservices:
                slugs.append(eservice.slug)
        if not slugs:
            raise SystemExit("No published Skolskjuts e-service that the chosen handlers see: cannot load.")
        people = db.session.execute(
            select(Citizen.personnummer, Citizen.first_name, Citizen.last_name)
            .where(Citizen.id.in_(select(Case.citizen_id).where(Case.citizen_id.is_not(None)).limit(50_000)))
            .order_by(Citizen.id)
            .limit(max(n_citizens * 5, 1000))
        ).all()
        people = [p for p in people if _valid(p.personnummer)]
        people = rng.sample(people, min(n_citizens, len(people)))
        pnrs = db.session.scalars(
            select(Case.personnummer).where(Case.personnummer.is_not(None)).order_by(Case.id.desc()).limit(200)
        ).all()
        db.session.remove()
        db.engine.dispose()
    searches = [name for name in overview.LAST_NAMES if name.isascii()][:8]
    searches += [f"{p[2:8]}-{p[8:]}" for p in rng.sample(list(pnrs), min(8, len(pnrs)))]
    return {
        "citizens": [
            {"sub": pnr, "personnummer": pnr, "given_name": first, "family_name": last} for pnr, first, last in people
        ],
        "handlers": [h.username for h in chosen],
        "password": overview.PASSWORD,
        "eservices": slugs,
        "searches": searches,
        "first_names": overview.FIRST_NAMES,
        "child_personnummer": [_child_personnummer(rng) for _ in range(500)],
        "start_date": (clock.today() + dt.timedelta(days=30)).isoformat(),
    }


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT coalesce(max(id), 0), count(*) FILTER (WHERE number IS NOT NULL) FROM cases")
        ).one()
    engine.dispose()
    return {"max_id": row[0], "submitted": row[1]}


def new_submitted_cases(url: str, after_id: int) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM cases WHERE id > :after AND number IS NOT NULL"), {"after": after_id}
        ).scalar()
    engine.dispose()
    return int(found or 0)


# -- processes --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_broker(port: int) -> None:
    import logging

    import oidc_provider_mock
    import werkzeug.serving

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    provider = oidc_provider_mock.app()
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        # The mock's in-memory state is not thread-safe (a "deque mutated during iteration" 500
        # when many log in at once): it stands in for an e-ID broker, not under test itself.
        with lock:
            return list(provider(environ, start_response))

    server = werkzeug.serving.make_server("127.0.0.1", port, one_at_a_time, threaded=True)
    server.serve_forever()


@contextmanager
def broker(people: list[dict]):
    """oidc-provider-mock in a process of its own, knowing every citizen of the plan."""
    import requests

    port = free_port()
    process = multiprocessing.get_context("spawn").Process(target=_serve_broker, args=(port,), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/.well-known/openid-configuration")
        with requests.Session() as session:
            for person in people:
                claims = {
                    PERSONNUMMER_CLAIM: person["personnummer"],
                    "given_name": person["given_name"],
                    "family_name": person["family_name"],
                }
                session.put(f"{url}/users/{person['sub']}", json=claims, timeout=10).raise_for_status()
        yield url
    finally:
        process.terminate()
        process.join(10)


def _wait_until_up(url: str, timeout: float = 90) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=5, allow_redirects=False).status_code < 500:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


@contextmanager
def gunicorn(
    name: str, target: str, env: dict[str, str], workers: int, logdir: Path, chdir: Path = ROOT, threads: int = 1
):
    """``gunicorn -w N [--threads T] target`` on a free loopback port; yields (url, master pid)."""
    port = free_port()
    log = logdir / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        # Idle connections kept longer than a person's pause on a page (gunicorn's default is 2 s): a
        # connection the server closes just as the client reuses it fails the request ("Remote end
        # closed connection without response"). Behind a proxy, production sets it above the
        # proxy's own idle timeout for the same reason (README, Scaling).
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        "--chdir",
        str(chdir),
        target,
    ]
    process = subprocess.Popen(command, cwd=chdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/healthz" if target != "bare_insert:app" else url)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def app_environment(url: str, broker_url: str, instance: Path, portal_url: str = "", backoffice_url: str = "") -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ETJANST_")}
    env.update(
        {
            "ETJANST_ENV": "development",
            "ETJANST_DATABASE_URL": url,
            "ETJANST_SECRET_KEY": secrets.token_hex(32),
            "ETJANST_INSTANCE_DIR": str(instance),
            "ETJANST_RATELIMIT_ENABLED": "0",
            "ETJANST_UPDATE_PERMS": "0",
            "ETJANST_SCHEDULER_IN_PROCESS": "0",
            "ETJANST_PORTAL_TEST_LOGIN": "0",
            "ETJANST_OIDC_ISSUER": broker_url,
            "ETJANST_OIDC_CLIENT_ID": "etjanst-load",
            "ETJANST_OIDC_CLIENT_SECRET": "etjanst-load-secret",
            "ETJANST_MAIL_BACKEND": "file",
        }
    )
    if portal_url:
        env["ETJANST_PORTAL_URL"] = portal_url
    if backoffice_url:
        env["ETJANST_BACKOFFICE_URL"] = backoffice_url
    return env


def run_locust(users: dict[str, int], env: dict[str, str], duration: int, spawn_rate: float, logdir: Path, label: str):
    """locust headless with the given user classes and counts; returns its samples (one dict per request)."""
    samples = logdir / f"{label}.samples.jsonl"
    env = {**env, "LOAD_SAMPLES": str(samples)}
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(sum(users.values())),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        "5",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *users,
    ]
    with open(logdir / f"{label}.locust.log", "w") as out:
        completed = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0 or not samples.exists():
        print((logdir / f"{label}.locust.log").read_text()[-3000:], file=sys.stderr)
        raise SystemExit(f"locust ({label}) failed with exit code {completed.returncode}")
    with open(samples, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows]


@contextmanager
def profiler(pid: int, seconds: int, out: Path):
    """py-spy recording the gunicorn master and its workers meanwhile (raw collapsed stacks)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    process = subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "50", "--duration", str(seconds)]
        + ["--format", "raw", "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait()


def summarise_profile(path: Path, top: int = 20) -> list[tuple[str, float]]:
    """The share of samples in which each function of ours (or SQL driver / templates) was on the stack."""
    if not path.exists():
        return []
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        names = set()
        for frame in stack.split(";"):
            # "function (path/to/file.py:line)" -> function (file) for our code and a few telling libraries
            found = re.match(r"(.+?) \((.+?):\d+\)", frame)
            if not found:
                continue
            function, file = found.groups()
            if "/site-packages/" in file:
                for lib in ("psycopg", "jinja2", "sqlalchemy/orm", "flask_appbuilder", "babel", "werkzeug/routing"):
                    if f"/{lib}/" in file:
                        names.add(f"[{lib}]")
                continue
            if str(ROOT) in file or file.startswith(("shared/", "portal/", "backoffice/")):
                names.add(f"{function} ({Path(file).relative_to(ROOT) if str(ROOT) in file else file})")
        for name in names:
            inclusive[name] += n
    return [(name, 100 * n / total) for name, n in inclusive.most_common(top)] if total else []


# -- figures ------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def table(samples: list[dict], duration: float, groups: dict[str, list[str]]) -> None:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for sample in samples:
        by_name[sample["name"]].append(sample)
    header = f"{'request':<30} {'count':>7} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))

    def row(label: str, rows: list[dict]) -> None:
        times = [r["ms"] for r in rows]
        failed = sum(1 for r in rows if not r["ok"])
        print(
            f"{label:<30} {len(rows):>7} {failed:>6} {len(rows) / duration:>7.1f} {percentile(times, 50):>8.0f} "
            f"{percentile(times, 95):>8.0f} {percentile(times, 99):>8.0f} {max(times, default=0):>8.0f}"
        )

    for name in sorted(by_name):
        row(name, by_name[name])
    if groups:
        print("-" * len(header))
        for label, names in groups.items():
            row(label, [s for s in samples if s["name"] in names])


def p95(samples: list[dict], names) -> float:
    """The 95th percentile of those requests (NaN when there were none: no target met by not trying)."""
    times = [s["ms"] for s in samples if s["name"] in names]
    return percentile(times, 95) if times else float("nan")


def parse_duration(value: str) -> int:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if not found:
        raise argparse.ArgumentTypeError(f"not a duration: {value!r} (e.g. 300, 30s, 5m)")
    number, unit = float(found.group(1)), found.group(2) or "s"
    return int(number * {"s": 1, "m": 60, "h": 3600}[unit])


def machine_state() -> str:
    load = os.getloadavg()
    busy = []
    try:
        listing = subprocess.run(
            ["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[:5]
        busy = [" ".join(line.split()) for line in listing]
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; busiest: {', '.join(busy)}"


# -- the run ------------------------------------------------------------------------------------------


def app_errors(workdir: Path) -> int:
    """Tracebacks the workers logged (gunicorn's error logs)."""
    return sum(
        path.read_text(errors="replace").count("Traceback")
        for path in workdir.glob("*.log")
        if "locust" not in path.name
    )


def report_errors(errors: list[dict]) -> None:
    if errors:
        print(f"Errors: {len(errors)}; the most common:")
        for (name, message), n in Counter((e["name"], e["error"][:160]) for e in errors).most_common(8):
            print(f"  {n:>5} × {name}: {message}")


def run(args: argparse.Namespace, url: str) -> int:
    prepare(url, args.cases)
    plan = make_plan(url, args.citizens, args.handlers)
    workdir = Path(tempfile.mkdtemp(prefix="etj_load_"))
    (workdir / "instance").mkdir()
    plan_file = workdir / "plan.json"
    plan_file.write_text(json.dumps(plan, ensure_ascii=False))
    users = args.citizens + args.handlers
    spawn_rate = args.spawn_rate or max(1.0, users / 30)
    print(
        f"\nDatabase: {make_url(url).render_as_string(hide_password=True)} ({counts(url)['submitted']:,} submitted cases)"
    )
    print(
        f"Load: {args.citizens} citizens applying for {', '.join(plan['eservices'])} and {args.handlers} handlers, "
        f"{args.duration} s, {spawn_rate:g} users started per second, {args.wait} s between pages; "
        f"gunicorn -w {args.workers}{f' --threads {args.threads}' if args.threads > 1 else ''} per app. Logs: {workdir}"
    )
    print(f"Machine before: {machine_state()}\n", flush=True)

    base_env = {**os.environ, "LOAD_PLAN": str(plan_file)}
    ours_users = {"CitizenUser": args.citizens, "HandlerUser": args.handlers}

    def locust_env(wait: str, citizens: int, handlers: int) -> dict[str, str]:
        return {**base_env, "LOAD_WAIT": wait, "LOAD_CITIZENS": str(citizens), "LOAD_HANDLERS": str(handlers)}

    profile = []
    limit: list[dict] = []
    limit_new = 0
    with ExitStack() as stack:
        broker_url = stack.enter_context(broker(plan["citizens"]))
        env = app_environment(url, broker_url, workdir / "instance")
        portal_url, portal_pid = stack.enter_context(
            gunicorn("portal", "portal.wsgi:app", env, args.workers, workdir, threads=args.threads)
        )
        backoffice_url, backoffice_pid = stack.enter_context(
            gunicorn("backoffice", "backoffice.wsgi:app", env, args.workers, workdir, threads=args.threads)
        )
        base_env.update(
            {"LOAD_PORTAL_URL": portal_url, "LOAD_BACKOFFICE_URL": backoffice_url, "LOAD_BROKER_URL": broker_url}
        )
        if args.warmup:
            # Every worker's first requests compile templates and fill caches: not part of the figures.
            few_c, few_h = min(args.citizens, 10), min(args.handlers, 4)
            run_locust(
                {"CitizenUser": few_c, "HandlerUser": few_h}, locust_env("0.2,1", few_c, few_h), args.warmup, 10,
                workdir, "warmup",
            )  # fmt: skip
        before = counts(url)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            for name, pid in (("portal", portal_pid), ("backoffice", backoffice_pid)):
                path = args.profile / f"{name}.txt"
                profile.append((name, path))
                stack.enter_context(profiler(pid, args.duration, path))
        started = time.monotonic()
        samples = run_locust(
            ours_users, locust_env(args.wait, args.citizens, args.handlers), args.duration, spawn_rate, workdir, "ours"
        )
        elapsed = time.monotonic() - started
        machine_after = machine_state()
        new_cases = new_submitted_cases(url, before["max_id"])
        if args.limit_duration:
            # The limit: the same users without think time, for the ratio to the bare app's limit.
            before_limit = counts(url)
            limit = run_locust(
                ours_users, locust_env("0,0", args.citizens, args.handlers), args.limit_duration, spawn_rate, workdir,
                "ours_max",
            )  # fmt: skip
            limit_new = new_submitted_cases(url, before_limit["max_id"])
    tracebacks = app_errors(workdir)

    ours = [s for s in samples if "broker" not in s["name"]]
    duration = float(args.duration)
    overview_names = sorted({s["name"] for s in samples if s["name"].startswith("overview:")})
    submit_names = ["submit"]
    print(f"Under load ({args.wait} s between pages):\n")
    table(
        samples,
        duration,
        {"all overview pages": overview_names, "all requests to our apps": sorted({s["name"] for s in ours})},
    )
    errors = [s for s in samples if not s["ok"]]
    successful_submits = sum(1 for s in samples if s["name"] == "submit" and s["ok"])
    lost = max(0, successful_submits - new_cases)
    throughput = len(ours) / duration
    print(f"\nMachine after: {machine_after} (locust ran {elapsed:.0f} s)")
    print(
        f"Throughput: {throughput:.1f} requests/s to our apps ({len(ours):,} in {duration:.0f} s), "
        f"{successful_submits / duration * 60:.0f} applications sent in per minute."
    )
    print(
        f"Submissions: {successful_submits:,} successful Skicka in, {new_cases:,} new submitted cases in the "
        f"database: lost {lost}"
        + (
            f" ({new_cases - successful_submits} more cases than acknowledged submits: answers cut off when the run stopped)"
            if new_cases > successful_submits
            else ""
        )
    )
    report_errors(errors)
    print(f"Tracebacks in the workers' logs: {tracebacks}")
    for name, path in profile:
        print(f"\nProfile of the {name} workers (py-spy, share of samples with the function on the stack): {path}")
        for function, share in summarise_profile(path):
            print(f"  {share:5.1f}%  {function}")

    ours_max_rps = limit_lost = 0.0
    limit_errors: list[dict] = []
    if limit:
        limit_ours = [s for s in limit if "broker" not in s["name"]]
        ours_max_rps = len(limit_ours) / args.limit_duration
        limit_errors = [s for s in limit if not s["ok"]]
        limit_submits = sum(1 for s in limit if s["name"] == "submit" and s["ok"])
        limit_lost = max(0, limit_submits - limit_new)
        print(
            f"\nOur apps at their limit (the same {users} users without think time, {args.limit_duration} s): "
            f"{ours_max_rps:.1f} requests/s, p50 {percentile([s['ms'] for s in limit_ours], 50):.0f} ms, "
            f"p95 {percentile([s['ms'] for s in limit_ours], 95):.0f} ms; {len(limit_errors)} errors; "
            f"{limit_submits} successful submits, {limit_new} new cases: lost {limit_lost:.0f}."
        )
        report_errors(limit_errors)

    bare_max_rps = 0.0
    if not args.skip_bare and args.limit_duration:
        bare_max_rps = bare(args, url, users, spawn_rate, workdir, base_env)
    ratio = ours_max_rps / bare_max_rps if bare_max_rps else 0.0
    if bare_max_rps:
        print(
            f"Ours/bare at the limit: {ratio:.2f} ({ours_max_rps:.1f} vs {bare_max_rps:.1f} requests/s, "
            f"the same users, gunicorn setup and no think time)."
        )
    p95_overview = p95(samples, overview_names)
    p95_submit = p95(samples, submit_names)
    verdicts = {
        "errors": not errors and not limit_errors,
        "lost": lost == 0 and limit_lost == 0,
        f"p95 overview <= {TARGET_MS} ms": p95_overview <= TARGET_MS,
        f"p95 submit <= {TARGET_MS} ms": p95_submit <= TARGET_MS,
    }
    print("\nTargets: " + ", ".join(f"{k}: {'met' if ok else 'NOT met'}" for k, ok in verdicts.items()))
    print(
        f"RESULT errors={len(errors) + len(limit_errors)} lost={lost + limit_lost:.0f} p95_overview_ms={p95_overview:.0f} "
        f"p95_submit_ms={p95_submit:.0f} ratio_to_bare={ratio:.2f} rps={throughput:.1f} max_rps={ours_max_rps:.1f} "
        f"bare_max_rps={bare_max_rps:.1f} submits={successful_submits} new_cases={new_cases} users={users} "
        f"duration_s={args.duration}"
    )
    return 0


def bare(args, url: str, users: int, spawn_rate: float, workdir: Path, base_env: dict) -> float:
    """The bare insert app with the same users, gunicorn setup and (no) think time: its requests per second."""
    from bare_insert import TABLE_SQL

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bare_insert"))
        conn.execute(text(TABLE_SQL))
    env = {**os.environ, "BARE_DATABASE_URL": url}
    bare_app = gunicorn("bare", "bare_insert:app", env, args.workers, workdir, ROOT / "benchmarks", args.threads)
    with bare_app as (bare_url, _):
        samples = run_locust(
            {"BareUser": users}, {**base_env, "LOAD_BARE_URL": bare_url, "LOAD_WAIT": "0,0"}, args.limit_duration,
            spawn_rate, workdir, "bare_max",
        )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM bare_insert")).scalar()
        conn.execute(text("DROP TABLE IF EXISTS bare_insert"))
    engine.dispose()
    failed = sum(1 for s in samples if not s["ok"])
    ok = len(samples) - failed
    rps = len(samples) / args.limit_duration
    times = [s["ms"] for s in samples]
    print(
        f"Bare Flask + psycopg insert at its limit (gunicorn -w {args.workers}, {users} users without think time, "
        f"{args.limit_duration} s): {rps:.1f} requests/s, p50 {percentile(times, 50):.0f} ms, "
        f"p95 {percentile(times, 95):.0f} ms; {failed} errors; {rows:,} rows for {ok:,} successful inserts."
    )
    return rps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to fill (default 1,000,000)")
    parser.add_argument("--database-url", default=None, help="use this database (filled when it has no cases)")
    parser.add_argument("--reuse", action="store_true", help=f"use (and keep) the database {REUSED_DATABASE}")
    parser.add_argument("--keep", action="store_true", help="keep the fresh database the script created")
    parser.add_argument("--duration", type=parse_duration, default=300, help="how long the load runs (default 5m)")
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--handlers", type=int, default=50)
    parser.add_argument(
        "--wait", default="5,20", help="MIN,MAX seconds a person spends on a page before the next (default 5,20)"
    )
    parser.add_argument("--spawn-rate", type=float, default=0, help="users started per second (default: all in 30 s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app (default 2)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gunicorn worker (default 4: gthread; 1: sync workers)"
    )
    parser.add_argument(
        "--warmup", type=parse_duration, default=15, help="a few users first, not counted (default 15s; 0: none)"
    )
    parser.add_argument(
        "--limit-duration",
        type=parse_duration,
        default=60,
        help="ours and the bare app without think time, for the ratio (default 60s; 0: skip both)",
    )
    parser.add_argument("--skip-bare", action="store_true", help="leave out the bare insert app")
    parser.add_argument("--profile", type=Path, default=None, help="record the apps' workers with py-spy into DIR")
    args = parser.parse_args(argv)
    low, _, high = args.wait.partition(",")
    try:
        if float(low) < 0 or float(high) < float(low):
            raise ValueError
    except ValueError:
        parser.error("--wait takes MIN,MAX seconds, e.g. 5,20")

    if args.database_url or args.reuse:
        context = (
            named_database(REUSED_DATABASE) if args.reuse else database(args.database_url, label="load", keep=True)
        )
    else:
        context = database(None, label="load", keep=args.keep)
    with context as url:
        return run(args, url)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
