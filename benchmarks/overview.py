"""The handlers' case overview (Ärenden) on a large municipality's data.

    .venv/bin/python benchmarks/overview.py [--cases N] [--database-url URL] [--keep] [--repeat R]

Fills PostgreSQL with N cases (default 1,000,000) spread over 20 e-services and 200
handlers: realistic answers (the demo e-services' forms), summaries, search text,
personnummer, statuses over three years of work, handlers and groups, flags and colours.
Everything is written with COPY, so filling takes minutes.

Then, for a handler with full sight of two e-services (and member of a group), it
measures the server time of each tab's first page with its counts, a search by
personnummer and a sort by submitted date, through the real view (Flask test client,
logged in through the login form). Beside each it prints:

- the bare SQL of the same page: every statement the request ran (the login session,
  Flask-AppBuilder's permission checks, the overview's own), executed again directly on a
  DBAPI connection with the same parameters;
- the statements the page ran (a fixed number whatever the page size).

Last, the time of a plain Flask-AppBuilder ModelView list of the cases table (a
throwaway view registered here only), as an administrator, as the baseline of what the
framework gives without our queries; and, for information, the overview's pages as an
administrator, who sees every case.

Without --database-url a fresh database is created on 127.0.0.1:5432 and dropped at the
end (--keep keeps it; give its URL next time to measure again without filling). A
database that already holds the cases is measured as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from bench_db import database  # noqa: E402
from sqlalchemy import event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from shared.models.case import SEARCHED_COLUMNS  # noqa: E402

PASSWORD = "benchmark-password"
N_ESERVICES = 20
N_HANDLERS = 200
N_CITIZENS = 200_000
TABS = ("obehandlade", "forfallna", "mina", "flaggade", "pagaende", "alla")


ESERVICE_NAMES = [
    ("Skolskjuts – ansökan", "skolskjuts"),
    ("Ansökan om specialkost", "specialkost"),
    ("Kulturskolan – ansökan", "kulturskolan"),
    ("Larmavtal – Kommunens alarmeringscentral KAC", "larmavtal"),
    ("Skolskjuts – anpassad skolskjuts", "skolskjuts"),
    ("Specialkost i förskolan", "specialkost"),
    ("Kulturskolan – sommarkurser", "kulturskolan"),
    ("Larmavtal – hisslarm", "larmavtal"),
    ("Skolskjuts vid växelvis boende", "skolskjuts"),
    ("Specialkost – äldreomsorg", "specialkost"),
    ("Lovskola – anmälan", "kulturskolan"),
    ("Automatiskt brandlarm – avtal", "larmavtal"),
    ("Busskort för gymnasieelever", "skolskjuts"),
    ("Måltider i fritidshem", "specialkost"),
    ("Simskola – anmälan", "kulturskolan"),
    ("Trygghetslarm – ansökan", "larmavtal"),
    ("Skolskjuts – tillfällig", "skolskjuts"),
    ("Specialkost – gymnasiet", "specialkost"),
    ("Fritidsgård – medlemskap", "kulturskolan"),
    ("Larmavtal – inbrottslarm", "larmavtal"),
]
FIRST_NAMES = [
    "Anna",
    "Bertil",
    "Cecilia",
    "David",
    "Elin",
    "Fredrik",
    "Greta",
    "Hassan",
    "Ida",
    "Jonas",
    "Karin",
    "Lars",
    "Maria",
    "Nils",
    "Olivia",
    "Per",
    "Rut",
    "Sara",
    "Tomas",
    "Ulla",
    "Viktor",
    "Åsa",
    "Örjan",
]
LAST_NAMES = [
    "Andersson",
    "Berglund",
    "Carlsson",
    "Dahl",
    "Ekström",
    "Falk",
    "Gustafsson",
    "Hassan",
    "Isaksson",
    "Johansson",
    "Karlsson",
    "Lindqvist",
    "Nordström",
    "Öljung",
    "Persson",
    "Sjöberg",
    "Åström",
    "Ali",
]


# -- the database ----------------------------------------------------------------------------


# Migration 0006's trigram indexes (the overview's free-text search), by name: those the model declares.
SEARCH_INDEXES = {f"ix_case_{column}_trgm": column for column in SEARCHED_COLUMNS}


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    import config
    from shared.app import create_core_app

    app = create_core_app(
        "etjanst_benchmark", config.get_config("development"), overrides={"SQLALCHEMY_DATABASE_URI": url}
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from shared.db import db

        db.session.remove()
        db.engine.dispose()


# -- filling -----------------------------------------------------------------------------------


def _luhn(digits9: str) -> str:
    total = 0
    for i, ch in enumerate(digits9):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def personnummer(rng: random.Random, first_year: int, last_year: int) -> str:
    """A valid 12-digit personnummer (check digit right), birth between the years."""
    birth = dt.date(first_year, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * (last_year - first_year)))
    serial = f"{rng.randrange(0, 1000):03d}"
    short = f"{birth:%y%m%d}{serial}"
    return f"{birth:%Y%m%d}{serial}{_luhn(short)}"


@dataclass
class Plan:
    """An e-service as the filler needs it (plain values: nothing lazy-loads during COPY)."""

    id: int
    kind: str
    due_days: int
    colour_marking: bool
    summary_fields: list[str]
    versions: dict[int, dict]
    group_id: int
    full: list[int]
    restricted: list[int]


class Person:
    """What the demo's answer generator needs of a citizen."""

    def __init__(self, first: str, last: str, email: str) -> None:
        self.first_name, self.last_name, self.email = first, last, email
        self.full_name = f"{first} {last}"


