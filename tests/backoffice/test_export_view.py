"""Exportera till Excel (F-EXP-1): the page, its checks, the file at once, the background export, the download."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from openpyxl import load_workbook

from scheduler.jobs import JOBS
from shared.db import db
from shared.models import EServiceVersion, ExportJob, VersionState
from tests import factories
from tests.backoffice.conftest import csrf_token, login

PAGE = "/exportera/"


@pytest.fixture
def world(bo):
    return factories.world()


@pytest.fixture
def cases(world):
    eservice = world.eservice
    v2 = EServiceVersion(
        eservice=eservice,
        number=2,
        definition=eservice.versions[0].definition,
        state=VersionState.PUBLISHED,
        published_at=dt.datetime(2026, 3, 15, 9),
    )
    db.session.add(v2)
    db.session.flush()
    made = [
        factories.case(eservice, number=11, submitted_at=dt.datetime(2026, 3, 2, 9), answers={"namn": "Ali"}),
        factories.case(eservice, number=12, submitted_at=dt.datetime(2026, 4, 2, 9), answers={"namn": "Bea"}),
        factories.case(eservice, number=13, submitted_at=dt.datetime(2026, 4, 3, 9), answers={"namn": "Cid"}),
    ]
    made[0].version = made[1].version = eservice.versions[0]
    made[2].version = v2
    db.session.commit()
    return {"v1": eservice.versions[0], "v2": v2, "cases": made}


def page(client, **args) -> str:
    response = client.get(PAGE, query_string=args)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def export(client, data: dict, **kwargs):
    token = csrf_token(page(client))
    return client.post(PAGE, data={"csrf_token": token, "submitted": "1", **data}, **kwargs)


def sheet_numbers(data: bytes) -> dict[str, list[int]]:
    workbook = load_workbook(io.BytesIO(data))
    return {
        title: [r[0] for r in workbook[title].iter_rows(min_row=2, values_only=True)] for title in workbook.sheetnames
    }


def test_the_overview_leads_to_the_page_with_the_versions(client, world, cases):
    login(client, "hanna")
    overview = client.get("/arenden/").get_data(as_text=True)
    assert f'href="{PAGE}"' in overview and "Exportera till Excel" in overview
    html = page(client)
    assert "<h1>Exportera till Excel</h1>" in html
    # Hanna handles one e-service: it is chosen, and its versions are listed, all checked.
    assert re.search(rf'<option value="{world.eservice.id}" selected>Skolskjuts</option>', html)
    for version in (cases["v1"], cases["v2"]):
        assert re.search(rf'name="version" value="{version.id}" id="export-version-{version.id}" checked', html)
    assert ">Version 1</label>" in html and ">Version 2</label>" in html
    assert "2026-03-15" in html and "2026-01-01" in html  # publishing dates
    # A builder has no export page.
    client.get("/logout/")
    login(client, "builder")
    assert client.get(PAGE).status_code in (302, 403)


def test_small_export_downloads_at_once(client, world, cases):
    login(client, "hanna")
    response = export(
        client,
        {"eservice": world.eservice.id, "version": [cases["v1"].id, cases["v2"].id], "from": "2026-04-01", "to": ""},
    )
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "arenden-skolskjuts-" in response.headers["Content-Disposition"]
    assert sheet_numbers(response.data) == {"Skolskjuts v1": [12], "Skolskjuts v2": [13]}


def test_bad_choices_are_explained_and_kept(client, world, cases):
    login(client, "hanna")
    response = export(
        client, {"eservice": world.eservice.id, "version": [cases["v2"].id], "from": "2026-05-01", "to": "2026-04-01"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Exporten kunde inte göras" in html and "Slutdatumet kan inte vara före startdatumet." in html
    assert 'value="2026-05-01"' in html and 'value="2026-04-01"' in html  # the choices survive
    assert re.search(rf'value="{cases["v2"].id}" id="export-version-{cases["v2"].id}" checked', html)
    assert not re.search(rf'value="{cases["v1"].id}" id="export-version-{cases["v1"].id}" checked', html)
    response = export(client, {"eservice": world.eservice.id})
    assert response.status_code == 422 and "Välj minst en version." in response.get_data(as_text=True)
    response = export(
        client, {"eservice": world.eservice.id, "version": [cases["v1"].id], "from": "2020-01-01", "to": "2020-01-02"}
    )
    assert response.status_code == 422 and "Inga ärenden matchar valen" in response.get_data(as_text=True)


def test_a_restricted_handler_exports_only_their_cases(client, world, cases):
    factories.case(world.eservice, number=14, users=[world.rut]).version = cases["v1"]
    db.session.commit()
    login(client, "rut")
    response = export(client, {"eservice": world.eservice.id, "version": [cases["v1"].id, cases["v2"].id]})
    assert response.status_code == 200
    assert sheet_numbers(response.data) == {"Skolskjuts v1": [14]}


def wait_until_finished(client, job_id: int) -> dict:
    """Poll the JSON status, as export.js does, until the worker thread is done (or a minute has passed)."""
    deadline = time.monotonic() + 60
    while True:
        status = client.get(f"{PAGE}{job_id}/status").get_json()
        if status["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_a_large_export_runs_in_the_background(client, world, cases, bo, monkeypatch):
    monkeypatch.setitem(bo.config, "EXPORT_BACKGROUND_THRESHOLD", 2)
    login(client, "hanna")
    response = export(
        client, {"eservice": world.eservice.id, "version": [cases["v1"].id, cases["v2"].id]}, follow_redirects=True
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Exporten av 3 ärenden görs i bakgrunden" in html
    job = db.session.query(ExportJob).one()
    assert re.search(rf'<progress class="bo-export-progress" id="export-progress-{job.id}" max="3" value="\d"', html)
    assert "Uppdatera</a>" in html

    status = wait_until_finished(client, job.id)
    assert status["state"] == "done" and status["done"] == status["total"] == 3
    assert status["state_text"] == "Klar" and status["progress_text"] == "3 av 3 ärenden"
    assert status["download_url"] == f"{PAGE}{job.id}/fil"
    html = page(client)
    assert f'href="{PAGE}{job.id}/fil"' in html and 'max="3" value="3"' in html
    assert "backoffice/export.js" not in html  # nothing left to follow
    download = client.get(status["download_url"])
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert sheet_numbers(download.data) == {"Skolskjuts v1": [11, 12], "Skolskjuts v2": [13]}

    # Only Hanna sees and downloads her export.
    client.get("/logout/")
    login(client, "olle")
    assert client.get(status["download_url"]).status_code == 404
    refused = client.get(f"{PAGE}{job.id}/status")
    assert refused.status_code == 404 and refused.get_json()["message"] == "Exporten hittades inte."
    assert f"{PAGE}{job.id}/fil" not in page(client)

    # After a day the cleanup job removes the file; the page says so.
    db.session.expire_all()
    expires_at = db.session.get(ExportJob, job.id).expires_at
    JOBS["export_cleanup"].func(expires_at + dt.timedelta(minutes=1))
    client.get("/logout/")
    login(client, "hanna")
    assert "Filen har tagits bort" in page(client)
    gone = client.get(status["download_url"], follow_redirects=True)
    assert gone.status_code == 200 and "Filen har tagits bort." in gone.get_data(as_text=True)


def test_an_unfinished_export_is_followed_by_the_script(client, world, cases):
    job = ExportJob(user_id=world.hanna.id, params={"eservice_name": "Skolskjuts"}, total=5000, done=2000)
    db.session.add(job)
    db.session.commit()
    login(client, "hanna")
    html = page(client)
    assert re.search(rf'data-status-url="{PAGE}{job.id}/status"', html)
    assert 'max="5000" value="2000"' in html and "2\u00a0000 av 5\u00a0000 ärenden" in html
    assert "backoffice/export.js" in html and "Väntar på att starta" in html
    assert client.get("/static/backoffice/export.js").status_code == 200
