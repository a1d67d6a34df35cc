"""Granskningslogg (F-CASE-8): an administrator lists the log per case and per user; nobody else may."""

from __future__ import annotations

import datetime as dt

from shared import clock
from shared.db import db
from shared.models import AuditEntry
from shared.services import cases
from tests import factories
from tests.backoffice.casehelp import make_setup, sign_in, status_id


def _rows(response) -> list[str]:
    html = response.get_data(as_text=True)
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [row for row in body.split("<tr>")[1:] if "colspan" not in row]


def _log_in_as_hanna_and_work(client, setup) -> None:
    token = sign_in(client, setup.world.hanna)
    client.get(f"/arenden/{setup.case.id}")
    client.post(
        f"/arenden/{setup.case.id}/status",
        data={"csrf_token": token, "status_id": status_id(setup.case, "Under behandling"), "notify": "1"},
    )
    client.get(f"/arenden/{setup.open_case.id}/historik")
    client.get("/logout/")


def test_the_log_per_case_and_per_user(client):
    setup = make_setup()
    _log_in_as_hanna_and_work(client, setup)
    sign_in(client, setup.world.olle)
    client.get(f"/arenden/{setup.case.id}")
    client.get("/logout/")
    sign_in(client, setup.world.admin)

    per_case = client.get(f"/granskningslogg/?case={setup.case.number}")
    assert per_case.status_code == 200
    rows = _rows(per_case)
    assert len(rows) == 3  # hanna opened it and changed its status; olle opened it
    assert all(str(setup.case.number) in row for row in rows)
    assert "olle" in rows[0]  # newest first
    # The status change names both statuses, not their ids.
    assert any("hanna" in row and "Inskickat" in row and "Under behandling" in row for row in rows)

    per_user = client.get("/granskningslogg/?user=hanna")
    rows = _rows(per_user)
    assert len(rows) == 4  # her login, two cases opened, one status changed
    assert all("hanna" in row and "olle" not in row for row in rows)
    assert "Loggade in" in rows[-1]  # oldest last
    numbers = {setup.case.number, setup.open_case.number}
    assert all(any(str(n) in row for n in numbers) for row in rows[:-1])

    both = client.get(f"/granskningslogg/?case={setup.case.number}&user=hanna")
    assert len(_rows(both)) == 2


def test_the_log_of_a_deleted_case_is_still_found(client):
    setup = make_setup()
    case = factories.case(
        setup.world.eservice, citizen=setup.world.citizen, users=[setup.world.hanna], status_kind="Klart"
    )
    db.session.commit()
    number = case.number
    cases.delete_case(case.id, actor=setup.world.hanna)
    sign_in(client, setup.world.admin)
    rows = _rows(client.get(f"/granskningslogg/?case={number}"))
    assert len(rows) == 1 and str(number) in rows[0] and "hanna" in rows[0]
    assert f'/arenden/{case.id}"' not in rows[0]  # no link to a case that is gone


def test_the_log_is_paged_newest_first(client):
    setup = make_setup()
    start = clock.now() - dt.timedelta(days=1)
    for i in range(60):
        db.session.add(
            AuditEntry(
                at=start + dt.timedelta(minutes=i),
                user_id=setup.world.olle.id,
                username="olle",
                action="case_viewed",
                object_type="Case",
                object_id=str(setup.case.id),
                case_id=setup.case.id,
                case_number=setup.case.number,
            )
        )
    db.session.commit()
    sign_in(client, setup.world.admin)
    first = client.get("/granskningslogg/?user=olle")
    assert len(_rows(first)) == 50
    assert 'rel="next"' in first.get_data(as_text=True)
    second = client.get("/granskningslogg/?user=olle&page=2")
    assert len(_rows(second)) == 10
    assert 'rel="next"' not in second.get_data(as_text=True)


def test_an_unknown_case_or_user_gives_an_empty_list(client):
    setup = make_setup()
    sign_in(client, setup.world.admin)
    assert _rows(client.get("/granskningslogg/?case=999999")) == []
    assert _rows(client.get("/granskningslogg/?user=nobody")) == []
    assert client.get("/granskningslogg/?case=abc").status_code == 200


def test_only_an_administrator_may_read_the_log(client):
    setup = make_setup()
    assert client.get("/granskningslogg/").status_code == 302  # to the login page
    sign_in(client, setup.world.hanna)
    assert client.get("/granskningslogg/").status_code == 403
    client.get("/logout/")
    sign_in(client, setup.world.builder)
    assert client.get(f"/granskningslogg/?case={setup.case.number}").status_code == 403