def fill(n_cases: int) -> dict:
    """Write the municipality; returns who to measure as."""
    from flask_appbuilder.security.sqla.models import Role
    from werkzeug.security import generate_password_hash

    from shared import clock, forms, roles
    from shared.db import db
    from shared.demo import _answers, definitions
    from shared.models import (
        ColourLabel,
        EService,
        EServiceVersion,
        GroupMember,
        HandlerGroup,
        HandlerLink,
        StaffUser,
        StatusKind,
        VersionState,
    )
    from shared.services.statuses import ensure_standard_status_group

    rng = random.Random(2026)
    started = time.perf_counter()
    # The search's trigram indexes would slow the bulk load many times over: built after it.
    for name in SEARCH_INDEXES:
        db.session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    db.session.commit()
    password = generate_password_hash(PASSWORD)
    role_rows = {}
    for name in (roles.ADMIN, roles.BUILDER, roles.HANDLER):
        role_rows[name] = db.session.scalar(select(Role).where(Role.name == name)) or Role(name=name)
        db.session.add(role_rows[name])
    admin = StaffUser(
        username="admin",
        first_name="Alva",
        last_name="Administratör",
        email="admin@example.org",
        password=password,
        active=True,
        roles=[role_rows[roles.ADMIN]],
    )
    db.session.add(admin)
    handlers = []
    for i in range(N_HANDLERS):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        handlers.append(
            StaffUser(
                username=f"h{i:03d}",
                first_name=first,
                last_name=last,
                email=f"h{i:03d}@example.org",
                password=password,
                active=True,
                roles=[role_rows[roles.HANDLER]],
            )
        )
    db.session.add_all(handlers)

    standard = ensure_standard_status_group()
    kinds = {
        "skolskjuts": definitions.SKOLSKJUTS,
        "specialkost": definitions.SPECIALKOST,
        "kulturskolan": definitions.KULTURSKOLAN,
    }
    summary_fields = {
        "skolskjuts": ["elev_namn", "elev_personnummer", "skola"],
        "specialkost": ["barn_namn", "enhet", "grund"],
        "kulturskolan": ["elev_namn", "kurs", "skola"],
        "larmavtal": ["avtalspart", "larmtyp"],
    }
    eservices: list[tuple[EService, str, list[HandlerLink]]] = []
    for index, (name, kind) in enumerate(ESERVICE_NAMES[:N_ESERVICES]):
        eservice = EService(
            name=name,
            slug=f"e{index}",
            status_group=standard,
            due_days=rng.choice([10, 21, 30]),
            colour_marking=index % 2 == 0,
            summary_fields=summary_fields[kind],
        )
        n_versions = 1 + index % 3
        for number in range(1, n_versions + 1):
            definition = definitions.larmavtal(number) if kind == "larmavtal" else kinds[kind]
            eservice.versions.append(
                EServiceVersion(
                    number=number,
                    definition=definition,
                    state=VersionState.PUBLISHED if number == n_versions else VersionState.RETIRED,
                )
            )
        if eservice.colour_marking:
            eservice.colour_labels = [
                ColourLabel(colour="green", meaning="Beviljad", sort_order=1),
                ColourLabel(colour="yellow", meaning="Kontakta skolan", sort_order=2),
                ColourLabel(colour="red", meaning="Brådskande", sort_order=3),
            ]
        # Ten handlers per e-service, one in ten restricted; a third of them handle a second one too.
        own = handlers[index * 10 : (index + 1) * 10]
        links = [HandlerLink(user=h, restricted=(j == 9)) for j, h in enumerate(own)]
        for h in handlers[((index + 1) % N_ESERVICES) * 10 : ((index + 1) % N_ESERVICES) * 10 + 3]:
            links.append(HandlerLink(user=h))
        group = HandlerGroup(name=f"{name} – handläggare"[:150])
        group.members = [GroupMember(user=h) for h in own[:4]]
        links.append(HandlerLink(group=group))
        eservice.handler_links = links
        db.session.add(eservice)
        eservices.append((eservice, kind, links))
    db.session.flush()
    # Plain values from here on: the session's connection is busy with COPY, so nothing may lazy-load.
    status_ids = {s.kind: s.id for s in reversed(standard.statuses)}
    plans = [
        Plan(
            id=e.id,
            kind=kind,
            due_days=e.due_days,
            colour_marking=e.colour_marking,
            summary_fields=list(e.summary_fields),
            versions={v.id: v.definition for v in e.versions},
            group_id=next(link.group.id for link in links if link.group is not None),
            full=[link.user.id for link in links if link.user is not None and not link.restricted],
            restricted=[link.user.id for link in links if link.user is not None and link.restricted],
        )
        for e, kind, links in eservices
    ]
    db.session.commit()
    print(f"  staff, e-services and links: {time.perf_counter() - started:.1f} s", flush=True)

    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()

    # Citizens: names and valid personnummer; four in five cases come from one of them.
    citizens = []
    with cursor.copy(
        "COPY citizen (id, personnummer, first_name, last_name, email, notify_by_email, "
        "notify_by_sms, created_at) FROM STDIN"
    ) as copy:
        seen: set[str] = set()
        now = clock.now()
        while len(citizens) < N_CITIZENS:
            pnr = personnummer(rng, 1940, 2005)
            if pnr in seen:
                continue
            seen.add(pnr)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            citizen_id = len(citizens) + 1
            citizens.append((citizen_id, pnr, Person(first, last, f"{first}.{last}@example.org".lower())))
            copy.write_row((citizen_id, pnr, first, last, citizens[-1][2].email, True, False, now))
    print(f"  {len(citizens):,} citizens: {time.perf_counter() - started:.1f} s", flush=True)

    columns = (
        "id, number, eservice_id, version_id, status_id, status_changed_at, channel, citizen_id, "
        "contact_name, personnummer, organisationsnummer, applicant_name, answers, summary, search_text, "
        "colour, submitted_at, due_at, due_paused_at, assigned, closed_at, created_at, updated_at"
    )
    now = clock.now()
    handler_rows = []
    flag_rows = []
    questions = {vid: list(forms.iter_questions(d)) for plan in plans for vid, d in plan.versions.items()}
    with cursor.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
        for case_id in range(1, n_cases + 1):
            plan = plans[rng.randrange(len(plans))]
            age = dt.timedelta(days=rng.random() * 1095, seconds=rng.randrange(86400))
            submitted = now - age
            days = age.days
            roll = rng.random()
            if days > 90:
                state = "closed" if roll < 0.92 else ("progress" if roll < 0.97 else "waiting")
            elif days > 14:
                state = "closed" if roll < 0.4 else "progress" if roll < 0.75 else "waiting" if roll < 0.85 else "new"
            else:
                state = "new" if roll < 0.5 else "progress" if roll < 0.85 else "waiting" if roll < 0.9 else "closed"
            status_id = {
                "new": status_ids[StatusKind.SUBMITTED],
                "progress": status_ids[StatusKind.IN_PROGRESS],
                "waiting": status_ids[StatusKind.WAITING],
                "closed": status_ids[StatusKind.ARCHIVED if rng.random() < 0.2 else StatusKind.COMPLETED],
            }[state]
            # Versions follow time: the newest version takes the newest cases.
            versions = list(plan.versions)
            version_id = versions[min(len(versions) - 1, int((1095 - days) / 1095 * len(versions)))]
            citizen_id, pnr, person = rng.choice(citizens)
            answers = _answers(plan.kind, rng, person, version=3)
            if rng.random() < 0.2:  # an applicant without e-ID: the personnummer comes from the answers
                citizen_id = None
                pnr = next(
                    (answers[q].replace("-", "") for q in ("elev_personnummer", "barn_personnummer") if q in answers),
                    None,
                )
            definition = plan.versions[version_id]
            pairs = forms.summarize(definition, answers, plan.summary_fields)
            summary = " · ".join(f"{label}: {value}" for label, value in pairs)[:500] or None
            search_text = (
                " ".join(
                    t for _s, q in questions[version_id] if (t := forms.display_value(q, answers.get(q.get("id"))))
                )
                or None
            )
            org = answers.get("organisationsnummer")
            assigned = state != "new" or rng.random() < 0.5
            if assigned:
                pick = rng.random()
                if pick < 0.15:
                    handler_rows.append((case_id, None, plan.group_id))
                else:
                    pool = plan.restricted if pick > 0.95 else plan.full
                    handler_rows.append((case_id, rng.choice(pool), None))
            if rng.random() < 0.005:
                flag_rows.append((case_id, rng.choice(plan.full)))
            due_at = submitted + dt.timedelta(days=plan.due_days)
            changed = submitted + age / 3
            copy.write_row(
                (
                    case_id,
                    case_id,
                    plan.id,
                    version_id,
                    status_id,
                    changed,
                    "portal",
                    citizen_id,
                    None if citizen_id else person.full_name,
                    pnr,
                    org.replace("-", "") if org else None,
                    person.full_name,
                    json.dumps(answers, ensure_ascii=False),
                    summary,
                    search_text,
                    rng.choice(["green", "yellow", "red"]) if plan.colour_marking and rng.random() < 0.1 else None,
                    submitted,
                    due_at,
                    changed if state == "waiting" else None,
                    assigned,
                    changed if state == "closed" else None,
                    submitted,
                    changed,
                )
            )
            if case_id % 100_000 == 0:
                print(f"  {case_id:,} cases: {time.perf_counter() - started:.1f} s", flush=True)
    with cursor.copy("COPY case_handler (case_id, user_id, group_id, assigned_at) FROM STDIN") as copy:
        for case_id, user_id, group_id in handler_rows:
            copy.write_row((case_id, user_id, group_id, now))
    with cursor.copy("COPY case_flag (case_id, user_id, created_at) FROM STDIN") as copy:
        for row in set(flag_rows):
            copy.write_row((*row, now))
    cursor.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), %s)", (n_cases,))
    cursor.execute("SELECT setval(pg_get_serial_sequence('citizen', 'id'), %s)", (len(citizens),))
    cursor.execute("INSERT INTO counter (name, value) VALUES ('case_number', %s)", (n_cases,))
    db.session.commit()
    print(
        f"  {len(handler_rows):,} assignments, {len(flag_rows):,} flags: {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {"filled_s": time.perf_counter() - started}


def create_indexes_and_analyze(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # Those of migration 0006, dropped for the bulk load (see fill).
        for name, column in SEARCH_INDEXES.items():
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON cases USING gin ({column} gin_trgm_ops)"))
        # After a bulk load: statistics for the planner, the visibility map for index-only scans.
        conn.execute(text("VACUUM (ANALYZE) cases"))
        conn.execute(text("VACUUM (ANALYZE) case_handler"))
        conn.execute(text("VACUUM (ANALYZE) case_flag"))
        conn.execute(text("ANALYZE"))
    engine.dispose()


def build_app(url: str):
    """The back office on the benchmark database, with a throwaway plain ModelView of the cases table."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    import config
    from backoffice import create_app
    from backoffice.security import sync_roles
    from shared.models import Case

    class BenchmarkCaseListView(ModelView):
        """Flask-AppBuilder's own list of the cases table: what the framework gives without our queries."""

        datamodel = SQLAInterface(Case)
        route_base = "/benchmark-fab-cases"
        list_columns = ["number", "status", "submitted_at", "applicant_name", "eservice", "version", "summary"]
        # FAB cannot build a search field for our enum columns; searching is not measured.
        search_columns = ["applicant_name", "summary"]
        base_order = ("submitted_at", "desc")
        page_size = 50

    app = create_app(
        config.get_config("development"),
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "FAB_UPDATE_PERMS": False,
            "SCHEDULER_IN_PROCESS": False,
            "SERVER_NAME": None,
        },
    )
    with app.app_context():
        app.appbuilder.add_view_no_menu(BenchmarkCaseListView)
        sync_roles(app.appbuilder)
    return app


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    server_ms: float
    sql_ms: float
    statements: int
    rows: int

    @property
    def ratio(self) -> float:
        return self.server_ms / self.sql_ms if self.sql_ms else float("inf")


def _login(client, username: str) -> None:
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login as {username} failed"


@contextmanager
def captured():
    """Every SQL statement (and its parameters) run meanwhile, on any engine."""
    from sqlalchemy.engine import Engine

    seen: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", remember)


def _median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_page(client, engine, label: str, url: str, repeat: int) -> Figure:
    """Server time of one page (median), and the bare time of the very statements it ran."""
    import re

    for _ in range(2):  # warm: caches, plans, the session
        assert client.get(url).status_code == 200, url
    with captured() as statements:
        html = client.get(url).get_data(as_text=True)
    # Our list marks its rows with data-case; FAB's list has a header row and the data rows.
    rows = len(re.findall(r"<tr data-case=", html)) if "/arenden/" in url else max(0, html.count("<tr") - 1)
    server = _median_ms(lambda: client.get(url), repeat)

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()

        def bare():
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            raw.rollback()

        bare()
        sql = _median_ms(bare, repeat)
    finally:
        raw.close()
    return Figure(label, server, sql, len(statements), rows)


def _set_page_size(app, user_id: int, page_size: int | None) -> None:
    from shared.db import db
    from shared.models import UserPreference

    with app.app_context():
        db.session.execute(sa.delete(UserPreference))
        if page_size is not None:
            db.session.add(UserPreference(user_id=user_id, page_size=page_size))
        db.session.commit()


def _statements_at(app, client, user_id: int, page_size: int) -> int:
    _set_page_size(app, user_id, page_size)
    client.get("/arenden/?tab=alla")
    with captured() as statements:
        client.get("/arenden/?tab=alla")
    return len(statements)


def measure(app, repeat: int) -> int:
    """Every request runs in an app context of its own, as in production (never inside one
    held here: it would share ``g`` and the database session between the requests)."""
    from shared.db import db
    from shared.models import Case, StaffUser
    from shared.services import access

    with app.app_context():
        engine = db.engine
        handler = db.session.scalar(select(StaffUser).where(StaffUser.username == "h000"))
        handler_id, handler_name = handler.id, handler.username
        eservice_ids = sorted(access.linked_eservice_ids(handler))
        visible = db.session.scalar(select(sa.func.count()).select_from(Case).where(Case.eservice_id.in_(eservice_ids)))
        total = db.session.scalar(select(sa.func.count()).select_from(Case))
        pnr, name = db.session.execute(
            select(Case.personnummer, Case.applicant_name)
            .where(Case.eservice_id == eservice_ids[0], Case.citizen_id.is_not(None))
            .limit(1)
        ).one()
        db.session.remove()
    _set_page_size(app, handler_id, None)
    typed_pnr = f"{pnr[2:8]}-{pnr[8:]}"  # YYMMDD-NNNN: the century is the database's to find
    print(
        f"\n{total:,} cases in {N_ESERVICES} e-services; measuring as handler {handler_name} "
        f"({len(eservice_ids)} e-services, {visible:,} cases in sight), {repeat} requests per page.\n"
    )

    pages = [(f"tab {tab}", f"/arenden/?tab={tab}") for tab in TABS]
    pages += [
        (f"search personnummer {typed_pnr}", f"/arenden/?tab=alla&q={typed_pnr}"),
        ("sort by submitted, oldest first", "/arenden/?tab=alla&sort=submitted&dir=asc"),
    ]
    client = app.test_client()
    _login(client, handler_name)
    figures = [measure_page(client, engine, label, url, repeat) for label, url in pages]
    small = _statements_at(app, client, handler_id, 10)
    large = _statements_at(app, client, handler_id, 50)
    _set_page_size(app, handler_id, None)

    surname = name.split()[-1]
    info = [
        measure_page(
            client, engine, f"search name {surname}", f"/arenden/?tab=alla&q={quote(surname)}", max(3, repeat // 3)
        )
    ]

    admin_client = app.test_client()
    _login(admin_client, "admin")
    admin_figures = [
        measure_page(admin_client, engine, f"admin: {label}", url, max(3, repeat // 3))
        for label, url in pages
        if label in ("tab obehandlade", "tab alla")
    ]
    fab = measure_page(
        admin_client, engine, "plain FAB ModelView list (admin)", "/benchmark-fab-cases/list/", max(3, repeat // 3)
    )

    header = f"{'page':<44} {'server ms':>10} {'bare SQL ms':>12} {'ratio':>6} {'SQL stmts':>10} {'rows':>5}"
    print(header)
    print("-" * len(header))
    for figure in [*figures, None, *info, *admin_figures, fab]:
        if figure is None:
            print("-" * len(header))
            continue
        print(
            f"{figure.label:<44} {figure.server_ms:>10.1f} {figure.sql_ms:>12.1f} {figure.ratio:>6.2f} "
            f"{figure.statements:>10} {figure.rows:>5}"
        )
    print(f"\nStatements per overview page: {small} at page size 10, {large} at page size 50.")
    worst = max(figures, key=lambda f: f.server_ms)
    worst_ratio = max(figures, key=lambda f: f.ratio)
    print(
        f"Worst page: {worst.label} ({worst.server_ms:.1f} ms); worst ratio: {worst_ratio.label} "
        f"({worst_ratio.ratio:.2f}x its bare SQL)."
    )
    statements = max(f.statements for f in figures)
    print(
        f"RESULT worst_page_ms={worst.server_ms:.1f} worst_ratio_to_sql={worst_ratio.ratio:.2f} "
        f"fab_list_ms={fab.server_ms:.1f} statements_per_page={statements} "
        f"statements_page10={small} statements_page50={large} cases={total}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database the script created")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page (the median is reported)")
    parser.add_argument("--fill-only", action="store_true")
    args = parser.parse_args(argv)

    with database(args.database_url, label="overview", keep=args.keep) as url:
        print(f"Database: {make_url(url).render_as_string(hide_password=True)}")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            has_schema = conn.execute(text("SELECT to_regclass('public.cases')")).scalar() is not None
            existing = conn.execute(text("SELECT count(*) FROM cases")).scalar() if has_schema else 0
        engine.dispose()
        migrate(url)  # creates the schema, or brings an earlier run's database up to date
        app = build_app(url)
        if existing == 0:
            print(f"Filling {args.cases:,} cases …", flush=True)
            with app.app_context():
                fill(args.cases)
        else:
            print(f"The database holds {existing:,} cases already: measuring them.")
        create_indexes_and_analyze(url)
        if args.fill_only:
            return 0
        return measure(app, args.repeat)


if __name__ == "__main__":
    raise SystemExit(main())
