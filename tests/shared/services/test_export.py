"""Excel of the checked cases: one sheet per version, one column per question, typed cells (F-LIST-5)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from shared.db import db
from shared.errors import Invalid, NotFound
from shared.models import AuditEntry, EService, EServiceVersion, VersionState
from shared.services import export
from tests import factories

DEFINITION = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {"id": "namn", "type": "text", "label": "Namn"},
                {"id": "fodd", "type": "date", "label": "Startdatum"},
                {"id": "arskurs", "type": "number", "label": "Årskurs"},
                {"id": "avstand", "type": "number", "label": "Avstånd (km)"},
                {"id": "info", "type": "info", "label": "Om skolskjuts", "text": "Läs reglerna."},
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Kost",
                    "options": [{"value": "gluten", "label": "Glutenfri"}, {"value": "laktos", "label": "Laktosfri"}],
                },
                {"id": "taxi", "type": "yes_no", "label": "Taxi"},
            ],
        },
        {
            "id": "vardnadshavare",
            "title": "Vårdnadshavare",
            "questions": [{"id": "namn2", "type": "text", "label": "Namn"}],
        },
    ]
}


def rows_of(workbook, title: str) -> list[tuple]:
    return list(workbook[title].iter_rows(values_only=True))


@pytest.fixture
def skolskjuts(world):
    world.eservice.versions[0].definition = DEFINITION
    db.session.commit()
    return world.eservice


def test_one_column_per_question_with_typed_values(world, skolskjuts):
    case = factories.case(
        skolskjuts,
        number=42,
        users=[world.hanna],
        groups=[world.group],
        applicant_name="Maria Öljung",
        submitted_at=dt.datetime(2026, 3, 2, 8, 30),
        answers={
            "namn": "Åsa Öberg",
            "fodd": "2026-08-15",
            "arskurs": 3,
            "avstand": 4.5,
            "kost": ["gluten", "laktos"],
            "taxi": True,
            "namn2": "Maria Öljung",
        },
    )
    db.session.commit()
    workbook = load_workbook(export.export_cases([case.id], actor=world.hanna))
    assert workbook.sheetnames == ["Skolskjuts v1"]
    heading, values = rows_of(workbook, "Skolskjuts v1")
    assert heading[5:] == (
        "Elev: Namn",
        "Startdatum",
        "Årskurs",
        "Avstånd (km)",
        "Kost",
        "Taxi",
        "Vårdnadshavare: Namn",
    )  # no column for the info text; equal labels told apart by their step
    assert values[0] == 42 and values[1] == "Inskickat"
    assert values[2] == dt.datetime(2026, 3, 2, 9, 30)  # stored in UTC, shown in Swedish time
    assert workbook["Skolskjuts v1"]["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert values[3:5] == ("Maria Öljung", "Hanna Berg, Skolskjutsgruppen")
    assert values[5] == "Åsa Öberg"
    assert values[6] == dt.datetime(2026, 8, 15)  # a date cell (openpyxl reads dates back as datetimes)
    assert workbook["Skolskjuts v1"]["G2"].number_format == "yyyy-mm-dd"
    assert values[7:9] == (3, 4.5)
    assert values[9] == "Glutenfri, Laktosfri"
    assert values[10] in ("Ja", "Yes")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "case_exported", AuditEntry.case_id == case.id)
        )
        == 1
    )


def test_one_sheet_per_version_and_the_builders_columns(world, skolskjuts):
    skolskjuts.excel_columns = [
        {"question": "namn", "heading": "Elevens namn"},
        {"question": "arskurs"},
        {"question": "borttagen", "heading": "Gammal fråga"},
    ]
    version1 = skolskjuts.versions[0]
    version2 = EServiceVersion(eservice=skolskjuts, number=2, definition=DEFINITION, state=VersionState.PUBLISHED)
    db.session.add(version2)
    db.session.flush()
    first = factories.case(skolskjuts, number=1, answers={"namn": "Ali", "arskurs": 1})
    second = factories.case(skolskjuts, number=2, answers={"namn": "Bo", "arskurs": 2})
    first.version, second.version = version1, version2
    db.session.commit()
    workbook = load_workbook(export.export_cases([second.id, first.id], actor=world.hanna))
    assert workbook.sheetnames == ["Skolskjuts v1", "Skolskjuts v2"]
    v1 = rows_of(workbook, "Skolskjuts v1")
    assert v1[0][5:] == ("Elevens namn", "Årskurs", "Gammal fråga")
    assert v1[1][0] == 1 and v1[1][5:] == ("Ali", 1, None)
    assert rows_of(workbook, "Skolskjuts v2")[1][:1] == (2,)


def test_every_case_must_be_one_the_user_may_see(world, skolskjuts):
    mine = factories.case(skolskjuts, number=1)
    bygglov = factories.case(db.session.scalar(select(EService).where(EService.name == "Bygglov")), number=2)
    db.session.commit()
    with pytest.raises(NotFound):
        export.export_cases([mine.id, bygglov.id], actor=world.hanna)
    with pytest.raises(NotFound):
        export.export_cases([mine.id], actor=world.rut)  # restricted, not assigned
    with pytest.raises(NotFound):
        export.export_cases([mine.id], actor=world.builder)
    with pytest.raises(Invalid):
        export.export_cases([], actor=world.hanna)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_sheet_titles_are_what_excel_allows():
    taken: set[str] = set()
    long = "Ansökan om bygglov/rivningslov [nybyggnad]: villor och fritidshus"
    first = export._sheet_title(long, 12, taken)
    second = export._sheet_title(long, 12, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert not set("[]:*?/\\") & set(first)
    assert first.endswith(" v12")


def test_cell_values():
    assert export.cell_value({"type": "date"}, "2026-01-31") == dt.date(2026, 1, 31)
    assert export.cell_value({"type": "date"}, "31/1") == "31/1"
    assert export.cell_value({"type": "number"}, 7) == 7
    assert export.cell_value({"type": "text"}, "") is None
    assert export.cell_value(None, ["a", "b"]) == "a, b"
