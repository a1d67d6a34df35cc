"""Statistik (F-STAT-1) in the back office: the menu, the page's numbers, the Excel file, who may see what."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from shared import clock
from shared.db import db
from shared.services import cases as case_service
from tests import factories
from tests.backoffice.casehelp import sign_in, text_of

TZ = clock.LOCAL_TZ


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ).astimezone(dt.UTC).replace(tzinfo=None)


@pytest.fixture
def world(bo, time_machine):
    """Skolskjuts with a queue per school: three cases in March, one of them closed after 4 days."""
    time_machine.move_to(dt.datetime(2026, 3, 1, 9, tzinfo=TZ), tick=False)
    w = factories.world()
    w.eservice.queue_question_id = "skola"
    one = factories.case(w.eservice, answers=factories.answers(skola="alne"), submitted_at=at(3, 2), due_at=at(3, 4))
    factories.case(w.eservice, answers=factories.answers(skola="alne"), submitted_at=at(3, 3), due_at=at(3, 30))
    factories.case(w.eservice, answers=factories.answers(skola="bergs"), submitted_at=at(3, 17), due_at=at(3, 31))
    db.session.commit()
    time_machine.move_to(dt.datetime(2026, 3, 6, 10, tzinfo=TZ), tick=False)
    case_service.change_status(one.id, factories.status(w.eservice, "Klart").id, actor=w.hanna)
    time_machine.move_to(dt.datetime(2026, 3, 20, 12, tzinfo=TZ), tick=False)
    return w


URL = "/statistik/"


def page_url(w, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/statistik/{w.eservice.id}" + (f"?{query}" if query else "")


def test_the_menu_and_the_list_of_eservices(world, client):
    w = world
    assert client.get(URL).status_code == 302  # not logged in: to the login page
    sign_in(client, w.hanna)
    page = client.get(URL)
    text = text_of(page)
    assert page.status_code == 200
    assert "Ärenden" in text and "Statistik" in text
    assert "Skolskjuts" in text and "Bygglov" not in text
    assert f'href="/statistik/{w.eservice.id}"' in page.get_data(as_text=True)
    client.get("/logout/")
    sign_in(client, w.admin)
    text = text_of(client.get(URL))
    assert "Skolskjuts" in text and "Bygglov" in text


def test_the_page_shows_each_figure_as_a_chart_and_a_table(world, client):
    w = world
    sign_in(client, w.hanna)
    page = client.get(page_url(w, start="2026-03-01", end="2026-03-20"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(page)
    assert "Statistik: Skolskjuts" in text
    # Weeks 9 (1 March is a Sunday) to 12: 0, 2, 0, 1.
    rows = re.findall(
        r"<tr><th scope=\"row\">Vecka (\d+), 2026</th><td>[\d-]+</td><td class=\"text-right\">(\d+)</td>", html
    )
    assert rows == [("9", "0"), ("10", "2"), ("11", "0"), ("12", "1")]
    assert re.search(r"<th scope=\"row\">Inskickat</th><td>Nej</td><td class=\"text-right\">2</td>", html)
    assert re.search(r"<th scope=\"row\">Klart</th><td>Ja</td><td class=\"text-right\">1</td>", html)
    assert re.search(
        r"<th scope=\"row\">mars 2026</th><td class=\"text-right\">4</td><td class=\"text-right\">1</td>", html
    )
    assert re.search(r"<th scope=\"row\">Förfallna ärenden</th><td class=\"text-right\">0</td>", html)
    assert re.search(r"<th scope=\"row\">Öppna ärenden</th><td class=\"text-right\">2</td>", html)
    assert "Kölängd per skola" in text
    # Queue at the end of week 10 (8 March): one at Alneskolan (the other closed), none at Bergsskolan.
    assert re.search(
        r"<th scope=\"row\">2026-03-08</th><td class=\"text-right\">1</td><td class=\"text-right\">0</td>", html
    )
    # The charts: SVG with a title and a description, value labels on the bars, markers in the legend.
    assert html.count('role="img"') == 5
    assert '<title id="chart-received-title">Inkomna ärenden per vecka</title>' in html
    assert 'aria-labelledby="chart-queue-title chart-queue-desc"' in html
    assert re.search(r"<text [^>]*>2</text>", html)  # the value on week 10's bar
    assert "<script" not in html.split('id="received-heading"')[1].split("</svg>")[0]
    assert f'href="/statistik/{w.eservice.id}/excel?start=2026-03-01&amp;end=2026-03-20"' in html


def test_a_period_typed_wrong_says_so_and_shows_the_default(world, client):
    w = world
    sign_in(client, w.hanna)
    page = client.get(page_url(w, start="1 mars", end="2026-03-20"))
    assert page.status_code == 200
    text = text_of(page)
    assert "Kontrollera perioden." in text and "Ange ett datum som ÅÅÅÅ-MM-DD." in text
    assert 'value="1 mars"' in page.get_data(as_text=True)  # nothing lost
    assert "Visat: 2025-04-01 till 2026-03-20." in text


def test_the_excel_file_has_a_sheet_per_figure_with_typed_cells(world, client):
    w = world
    sign_in(client, w.hanna)
    response = client.get(f"/statistik/{w.eservice.id}/excel?start=2026-03-01&end=2026-03-20")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "statistik-" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Inkomna per vecka",
        "Per status",
        "Handläggningstid",
        "Förfallna ärenden",
        "Kö per skola",
    ]
    weeks = list(book["Inkomna per vecka"].iter_rows(values_only=True))
    assert weeks[0] == ("År", "Vecka", "Veckan börjar", "Inkomna ärenden")
    assert weeks[1:] == [
        (2026, 9, dt.datetime(2026, 2, 23), 0),
        (2026, 10, dt.datetime(2026, 3, 2), 2),
        (2026, 11, dt.datetime(2026, 3, 9), 0),
        (2026, 12, dt.datetime(2026, 3, 16), 1),
    ]
    statuses = list(book["Per status"].iter_rows(values_only=True))
    assert ("Inskickat", "Nej", 2) in statuses and ("Klart", "Ja", 1) in statuses
    handling = list(book["Handläggningstid"].iter_rows(values_only=True))
    assert handling[1] == (dt.datetime(2026, 3, 1), 4, 1)
    assert book["Handläggningstid"]["A2"].number_format == "yyyy-mm"
    assert list(book["Förfallna ärenden"].iter_rows(values_only=True))[1] == (dt.datetime(2026, 3, 20), 0, 2)
    queue = list(book["Kö per skola"].iter_rows(values_only=True))
    assert queue[0] == ("Veckan slutar", "Alneskolan", "Bergsskolan")
    assert queue[2] == (dt.datetime(2026, 3, 8), 1, 0)
    assert queue[-1] == (dt.datetime(2026, 3, 20), 1, 1)  # the week under way, up to today


def test_who_may_see_the_statistics(world, client):
    w = world
    sign_in(client, w.outsider)  # handler of Bygglov only
    assert client.get(page_url(w)).status_code == 404
    assert client.get(f"/statistik/{w.eservice.id}/excel").status_code == 404
    assert client.get("/statistik/99999").status_code == 404
    client.get("/logout/")
    sign_in(client, w.builder)  # no handler: no statistics at all
    assert client.get(URL).status_code in (302, 403)
    assert client.get(page_url(w)).status_code in (302, 403)
    client.get("/logout/")
    sign_in(client, w.rut)  # restricted: only the cases assigned to her (none)
    html = client.get(page_url(w, start="2026-03-01", end="2026-03-20")).get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">Öppna ärenden</th><td class=\"text-right\">0</td>", html)
    client.get("/logout/")
    sign_in(client, w.admin)
    html = client.get(page_url(w, start="2026-03-01", end="2026-03-20")).get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">Öppna ärenden</th><td class=\"text-right\">2</td>", html)
