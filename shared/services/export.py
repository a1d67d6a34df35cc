"""Excel export of cases (F-EXP-1, F-LIST-5, the handler guide's 2.3 "Exportera till Excel").

Two ways in, one writer:

- **the checked cases** of the overview (``export_cases``): at most ``bulk.MAX_CASES``, written
  at once, one audit entry per case (opening the file shows each case's data as opening the
  case would);
- **by criteria** (``start_export``): an e-service, some of its versions and a date interval
  (submitted from/to). Up to ``EXPORT_BACKGROUND_THRESHOLD`` cases (2,000) the file is written
  at once; above, an ``ExportJob`` is queued and written by a worker thread
  (``run_export_job``) with its progress in the job row, the file kept in storage for the
  owner for a day (``EXPORT_KEEP_HOURS``). One audit entry per criteria export names the
  criteria and the count.

The workbook has one sheet per e-service version, because versions may ask different
questions; the columns are Ärendenr, Status, Inskickat, Inskickare, Handläggare and then one
per question (its label as heading, or the e-service's own Excel columns when the builder set
them, F-ES-12). Dates are Excel dates, numbers are numbers, multiple choices are joined,
files are their names, so the sheet can be filtered and summed.

Memory stays flat whatever the size: openpyxl's write-only mode (with lxml) streams each
sheet to a temporary file, and the cases are read in batches: through a server-side cursor
on PostgreSQL, by keyset pages on SQLite (where a long read would block the progress
updates). Each row is built by per-column converters chosen once per sheet, and the status
names are looked up from one dictionary, so the time per case is mostly openpyxl's own.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import queue
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import Select, and_, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from werkzeug.utils import secure_filename

from shared import clock, storage
from shared.db import db, is_postgresql, transactional
from shared.errors import DomainError, Invalid, NotFound
from shared.forms import iter_questions
from shared.forms.display import display_value, options_of
from shared.models import (
    Case,
    CaseHandler,
    EService,
    EServiceVersion,
    ExportJob,
    ExportState,
    HandlerGroup,
    JobLock,
    StaffUser,
    Status,
    VersionState,
)
from shared.services import access, audit
from shared.services.bulk import MAX_CASES
from shared.services.jobs import JobReport, job_lock

log = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BATCH = 500
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Defaults of the settings (app.config) that tests and operators may change.
DEFAULT_THRESHOLD = 2000
DEFAULT_KEEP_HOURS = 24
DEFAULT_PROGRESS_EVERY = 5000
# A queued export whose worker never started (the process stopped at once) is given up after this.
QUEUED_GIVE_UP = dt.timedelta(minutes=15)
# How long a worker's lock lasts on SQLite without renewal (a crashed worker is found after this).
WORKER_LEASE = dt.timedelta(minutes=2)
EXPIRED = "expired"  # what a DONE export whose file was removed shows as (no state of its own in the table)


# -- columns and cells --------------------------------------------------------------------------


@dataclass
class Column:
    """One question column of a sheet."""

    question_id: str
    heading: str
    question: Mapping[str, Any] | None


def question_columns(eservice: EService, definition: Mapping[str, Any]) -> list[Column]:
    """The question columns of a version's sheet: the builder's Excel columns, else every question."""
    questions = {q.get("id"): (step, q) for step, q in iter_questions(definition)}
    if eservice.excel_columns:
        columns = []
        for item in eservice.excel_columns:
            question_id = str(item.get("question") or "")
            if not question_id:
                continue
            found = questions.get(question_id)
            heading = str(item.get("heading") or (found[1].get("label") if found else "") or question_id)
            columns.append(Column(question_id, heading, found[1] if found else None))
        return columns
    chosen = [(step, q) for step, q in questions.values() if q.get("type") != "info"]
    labels = [str(q.get("label") or q.get("id")) for _step, q in chosen]
    columns = []
    for (step, question), label in zip(chosen, labels, strict=True):
        # Two questions with one label (in different steps) are told apart by the step's title.
        if labels.count(label) > 1 and step.get("title"):
            label = f"{step['title']}: {label}"
        columns.append(Column(str(question["id"]), label, question))
    return columns


def cell_value(question: Mapping[str, Any] | None, value: Any) -> Any:
    """An answer as a spreadsheet value: dates as dates, numbers as numbers, the rest as the applicant reads it."""
    if value is None or value == "" or value == []:
        return None
    kind = question.get("type") if question else None
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if kind in ("number", "computed") and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if question is None:
        return ", ".join(map(str, value)) if isinstance(value, list) else value
    return display_value(question, value) or None


Converter = Callable[[Any], Any]


def _literal(sheet, text: str) -> Any:
    """A text cell for text that openpyxl would otherwise take for a formula ("=…" typed by an applicant)."""
    cell = WriteOnlyCell(sheet, value=None)
    cell._value = ILLEGAL_CHARACTERS_RE.sub("", text)  # set past openpyxl's checks: cleaned here
    cell.data_type = "s"
    return cell


def _converter(sheet, question: Mapping[str, Any] | None) -> Converter:
    """The function turning one stored answer of the question into its cell value (chosen once per column)."""
    kind = question.get("type") if question else None

    def generic(value: Any) -> Any:
        result = cell_value(question, value)
        if isinstance(result, str):
            return text(result)
        return result

    def text(value: Any) -> Any:
        if type(value) is str:
            if not value:
                return None
            return _literal(sheet, value) if value[0] == "=" else value
        return generic(value)

    if kind in ("text", "textarea", "email", "phone", "personnummer", "organisationsnummer"):
        return text

    if kind in ("number", "computed"):

        def number(value: Any) -> Any:
            if type(value) is int or type(value) is float:
                return value
            return generic(value)

        return number

    if kind == "date":

        @functools.lru_cache(maxsize=4096)
        def parse(value: str) -> Any:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return text(value)

        def date(value: Any) -> Any:
            if type(value) is str and value:
                return parse(value)
            return generic(value)

        return date

    if kind in ("single_choice", "multiple_choice") and question is not None:
        labels = {option["value"]: str(option["label"]) for option in options_of(question)}

        def choice(value: Any) -> Any:
            if type(value) is list:
                # An answer kept from an older version may no longer be an option: shown as it is.
                joined = ", ".join([labels.get(v) or str(v) for v in value])
                return text(joined) if joined else None
            if type(value) is str:
                return text(labels.get(value) or value)
            return generic(value)

        return choice

    if kind == "yes_no":
        yes, no = _("Yes"), _("No")

        def yes_no(value: Any) -> Any:
            if value is True:
                return yes
            if value is False:
                return no
            return generic(value)

        return yes_no

    return generic


def _sheet_title(eservice_name: str, version_number: int, taken: set[str]) -> str:
    suffix = f" v{version_number}"
    base = _SHEET_FORBIDDEN.sub(" ", eservice_name).strip() or "E-tjänst"
    title = base[: 31 - len(suffix)].rstrip() + suffix
    n = 2
    while title.lower() in taken:
        extra = f" ({n})"
        title = base[: 31 - len(suffix) - len(extra)].rstrip() + suffix + extra
        n += 1
    taken.add(title.lower())
    return title


# -- reading the cases ---------------------------------------------------------------------------


def _handlers_column():
    """The case's handlers as the overview names them (a person's name, or the group's), joined: one subquery.

    Computed by the database beside each row, so the export makes no query of its own per batch.
    """
    name = func.coalesce(
        HandlerGroup.name,
        func.nullif(
            func.trim(func.coalesce(StaffUser.first_name, "") + " " + func.coalesce(StaffUser.last_name, "")), ""
        ),
        StaffUser.username,
    )
    if is_postgresql():
        joined = func.string_agg(name, aggregate_order_by(literal(", "), CaseHandler.id))
    else:
        joined = func.group_concat(name, ", ")  # SQLite reads them by case, in the order they were added
    return (
        select(joined)
        .select_from(CaseHandler)
        .outerjoin(StaffUser, StaffUser.id == CaseHandler.user_id)
        .outerjoin(HandlerGroup, HandlerGroup.id == CaseHandler.group_id)
        .where(CaseHandler.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )


def _row_columns() -> tuple:
    """What a sheet row needs of a case: plain columns, no ORM objects, no relations."""
    return (
        Case.number,
        Case.version_id,
        Case.status_id,
        Case.submitted_at,
        func.coalesce(Case.applicant_name, Case.contact_name, Case.contact_email),
        _handlers_column(),
        Case.answers,
    )


def _pg_batches(statement: Select) -> Iterator[list[Any]]:
    """PostgreSQL: each version's rows by case number through a server-side cursor.

    One query per version: ordered by number alone the rows come straight off the case
    number's index, where ordering by version and number would sort every row, answers
    and all, before the first one is sent.
    """
    version_ids = db.session.scalars(
        statement.with_only_columns(Case.version_id).distinct().order_by(None).order_by(Case.version_id)
    ).all()
    for version_id in version_ids:
        one_version = statement.where(Case.version_id == version_id).order_by(None).order_by(Case.number)
        result = db.session.execute(one_version.execution_options(yield_per=_BATCH))
        yield from result.partitions()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _prefetched(statement: Select) -> Iterator[list[Any]]:
    """PostgreSQL's batches read by a thread of their own (its own session), a batch or two ahead.

    While openpyxl writes one batch, the database computes and sends the next and the thread
    decodes it, so the reading costs the writing little time. Memory stays at a few batches.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ahead: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        with app.app_context():
            try:
                for batch in _pg_batches(statement):
                    while not stop.is_set():
                        try:
                            ahead.put(batch, timeout=0.5)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                ahead.put(end)
            except BaseException as error:  # handed to the writer, which raises it
                ahead.put(_Failed(error))
            finally:
                db.session.remove()

    reader = threading.Thread(target=produce, name="export-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = ahead.get()
            if item is end:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        reader.join()


def _batches(statement: Select) -> Iterator[list[Any]]:
    """The rows of the statement (by version, then case number) in batches of _BATCH.

    PostgreSQL streams them through server-side cursors, read ahead by a thread. SQLite reads
    page by page after the last (version, number) seen, each page a statement of its own: a
    statement left open would hold SQLite's read lock and block the progress updates of a
    background export.
    """
    if is_postgresql():
        yield from _prefetched(statement)
        return
    last: tuple[int, int] | None = None
    while True:
        page = statement
        if last is not None:
            page = page.where(or_(Case.version_id > last[0], and_(Case.version_id == last[0], Case.number > last[1])))
        rows = db.session.execute(page.limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        if len(rows) < _BATCH:
            return
        last = (rows[-1][1], rows[-1][0])  # (version_id, number)


# -- the writer ---------------------------------------------------------------------------------


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as Swedish local time without zone: what Excel shows."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(clock.LOCAL_TZ).replace(tzinfo=None)


class _Sheet:
    """One version's sheet: its columns' converters, chosen once."""

    def __init__(self, workbook: Workbook, title: str, eservice: EService, version: EServiceVersion) -> None:
        self.sheet = sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        columns = question_columns(eservice, version.definition or {})
        self.getters = [(c.question_id, _converter(sheet, c.question)) for c in columns]
        headings = [_("Case no."), _("Status"), _("Submitted"), _("Submitter"), _("Handlers")]
        bold = Font(bold=True)
        cells = []
        for heading in headings + [c.heading for c in columns]:
            cell = _literal(sheet, str(heading))  # a builder's heading is text, whatever it starts with
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    def submitted_cell(self, value: dt.datetime | None) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.sheet, value=_local(value))
        cell.number_format = _DATETIME_FORMAT
        return cell


def write_workbook(
    target: IO[bytes],
    statement: Select,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = DEFAULT_PROGRESS_EVERY,
) -> int:
    """Write the cases the statement selects (``_row_columns()``, by version and number) as a workbook; the count.

    One sheet per version; ``progress(rows written)`` is called every ``progress_every`` rows or so.
    """
    statuses: dict[int, str] = {row[0]: row[1] for row in db.session.execute(select(Status.id, Status.name))}
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    sheets: dict[int, _Sheet] = {}
    written = reported = 0
    for batch in _batches(statement):
        for number, version_id, status_id, submitted_at, submitter, handlers, answers in batch:
            sheet = sheets.get(version_id)
            if sheet is None:
                version = db.session.get(EServiceVersion, version_id)
                eservice = db.session.get(EService, version.eservice_id)
                sheet = sheets[version_id] = _Sheet(
                    workbook, _sheet_title(eservice.name, version.number, taken), eservice, version
                )
            if submitter and submitter[0] == "=":
                submitter = _literal(sheet.sheet, submitter)
            if handlers and handlers[0] == "=":
                handlers = _literal(sheet.sheet, handlers)
            row = [number, statuses.get(status_id), sheet.submitted_cell(submitted_at), submitter, handlers]
            if answers:
                get = answers.get
                for question_id, convert in sheet.getters:
                    value = get(question_id)
                    row.append(None if value is None else convert(value))
            sheet.sheet.append(row)
        written += len(batch)
        if progress is not None and written - reported >= progress_every:
            progress(written)
            reported = written
    if not sheets:
        workbook.create_sheet(_("Cases"))  # a workbook needs a sheet
    workbook.save(target)
    return written


def _spooled() -> IO[bytes]:
    # Small exports stay in memory, large ones go to a temporary file on disk.
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


# -- the checked cases (F-LIST-5) ----------------------------------------------------------------


@transactional
def export_cases(case_ids: Iterable[int], *, actor: StaffUser) -> IO[bytes]:
    """An Excel workbook of the checked cases (one sheet per e-service version); every case must be one the actor may see.

    Each exported case gets an audit entry: an export shows the case's data as opening it would.
    """
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise Invalid(_("Check at least one case first."))
    if len(ids) > MAX_CASES:
        raise Invalid(_("Choose at most %(max)s cases at a time.", max=MAX_CASES))
    chosen = access.visible_cases(actor).where(Case.id.in_(ids))
    found = db.session.scalar(chosen.with_only_columns(func.count()).order_by(None))
    if found != len(ids):
        raise access.case_not_found()
    output = _spooled()
    write_workbook(output, chosen.with_only_columns(*_row_columns()).order_by(Case.version_id, Case.number))
    for start in range(0, len(ids), 500):
        for case in db.session.scalars(select(Case).where(Case.id.in_(ids[start : start + 500]))):
            audit.record("case_exported", user=actor, case=case, details={"format": "xlsx"})
    output.seek(0)
    return output


# -- by criteria (F-EXP-1) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportCriteria:
    """What the export page asks: one e-service, some of its versions, a submitted-date interval."""

    eservice_id: int
    version_ids: tuple[int, ...]
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_params(self) -> dict[str, Any]:
        return {
            "eservice_id": self.eservice_id,
            "version_ids": list(self.version_ids),
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ExportCriteria:
        return cls(
            eservice_id=int(params["eservice_id"]),
            version_ids=tuple(int(v) for v in params.get("version_ids") or ()),
            date_from=dt.date.fromisoformat(params["from"]) if params.get("from") else None,
            date_to=dt.date.fromisoformat(params["to"]) if params.get("to") else None,
        )


def exportable_eservices(actor: StaffUser) -> list[EService]:
    """The e-services whose cases the user may export (those whose cases they see; all for an administrator)."""
    return access.handled_eservices(actor)


def _exportable_eservice(eservice_id: int | None, actor: StaffUser) -> EService:
    return access.handled_eservice(eservice_id, actor)


def exportable_versions(eservice_id: int, *, actor: StaffUser) -> list[EServiceVersion]:
    """The versions of the e-service that cases can have come in through (published or archived), newest first."""
    _exportable_eservice(eservice_id, actor)
    return list(
        db.session.scalars(
            select(EServiceVersion)
            .where(EServiceVersion.eservice_id == eservice_id, EServiceVersion.state != VersionState.DRAFT)
            .order_by(EServiceVersion.number.desc())
        )
    )


def read_criteria(form: Mapping[str, Any], *, actor: StaffUser) -> ExportCriteria:
    """The export page's choices checked: an e-service the user sees, its versions, dates from ≤ to.

    ``form`` has ``eservice``, ``version`` (a list: ``getlist``-able or a sequence), ``from`` and
    ``to`` (YYYY-MM-DD). Invalid names each field that is wrong.
    """
    errors: dict[str, str] = {}
    raw_eservice = str(form.get("eservice") or "").strip()
    eservice = None
    if not raw_eservice:
        errors["eservice"] = _("Choose an e-service.")
    else:
        try:
            eservice = _exportable_eservice(int(raw_eservice) if raw_eservice.isdigit() else None, actor)
        except NotFound as error:
            errors["eservice"] = error.message
    raw_versions = form.getlist("version") if hasattr(form, "getlist") else form.get("version") or []
    version_ids: list[int] = []
    if eservice is not None:
        offered = {v.id for v in exportable_versions(eservice.id, actor=actor)}
        for raw in raw_versions:
            text = str(raw).strip()
            if not text.isdigit() or int(text) not in offered:
                errors["version"] = _("Choose among the versions of the e-service.")
                break
            version_ids.append(int(text))
        if not version_ids and "version" not in errors:
            errors["version"] = _("Choose at least one version.")
    dates: dict[str, dt.date | None] = {}
    for key in ("from", "to"):
        raw = str(form.get(key) or "").strip()
        dates[key] = None
        if raw:
            try:
                dates[key] = dt.date.fromisoformat(raw)
            except ValueError:
                errors[key] = _("Enter the date as YYYY-MM-DD.")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = _("The end date cannot be before the start date.")
    if errors:
        raise Invalid(_("The export could not be made: see the marked fields."), errors)
    return ExportCriteria(eservice.id, tuple(sorted(set(version_ids))), dates["from"], dates["to"])


def _criteria_statement(criteria: ExportCriteria, actor: StaffUser) -> Select:
    """The cases of the criteria that the user may see (every rule in ``access.visible_cases``)."""
    from shared.services.overview import Filters, filter_conditions

    conditions = filter_conditions(
        Filters(eservice_id=criteria.eservice_id, date_from=criteria.date_from, date_to=criteria.date_to)
    )
    return (
        access.visible_cases(actor)
        .where(*conditions, Case.version_id.in_(criteria.version_ids))
        .with_only_columns(*_row_columns())
        .order_by(Case.version_id, Case.number)
    )


def count_cases(criteria: ExportCriteria, *, actor: StaffUser) -> int:
    """How many cases the export of the criteria holds (for this user)."""
    statement = _criteria_statement(criteria, actor)
    return int(db.session.scalar(statement.with_only_columns(func.count()).order_by(None)) or 0)


def background_threshold() -> int:
    """Above this many cases an export runs in the background (EXPORT_BACKGROUND_THRESHOLD, default 2,000)."""
    return int(current_app.config.get("EXPORT_BACKGROUND_THRESHOLD") or DEFAULT_THRESHOLD)


def _audit_export(actor: StaffUser, criteria: ExportCriteria, count: int, *, background: bool) -> None:
    audit.record(
        "cases_exported",
        user=actor,
        details={"format": "xlsx", "criteria": criteria.as_params(), "count": count, "background": background},
    )


def file_name(eservice_name: str, when: dt.datetime | None = None) -> str:
    """The download's name: the e-service and the local time, ASCII only (arenden-skolskjuts-20260302-0930.xlsx)."""
    local = clock.to_local(when or clock.now())
    slug = secure_filename(eservice_name).lower()[:40] or "etjanst"
    return f"arenden-{slug}-{local:%Y%m%d-%H%M}.xlsx"


@dataclass
class StartedExport:
    """What ``start_export`` did: a file written at once, or a queued background job."""

    count: int
    file: IO[bytes] | None = None
    file_name: str | None = None
    job: ExportJob | None = None


@transactional
def start_export(criteria: ExportCriteria, *, actor: StaffUser) -> StartedExport:
    """Export the cases of the criteria: at once up to the threshold, else queued for the background."""
    eservice = _exportable_eservice(criteria.eservice_id, actor)
    count = count_cases(criteria, actor=actor)
    if count == 0:
        raise Invalid(_("No cases match the choices: nothing was exported."))
    if count <= background_threshold():
        output = _spooled()
        write_workbook(output, _criteria_statement(criteria, actor))
        output.seek(0)
        _audit_export(actor, criteria, count, background=False)
        return StartedExport(count, file=output, file_name=file_name(eservice.name))
    busy = db.session.scalar(
        select(func.count())
        .select_from(ExportJob)
        .where(ExportJob.user_id == actor.id, ExportJob.state.in_([ExportState.QUEUED, ExportState.RUNNING]))
    )
    if busy:
        raise Invalid(_("You already have an export in progress: wait until it is ready, then start the next."))
    params = {**criteria.as_params(), "eservice_name": eservice.name}
    job = ExportJob(user_id=actor.id, params=params, state=ExportState.QUEUED, total=count, done=0)
    db.session.add(job)
    db.session.flush()
    return StartedExport(count, job=job)


# -- the background export -----------------------------------------------------------------------


def _lock_name(job_id: int) -> str:
    return f"export-{job_id}"


def _set_progress(job_id: int, done: int) -> None:
    # A connection of its own: the worker's session is in the middle of its read.
    with db.engine.begin() as conn:
        conn.execute(update(ExportJob).where(ExportJob.id == job_id).values(done=done))


def start_worker(job_id: int) -> threading.Thread:
    """Run the queued export in a thread of this process (its own app context and session)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                run_export_job(job_id)
            except Exception:  # run_export_job records its failures; this is the last resort
                log.exception("export %s: the worker stopped", job_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"export-{job_id}", daemon=True)
    thread.start()
    return thread


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id)
        .values(state=ExportState.FAILED, error=message[:2000], finished_at=clock.now())
    )
    db.session.commit()


def run_export_job(job_id: int) -> bool:
    """Write a queued export's file (the worker's work); False when someone else has it or it is not queued.

    The worker holds a lock named after the export for the whole run, so ``clean_up_exports``
    can tell a running export from one whose process died. A failure is recorded in the
    export (state failed, the reason in ``error``) and never leaves it running.
    """
    with job_lock(_lock_name(job_id), lease=WORKER_LEASE) as acquired:
        if not acquired:
            return False
        claimed = db.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.state == ExportState.QUEUED)
            .values(state=ExportState.RUNNING)
        ).rowcount
        db.session.commit()
        if not claimed:
            return False
        try:
            _write_job(job_id)
        except DomainError as error:
            _fail(job_id, error.message)
        except Exception:
            log.exception("export %s failed", job_id)
            _fail(job_id, _("The export failed because of an error in the system. Try again, or contact support."))
        return True


def _write_job(job_id: int) -> None:
    job = db.session.get(ExportJob, job_id)
    actor = db.session.get(StaffUser, job.user_id)
    if actor is None or not actor.active:
        raise Invalid(_("The user of the export is no longer active."))
    criteria = ExportCriteria.from_params(job.params)
    _exportable_eservice(criteria.eservice_id, actor)  # the user may have lost the e-service since
    job.total = count_cases(criteria, actor=actor)
    db.session.commit()
    every = int(current_app.config.get("EXPORT_PROGRESS_EVERY") or DEFAULT_PROGRESS_EVERY)
    with tempfile.TemporaryFile() as output:
        count = write_workbook(
            output,
            _criteria_statement(criteria, actor),
            progress=lambda done: _set_progress(job_id, done),
            progress_every=every,
        )
        output.seek(0)
        stored = storage.save(output)
    now = clock.now()
    keep = dt.timedelta(hours=float(current_app.config.get("EXPORT_KEEP_HOURS") or DEFAULT_KEEP_HOURS))
    job = db.session.get(ExportJob, job_id)
    job.state = ExportState.DONE
    job.done = job.total = count
    job.storage_key = stored.key
    job.finished_at = now
    job.expires_at = now + keep
    _audit_export(actor, criteria, count, background=True)
    db.session.commit()


# -- the user's exports --------------------------------------------------------------------------


def display_state(job: ExportJob) -> str:
    """queued, running, done, failed or expired (done, and the file removed)."""
    if job.state == ExportState.DONE and not job.storage_key:
        return EXPIRED
    return str(job.state.value if isinstance(job.state, ExportState) else job.state)


def my_exports(actor: StaffUser, *, limit: int = 20) -> list[ExportJob]:
    """The user's background exports, newest first."""
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(ExportJob.user_id == actor.id)
            .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
            .limit(limit)
        )
    )


