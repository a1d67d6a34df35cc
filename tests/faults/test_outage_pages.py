"""The database cannot be reached: both apps answer 503 with Retry-After and a page in Swedish.

The apps here point at a port where nothing listens, so every query fails to connect, as
while PostgreSQL restarts; the page must come out all the same (it needs no database).
tests/faults/test_database_restart.py does it for real, with a PostgreSQL stopped and started.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import exc as sa_exc

from portal.apply.routes import SESSION_DRAFTS
from portal.auth.session import SESSION_KEY
from shared import outage
from tests.faults.conftest import OUTAGE_HEADING, visible_text


def _assert_outage(response) -> str:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Cache-Control"] == "no-store"
    text = visible_text(response.get_data(as_text=True))
    assert OUTAGE_HEADING in text
    return text


def test_a_portal_page_during_an_outage_is_a_friendly_503(dead_portal, caplog):
    client = dead_portal.test_client()
    with caplog.at_level(logging.WARNING, logger="shared.outage"):
        response = client.get("/e-tjanster/skolskjuts")
    text = _assert_outage(response)
    assert "Dina uppgifter har inte försvunnit – försök igen om en stund." in text
    html = response.get_data(as_text=True)
    # In the portal's layout, with a way to try again and the way back.
    assert '<a class="skip-link" href="#innehall">' in html and "Exempelby kommun" in html
    assert '<a href="/e-tjanster/skolskjuts">Försök igen</a>' in html and 'href="/">Till e-tjänsterna</a>' in html
    assert "sparades inte" not in text  # nothing was sent
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]  # the usual headers too
    # Logged once, at WARNING, naming the request and the error class: no SQL, no parameters.
    records = [r for r in caplog.records if r.name == "shared.outage"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    message = records[0].getMessage()
    assert "GET /e-tjanster/skolskjuts answered 503" in message and "OperationalError" in message
    assert "SELECT" not in message and "127.0.0.1" not in message


def test_a_logged_in_citizen_gets_the_page_although_who_they_are_cannot_be_read(dead_portal):
    client = dead_portal.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = 1
    _assert_outage(client.get("/mina-sidor"))
    # The session is kept for when the database is back.
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == 1


def test_a_form_step_sent_into_the_outage_says_its_answers_were_not_saved(dead_portal):
    client = dead_portal.test_client()
    response = client.post("/e-tjanster/skolskjuts/ansokan", data={"namn": "Maria Öljung", "action": "next"})
    text = _assert_outage(response)
    assert (
        "Svaren på den här sidan sparades inte. Gå tillbaka i webbläsaren – dina svar finns kvar på sidan – "
        "och skicka sidan igen om en stund." in text
    )
    assert "Försök igen" not in text  # a post is not repeated by a link
    with client.session_transaction() as session:
        session[SESSION_DRAFTS] = [7]
    text = _assert_outage(client.post("/ansokan/7/steg/2", data={"skal": "Lång väg"}))
    assert "Svaren på den här sidan sparades inte." in text


def test_skicka_in_sent_into_the_outage_may_be_sent_again(dead_portal):
    client = dead_portal.test_client()
    with client.session_transaction() as session:
        session[SESSION_DRAFTS] = [7]
    text = _assert_outage(client.post("/ansokan/7/sammanfattning", data={"form-token": "abc"}))
    assert (
        "Din ansökan kanske inte skickades in. Gå tillbaka i webbläsaren och tryck på Skicka in igen om en stund "
        "– den skickas inte in två gånger." in text
    )


def test_another_form_sent_into_the_outage_may_not_have_been_saved(dead_portal):
    client = dead_portal.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = 1
    text = _assert_outage(client.post("/mina-sidor/arenden/3/meddelanden", data={"body": "Hej"}))
    assert "Det du skickade kanske inte sparades. Gå tillbaka i webbläsaren och skicka igen om en stund." in text


def test_the_back_office_answers_a_bare_503_page(dead_backoffice):
    client = dead_backoffice.test_client()
    response = client.get("/login/")
    text = _assert_outage(response)
    assert "Databasen går inte att nå just nu. Inget som sparats tidigare har försvunnit" in text
    assert '<a href="/login/">Försök igen</a>' in response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert '<html lang="sv">' in html and "<main>" in html and "navbar" not in html  # no menu: it needs the database
    text = _assert_outage(client.post("/login/", data={"username": "anna", "password": "x"}))
    assert "Det du skickade kanske inte sparades." in text


def test_the_back_office_api_answers_503_in_json(dead_backoffice):
    response = dead_backoffice.test_client().get("/api/v1/cases/", headers={"Authorization": "Bearer etj_x"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.is_json
    assert response.get_json() == {"message": "Tjänsten är tillfälligt otillgänglig. Försök igen om en stund."}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused")), True),
        (sa_exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (
            sa_exc.DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True),
            True,
        ),
        # A bug or bad data stays a 500 (and is logged with its trace by Flask).
        (sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (sa_exc.ProgrammingError("SELECT", {}, Exception("syntax error")), False),
        (ValueError("no"), False),
    ],
)
def test_what_counts_as_an_outage(error, expected):
    assert outage.is_outage(error) is expected


def test_the_log_line_never_carries_the_statement_or_its_parameters():
    error = sa_exc.OperationalError(
        "INSERT INTO cases (answers) VALUES (%(answers)s)", {"answers": "19850709-9805"}, Exception("lost")
    )
    described = outage.describe(error)
    assert described == "OperationalError/builtins.Exception"
    assert "19850709" not in described and "INSERT" not in described
