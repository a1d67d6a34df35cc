"""The case overview's queries: tabs and counts, filters, search, sort, pages (F-LIST-1..3)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from shared import clock
from shared.db import db
from shared.models import Case, CaseFlag, EService, Status, StatusGroup, StatusKind
from shared.services import cases as case_service
from shared.services import overview
from shared.services.overview import Filters, case_overview, tab_counts
from tests import factories


def numbers(result: overview.Overview) -> list[int]:
    return [row.number for row in result.rows]


@pytest.fixture
def spread(world):
    """Skolskjuts cases in every state the tabs tell apart, one Bygglov case and a draft."""
    now = clock.now()
    e = world.eservice
    made = {
        "free": factories.case(e, number=1, submitted_at=now - dt.timedelta(days=1)),
        "overdue": factories.case(
            e, number=2, submitted_at=now - dt.timedelta(days=30), due_at=now - dt.timedelta(days=2)
        ),
        "hanna": factories.case(e, number=3, users=[world.hanna], submitted_at=now - dt.timedelta(days=3)),
        "group": factories.case(e, number=4, groups=[world.group], submitted_at=now - dt.timedelta(days=4)),
        "closed": factories.case(
            e,
            number=5,
            users=[world.hanna],
            status_kind=StatusKind.COMPLETED,
            closed_at=now - dt.timedelta(days=1),
            submitted_at=now - dt.timedelta(days=5),
            due_at=now - dt.timedelta(days=3),
        ),
        "paused": factories.case(
            e,
            number=6,
            users=[world.olle],
            status_kind=StatusKind.WAITING,
            due_at=now - dt.timedelta(days=1),
            due_paused_at=now - dt.timedelta(days=5),
            submitted_at=now - dt.timedelta(days=6),
        ),
        "rut": factories.case(e, number=7, users=[world.rut], submitted_at=now - dt.timedelta(days=7)),
        "bygglov": factories.case(db.session.scalar(select(EService).where(EService.name == "Bygglov")), number=8),
        "draft": factories.case(e, draft=True, citizen=world.citizen),
    }
    db.session.add(CaseFlag(case_id=made["closed"].id, user_id=world.hanna.id))
    db.session.add(CaseFlag(case_id=made["free"].id, user_id=world.olle.id))
    db.session.commit()
    return made


def test_each_tab_counts_what_the_seed_says(world, spread):
    assert tab_counts(world.hanna) == {
        "obehandlade": 2,  # 1 and 2: nobody has them
        "forfallna": 1,  # 2; the paused one waits for the applicant, the closed one is done
        "mina": 1,  # 3 (5 is closed)
        "flaggade": 1,  # her star on 5
        "pagaende": 4,  # 3, 4, 6, 7
        "alla": 7,  # no draft, no Bygglov
    }
    for tab in overview.TABS:
        result = case_overview(world.hanna, tab=tab)
        assert result.total == result.counts[tab] == len(result.rows)
    assert sorted(numbers(case_overview(world.hanna, tab="obehandlade"))) == [1, 2]
    assert numbers(case_overview(world.hanna, tab="forfallna")) == [2]
    assert numbers(case_overview(world.hanna, tab="flaggade")) == [5]


def test_a_group_assignment_is_mine_for_every_member(world, spread):
    result = case_overview(world.gun, tab="mina")
    assert numbers(result) == [4]
    assert [(h.name, h.is_group) for h in result.rows[0].handlers] == [("Skolskjutsgruppen", True)]


def test_restricted_handler_sees_only_what_is_assigned_to_them(world, spread):
    assert tab_counts(world.rut) == {
        "obehandlade": 0,
        "forfallna": 0,
        "mina": 1,
        "flaggade": 0,
        "pagaende": 1,
        "alla": 1,
    }
    assert numbers(case_overview(world.rut, tab="alla")) == [7]
    case_service.remove_self(spread["rut"].id, actor=world.rut)
    assert tab_counts(world.rut)["alla"] == 0


def test_other_eservices_handler_admin_and_builder(world, spread):
    assert numbers(case_overview(world.outsider, tab="alla")) == [8]
    assert tab_counts(world.admin)["alla"] == 8
    assert tab_counts(world.builder) == dict.fromkeys(overview.TABS, 0)
    assert case_overview(world.builder, tab="alla").rows == []


def test_rows_carry_what_the_list_shows(world, spread):
    factories.colour_label(world.eservice, "green", "Beviljad")
    case_service.set_flag(spread["hanna"].id, actor=world.hanna, flagged=True)
    db.session.execute(
        overview.Case.__table__.update()
        .where(overview.Case.id == spread["hanna"].id)
        .values(colour="green", summary="Namn: Kalle", applicant_name="Maria Öljung")
    )
    db.session.commit()
    row = next(r for r in case_overview(world.hanna, tab="alla").rows if r.number == 3)
    assert (row.eservice_name, row.version_number, row.status_name) == ("Skolskjuts", 1, "Inskickat")
    assert (row.colour, row.colour_meaning, row.flagged) == ("green", "Beviljad", True)
    assert (row.summary, row.applicant) == ("Namn: Kalle", "Maria Öljung")
    assert [h.name for h in row.handlers] == ["Hanna Berg"]
    by_username = case_overview(world.hanna, tab="alla", show_handler_as="username")
    assert [h.name for h in next(r for r in by_username.rows if r.number == 3).handlers] == ["hanna"]
    overdue = next(r for r in case_overview(world.hanna, tab="alla").rows if r.number == 2)
    assert overdue.overdue and not overdue.flagged


# -- search and filters --------------------------------------------------------------------


@pytest.fixture
def people(world):
    e = world.eservice
    made = [
        factories.case(
            e,
            number=501,
            personnummer="198507099805",
            applicant_name="Maria Öljung",
            search_text="Kalle Anka Alneskolan 100% närvaro",
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
        ("501", [501]),
        ("198507099805", [501]),
        ("19850709-9805", [501]),
        ("850709-9805", [501]),
        ("8507099805", [501]),
        ("000101-2384", [502]),  # a child born in 2000: the 20th century is tried too
        ("556703-7485", [503]),
        ("5567037485", [503]),
        ("165567037485", [503]),
        ("öljung", [501]),
        ("KARIN", [502]),
        ("alneskolan", [501]),
        ("100%", [501]),  # % is a character to find, not a wildcard
        ("1%", []),
        ("Skolan", [501, 502]),
        ("ingen sådan", []),
    ],
)
def test_search(world, people, q, expected):
    result = case_overview(world.hanna, tab="alla", filters=Filters(q=q), sort="number", direction="asc")
    assert numbers(result) == expected
    assert result.counts["alla"] == len(expected)


def test_search_never_reaches_beyond_what_one_may_see(world, people):
    assert numbers(case_overview(world.outsider, tab="alla", filters=Filters(q="19850709-9805"))) == []
    assert numbers(case_overview(world.rut, tab="alla", filters=Filters(q="Maria"))) == []


def test_filters(world, people):
    now = clock.now()
    e = world.eservice
    factories.colour_label(e, "red", "Brådskande")
    old = factories.case(e, number=600, submitted_at=now - dt.timedelta(days=40), colour="red")
    done = factories.case(e, number=601, status_kind=StatusKind.COMPLETED, closed_at=now)
    db.session.commit()

    def found(**kwargs) -> list[int]:
        return numbers(
            case_overview(world.hanna, tab="alla", filters=Filters(**kwargs), sort="number", direction="asc")
        )

    assert found(colour="red") == [old.number]
    assert found(status="Klart") == [done.number]
    assert found(eservice_id=e.id) == [501, 502, 503, 600, 601]
    # Dates are Swedish calendar days; times are stored as UTC.
    assert found(date_to=clock.to_local(now - dt.timedelta(days=30)).date()) == [600]
    assert found(date_from=clock.to_local(now - dt.timedelta(days=1)).date()) == [501, 502, 503, 601]
    today = clock.to_local(now).date()
    assert found(date_from=today, date_to=today, q="Karin") == [502]


def test_a_day_is_a_swedish_calendar_day(world):
    # 23:30 UTC on 31 January is already 1 February in Sweden.
    late = factories.case(world.eservice, number=700, submitted_at=dt.datetime(2026, 1, 31, 23, 30))
    db.session.commit()
    first_of_february = Filters(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 1))
    assert numbers(case_overview(world.hanna, tab="alla", filters=first_of_february)) == [late.number]
    january = Filters(date_to=dt.date(2026, 1, 31))
    assert numbers(case_overview(world.hanna, tab="alla", filters=january)) == []


def test_parse_filters_reads_query_arguments_and_explains_what_it_cannot():
    filters, problems = overview.parse_filters(
        {"q": "  Maria   Öljung ", "eservice": "3", "status": "Klart", "from": "2026-03-01", "to": "2026-02-01"}
    )
    assert filters == Filters(
        q="Maria Öljung", eservice_id=3, status="Klart", date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 3, 1)
    )
    assert problems == []
    filters, problems = overview.parse_filters({"eservice": "x", "from": "1 mars"})
    assert filters == Filters() and len(problems) == 2


def test_personnummer_candidates():
    assert overview.personnummer_candidates("8507099805") == ["208507099805", "198507099805", "188507099805"]
    assert overview.personnummer_candidates("198507099805") == ["198507099805"]
    assert overview.personnummer_candidates("123") == []


# -- sorting and pages -----------------------------------------------------------------------


def test_sort_by_every_column(world, spread):
    factories.colour_label(world.eservice, "blue", "Blå")
    db.session.execute(
        overview.Case.__table__.update()
        .where(overview.Case.id == spread["overdue"].id)
        .values(applicant_name="Åsa", summary="Ö", colour="blue")
    )
    db.session.commit()
    for column in overview.COLUMNS:
        for direction in ("asc", "desc"):
            result = case_overview(world.hanna, tab="alla", sort=column, direction=direction)
            assert sorted(numbers(result)) == [1, 2, 3, 4, 5, 6, 7], column
            assert (result.sort, result.direction) == (column, direction)
    assert numbers(case_overview(world.hanna, tab="alla", sort="number", direction="desc"))[:2] == [7, 6]
    assert numbers(case_overview(world.hanna, tab="alla", sort="submitted", direction="desc"))[0] == 1
    assert numbers(case_overview(world.hanna, tab="alla", sort="status", direction="desc"))[0] == 6  # Väntar …
    by_handler = numbers(case_overview(world.hanna, tab="alla", sort="handlers", direction="asc"))
    assert by_handler[:5] == [3, 5, 6, 7, 4]  # Hanna, Hanna, Olle, Rut, Skolskjutsgruppen; unassigned last
    assert numbers(case_overview(world.hanna, tab="alla", sort="flag", direction="desc"))[0] == 5
    assert numbers(case_overview(world.hanna, tab="alla", sort="colour", direction="asc"))[0] == 2
    # An unknown column falls back to the newest first.
    assert case_overview(world.hanna, tab="alla", sort="drop table", direction="sideways").sort == "submitted"


def test_status_and_applicant_sorts_page_through_in_one_order(world):
    """The page's ids are sorted and cut before the rows are joined: pages must still follow one
    order, statuses of the same name in two status groups side by side, empty applicants last."""
    other_group = StatusGroup(name="Bygg")
    other_group.statuses = [
        Status(name="Inskickat", kind=StatusKind.SUBMITTED, sort_order=1),
        Status(name="Avslutat", kind=StatusKind.COMPLETED, sort_order=2),
    ]
    other = factories.eservice("Bygglov 2", handlers=[world.hanna])
    other.status_group = other_group
    db.session.flush()
    now = clock.now()
    names = ["Örjan", None, "Åsa", "Adam", None, "Bo", "Ärla"]
    for n, name in enumerate(names, start=1):
        factories.case(world.eservice, number=n, applicant_name=name, submitted_at=now - dt.timedelta(hours=n))
    made = [
        Case(eservice=other, version=other.published_version, status=other_group.statuses[k], number=10 + k,
             answers={}, submitted_at=now, due_at=now + dt.timedelta(days=14), applicant_name="Bo")
        for k in (0, 1)
    ]  # fmt: skip
    db.session.add_all(made)
    factories.case(world.eservice, number=20, status_kind=StatusKind.COMPLETED, applicant_name="Bo")
    db.session.commit()

    def every_page(sort: str, direction: str) -> list[overview.Row]:
        rows = []
        for page in range(1, 6):
            rows += case_overview(world.hanna, tab="alla", sort=sort, direction=direction, page=page, page_size=2).rows
        return rows

    for direction in ("asc", "desc"):
        by_status = every_page("status", direction)
        assert len(by_status) == 10
        names_seen = [row.status_name for row in by_status]
        assert names_seen == sorted(names_seen, reverse=direction == "desc")
        inskickat = [row.number for row in by_status if row.status_name == "Inskickat"]
        # Both groups' "Inskickat" together, by id within the name.
        assert inskickat == sorted(inskickat, reverse=direction == "desc") and 10 in inskickat

        by_applicant = [row.number for row in every_page("applicant", direction)]
        assert by_applicant[-2:] == ([2, 5] if direction == "asc" else [5, 2])  # no name: last either way
    assert numbers(case_overview(world.hanna, tab="alla", sort="applicant", direction="asc", page_size=3)) == [4, 6, 10]


def test_pages(world):
    now = clock.now()
    for n in range(1, 24):
        factories.case(world.eservice, number=n, submitted_at=now - dt.timedelta(hours=n))
    db.session.commit()
    first = case_overview(world.hanna, tab="alla", page_size=10)
    assert (first.total, first.pages, first.first_index, first.last_index) == (23, 3, 1, 10)
    assert numbers(first) == list(range(1, 11))
    last = case_overview(world.hanna, tab="alla", page_size=10, page=3)
    assert numbers(last) == [21, 22, 23] and (last.first_index, last.last_index) == (21, 23)
    assert case_overview(world.hanna, tab="alla", page_size=10, page=99).page == 3
    assert case_overview(world.hanna, tab="alla", page_size=10, page=-4).page == 1
    empty = case_overview(world.hanna, tab="flaggade")
    assert (empty.total, empty.pages, empty.first_index, empty.rows) == (0, 1, 0, [])


def _statements(fn) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_a_page_costs_the_same_statements_whatever_its_size(world):
    for n in range(60):
        factories.case(
            world.eservice,
            number=1000 + n,
            users=[world.hanna, world.olle][: n % 3],
            groups=[world.group] if n % 2 else [],
        )
    db.session.commit()
    hanna_id = world.hanna.id
    db.session.expunge_all()  # nothing cached: every lazy load would show as a statement
    hanna = db.session.get(type(world.hanna), hanna_id)
    hanna.memberships, hanna.roles  # noqa: B018 (loaded at login in the back office)
    small = _statements(lambda: case_overview(hanna, tab="alla", page_size=10))
    large = _statements(lambda: case_overview(hanna, tab="alla", page_size=50))
    assert small == large <= 4
