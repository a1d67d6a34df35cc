"""Schemalagda jobb (F-JOB-5) in the back office: each job with its schedule and latest run, the
run log with its failed runs; administrators only."""

from __future__ import annotations

import datetime as dt
import re

from scheduler.jobs import JOBS
from shared import clock
from shared.db import db
from shared.models import JobRun
from shared.services import jobs as job_runs
from tests import factories
from tests.backoffice.casehelp import sign_in, text_of

URL = "/drift/jobb/"


def _job_row(response, name: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'<tr data-job="{name}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def _run_ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(i) for i in re.findall(r'<tr data-run="(\d+)"', response.get_data(as_text=True))]


def test_only_an_administrator_may_see_the_jobs(client):
    world = factories.world()
    assert client.get(URL).status_code == 302
    for user in (world.hanna, world.builder):
        sign_in(client, user)
        assert client.get(URL).status_code == 403
        assert "Schemalagda jobb" not in text_of(client.get("/start/"))  # not in their menu
        client.get("/logout/")
    sign_in(client, world.admin)
    assert client.get(URL).status_code == 200
    assert "Schemalagda jobb" in text_of(client.get("/start/"))


def test_each_job_with_its_schedule_in_words(client):
    world = factories.world()
    sign_in(client, world.admin)
    page = client.get(URL)
    for name in JOBS:
        assert "Inte körd ännu." in re.sub(r"\s+", " ", _job_row(page, name))
    assert "var 30:e sekund" in _job_row(page, "dispatch")
    assert "var 15:e minut" in _job_row(page, "overdue")
    assert "varje dag kl. 02:30" in _job_row(page, "retention")
    assert "varje timme" in _job_row(page, "absence_expiry")
    assert "Skicka köade aviseringar" in _job_row(page, "dispatch")


def test_a_run_of_a_job_is_shown_with_its_counts(client):
    world = factories.world()
    spec = JOBS["overdue"]
    outcome = job_runs.run("overdue", spec.func)
    assert outcome.state == job_runs.OK
    sign_in(client, world.admin)

    page = client.get(URL)
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _job_row(page, "overdue")))
    assert "Klar" in row and "förfallna ärenden: 0" in row
    run = db.session.get(JobRun, outcome.run_id)
    assert run.host in row
    assert clock.to_local(run.started_at).strftime("%Y-%m-%d %H:%M:%S") in row
    assert _run_ids(page) == [outcome.run_id]


def test_a_failed_run_shows_its_error_and_stands_out(client):
    world = factories.world()

    def broken(now, dry_run=False):
        raise RuntimeError("the mail folder is full")

    ok = job_runs.run("dispatch", JOBS["dispatch"].func)
    failed = job_runs.run("retention", broken)
    assert failed.state == job_runs.FAILED
    sign_in(client, world.admin)

    page = client.get(URL)
    row = _job_row(page, "retention")
    assert 'data-state="failed"' in row and "text-danger" in row  # it stands out
    assert "Misslyckades" in row and "RuntimeError: the mail folder is full" in row
    assert "text-danger" not in _job_row(page, "dispatch")
    assert "skickade: 0" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _job_row(page, "dispatch")))

    only_failed = client.get(URL, query_string={"state": "failed"})
    assert _run_ids(only_failed) == [failed.run_id]
    assert _run_ids(client.get(URL, query_string={"job": "dispatch"})) == [ok.run_id]
    text = text_of(client.get(URL, query_string={"job": "nonsense"}))
    assert "Det finns inget jobb som heter nonsense." in text


def test_an_interrupted_run_says_so_in_swedish(client):
    world = factories.world()
    db.session.add(
        JobRun(
            job="retention",
            host="sched1:42",
            started_at=clock.now(),
            state=job_runs.INTERRUPTED,
            counts={},
            error="The scheduler process stopped during the run.",
        )
    )
    db.session.commit()
    sign_in(client, world.admin)
    row = _job_row(client.get(URL), "retention")
    assert "Avbröts" in row and "Schemaläggarens process stoppades under körningen." in row


def test_the_run_log_is_paged(client):
    world = factories.world()
    start = clock.now() - dt.timedelta(hours=1)
    runs = [
        JobRun(job="dispatch", host="h:1", started_at=start + dt.timedelta(seconds=30 * i), state="ok", counts={})
        for i in range(53)
    ]
    db.session.add_all(runs)
    db.session.commit()
    sign_in(client, world.admin)
    first = client.get(URL)
    assert len(_run_ids(first)) == 50 and 'rel="next"' in first.get_data(as_text=True)
    second = client.get(URL, query_string={"page": 2})
    assert _run_ids(second) == [r.id for r in reversed(runs)][50:]
