"""Ärenden (the case overview) through the browser's eyes: real login per role, tabs, search,
sorting, pages, settings and bulk actions (F-LIST-1..5, F-GRP-1)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from shared import clock
from shared.db import db
from shared.models import (
    AuditEntry,
    Case,
    CaseFlag,
    EService,
    EServiceVersion,
    GroupMember,
    NotificationEvent,
    Recipient,
    StaffUser,
    StatusKind,
    UserPreference,
    VersionState,
)
from tests import factories
from tests.backoffice.conftest import csrf_token, login

OVERVIEW = "/arenden/"


# -- reading the page --------------------------------------------------------------------------


def listed(html: str) -> list[int]:
    """The case numbers in the list, top to bottom."""
    return [int(n) for n in re.findall(r'<tr data-case="(\d+)"', html)]


def counts(html: str) -> dict[str, int]:
    """Each tab's count as the tab shows it."""
    found = re.findall(r'data-tab="(\w+)">\s*<span class="badge bo-count" data-count="(\d+)"', html)
    return {tab: int(n) for tab, n in found}


def row(html: str, number: int) -> str:
    match = re.search(rf'<tr data-case="{number}".*?</tr>', html, flags=re.S)
    assert match, f"case {number} is not in the list"
    return match.group(0)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def column_headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col" class="bo-col-(\w+)"', html)


def get(client, **args) -> str:
    response = client.get(OVERVIEW, query_string=args)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client, path: str, data: dict, **kwargs):
    token = csrf_token(get(client))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def flashes(html: str) -> str:
    return " ".join(text_of(m) for m in re.findall(r'<div class="alert[^"]*">(.*?)</div>', html, flags=re.S))


# -- the set-up ------------------------------------------------------------------------------------


@pytest.fixture
def world(bo):
    return factories.world()


@pytest.fixture
def spread(world):
    """Skolskjuts cases in the states the tabs tell apart, and one Bygglov case."""
    now = clock.now()
    e = world.eservice
    made = {
        "free": factories.case(e, number=101, submitted_at=now - dt.timedelta(days=1), applicant_name="Maria Öljung"),
        "overdue": factories.case(
            e, number=102, submitted_at=now - dt.timedelta(days=2), due_at=now - dt.timedelta(hours=2)
        ),
        "hanna": factories.case(e, number=103, users=[world.hanna], submitted_at=now - dt.timedelta(days=3)),
        "group": factories.case(e, number=104, groups=[world.group], submitted_at=now - dt.timedelta(days=4)),
        "closed": factories.case(
            e,
            number=105,
            users=[world.hanna],
            status_kind=StatusKind.COMPLETED,
            closed_at=now,
            submitted_at=now - dt.timedelta(days=5),
        ),
        "rut": factories.case(e, number=106, users=[world.rut], submitted_at=now - dt.timedelta(days=6)),
        "bygglov": factories.case(
            db.session.scalar(select(EService).where(EService.name == "Bygglov")),
            number=107,
            submitted_at=now - dt.timedelta(days=7),
        ),
    }
    db.session.add(CaseFlag(case_id=made["closed"].id, user_id=world.hanna.id))
    db.session.commit()
    return made


# -- landing, tabs and counts ------------------------------------------------------------------------


def test_a_handler_lands_on_the_overview_with_every_tab_counted(client, world, spread):
    response = login(client, "hanna")
    assert response.request.path == OVERVIEW
    html = response.get_data(as_text=True)
    assert counts(html) == {"obehandlade": 2, "forfallna": 1, "mina": 1, "flaggade": 1, "pagaende": 3, "alla": 6}
    assert listed(html) == [101, 102]  # Obehandlade first, newest first
    assert 'aria-current="page" title=' in html
    assert f'href="{OVERVIEW}' in html  # the menu's Ärenden


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("obehandlade", [101, 102]),
        ("forfallna", [102]),
        ("mina", [103]),
        ("flaggade", [105]),
        ("pagaende", [103, 104, 106]),
        ("alla", [101, 102, 103, 104, 105, 106]),
    ],
)
def test_each_tab_lists_its_cases(client, world, spread, tab, expected):
    login(client, "hanna")
    assert listed(get(client, tab=tab)) == expected


def test_the_users_default_tab_is_opened_first(client, world, spread):
    db.session.add(UserPreference(user_id=world.hanna.id, default_tab="mina"))
    db.session.commit()
    login(client, "hanna")
    assert listed(get(client)) == [103]


