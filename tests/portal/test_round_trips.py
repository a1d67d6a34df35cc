"""The citizen's journey in few round trips (issue 9 item 5): benchmarks/load.py found the portal's
workers waiting on PostgreSQL, mostly for single rows read one by one. Each request's statements
are counted here (no timing): the draft is read once per request with its form and e-service, its
handlers (nothing to the applicant) are not read, a post that saves locks the draft where it reads
it and is not read again by the saving or after the commit, and the receipt, Mina sidor and the
case page read their case with what they show."""

from __future__ import annotations

import pytest

from tests.portal.conftest import csrf_token
from tests.portal.test_apply import log_in, small, step_url, the_draft  # noqa: F401 (small: a fixture)
from tests.portal.test_apply_statements import statements

SQLITE_LOCK = "UPDATE cases SET id = id"  # cases.lock_case's write lock on SQLite (FOR UPDATE on PostgreSQL)


def _counted(seen: list[str]) -> list[str]:
    """The statements that count on both databases (SQLite's no-op lock write left out)."""
    return [s for s in seen if not s.startswith(SQLITE_LOCK)]


def _reads(seen: list[str], table: str) -> list[str]:
    return [
        s
        for s in seen
        if s.startswith("SELECT ") and f" FROM {table} " in f"{s} " and "JOIN" not in s.split(" FROM ")[0]
    ]


def _case_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT cases.")]


def _handler_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT case_handler.")]


@pytest.fixture
def journey(small, client):  # noqa: F811 (the fixture)
    """A logged-in citizen with a draft whose first step is filled in; (client, draft id, a CSRF token)."""
    eservice, citizen = small
    log_in(client, citizen)
    token = csrf_token(client.get("/e-tjanster/resebidrag/ansokan").get_data(as_text=True))
    response = client.post(
        "/e-tjanster/resebidrag/ansokan",
        data={"csrf_token": token, "namn": "Maria Öljung", "personnummer": "19850709-9805"},
    )
    draft_id = the_draft().id
    assert response.headers["Location"].endswith(step_url(draft_id, 2))
    return client, draft_id, token


def test_a_step_page_reads_the_citizen_and_the_draft_only(journey):
    client, draft_id, _token = journey
    with statements() as seen:
        page = client.get(step_url(draft_id, 2))
    assert page.status_code == 200 and "Typ av resa" in page.get_data(as_text=True)
    assert len(_case_reads(seen)) == 1 and "eservice_version" in _case_reads(seen)[0]
    assert _handler_reads(seen) == []
    assert len(_counted(seen)) == 2, seen  # the citizen, the draft with its form and e-service (was 3)


def test_saving_a_step_reads_the_draft_once_locked_and_not_again_after_the_commit(journey):
    client, draft_id, token = journey
    with statements() as seen:
        response = client.post(step_url(draft_id, 2), data={"csrf_token": token, "typ": "buss", "antal": "4"})
    assert response.status_code == 302 and response.headers["Location"].endswith(step_url(draft_id, 4))
    reads = _case_reads(seen)
    assert len(reads) == 1, reads  # was 3: the page's read, the saving's locked read, the read after the commit
    assert _handler_reads(seen) == []
    assert any(s.startswith("UPDATE cases SET answers=") for s in seen)
    # Nothing read after the write: the way on comes from the draft as saved.
    last_write = max(i for i, s in enumerate(seen) if s.startswith(("UPDATE cases SET answers", "INSERT")))
    assert not any(s.startswith("SELECT") for s in seen[last_write:]), seen[last_write:]
    assert len(_counted(seen)) == 5, seen  # citizen, draft, its files, audit, the update (was 11)
    # What was saved is what the next step and the summary show.
    with statements() as seen:
        summary = client.get(f"/ansokan/{draft_id}/sammanfattning")
    assert summary.status_code == 200 and "Buss" in summary.get_data(as_text=True)
    assert len(_counted(seen)) == 2 and _handler_reads(seen) == []


def test_another_citizen_cannot_save_into_the_draft_by_its_id(journey, portal):
    """The lock is taken where the draft is read, after the access check still: another citizen gets 404."""
    from shared.db import db
    from tests import factories

    client, draft_id, token = journey
    other = factories.citizen("19121212-1212", first_name="Tolvan", last_name="Tolvansson")
    db.session.commit()
    log_in(client, other)
    response = client.post(step_url(draft_id, 2), data={"csrf_token": token, "typ": "taxi", "antal": "2"})
    assert response.status_code == 404
    db.session.expire_all()
    assert the_draft().answers.get("typ") is None


def test_submit_receipt_my_pages_and_the_case_page(journey):
    client, draft_id, token = journey
    client.post(step_url(draft_id, 2), data={"csrf_token": token, "typ": "buss", "antal": "4"})
    client.post(step_url(draft_id, 4), data={"csrf_token": token, "meddelande": "Hej"})

    with statements() as seen:
        response = client.post(
            f"/ansokan/{draft_id}/sammanfattning", data={"csrf_token": token, "form-token": "round-trips"}
        )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/kvittens/{draft_id}")
    reads = _case_reads(seen)
    # The draft locked where the page reads it, and the idempotency key's look-up; no re-read for the lock,
    # none after the commit (was 5).
    assert len(reads) == 2, reads
    assert any("idempotency_key" in s.split(" WHERE ")[-1] for s in reads)
    assert _reads(seen, "eservice_version") == []

    with statements() as seen:
        receipt = client.get(f"/kvittens/{draft_id}")
    assert receipt.status_code == 200 and "Resebidrag" in receipt.get_data(as_text=True)
    assert len(_counted(seen)) == 2 and _handler_reads(seen) == [], seen  # was 4

    with statements() as seen:
        mine = client.get("/mina-sidor")
    assert mine.status_code == 200 and "Resebidrag" in mine.get_data(as_text=True)
    assert _handler_reads(seen) == [] and len(_counted(seen)) == 6, seen  # was 7

    with statements() as seen:
        case = client.get(f"/mina-sidor/arenden/{draft_id}")
    html = case.get_data(as_text=True)
    assert case.status_code == 200 and "Resebidrag" in html and "Typ av resa" in html
    assert _handler_reads(seen) == []
    assert _reads(seen, "eservice") == [] and _reads(seen, "eservice_version") == [] and _reads(seen, "status") == []
    assert len(_counted(seen)) == 6, seen  # was 10
