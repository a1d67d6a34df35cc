"""A saved application's pages read the draft with its form (version) and e-service in one
statement (application.load_draft): benchmarks/load.py found the portal's workers waiting on
PostgreSQL round trips, most of them single rows loaded one by one."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.portal.test_apply import fill_small_first_step, log_in, small, step_url  # noqa: F401 (small: a fixture)


@contextmanager
def statements():
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", remember)


def _alone(seen: list[str], table: str) -> list[str]:
    """Statements that read the table on its own (not joined to the draft)."""
    return [s for s in seen if s.startswith(f"SELECT {table}.")]


def test_a_step_page_and_the_summary_load_the_form_with_the_draft(small, client):  # noqa: F811 (the fixture)
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)

    with statements() as seen:
        page = client.get(step_url(draft_id, 2))
    assert page.status_code == 200
    assert "Typ av resa" in page.get_data(as_text=True)  # the version's form, step 2
    assert "Resebidrag" in page.get_data(as_text=True)  # the e-service's name
    assert _alone(seen, "eservice_version") == [] and _alone(seen, "eservice") == []
    assert any(s.startswith("SELECT cases.") and "eservice_version" in s for s in seen)

    with statements() as seen:
        summary = client.get(f"/ansokan/{draft_id}/sammanfattning")
    assert summary.status_code == 200 and "Resebidrag" in summary.get_data(as_text=True)
    assert _alone(seen, "eservice_version") == [] and _alone(seen, "eservice") == []