def test_a_group_case_is_under_mine_for_every_member_with_the_groups_name(client, world, spread):
    gun2 = factories.user("gunnar", first_name="Gunnar", last_name="Ek")
    db.session.add(GroupMember(group_id=world.group.id, user_id=gun2.id))
    db.session.commit()
    for member in ("gun", "gunnar"):
        client.get("/logout/")
        login(client, member)
        html = get(client, tab="mina")
        assert listed(html) == [104], member
        assert "Skolskjutsgruppen" in row(html, 104)
    client.get("/logout/")
    login(client, "hanna")  # not a member: sees the group's name, but it is not hers
    html = get(client, tab="alla")
    assert "Skolskjutsgruppen" in row(html, 104)
    assert 104 not in listed(get(client, tab="mina"))


def test_the_handler_column_shows_names_or_usernames(client, world, spread):
    login(client, "olle")
    html = get(client, tab="alla")
    assert "Hanna Berg" in row(html, 103)
    db.session.add(UserPreference(user_id=world.olle.id, show_handler_as="username"))
    db.session.commit()
    html = get(client, tab="alla")
    assert "hanna" in text_of(row(html, 103)).split() and "Hanna Berg" not in row(html, 103)


def test_a_restricted_handler_sees_only_what_is_assigned_to_them(client, world, spread):
    login(client, "rut")
    html = get(client, tab="alla")
    assert listed(html) == [106]
    assert counts(html)["alla"] == 1 and counts(html)["obehandlade"] == 0
    # Removing oneself makes the case disappear from sight.
    from shared.services import cases as case_service

    case_service.remove_self(spread["rut"].id, actor=db.session.get(StaffUser, world.rut.id))
    assert listed(get(client, tab="alla")) == []


def test_handlers_of_another_eservice_and_admins(client, world, spread):
    login(client, "otto")
    assert listed(get(client, tab="alla")) == [107]
    client.get("/logout/")
    response = login(client, "admin")
    assert response.request.path == "/"  # no handler links: the start page, with a way to the cases
    assert f'href="{OVERVIEW}"' in response.get_data(as_text=True)
    assert listed(get(client, tab="alla")) == [101, 102, 103, 104, 105, 106, 107]


def test_builders_and_visitors_are_kept_out(client, world, spread):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    response = login(client, "builder")
    assert response.request.path == "/"
    assert f'href="{OVERVIEW}"' not in response.get_data(as_text=True)
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(OVERVIEW + "installningar").status_code == 403


# -- rows, search, filters, sorting, pages ---------------------------------------------------------


def test_a_row_shows_the_list_columns(client, world, spread):
    factories.colour_label(world.eservice, "green", "Beviljad, väntar på beslut")
    world.eservice.colour_marking = True
    case = db.session.get(Case, spread["hanna"].id)
    case.colour, case.summary, case.applicant_name = "green", "Elev: Kalle Anka · Skola: Alneskolan", "Maria Öljung"
    db.session.commit()
    login(client, "hanna")
    html = row(get(client, tab="mina"), 103)
    assert f'href="{OVERVIEW}{case.id}"' in html
    for expected in ("Inskickat", "Maria Öljung", "Skolskjuts", "Elev: Kalle Anka · Skola: Alneskolan", "Hanna Berg"):
        assert expected in html
    assert "Beviljad, väntar på beslut" in html  # the colour's meaning, for screen readers too
    assert clock.to_local(case.submitted_at).strftime("%Y-%m-%d %H:%M") in html
    assert "bo-star" not in html
    assert "bo-star" in row(get(client, tab="flaggade"), 105)
    assert "bo-overdue" in row(get(client, tab="alla"), 102)


@pytest.fixture
def searchable(world):
    e = world.eservice
    made = [
        factories.case(
            e,
            number=501,
            personnummer="198507099805",
            applicant_name="Maria Öljung",
            search_text="Kalle Anka Alneskolan",
        ),
        factories.case(
            e, number=502, personnummer="200001012384", applicant_name="Karin Gustafsson", search_text="Bergsskolan"
        ),
        factories.case(e, number=503, organisationsnummer="5567037485", applicant_name="Bygg AB", search_text="Larm"),
    ]
    db.session.commit()
    return made


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("502", [502]),
        ("19850709-9805", [501]),
        ("198507099805", [501]),
        ("850709-9805", [501]),
        ("000101-2384", [502]),
        ("556703-7485", [503]),
        ("5567037485", [503]),
        ("gustafsson", [502]),
        ("Öljung", [501]),
        ("alneskolan", [501]),
        ("finns inte", []),
    ],
)
def test_the_search_box(client, world, searchable, q, expected):
    login(client, "hanna")
    html = get(client, tab="alla", q=q)
    assert listed(html) == expected
    assert counts(html)["alla"] == len(expected)
    assert f'value="{q}"' in html  # the search stays in the box


