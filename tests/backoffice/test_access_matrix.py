"""The access matrix (SPEC roles, issue item 7): every case route and action of the back office ×
{admin, builder, handler, restricted handler not assigned, restricted handler assigned, handler of
another e-service, anonymous}.

Each cell gets a case of its own and asserts what the user meets: allowed (the page, or a redirect
to the expected place with the change made), 404 (a case they may not see: told it does not exist),
403 (a screen or an action they may not use), or the login page (anonymous). Every refusal is also
checked to have changed nothing and to show nothing of the case.

One world and one logged-in client per role serve the whole module (logging in hashes a password);
the tables are emptied at the end, as after any other test.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pytest
from sqlalchemy import func, select

from shared.db import db
from shared.models import (
    AuditEntry,
    Case,
    CaseChannel,
    CaseEvent,
    CaseFlag,
    CaseHandler,
    ColourLabel,
    Document,
    DocumentSource,
    EService,
    InternalNote,
    Message,
    StaffUser,
    StatusKind,
)
from shared.services import cases, documents
from tests import factories
from tests.backoffice.conftest import csrf_token, login
from tests.conftest import empty_all_tables

ROLES = ("admin", "builder", "handler", "restricted", "restricted_assigned", "other", "anonymous")
USERNAMES = {
    "admin": "admin",
    "builder": "builder",
    "handler": "hanna",
    "restricted": "rut",
    "restricted_assigned": "rut",
    "other": "otto",
    "anonymous": None,
}

# What a cell expects.
OK = "allowed"
NOT_FOUND = "404"
FORBIDDEN = "403"
LOGIN = "login"
# A bulk action given only cases one may not see: 404, or back to the overview with nothing done
# (the same answer as for a case that does not exist, so nothing is revealed).
NOT_FOUND_IN_BULK = "not found in bulk"

# Who sees the case: the e-service's handler, the admin, and the restricted handler it is assigned to.
CASE = {
    "admin": OK,
    "builder": FORBIDDEN,
    "handler": OK,
    "restricted": NOT_FOUND,
    "restricted_assigned": OK,
    "other": NOT_FOUND,
    "anonymous": LOGIN,
}
# Screens every handler has, whatever they may see on them.
SCREEN = {**CASE, "restricted": OK, "other": OK}
BULK = {**CASE, "restricted": NOT_FOUND_IN_BULK, "other": NOT_FOUND_IN_BULK}
# Manual add: an admin, or a handler with full access to the e-service.
MANUAL_ADD = {**CASE, "restricted": FORBIDDEN, "restricted_assigned": FORBIDDEN, "other": FORBIDDEN}
ADMIN_ONLY = {role: FORBIDDEN for role in ROLES} | {"admin": OK, "anonymous": LOGIN}

UNDER_BEHANDLING = "Under behandling"
PDF = factories.PDF_BYTES


@dataclass
class Cell:
    """One test's case and the ids a route needs."""

    role: str
    case_id: int
    number: int
    marker: str  # the applicant's name: a denial must never show it
    eservice_id: int
    ids: dict[str, int]  # users, statuses, the document


@dataclass
class Route:
    name: str
    method: str
    path: str  # formatted with the Cell's fields and ids
    expect: dict[str, str]
    data: Callable[[Cell], list[tuple[str, Any]]] = lambda cell: []
    assign_actor: bool = False  # the acting user is put on the case in person
    held_by_olle: bool = False  # another handler holds the case
    status: str | None = None  # the case's status by name
    document: bool = False  # the case has a document from the applicant
    case_free: bool = False  # the screen is not about this case (no change to compare)
    noop_for: tuple[str, ...] = ()  # roles for whom the allowed action changes nothing
    listed_for: tuple[str, ...] = ()  # roles whose page lists it (the link `listed` gives)
    listed: Callable[[Cell], str] | None = None
    ok_status: tuple[int, ...] = (302, 303)  # an allowed POST's answer
    check: Callable[[Cell, Any], None] | None = None  # more for an allowed cell


def _case_answers(cell_marker: str) -> dict[str, Any]:
    return {"namn": cell_marker, "personnummer": "19850709-9805", "skola": "alne", "ovrigt": ""}


def check_pdf(cell: Cell, response) -> None:
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def check_download(cell: Cell, response) -> None:
    assert response.data == PDF


