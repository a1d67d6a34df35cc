"""Excel export (F-EXP-1): 100,000 cases × 30 questions, beside a bare openpyxl loop and XlsxWriter.

    .venv/bin/python benchmarks/export.py [--cases N] [--database-url URL] [--repeat R]

XlsxWriter is a benchmark-only contender: ``.venv/bin/pip install -e ".[bench]"`` (or
``pip install XlsxWriter``) first; without it that contender is skipped and its ratio is 0.

Fills a fresh PostgreSQL database by COPY with N cases (default 100,000) of one e-service
whose form asks 30 questions (text, long text, numbers, dates, single and multiple
choice, yes/no, a file), on two versions (so two sheets), most of them with a handler.
Then it measures, each contender in a process of its own so that each has its own peak
memory (RSS, ``resource.getrusage``: C allocations of lxml and psycopg included):

- **ours**: the background export as the worker runs it (``run_export_job``: the lock, the
  claim, the criteria query through the access rules on a server-side cursor, the JSON
  answers, the per-column conversion, openpyxl write-only with lxml, progress updates,
  the file copied into storage, the audit entry);
- **openpyxl**: a bare openpyxl write-only loop writing the same values (read back from
  our file beforehand into a prepared list): the most openpyxl can do;
- **xlsxwriter**: XlsxWriter with ``constant_memory`` writing the same prepared values.

Seconds, rows per second and peak memory of each (medians over R rounds, default 1), then
``RESULT rows_per_second=… ratio_to_openpyxl=… ratio_to_xlsxwriter=… peak_mb=…`` where
``peak_mb`` is our export's peak. Targets: at least 70% of the bare openpyxl rate, and a
peak under 150 MB at 100,000 cases.

Without --database-url a database is created on 127.0.0.1:5432 (ETJANST_PG_ADMIN_URL) and
dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import pickle
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import database  # noqa: E402
from sqlalchemy import text  # noqa: E402

FIRST_NAMES = ["Åsa", "Björn", "Cecilia", "David", "Elin", "Fredrik", "Greta", "Hugo", "Ida", "Jonas", "Karin", "Leo"]
LAST_NAMES = ["Andersson", "Berg", "Öberg", "Ek", "Lind", "Nyström", "Sjöberg", "Åström", "Holm", "Strand"]
SCHOOLS = [("alne", "Alneskolan"), ("bjork", "Björkskolan"), ("ceder", "Cederskolan"), ("dala", "Dalaskolan")]
DIETS = [("gluten", "Glutenfri"), ("laktos", "Laktosfri"), ("vego", "Vegetarisk"), ("notter", "Nötfri")]


# -- the e-service ---------------------------------------------------------------------------------


def definition() -> dict:
    """A form of 30 questions, of every kind an export converts."""
    questions = []
    for i in range(1, 13):
        questions.append({"id": f"text{i}", "type": "text", "label": f"Uppgift {i}"})
    for i in range(1, 5):
        questions.append({"id": f"long{i}", "type": "textarea", "label": f"Beskrivning {i}"})
    for i in range(1, 5):
        questions.append({"id": f"num{i}", "type": "number", "label": f"Antal {i}"})
    for i in range(1, 5):
        questions.append({"id": f"date{i}", "type": "date", "label": f"Datum {i}"})
    for i in range(1, 3):
        questions.append(
            {
                "id": f"school{i}",
                "type": "single_choice",
                "label": f"Skola {i}",
                "options": [{"value": v, "label": label} for v, label in SCHOOLS],
            }
        )
    for i in range(1, 3):
        questions.append(
            {
                "id": f"diet{i}",
                "type": "multiple_choice",
                "label": f"Kost {i}",
                "options": [{"value": v, "label": label} for v, label in DIETS],
            }
        )
    questions.append({"id": "taxi", "type": "yes_no", "label": "Taxi"})
    questions.append({"id": "intyg", "type": "file", "label": "Intyg"})
    assert len(questions) == 30
    return {"steps": [{"id": "s1", "title": "Ansökan", "questions": questions}]}


def answers(rng: random.Random, person: str) -> dict:
    data: dict = {}
    for i in range(1, 13):
        data[f"text{i}"] = f"{person} {rng.randrange(10_000)}" if i < 4 else rng.choice(LAST_NAMES) + f" {i}"
    for i in range(1, 5):
        data[f"long{i}"] = (
            f"Eleven behöver stöd på vägen till skolan, dag {rng.randrange(1, 6)}. Kontakta vårdnadshavare."
        )
    for i in range(1, 5):
        data[f"num{i}"] = rng.randrange(1, 50) if i % 2 else round(rng.random() * 30, 1)
    for i in range(1, 5):
        data[f"date{i}"] = (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))).isoformat()
    for i in range(1, 3):
        data[f"school{i}"] = rng.choice(SCHOOLS)[0]
    for i in range(1, 3):
        data[f"diet{i}"] = [v for v, _label in rng.sample(DIETS, rng.randrange(0, 3))]
    data["taxi"] = rng.random() < 0.3
    data["intyg"] = [{"name": f"intyg-{rng.randrange(1000)}.pdf", "key": "0" * 40, "size": 1234}]
    return data


# -- the database ----------------------------------------------------------------------------------


def make_app(url: str, upload_dir: str):
    import config
    from shared.app import create_core_app

    return create_core_app(
        "etjanst_benchmark",
        config.get_config("development"),
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": upload_dir,
            "EXPORT_BACKGROUND_THRESHOLD": 1,  # every export through the background path
        },
    )


def fill(n_cases: int) -> dict:
    """One e-service with two versions and n cases (COPY); returns what the contenders need."""
    from shared import clock
    from shared.db import db
    from shared.models import EService, EServiceVersion, HandlerGroup, StaffUser, StatusKind, VersionState
    from shared.services.statuses import ensure_standard_status_group

    rng = random.Random(2026)
    admin = StaffUser(username="admin", first_name="Alva", last_name="Admin", email="a@example.org", active=True)
    handlers = [
        StaffUser(username=f"h{i}", first_name=FIRST_NAMES[i], last_name=LAST_NAMES[i % 10], email=f"h{i}@e.org")
        for i in range(8)
    ]
    group = HandlerGroup(name="Skolskjutsgruppen")
    db.session.add_all([admin, group, *handlers])
    from flask_appbuilder.security.sqla.models import Role

    from shared import roles

    role = Role(name=roles.ADMIN)
    admin.roles = [role]
    standard = ensure_standard_status_group()
    form = definition()
    eservice = EService(name="Skolskjuts", slug="skolskjuts", status_group=standard, due_days=14)
    eservice.versions = [
        EServiceVersion(number=1, definition=form, state=VersionState.RETIRED, published_at=dt.datetime(2025, 1, 1)),
        EServiceVersion(number=2, definition=form, state=VersionState.PUBLISHED, published_at=dt.datetime(2026, 1, 1)),
    ]
    db.session.add(eservice)
    db.session.flush()
    status_ids = [s.id for s in standard.statuses if s.kind != StatusKind.DRAFT]
    version_ids = [v.id for v in eservice.versions]
    handler_ids = [h.id for h in handlers]
    group_id = group.id  # plain values from here on: the connection is busy with COPY, nothing may lazy-load
    plain = {"eservice_id": eservice.id, "version_ids": version_ids, "admin_id": admin.id}
    db.session.commit()

    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    now = clock.now()
    columns = (
        "id, number, eservice_id, version_id, status_id, status_changed_at, channel, applicant_name, "
        "answers, submitted_at, due_at, assigned, created_at, updated_at"
    )
    handler_rows = []
    started = time.perf_counter()
    with cursor.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
        for case_id in range(1, n_cases + 1):
            person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            submitted = now - dt.timedelta(days=rng.random() * 700)
            assigned = rng.random() < 0.7
            if assigned:
                if rng.random() < 0.2:
                    handler_rows.append((case_id, None, group_id))
                else:
                    handler_rows.append((case_id, rng.choice(handler_ids), None))
            copy.write_row(
                (
                    case_id,
                    case_id,
                    plain["eservice_id"],
                    version_ids[0] if case_id % 2 else version_ids[1],
                    rng.choice(status_ids),
                    submitted,
                    "portal",
                    person,
                    json.dumps(answers(rng, person), ensure_ascii=False),
                    submitted,
                    submitted + dt.timedelta(days=14),
                    assigned,
                    submitted,
                    submitted,
                )
            )
    with cursor.copy("COPY case_handler (case_id, user_id, group_id, assigned_at) FROM STDIN") as copy:
        for case_id, user_id, group_id in handler_rows:
            copy.write_row((case_id, user_id, group_id, now))
    cursor.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), %s)", (n_cases,))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"  filled {n_cases:,} cases × 30 questions in {time.perf_counter() - started:.1f} s", flush=True)
    return plain


def migrate_and_fill(url: str, upload_dir: str, n_cases: int, queue) -> None:
    from flask_migrate import upgrade

    from shared.db import db

    app = make_app(url, upload_dir)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        plain = fill(n_cases)
        db.session.remove()
        db.engine.dispose()
    queue.put(plain)


# -- the contenders, each in a process of its own ---------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def contender_ours(url: str, upload_dir: str, plain: dict, out_path: str, queue) -> None:
    from shared import storage
    from shared.db import db
    from shared.models import ExportJob, StaffUser
    from shared.services import export

    app = make_app(url, upload_dir)
    with app.app_context():
        actor = db.session.get(StaffUser, plain["admin_id"])
        criteria = export.ExportCriteria(plain["eservice_id"], tuple(plain["version_ids"]))
        job_id = export.start_export(criteria, actor=actor).job.id
        db.session.commit()
        before = _peak_mb()
        started = time.perf_counter()
        export.run_export_job(job_id)
        seconds = time.perf_counter() - started
        job = db.session.get(ExportJob, job_id)
        assert job.error is None, job.error
        with storage.open(job.storage_key) as source, open(out_path, "wb") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        rows = job.done
        db.session.delete(job)
        db.session.commit()
    queue.put({"seconds": seconds, "rows": rows, "peak_mb": _peak_mb(), "before_mb": before})


def prepare_values(xlsx_path: str, pickle_path: str, queue) -> None:
    """Read our file back into lists of values (dates, numbers, text), pickled for the bare contenders."""
    from openpyxl import load_workbook

    workbook = load_workbook(xlsx_path, read_only=True)
    sheets = [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in workbook.worksheets]
    workbook.close()
    with open(pickle_path, "wb") as fileobj:
        pickle.dump(sheets, fileobj, protocol=pickle.HIGHEST_PROTOCOL)
    queue.put({"rows": sum(len(rows) - 1 for _title, rows in sheets)})


def contender_openpyxl(pickle_path: str, out_path: str, queue) -> None:
    from openpyxl import Workbook

    with open(pickle_path, "rb") as fileobj:
        sheets = pickle.load(fileobj)
    before = _peak_mb()
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(out_path)
    seconds = time.perf_counter() - started
    queue.put(
        {"seconds": seconds, "rows": sum(len(r) - 1 for _t, r in sheets), "peak_mb": _peak_mb(), "before_mb": before}
    )


def contender_xlsxwriter(pickle_path: str, out_path: str, queue) -> None:
    import xlsxwriter

    with open(pickle_path, "rb") as fileobj:
        sheets = pickle.load(fileobj)
    before = _peak_mb()
    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(out_path, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    for title, rows in sheets:
        sheet = workbook.add_worksheet(title)
        for index, row in enumerate(rows):
            sheet.write_row(index, 0, row)
    workbook.close()
    seconds = time.perf_counter() - started
    queue.put(
        {"seconds": seconds, "rows": sum(len(r) - 1 for _t, r in sheets), "peak_mb": _peak_mb(), "before_mb": before}
    )


def run_in_process(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise RuntimeError(f"{target.__name__} failed (exit {process.exitcode})")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to export (default 100,000)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the three contenders (medians reported)")
    args = parser.parse_args(argv)

    try:
        import xlsxwriter  # noqa: F401

        have_xlsxwriter = True
    except ImportError:
        have_xlsxwriter = False
        print('XlsxWriter is not installed: .venv/bin/pip install -e ".[bench]" to include it.', file=sys.stderr)

    import openpyxl

    with (
        tempfile.TemporaryDirectory(prefix="etj-bench-export-") as work,
        database(args.database_url, label="export") as url,
    ):
        upload_dir = os.path.join(work, "uploads")
        # Filling runs in a process of its own too: a child starts with its parent's peak RSS
        # (Linux keeps ru_maxrss across fork and exec), so this process must stay small.
        plain = run_in_process(migrate_and_fill, url, upload_dir, args.cases)
        print(f"openpyxl {openpyxl.__version__} (lxml: {openpyxl.LXML}); {args.cases:,} cases, two versions")
        print()
        ours_file = os.path.join(work, "ours.xlsx")
        values = os.path.join(work, "values.pickle")
        rounds: dict[str, list[dict]] = {"ours": [], "openpyxl": [], "xlsxwriter": []}
        for number in range(1, args.repeat + 1):
            rounds["ours"].append(run_in_process(contender_ours, url, upload_dir, plain, ours_file))
            if number == 1:
                prepared = run_in_process(prepare_values, ours_file, values)
                assert prepared["rows"] == args.cases, prepared
            rounds["openpyxl"].append(run_in_process(contender_openpyxl, values, os.path.join(work, "bare.xlsx")))
            if have_xlsxwriter:
                rounds["xlsxwriter"].append(
                    run_in_process(contender_xlsxwriter, values, os.path.join(work, "xlsxwriter.xlsx"))
                )
            print(
                f"round {number}: " + ", ".join(f"{name} {r[-1]['seconds']:.1f} s" for name, r in rounds.items() if r)
            )

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name]) if rounds[name] else 0.0

    print()
    print(f"launcher: {_peak_mb():.0f} MB (each contender's peak is its own above this)")
    print(f"{'contender':<12} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'before MB':>9}")
    rates = {}
    for name in rounds:
        if not rounds[name]:
            continue
        seconds = median(name, "seconds")
        rates[name] = args.cases / seconds
        print(
            f"{name:<12} {seconds:8.2f} {rates[name]:9.0f} {median(name, 'peak_mb'):8.0f} {median(name, 'before_mb'):9.0f}"
        )
    ratio_openpyxl = rates["ours"] / rates["openpyxl"]
    ratio_xlsxwriter = rates["ours"] / rates["xlsxwriter"] if "xlsxwriter" in rates else 0.0
    peak = median("ours", "peak_mb")
    print()
    print(
        "ours: the worker's whole run (query, conversion, openpyxl, storage, audit); peak = the process's RSS, "
        "the app included. openpyxl/xlsxwriter: the write loop alone; their peak holds the prepared list."
    )
    print(f"targets: ratio_to_openpyxl >= 0.70 ({ratio_openpyxl:.2f}), peak_mb < 150 ({peak:.0f})")
    print(
        f"RESULT rows_per_second={rates['ours']:.0f} ratio_to_openpyxl={ratio_openpyxl:.2f} "
        f"ratio_to_xlsxwriter={ratio_xlsxwriter:.2f} peak_mb={peak:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