def test_the_filters(client, world, searchable):
    now = clock.now()
    factories.colour_label(world.eservice, "red", "Brådskande")
    world.eservice.colour_marking = True
    factories.case(world.eservice, number=600, submitted_at=now - dt.timedelta(days=40), colour="red")
    factories.case(world.eservice, number=601, status_kind=StatusKind.COMPLETED, closed_at=now)
    db.session.commit()
    login(client, "hanna")
    html = get(client)
    for name in ("eservice", "status", "colour", "from", "to", "q"):
        assert f'name="{name}"' in html
    assert listed(get(client, tab="alla", colour="red")) == [600]
    assert listed(get(client, tab="alla", status="Klart")) == [601]
    assert sorted(listed(get(client, tab="alla", eservice=world.eservice.id))) == [501, 502, 503, 600, 601]
    day = clock.to_local(now - dt.timedelta(days=40)).date().isoformat()
    assert listed(get(client, tab="alla", **{"from": day, "to": day})) == [600]
    html = get(client, tab="alla", **{"from": "igår"})
    assert "YYYY-MM-DD" in flashes(html) or "ÅÅÅÅ-MM-DD" in flashes(html)
    assert len(listed(html)) == 5  # the unreadable date is left out


def test_sorting_by_a_column_header(client, world, spread):
    login(client, "hanna")
    html = get(client, tab="alla")
    assert re.search(r'class="bo-col-submitted" aria-sort="descending"', html)
    assert listed(html) == [101, 102, 103, 104, 105, 106]
    html = get(client, tab="alla", sort="number", dir="desc")
    assert listed(html) == [106, 105, 104, 103, 102, 101]
    assert re.search(r'class="bo-col-number" aria-sort="descending"', html)
    assert "sort=number&amp;dir=asc" in html  # clicking again turns the order
    html = get(client, tab="alla", sort="handlers", dir="asc")
    assert listed(html)[:4] == [103, 105, 106, 104]  # Hanna, Hanna, Rut, Skolskjutsgruppen
    html = get(client, tab="alla", sort="submitted", dir="asc")
    assert listed(html) == [106, 105, 104, 103, 102, 101]


def test_pages(client, world):
    now = clock.now()
    for n in range(1, 24):
        factories.case(world.eservice, number=n, submitted_at=now - dt.timedelta(hours=n))
    db.session.add(UserPreference(user_id=world.hanna.id, page_size=10))
    db.session.commit()
    login(client, "hanna")
    html = get(client, tab="alla")
    assert listed(html) == list(range(1, 11))
    assert "page=2" in html and "page=3" in html
    assert listed(get(client, tab="alla", page=3)) == [21, 22, 23]
    assert listed(get(client, tab="alla", page=99)) == [21, 22, 23]
    assert listed(get(client, tab="alla", page="x")) == list(range(1, 11))


def test_settings_are_saved_and_applied(client, world, spread):
    login(client, "hanna")
    page = client.get(OVERVIEW + "installningar")
    assert page.status_code == 200
    response = client.post(
        OVERVIEW + "installningar",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "show_handlers": "1",
            "order_handlers": "1",
            "show_number": "1",
            "order_number": "2",
            "show_status": "1",
            "order_status": "3",
            "open_in_new_tab": "1",
            "show_handler_as": "username",
            "page_size": "25",
            "default_tab": "alla",
        },
        follow_redirects=True,
    )
    assert response.request.path == OVERVIEW
    html = response.get_data(as_text=True)
    assert column_headers(html) == ["handlers", "number", "status"]
    assert listed(html) == [101, 102, 103, 104, 105, 106]  # Alla is now the first tab
    assert 'target="_blank" rel="noopener"' in row(html, 103)
    assert "hanna" in text_of(row(html, 103)).split()
    saved = db.session.get(UserPreference, world.hanna.id)
    db.session.refresh(saved)
    assert (saved.list_columns, saved.page_size, saved.show_handler_as) == (
        ["handlers", "number", "status"],
        25,
        "username",
    )
    # The case number opens the case and cannot be hidden; a bad page size is refused.
    page = client.get(OVERVIEW + "installningar").get_data(as_text=True)
    response = client.post(
        OVERVIEW + "installningar",
        data={"csrf_token": csrf_token(page), "show_status": "1", "page_size": "7", "show_handler_as": "name"},
    )
    assert response.status_code == 200
    assert 'class="text-danger"' in response.get_data(as_text=True)
    db.session.refresh(saved)
    assert saved.page_size == 25