def check_excel(cell: Cell, response) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    values = {str(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for v in row}
    assert str(cell.number) in values and cell.marker in values


def check_case_page(cell: Cell, response) -> None:
    assert str(cell.number) in response.get_data(as_text=True)


def check_manual_add(cell: Cell, response) -> None:
    added = db.session.scalar(select(Case).where(Case.channel == CaseChannel.MANUAL).order_by(Case.id.desc()))
    assert added is not None and added.answers["namn"] == cell.marker + " (manuell)"
    assert urlsplit(response.headers["Location"]).path == f"/arenden/{added.id}"


def _tabs() -> list[Route]:
    tabs = [
        ("show", ""),
        ("history", "/historik"),
        ("messages", "/meddelanden"),
        ("notes", "/noteringar"),
        ("documents", "/handlingar"),
        ("external", "/externt"),
        ("subtasks", "/deluppgifter"),
    ]
    return [
        Route(f"GET case {name}", "GET", "/arenden/{case_id}" + suffix, CASE, check=check_case_page)
        for name, suffix in tabs
    ]


# One row per route; kept as a table.
# fmt: off
ROUTES: list[Route] = [
    # -- the overview (engineer O) --------------------------------------------------------------
    Route("GET overview", "GET", "/arenden/?tab=alla&q={number}", SCREEN,
          listed_for=("admin", "handler", "restricted_assigned"), listed=lambda c: f'href="/arenden/{c.case_id}"'),
    Route("GET settings", "GET", "/arenden/installningar", SCREEN, case_free=True),
    Route("POST settings", "POST", "/arenden/installningar", SCREEN, case_free=True, ok_status=(302, 303, 200),
          data=lambda c: [("show_number", "1"), ("order_number", "1"), ("show_status", "1"), ("order_status", "2"),
                          ("page_size", "50"), ("show_handler_as", "name")]),
    Route("POST bulk take", "POST", "/arenden/massandring/ta", BULK, noop_for=("restricted_assigned",),
          data=lambda c: [("case_id", c.case_id)]),
    Route("POST bulk status", "POST", "/arenden/massandring/status",
          {**BULK, "restricted": NOT_FOUND, "other": NOT_FOUND},
          data=lambda c: [("case_id", c.case_id), ("confirm", "1"), ("status_id", c.ids["in_progress"]),
                          ("notify", "0")]),
    Route("POST bulk handlers", "POST", "/arenden/massandring/handlaggare", BULK,
          data=lambda c: [("case_id", c.case_id), ("assignee", f"user:{c.ids['olle']}"), ("mode", "add")]),
    Route("POST bulk colour", "POST", "/arenden/massandring/farg", BULK,
          data=lambda c: [("case_id", c.case_id), ("colour", "green")]),
    Route("POST bulk excel", "POST", "/arenden/massandring/excel",
          {**BULK, "restricted": NOT_FOUND, "other": NOT_FOUND},
          data=lambda c: [("case_id", c.case_id)], ok_status=(200,), check=check_excel),
    # -- manual add (engineer M) ----------------------------------------------------------------
    Route("GET manual add list", "GET", "/arenden/lagg-till/", SCREEN, case_free=True,
          listed_for=("admin", "handler"), listed=lambda c: f'href="/arenden/lagg-till/{c.eservice_id}"'),
    Route("GET manual add form", "GET", "/arenden/lagg-till/{eservice_id}", MANUAL_ADD, case_free=True),
    Route("POST manual add form", "POST", "/arenden/lagg-till/{eservice_id}", MANUAL_ADD,
          data=lambda c: [("namn", c.marker + " (manuell)"), ("personnummer", "20000101-2384"), ("skola", "bergs"),
                          ("applicant-name", "Per Papper")],
          check=check_manual_add),
    # -- the case view (engineer C) -------------------------------------------------------------
    *_tabs(),
    Route("GET case pdf", "GET", "/arenden/{case_id}/pdf", CASE, check=check_pdf),
    Route("GET document", "GET", "/arenden/{case_id}/handlingar/{document}", CASE, document=True,
          check=check_download),
    Route("POST take", "POST", "/arenden/{case_id}/ta", CASE, noop_for=("restricted_assigned",)),
    Route("POST take over", "POST", "/arenden/{case_id}/ta", CASE, held_by_olle=True,
          data=lambda c: [("take_over", "1")]),
    Route("POST handlers", "POST", "/arenden/{case_id}/handlaggare", CASE,
          data=lambda c: [("user_ids", c.ids["olle"])]),
    Route("POST remove me", "POST", "/arenden/{case_id}/ta-bort-mig", CASE, assign_actor=True),
    Route("POST status", "POST", "/arenden/{case_id}/status", CASE,
          data=lambda c: [("status_id", c.ids["in_progress"]), ("notify", "0")]),
    Route("POST flag", "POST", "/arenden/{case_id}/flagga", CASE, data=lambda c: [("flagged", "1")]),
    Route("POST colour", "POST", "/arenden/{case_id}/farg", CASE, data=lambda c: [("colour", "green")]),
    Route("GET edit answers", "GET", "/arenden/{case_id}/andra", CASE, check=check_case_page),
    Route("POST edit answers", "POST", "/arenden/{case_id}/andra", CASE,
          data=lambda c: list(_case_answers(c.marker + " ändrad").items())),
    Route("POST external number", "POST", "/arenden/{case_id}/externt", CASE,
          data=lambda c: [("external_number", f"DNR-{c.number}")]),
    Route("GET delete", "GET", "/arenden/{case_id}/ta-bort", {**CASE, "restricted_assigned": FORBIDDEN},
          status="Klart", check=check_case_page),
    Route("POST delete", "POST", "/arenden/{case_id}/ta-bort", {**CASE, "restricted_assigned": FORBIDDEN},
          status="Klart"),
    Route("POST message (take and reply)", "POST", "/arenden/{case_id}/meddelanden", CASE,
          data=lambda c: [("take", "1"), ("body", "Hej! Vi behöver ett intyg.")]),
    Route("POST note", "POST", "/arenden/{case_id}/noteringar", CASE,
          data=lambda c: [("body", "Ringde skolan.")]),
    Route("POST upload", "POST", "/arenden/{case_id}/handlingar", CASE,
          data=lambda c: [("file", (io.BytesIO(PDF), "beslut.pdf", "application/pdf"))]),
    Route("GET audit log", "GET", "/granskningslogg/?case={number}", ADMIN_ONLY, case_free=True),
]
# fmt: on


@dataclass
class Matrix:
    clients: dict[str, Any]
    tokens: dict[str, str]
    user_ids: dict[str, int]
    eservice_id: int
    status_ids: dict[str, int]
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))


