"""The same application sent twice at the same moment (a double click, a retry after a timeout) is one case.

The summary's hidden form token is the idempotency key (``Case.idempotency_key``, unique).
On PostgreSQL two web workers can really run the two submissions side by side; there a third
connection holds the row both need locked until both wait on it, so they contend every time:

- a new application (``cases.submit_case`` without a draft): both find no case with the token,
  both insert one; the later insert breaks the unique key and ``_once`` answers with the
  earlier one's case;
- a saved draft sent twice through Skicka in: the second waits on the draft's row lock and then
  finds it sent, and is redirected to the same receipt.

On SQLite (one writer at a time) the same submissions run one after the other.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

import config
from portal.apply.routes import FORM_TOKEN, SESSION_DRAFTS
from shared.db import db
from shared.models import Case, CaseEvent
from shared.services import cases
from shared.services.cases import CASE_NUMBER_COUNTER
from tests import factories


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _waiting_on_locks() -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def _hold_row(sql: str, params: dict) -> Callable[[], None]:
    """Lock a row from another connection until the returned function is called."""
    holder = db.engine.connect()
    transaction = holder.begin()
    assert holder.execute(sa.text(sql), params).first() is not None

    def release() -> None:
        transaction.rollback()
        holder.close()

    return release


def _at_once(app, calls: list[Callable[[], object]], lock: tuple[str, dict]) -> list[object]:
    """Run the calls in threads that start together (a barrier) and contend for the locked row.

    PostgreSQL: the row stays locked until every call waits on it, then all go. SQLite: one
    after the other.
    """
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object], barrier: threading.Barrier | None) -> None:
        with app.app_context():
            try:
                if barrier is not None:
                    barrier.wait(timeout=20)
                results[index] = call()
            except Exception as error:  # noqa: BLE001 - a failure is asserted on below
                results[index] = error
            finally:
                db.session.remove()

    if not _postgresql():
        for index, call in enumerate(calls):
            run(index, call, None)
        return results
    release = _hold_row(*lock)
    barrier = threading.Barrier(len(calls))
    threads = [threading.Thread(target=run, args=(i, call, barrier)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while _waiting_on_locks() < len(calls) and time.monotonic() < deadline:
        time.sleep(0.02)
    waiting = _waiting_on_locks()
    release()
    for thread in threads:
        thread.join(timeout=30)
    assert waiting == len(calls), "the submissions did not meet at the lock"
    return results


def _submitted_events(case_id: int) -> int:
    query = (
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "submitted")
    )
    return db.session.scalar(query)


def _numbered_cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case).where(Case.number.is_not(None)).order_by(Case.id)))


@pytest.fixture
def skolskjuts(ctx):
    eservice = factories.eservice("Skolskjuts", slug="skolskjuts", login_required=False, anonymous_allowed=True)
    db.session.commit()
    return eservice


def test_a_new_application_sent_twice_at_once_is_one_case(ctx, skolskjuts):
    # An earlier case: the case number counter exists, and it is the row both submissions need.
    first = cases.submit_case(skolskjuts.id, factories.answers(), contact={"email": "forsta@example.org"})
    token, eservice_id = "dubbelklick-1", skolskjuts.id  # read here: the threads have sessions of their own

    def submit() -> tuple[int, int]:
        case = cases.submit_case(
            eservice_id,
            factories.answers(namn="Maria Öljung"),
            contact={"email": "maria@example.org"},
            idempotency_key=token,
        )
        return case.id, case.number

    results = _at_once(
        ctx,
        [submit, submit],
        ("SELECT value FROM counter WHERE name = :name FOR UPDATE", {"name": CASE_NUMBER_COUNTER}),
    )

    assert all(isinstance(result, tuple) for result in results), results
    assert results[0] == results[1]  # both were told the same case and number
    numbered = _numbered_cases()
    assert [c.id for c in numbered] == [first.id, results[0][0]]
    assert numbered[1].idempotency_key == token and numbered[1].number == first.number + 1
    assert numbered[1].contact_email == "maria@example.org"
    # One history line: the loser's rows went with its rolled-back transaction.
    assert _submitted_events(numbered[1].id) == 1
    assert db.session.scalar(select(func.max(Case.number))) == first.number + 1


def test_skicka_in_clicked_twice_at_once_gives_one_case_and_the_same_receipt(ctx, skolskjuts, app_overrides):
    from portal import create_app

    portal = create_app(config.get_config("test"), overrides={**app_overrides, "WTF_CSRF_ENABLED": False})
    client = portal.test_client()
    step = client.post(
        "/e-tjanster/skolskjuts/ansokan",
        data={"namn": "Maria Öljung", "personnummer": "19850709-9805", "skola": "alne", "action": "next"},
    )
    assert step.status_code == 302, step.get_data(as_text=True)[:500]
    summary_path = step.headers["Location"]
    draft_id = int(re.fullmatch(r"/ansokan/(\d+)/sammanfattning", summary_path)[1])
    page = client.get(summary_path).get_data(as_text=True)
    token = re.search(r'name="form-token" value="([^"]+)"', page)[1]
    with client.session_transaction() as session:
        cookie_session = dict(session)
    assert cookie_session[SESSION_DRAFTS] == [draft_id]

    def click() -> tuple[int, str]:
        # Each click from its own connection, as two requests to two web workers; the same browser session.
        browser = portal.test_client()
        with browser.session_transaction() as session:
            session.update(cookie_session)
        response = browser.post(summary_path, data={FORM_TOKEN: token, "contact_email": "maria@example.org"})
        return response.status_code, response.headers.get("Location", "")

    results = _at_once(ctx, [click, click], ("SELECT id FROM cases WHERE id = :id FOR UPDATE", {"id": draft_id}))

    assert results == [(302, f"/kvittens/{draft_id}")] * 2, results
    numbered = _numbered_cases()
    assert [c.id for c in numbered] == [draft_id]
    assert numbered[0].idempotency_key == token and numbered[0].contact_email == "maria@example.org"
    assert _submitted_events(draft_id) == 1
    with portal.app_context():
        db.engine.dispose()