# -- bulk actions ----------------------------------------------------------------------------------


def test_bulk_take(client, world, spread):
    login(client, "olle")
    response = post(
        client,
        OVERVIEW + "massandring/ta",
        {"case_id": [spread["free"].id, spread["overdue"].id, spread["hanna"].id], "next": OVERVIEW + "?tab=alla"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(OVERVIEW + "?tab=alla")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "103" in flashes(html)  # Hanna's case stays hers, and it is said so
    db.session.expire_all()
    assert [h.user.username for h in db.session.get(Case, spread["free"].id).handlers] == ["olle"]
    assert [h.user.username for h in db.session.get(Case, spread["hanna"].id).handlers] == ["hanna"]
    assert listed(get(client, tab="mina")) == [101, 102]


def test_bulk_status_asks_first_and_may_leave_the_applicants_untold(client, world, spread):
    factories.setting(world.eservice, NotificationEvent.STATUS_CHANGED, Recipient.APPLICANT)
    for case in spread.values():
        case.citizen = world.citizen
    db.session.commit()
    login(client, "hanna")
    chosen = [spread["free"].id, spread["hanna"].id]
    confirm = post(client, OVERVIEW + "massandring/status", {"case_id": chosen, "next": OVERVIEW})
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert 'name="status_id"' in html and 'name="notify"' in html
    klart = factories.status(world.eservice, "Klart")
    done = client.post(
        OVERVIEW + "massandring/status",
        data={
            "csrf_token": csrf_token(html),
            "case_id": chosen,
            "confirm": "1",
            "status_id": klart.id,
            "notify": "0",
            "next": OVERVIEW,
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Case, i).status.name for i in chosen} == {"Klart"}
    assert factories.outbox(NotificationEvent.STATUS_CHANGED) == []
    under = factories.status(world.eservice, "Under behandling")
    client.post(
        OVERVIEW + "massandring/status",
        data={
            "csrf_token": csrf_token(html),
            "case_id": chosen,
            "confirm": "1",
            "status_id": under.id,
            "notify": "1",
            "next": OVERVIEW,
        },
    )
    assert len(factories.outbox(NotificationEvent.STATUS_CHANGED)) == 2


def test_bulk_status_is_refused_across_versions(client, world, spread):
    version2 = EServiceVersion(
        eservice_id=world.eservice.id, number=2, definition=factories.SIMPLE_DEFINITION, state=VersionState.PUBLISHED
    )
    db.session.add(version2)
    db.session.flush()
    spread["hanna"].version_id = version2.id
    db.session.commit()
    login(client, "hanna")
    html = get(client, tab="alla")
    assert f'data-version="{version2.id}"' in row(html, 103)
    assert 'id="bo-bulk-status"' in html and 'aria-describedby="bo-bulk-status-why"' in html
    response = post(
        client,
        OVERVIEW + "massandring/status",
        {"case_id": [spread["free"].id, spread["hanna"].id]},
        follow_redirects=True,
    )
    assert response.request.path == OVERVIEW
    assert "version" in flashes(response.get_data(as_text=True))
    klart = factories.status(world.eservice, "Klart")
    response = post(
        client,
        OVERVIEW + "massandring/status",
        {"case_id": [spread["free"].id, spread["hanna"].id], "confirm": "1", "status_id": klart.id, "notify": "0"},
        follow_redirects=True,
    )
    assert "version" in flashes(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Case, spread["free"].id).status.name == "Inskickat"


def test_bulk_assign_to_a_group_queues_the_members_notification(client, world, spread):
    factories.setting(world.eservice, NotificationEvent.GROUP_ASSIGNED, Recipient.GROUP_MEMBERS)
    db.session.commit()
    login(client, "hanna")
    html = get(client)
    assert f'value="group:{world.group.id}"' in html and f'value="user:{world.olle.id}"' in html
    response = post(
        client,
        OVERVIEW + "massandring/handlaggare",
        {
            "case_id": [spread["free"].id, spread["overdue"].id],
            "assignee": f"group:{world.group.id}",
            "mode": "replace",
        },
    )
    assert response.status_code == 302
    assert factories.addresses(NotificationEvent.GROUP_ASSIGNED) == {"gun@example.org"}
    client.get("/logout/")
    login(client, "gun")
    html = get(client, tab="mina")
    assert listed(html) == [101, 102, 104]
    assert "Skolskjutsgruppen" in row(html, 101)
    # Adding a person keeps the group.
    client.get("/logout/")
    login(client, "hanna")
    post(
        client,
        OVERVIEW + "massandring/handlaggare",
        {"case_id": [spread["free"].id], "assignee": f"user:{world.olle.id}", "mode": "add"},
    )
    db.session.expire_all()
    names = {h.user.username if h.user else h.group.name for h in db.session.get(Case, spread["free"].id).handlers}
    assert names == {"Skolskjutsgruppen", "olle"}


def test_bulk_assign_someone_who_does_not_handle_the_eservice(client, world, spread):
    login(client, "hanna")
    response = post(
        client,
        OVERVIEW + "massandring/handlaggare",
        {"case_id": [spread["free"].id], "assignee": f"user:{world.outsider.id}", "mode": "replace"},
        follow_redirects=True,
    )
    assert "101" in flashes(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Case, spread["free"].id).handlers == []


def test_bulk_colour(client, world, spread):
    world.eservice.colour_marking = True
    factories.colour_label(world.eservice, "yellow", "Kontakta skolan")
    db.session.commit()
    login(client, "hanna")
    html = get(client)
    assert 'name="colour"' in html
    post(
        client, OVERVIEW + "massandring/farg", {"case_id": [spread["free"].id, spread["hanna"].id], "colour": "yellow"}
    )
    db.session.expire_all()
    assert {db.session.get(Case, i).colour for i in (spread["free"].id, spread["hanna"].id)} == {"yellow"}
    assert "Kontakta skolan" in row(get(client, tab="alla"), 101)
    post(client, OVERVIEW + "massandring/farg", {"case_id": [spread["free"].id], "colour": ""})
    db.session.expire_all()
    assert db.session.get(Case, spread["free"].id).colour is None


def test_bulk_without_checked_cases_says_so(client, world, spread):
    login(client, "hanna")
    for action in ("ta", "status", "handlaggare", "farg", "excel"):
        response = post(client, OVERVIEW + f"massandring/{action}", {"next": OVERVIEW}, follow_redirects=True)
        assert response.status_code == 200 and response.request.path == OVERVIEW, action
        assert flashes(response.get_data(as_text=True)), action


def test_excel_of_checked_cases(client, world, spread):
    case = db.session.get(Case, spread["hanna"].id)
    case.answers = {"namn": "Kalle Anka", "personnummer": "20150101-2389", "skola": "alne", "ovrigt": "Allergi"}
    case.applicant_name = "Maria Öljung"
    db.session.commit()
    login(client, "hanna")
    response = post(client, OVERVIEW + "massandring/excel", {"case_id": [spread["hanna"].id, spread["free"].id]})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        "attachment" in response.headers["Content-Disposition"] and ".xlsx" in response.headers["Content-Disposition"]
    )
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Skolskjuts v1"]
    rows = list(workbook["Skolskjuts v1"].iter_rows(values_only=True))
    assert rows[0][5:] == ("Namn", "Personnummer", "Skola", "Övrigt")
    by_number = {r[0]: r for r in rows[1:]}
    assert set(by_number) == {101, 103}
    hanna = by_number[103]
    assert hanna[1] == "Inskickat" and isinstance(hanna[2], dt.datetime)
    assert hanna[3:] == ("Maria Öljung", "Hanna Berg", "Kalle Anka", "20150101-2389", "Alneskolan", "Allergi")
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.case_id == case.id)) == "case_exported"


