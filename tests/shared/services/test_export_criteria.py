"""Exportera till Excel by criteria (F-EXP-1): e-service, versions, dates; the background export and its expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from scheduler.jobs import JOBS
from shared import storage
from shared.db import db
from shared.errors import Invalid, NotFound
from shared.models import AuditEntry, EService, EServiceVersion, ExportJob, ExportState, VersionState
from shared.services import export
from shared.services.jobs import job_lock
from tests import factories

DEFINITION = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {"id": "namn", "type": "text", "label": "Namn"},
                {"id": "start", "type": "date", "label": "Startdatum"},
                {"id": "avstand", "type": "number", "label": "Avstånd (km)"},
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Kost",
                    "options": [{"value": "gluten", "label": "Glutenfri"}, {"value": "laktos", "label": "Laktosfri"}],
                },
                {"id": "intyg", "type": "file", "label": "Intyg"},
            ],
        }
    ]
}


@pytest.fixture
def skolskjuts(world):
    """Skolskjuts with two published versions and cases on both, in March and April 2026 (UTC noon)."""
    eservice = world.eservice
    v1 = eservice.versions[0]
    v1.definition = DEFINITION
    v2 = EServiceVersion(
        eservice=eservice,
        number=2,
        definition=DEFINITION,
        state=VersionState.PUBLISHED,
        published_at=dt.datetime(2026, 3, 15),
    )
    db.session.add(v2)
    db.session.flush()

    def case(number, version, day, **kwargs):
        made = factories.case(eservice, number=number, submitted_at=dt.datetime(2026, *day, 11, 0), **kwargs)
        made.version = version
        return made

    cases = {
        "march": case(
            1,
            v1,
            (3, 2),
            answers={
                "namn": "Åsa Öberg",
                "start": "2026-08-17",
                "avstand": 4.5,
                "kost": ["gluten", "laktos"],
                "intyg": [{"name": "läkarintyg.pdf", "key": "x"}],
            },
            users=[world.rut],
        ),
        "april_v1": case(2, v1, (4, 1), answers={"namn": "=1+1", "avstand": 3}),
        "april_v2": case(3, v2, (4, 20), answers={"namn": "Bo", "avstand": 12}),
    }
    db.session.commit()
    return {"eservice": eservice, "v1": v1, "v2": v2, **cases}


def criteria(data, **changes):
    base = {
        "eservice_id": data["eservice"].id,
        "version_ids": (data["v1"].id, data["v2"].id),
        "date_from": None,
        "date_to": None,
    }
    base.update(changes)
    return export.ExportCriteria(**base)


def rows(stream, title):
    return list(load_workbook(stream)[title].iter_rows(values_only=True))


def test_one_sheet_per_version_with_typed_cells(world, skolskjuts):
    started = export.start_export(criteria(skolskjuts), actor=world.hanna)
    assert started.job is None and started.count == 3
    assert started.file_name.startswith("arenden-skolskjuts-") and started.file_name.endswith(".xlsx")
    workbook = load_workbook(started.file)
    assert workbook.sheetnames == ["Skolskjuts v1", "Skolskjuts v2"]
    v1 = list(workbook["Skolskjuts v1"].iter_rows(values_only=True))
    assert v1[0] == ("Ärendenr", "Status", "Inskickat", "Inskickare", "Handläggare") + (
        "Namn",
        "Startdatum",
        "Avstånd (km)",
        "Kost",
        "Intyg",
    )
    first = v1[1]
    assert first[:3] == (1, "Inskickat", dt.datetime(2026, 3, 2, 12, 0))  # 11:00 UTC is 12:00 in Sweden in March
    assert first[4] == "Rut Lind"
    assert first[5:] == ("Åsa Öberg", dt.datetime(2026, 8, 17), 4.5, "Glutenfri, Laktosfri", "läkarintyg.pdf")
    sheet = workbook["Skolskjuts v1"]
    assert sheet["G2"].number_format == "yyyy-mm-dd" and sheet["G2"].is_date
    assert sheet["H2"].data_type == "n"
    # An applicant's "=1+1" stays text: no formula reaches the handler's Excel.
    assert sheet["F3"].value == "=1+1" and sheet["F3"].data_type == "s"
    assert [r[0] for r in workbook["Skolskjuts v2"].iter_rows(min_row=2, values_only=True)] == [3]
    # One audit entry for the export, naming the criteria and the count (not one per case).
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cases_exported")).all()
    assert len(entries) == 1 and entries[0].details["count"] == 3
    assert entries[0].details["criteria"]["version_ids"] == sorted([skolskjuts["v1"].id, skolskjuts["v2"].id])


def test_versions_and_dates_narrow_the_export(world, skolskjuts):
    only_v1 = export.start_export(criteria(skolskjuts, version_ids=(skolskjuts["v1"].id,)), actor=world.hanna)
    assert load_workbook(only_v1.file).sheetnames == ["Skolskjuts v1"] and only_v1.count == 2
    # Both days are included, in Swedish time.
    april = export.start_export(
        criteria(skolskjuts, date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 4, 20)), actor=world.hanna
    )
    workbook = load_workbook(april.file)
    assert [r[0] for r in workbook["Skolskjuts v1"].iter_rows(min_row=2, values_only=True)] == [2]
    assert [r[0] for r in workbook["Skolskjuts v2"].iter_rows(min_row=2, values_only=True)] == [3]
    with pytest.raises(Invalid):
        export.start_export(
            criteria(skolskjuts, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)), actor=world.hanna
        )


def test_configured_columns(world, skolskjuts):
    skolskjuts["eservice"].excel_columns = [{"question": "avstand", "heading": "Km"}, {"question": "namn"}]
    db.session.commit()
    started = export.start_export(criteria(skolskjuts, version_ids=(skolskjuts["v2"].id,)), actor=world.hanna)
    assert rows(started.file, "Skolskjuts v2") == [
        ("Ärendenr", "Status", "Inskickat", "Inskickare", "Handläggare", "Km", "Namn"),
        (3, "Inskickat", dt.datetime(2026, 4, 20, 13, 0), None, None, 12, "Bo"),
    ]


def test_a_restricted_handler_exports_only_their_cases(world, skolskjuts):
    started = export.start_export(criteria(skolskjuts), actor=world.rut)
    assert started.count == 1
    workbook = load_workbook(started.file)
    assert workbook.sheetnames == ["Skolskjuts v1"]
    assert [r[0] for r in workbook["Skolskjuts v1"].iter_rows(min_row=2, values_only=True)] == [1]
    # Another e-service's handler may not export Skolskjuts at all.
    with pytest.raises(NotFound):
        export.start_export(criteria(skolskjuts), actor=world.outsider)
    assert [e.name for e in export.exportable_eservices(world.outsider)] == ["Bygglov"]
    assert {e.name for e in export.exportable_eservices(world.admin)} == {"Bygglov", "Skolskjuts"}


def test_the_choices_are_checked(world, skolskjuts):
    def errors(**form):
        with pytest.raises(Invalid) as raised:
            export.read_criteria(MultiDict(form), actor=world.hanna)
        return raised.value.errors

    v1, v2 = skolskjuts["v1"].id, skolskjuts["v2"].id
    eservice_id = str(skolskjuts["eservice"].id)
    assert set(errors()) == {"eservice"}
    bygglov = db.session.scalar(select(EService.id).where(EService.name == "Bygglov"))
    assert set(errors(eservice=str(bygglov), version=[str(v1)])) == {"eservice"}
    assert set(errors(eservice=eservice_id)) == {"version"}
    draft = EServiceVersion(eservice=skolskjuts["eservice"], number=3, definition=DEFINITION)
    db.session.add(draft)
    db.session.commit()
    assert set(errors(eservice=eservice_id, version=[str(draft.id)])) == {"version"}
    assert set(errors(eservice=eservice_id, version=[str(v1)], **{"from": "2026-05-01", "to": "2026-04-01"})) == {"to"}
    assert set(errors(eservice=eservice_id, version=[str(v1)], **{"from": "1 maj"})) == {"from"}
    chosen = export.read_criteria(
        MultiDict([("eservice", eservice_id), ("version", str(v2)), ("version", str(v1)), ("from", "2026-04-01")]),
        actor=world.hanna,
    )
    assert chosen == export.ExportCriteria(int(eservice_id), tuple(sorted((v1, v2))), dt.date(2026, 4, 1), None)
    assert [v.number for v in export.exportable_versions(int(eservice_id), actor=world.hanna)] == [2, 1]


# -- the background export ---------------------------------------------------------------------------


@pytest.fixture
def low_threshold(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "EXPORT_BACKGROUND_THRESHOLD", 2)
    monkeypatch.setitem(ctx.config, "EXPORT_PROGRESS_EVERY", 1)


def test_a_large_export_runs_in_the_background(world, skolskjuts, low_threshold):
    started = export.start_export(criteria(skolskjuts), actor=world.hanna)
    job = started.job
    assert started.file is None and job.state == ExportState.QUEUED and job.total == 3 and job.done == 0
    assert export.display_state(job) == "queued"
    # One at a time per user.
    with pytest.raises(Invalid):
        export.start_export(criteria(skolskjuts), actor=world.hanna)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0  # audited when written

    assert export.run_export_job(job.id) is True
    assert export.run_export_job(job.id) is False  # done already: nobody writes it twice
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.state == ExportState.DONE and job.done == job.total == 3 and job.error is None
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)
    assert storage.exists(job.storage_key)
    assert export.my_exports(world.hanna) == [job] and export.my_exports(world.olle) == []

    stream, name = export.open_export_file(job.id, actor=world.hanna)
    with stream:
        workbook = load_workbook(stream)
    assert workbook.sheetnames == ["Skolskjuts v1", "Skolskjuts v2"] and name.startswith("arenden-skolskjuts-")
    assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "cases_exported"))["background"]
    # Only the owner downloads the file or sees the export.
    with pytest.raises(NotFound):
        export.open_export_file(job.id, actor=world.olle)
    with pytest.raises(NotFound):
        export.own_export(job.id, actor=world.admin)


def test_a_failure_is_recorded_and_never_leaves_the_export_running(world, skolskjuts, low_threshold):
    job = export.start_export(criteria(skolskjuts), actor=world.hanna).job
    db.session.commit()
    # Before the worker starts, Hanna stops handling Skolskjuts.
    for link in list(skolskjuts["eservice"].handler_links):
        if link.user_id == world.hanna.id:
            db.session.delete(link)
    db.session.commit()
    assert export.run_export_job(job.id) is True
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.state == ExportState.FAILED and job.error and job.storage_key is None
    assert export.display_state(job) == "failed"
    with pytest.raises(Invalid):
        export.open_export_file(job.id, actor=world.hanna)


def test_the_cleanup_job_removes_files_after_a_day(world, skolskjuts, low_threshold):
    job = export.start_export(criteria(skolskjuts), actor=world.hanna).job
    db.session.commit()
    export.run_export_job(job.id)
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    key, expires_at = job.storage_key, job.expires_at
    spec = JOBS["export_cleanup"]
    assert spec.period == dt.timedelta(hours=1)
    assert spec.func(expires_at - dt.timedelta(minutes=1)).counts == {"files_removed": 0, "exports_interrupted": 0}
    assert storage.exists(key)
    assert spec.func(expires_at, dry_run=True).counts == {"would_remove_files": 1}
    assert spec.func(expires_at).counts == {"files_removed": 1, "exports_interrupted": 0}
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert not storage.exists(key) and job.storage_key is None
    assert export.display_state(job) == export.EXPIRED
    with pytest.raises(Invalid) as removed:
        export.open_export_file(job.id, actor=world.hanna)
    assert removed.value.message == "Filen har tagits bort."
    assert spec.func(expires_at + dt.timedelta(hours=1)).counts == {"files_removed": 0, "exports_interrupted": 0}


def test_an_export_whose_worker_died_is_marked_failed(world, skolskjuts, low_threshold):
    job = export.start_export(criteria(skolskjuts), actor=world.hanna).job
    db.session.commit()
    job.state = ExportState.RUNNING  # as a worker left it when its process died
    db.session.commit()
    now = job.created_at + dt.timedelta(minutes=1)
    # While a worker holds the export's lock it is running, however long it takes.
    with job_lock(f"export-{job.id}") as held:
        assert held
        assert export.clean_up_exports(now).counts["exports_interrupted"] == 0
    assert db.session.get(ExportJob, job.id).state == ExportState.RUNNING
    assert export.clean_up_exports(now).counts["exports_interrupted"] == 1
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.state == ExportState.FAILED and "avbröts" in job.error
    # A queued export whose worker never started is given up after a while, not at once.
    queued = export.start_export(criteria(skolskjuts), actor=world.hanna).job
    db.session.commit()
    assert export.clean_up_exports(queued.created_at + dt.timedelta(minutes=1)).counts["exports_interrupted"] == 0
    later = queued.created_at + export.QUEUED_GIVE_UP + dt.timedelta(minutes=1)
    assert export.clean_up_exports(later).counts["exports_interrupted"] == 1
