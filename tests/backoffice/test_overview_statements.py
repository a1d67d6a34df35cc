"""The overview (Ärenden) in a fixed number of round trips (issue 9 item 5): every tab's count in
one statement, and the page's rows with their handlers without a statement per row (the template
reads nothing lazily), whatever the number of cases on the page."""

from __future__ import annotations

import datetime as dt

from shared import clock
from shared.db import db
from tests import factories
from tests.backoffice.conftest import login
from tests.portal.test_apply_statements import statements

OVERVIEW = "/arenden/"


def _make_cases(world, first_number: int, count: int) -> None:
    now = clock.now()
    for i in range(count):
        handlers = {"users": [world.hanna]} if i % 3 == 0 else {"groups": [world.group]} if i % 3 == 1 else {}
        factories.case(
            world.eservice,
            number=first_number + i,
            submitted_at=now - dt.timedelta(days=i + 1),
            applicant_name=f"Sökande {first_number + i}",
            **handlers,
        )
    db.session.commit()


def _overview(client, url: str) -> tuple[str, list[str]]:
    with statements() as seen:
        page = client.get(url)
    assert page.status_code == 200
    return page.get_data(as_text=True), seen


def test_the_overview_counts_every_tab_in_one_statement_and_reads_no_row_by_itself(client, bo):
    world = factories.world()
    _make_cases(world, 100, 3)
    login(client, world.hanna.username)
    client.get(OVERVIEW)  # the first page after the login may load the user

    for url, shown in ((OVERVIEW + "?tab=alla", "Sökande 102"), (OVERVIEW + "?tab=mina", "Sökande 100")):
        html, few = _overview(client, url)
        assert shown in html
        counting = [s for s in few if "count(*)" in s and "GROUP BY" not in s]
        assert len(counting) == 1, counting  # the six tabs' counts together
        assert not any(
            s.startswith("SELECT case_handler.case_id, case_handler.id") for s in few
        )  # no selectin per case

        _make_cases(world, 200, 6)
        html, more = _overview(client, url)
        assert "Sökande 203" in html and shown in html
        # Three times the rows, the same round trips: nothing is read per row (handlers, status, e-service).
        assert len(more) == len(few), (len(few), len(more))
        db.session.execute(
            db.text("DELETE FROM case_handler WHERE case_id IN (SELECT id FROM cases WHERE number >= 200)")
        )
        db.session.execute(db.text("DELETE FROM cases WHERE number >= 200"))
        db.session.commit()