def test_excel_and_bulk_of_a_case_one_may_not_see(client, world, spread):
    login(client, "otto")
    response = post(client, OVERVIEW + "massandring/excel", {"case_id": [spread["free"].id]})
    assert response.status_code == 404
    response = post(client, OVERVIEW + "massandring/excel", {"case_id": [spread["bygglov"].id, spread["free"].id]})
    assert response.status_code == 404
    response = post(client, OVERVIEW + "massandring/status", {"case_id": [spread["free"].id]})
    assert response.status_code == 404
    response = post(client, OVERVIEW + "massandring/ta", {"case_id": [spread["free"].id]}, follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, spread["free"].id).handlers == []


# -- the access matrix -----------------------------------------------------------------------------

ROLES = ("admin", "builder", "handler", "restricted", "other", "anonymous")
USERNAMES = {"admin": "admin", "builder": "builder", "handler": "hanna", "restricted": "rut", "other": "otto"}


def _matrix_request(client, spread, action: str, token: str):
    data = {"case_id": [spread["free"].id], "next": OVERVIEW, "csrf_token": token}
    if action == "list":
        return client.get(OVERVIEW + "?tab=alla")
    if action == "settings":
        return client.get(OVERVIEW + "installningar")
    if action == "excel":
        return client.post(OVERVIEW + "massandring/excel", data=data)
    if action == "status":
        return client.post(OVERVIEW + "massandring/status", data=data)
    if action == "take":
        return client.post(OVERVIEW + "massandring/ta", data=data)
    raise AssertionError(action)