@pytest.fixture(scope="module")
def matrix(app, backoffice_app):
    """The world, and one client per user, logged in through the real login form."""
    from backoffice.security import sync_roles

    with app.app_context():
        empty_all_tables()
        with backoffice_app.app_context():
            sync_roles(backoffice_app.appbuilder)
            db.session.remove()
        world = factories.world()
        world.eservice.colour_marking = True
        db.session.add(ColourLabel(eservice_id=world.eservice.id, colour="green", meaning="Beviljad"))
        db.session.commit()
        user_ids = {u.username: u.id for u in db.session.scalars(select(StaffUser))}
        status_ids = {s.name: s.id for s in world.eservice.status_group.statuses}
        clients, tokens = {}, {}
        for username in {"admin", "builder", "hanna", "rut", "otto", None}:
            client = backoffice_app.test_client()
            if username is None:
                tokens[None] = csrf_token(client.get("/login/").get_data(as_text=True))
            else:
                assert login(client, username).status_code == 200
                tokens[username] = csrf_token(client.get("/staffuserinfoeditview/form").get_data(as_text=True))
            clients[username] = client
        built = Matrix(
            clients=clients,
            tokens=tokens,
            user_ids=user_ids,
            eservice_id=world.eservice.id,
            status_ids=status_ids,
        )
        db.session.remove()
        try:
            yield built
        finally:
            db.session.remove()
            empty_all_tables()


def new_cell(matrix: Matrix, route: Route, role: str) -> Cell:
    """A case of its own for the cell, shaped for the route."""
    eservice = db.session.get(EService, matrix.eservice_id)
    holder_names = []
    if route.held_by_olle:
        holder_names.append("olle")
    if role == "restricted_assigned":
        holder_names.append("rut")
    elif route.assign_actor and USERNAMES[role] and role != "restricted":
        # (The handler of another e-service put on the case in person still may not see it.)
        holder_names.append(USERNAMES[role])
    by_id = {
        u.id: u
        for u in db.session.scalars(
            select(StaffUser).where(StaffUser.id.in_([matrix.user_ids[n] for n in holder_names]))
        )
    }
    holders = [by_id[matrix.user_ids[n]] for n in holder_names]
    marker = f"Matris Fall {next(matrix.seq)} {role}"
    citizen = factories.citizen("19850709-9805")
    case = factories.case(
        eservice,
        number=cases._next_case_number(),  # from the counter that manual add numbers by too
        citizen=citizen,
        answers=_case_answers(marker),
        applicant_name=marker,
        users=list(dict.fromkeys(holders)),
        status_kind=route.status or StatusKind.SUBMITTED,
    )
    ids = {"olle": matrix.user_ids["olle"], "in_progress": matrix.status_ids[UNDER_BEHANDLING]}
    if route.document:
        document = documents.store_document(
            case, "intyg.pdf", PDF, "application/pdf", source=DocumentSource.APPLICANT, citizen=citizen
        )
        ids["document"] = document.id
    db.session.commit()
    cell = Cell(role=role, case_id=case.id, number=case.number, marker=marker, eservice_id=eservice.id, ids=ids)
    db.session.remove()
    return cell