def own_export(job_id: int, *, actor: StaffUser) -> ExportJob:
    """One of the user's exports; NotFound for anyone else's (only the owner sees or downloads it)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or actor is None or job.user_id != actor.id:
        raise NotFound(_("The export was not found."))
    return job


def open_export_file(job_id: int, *, actor: StaffUser) -> tuple[IO[bytes], str]:
    """The finished export's file and its download name; Invalid when it is not ready or has been removed."""
    job = own_export(job_id, actor=actor)
    state = display_state(job)
    if state == EXPIRED:
        raise Invalid(_("The file has been removed."))
    if state != ExportState.DONE.value:
        raise Invalid(_("The file is not ready yet."))
    try:
        stream = storage.open(job.storage_key)
    except FileNotFoundError:
        raise Invalid(_("The file has been removed.")) from None
    return stream, file_name(str(job.params.get("eservice_name") or ""), job.finished_at)


# -- the cleanup job -----------------------------------------------------------------------------


def clean_up_exports(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Remove the files of exports past their day, and fail exports whose worker died (the export_cleanup job)."""
    now = now or clock.now()
    expired = list(
        db.session.scalars(
            select(ExportJob.id).where(
                ExportJob.state == ExportState.DONE,
                ExportJob.storage_key.is_not(None),
                ExportJob.expires_at <= now,
            )
        )
    )
    unfinished = list(
        db.session.execute(
            select(ExportJob.id, ExportJob.state, ExportJob.created_at).where(
                ExportJob.state.in_([ExportState.QUEUED, ExportState.RUNNING])
            )
        )
    )
    if dry_run:
        return JobReport(counts={"would_remove_files": len(expired)})
    removed = 0
    for job_id in expired:
        job = db.session.get(ExportJob, job_id)
        if job.storage_key:
            storage.delete_after_commit(job.storage_key)
            job.storage_key = None
            removed += 1
        db.session.commit()
    interrupted = 0
    for job_id, state, created_at in unfinished:
        if state == ExportState.QUEUED and created_at > now - QUEUED_GIVE_UP:
            continue  # its worker is about to start
        with job_lock(_lock_name(job_id), lease=WORKER_LEASE) as free:
            if not free:
                continue  # a worker holds it: still running
            gave_up = db.session.execute(
                update(ExportJob)
                .where(ExportJob.id == job_id, ExportJob.state.in_([ExportState.QUEUED, ExportState.RUNNING]))
                .values(
                    state=ExportState.FAILED,
                    error=_("The export was interrupted (the server stopped). Start it again."),
                    finished_at=now,
                )
            ).rowcount
            db.session.commit()
            interrupted += gave_up
    if not is_postgresql():
        # SQLite keeps a lock row per export; a released one (no holder) is no longer needed.
        db.session.execute(delete(JobLock).where(JobLock.name.like("export-%"), JobLock.holder.is_(None)))
        db.session.commit()
    return JobReport(counts={"files_removed": removed, "exports_interrupted": interrupted})


__all__ = [
    "EXPIRED",
    "XLSX_MIMETYPE",
    "ExportCriteria",
    "StartedExport",
    "cell_value",
    "clean_up_exports",
    "count_cases",
    "display_state",
    "export_cases",
    "exportable_eservices",
    "exportable_versions",
    "file_name",
    "my_exports",
    "open_export_file",
    "own_export",
    "question_columns",
    "read_criteria",
    "run_export_job",
    "start_export",
    "start_worker",
    "write_workbook",
]