# allow: 200 (or a redirect back to the overview after doing it); deny: 403/404/login.
MATRIX = {
    # action:      admin,  builder, handler, restricted, other, anonymous
    "list": ("ok", "403", "ok", "ok", "ok", "login"),
    "settings": ("ok", "403", "ok", "ok", "ok", "login"),
    "excel": ("ok", "403", "ok", "404", "404", "login"),
    "status": ("ok", "403", "ok", "404", "404", "login"),
    "take": ("done", "403", "done", "missing", "missing", "login"),
}


@pytest.mark.parametrize("action", list(MATRIX))
def test_access_matrix(client, world, spread, action):
    for role, expected in zip(ROLES, MATRIX[action], strict=True):
        client.get("/logout/")
        # The session's CSRF token outlives the login (builders and visitors have no page to take it from).
        token = csrf_token(client.get("/login/").get_data(as_text=True))
        if role != "anonymous":
            login(client, USERNAMES[role])
        response = _matrix_request(client, spread, action, token)
        if expected == "ok":
            assert response.status_code == 200, (action, role)
        elif expected in ("403", "404"):
            assert response.status_code == int(expected), (action, role, response.status_code)
        elif expected == "login":
            assert response.status_code == 302 and "/login/" in response.headers["Location"], (action, role)
        else:  # take: done, or the case is not found for this user (and nothing changes)
            assert response.status_code == 302, (action, role)
            db.session.expire_all()
            holders = {h.user_id for h in db.session.get(Case, spread["free"].id).handlers}
            if expected == "done":
                assert holders == {db.session.scalar(select(StaffUser.id).where(StaffUser.username == USERNAMES[role]))}
                db.session.get(Case, spread["free"].id).handlers.clear()
                db.session.get(Case, spread["free"].id).assigned = False
                db.session.commit()
            else:
                assert holders == set(), (action, role)


# -- statements per page ------------------------------------------------------------------------------


def test_the_page_costs_the_same_statements_at_any_page_size(client, world):
    for n in range(60):
        factories.case(
            world.eservice,
            number=1000 + n,
            users=[world.hanna, world.olle][: n % 3],
            groups=[world.group] if n % 2 else [],
            summary=f"Sammanfattning {n}",
        )
        if n % 5 == 0:
            db.session.add(
                CaseFlag(
                    case_id=db.session.scalar(select(Case.id).where(Case.number == 1000 + n)), user_id=world.hanna.id
                )
            )
    world.eservice.colour_marking = True
    factories.colour_label(world.eservice, "green", "Klar")
    db.session.commit()
    login(client, "hanna")

    def statements(page_size: int) -> int:
        preference = db.session.get(UserPreference, world.hanna.id) or UserPreference(user_id=world.hanna.id)
        preference.page_size = page_size
        db.session.add(preference)
        db.session.commit()
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        # On the Engine class: the back office's requests run on the back office app's engine.
        event.listen(Engine, "before_cursor_execute", count)
        try:
            html = get(client, tab="alla")
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert len(listed(html)) == min(page_size, 60)
        return len(seen)

    small, large = statements(10), statements(50)
    assert small == large