def fingerprint(case_id: int) -> tuple | None:
    """Everything an action could change about the case, read in one statement (None: it is gone)."""

    def count(model, column):
        return select(func.count()).select_from(model).where(column == case_id).scalar_subquery()

    def handlers(column):
        return select(func.count(column.distinct())).where(CaseHandler.case_id == case_id).scalar_subquery()

    row = db.session.execute(
        select(
            Case.status_id,
            Case.colour,
            Case.external_number,
            Case.answers,
            select(func.coalesce(func.sum(CaseHandler.user_id), 0))
            .where(CaseHandler.case_id == case_id)
            .scalar_subquery(),
            handlers(CaseHandler.user_id),
            handlers(CaseHandler.group_id),
            count(CaseFlag, CaseFlag.case_id),
            count(InternalNote, InternalNote.case_id),
            count(Message, Message.case_id),
            count(Document, Document.case_id),
            count(CaseEvent, CaseEvent.case_id),
            count(AuditEntry, AuditEntry.case_id),
        ).where(Case.id == case_id)
    ).one_or_none()
    db.session.remove()
    if row is None:
        return None
    values = list(row)
    values[3] = json.dumps(values[3], sort_keys=True)
    return tuple(values)


def manual_cases() -> int:
    count = db.session.scalar(select(func.count()).select_from(Case).where(Case.channel == CaseChannel.MANUAL))
    db.session.remove()
    return count


def send(matrix: Matrix, route: Route, cell: Cell):
    username = USERNAMES[cell.role]
    client = matrix.clients[username]
    path = route.path.format(case_id=cell.case_id, number=cell.number, eservice_id=cell.eservice_id, **cell.ids)
    if route.method == "GET":
        return client.get(path)
    payload: dict[str, list] = {"csrf_token": [matrix.tokens[username]]}
    for name, value in route.data(cell):
        payload.setdefault(name, []).append(value)
    return client.post(path, data=payload, content_type="multipart/form-data")


def _location(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


@pytest.fixture
def in_app(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.mark.parametrize(
    ("route", "role"),
    [pytest.param(route, role, id=f"{route.name} | {role}") for route in ROUTES for role in ROLES],
)
def test_access(matrix, in_app, route: Route, role: str):
    cell = new_cell(matrix, route, role)
    before = fingerprint(cell.case_id)
    added_before = manual_cases() if "manual add" in route.name else 0
    response = send(matrix, route, cell)
    body = response.get_data()
    after = fingerprint(cell.case_id)
    expected = route.expect[role]

    if expected == OK:
        text = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        if route.method == "GET":
            assert response.status_code == 200, f"{response.status_code} {_location(response)}"
        else:
            assert response.status_code in route.ok_status, f"{response.status_code}: {text[:300]}"
            if response.status_code in (302, 303):
                assert _location(response).startswith("/arenden/"), _location(response)
            if not route.case_free and route.check is None and role not in route.noop_for:
                assert after != before, "the action changed nothing"
        if route.listed is not None:
            assert (route.listed(cell) in text) == (role in route.listed_for), "listed wrongly"
        if route.check is not None:
            route.check(cell, response)
        return

    # A refusal: the right answer, nothing changed, nothing of the case shown.
    if expected == LOGIN:
        assert response.status_code == 302 and _location(response) == "/login/", response.status_code
    elif expected == NOT_FOUND:
        assert response.status_code == 404, response.status_code
    elif expected == FORBIDDEN:
        assert response.status_code == 403, response.status_code
    elif expected == NOT_FOUND_IN_BULK:
        assert response.status_code == 404 or (response.status_code == 302 and _location(response) == "/arenden/"), (
            response.status_code
        )
    if route.method == "GET" and expected == FORBIDDEN and CASE[role] == OK and before and after:
        # Refused a page about a case they may see (e.g. delete in a status that forbids it):
        # the opening may be in the audit log, nothing else may change.
        before, after = before[:-1], after[:-1]
    assert after == before, "a refused request changed the case"
    if "manual add" in route.name:
        assert manual_cases() == added_before, "a refused request added a case"
    assert cell.marker.encode() not in body, "a refused request showed the case"
