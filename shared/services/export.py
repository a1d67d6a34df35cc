"""Excel export of the cases a handler checked in the overview (F-LIST-5, the seed's 2.3).

One sheet per e-service version, because versions may ask different questions; the
columns are Ärendenr, Status, Inskickat, Inskickare, Handläggare and then one per question
(its label as heading, or the e-service's own Excel columns when the builder set them,
F-ES-12). Dates are Excel dates and numbers are numbers, so the sheet can be filtered
and summed. The workbook is written in openpyxl's write-only mode and the cases are read
in batches, so memory stays flat.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from shared.db import db, transactional
from shared.errors import Invalid
from shared.forms import display_value, iter_questions
from shared.models import Case, CaseHandler, EService, EServiceVersion, HandlerGroup, StaffUser, Status
from shared.services import access, audit
from shared.services.bulk import MAX_CASES

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BATCH = 500
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


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


def _cell(sheet, value: Any, *, bold: bool = False) -> Any:
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _DATE_FORMAT
        return cell
    if bold:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        return cell
    return value


def _handler_names(case_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        select(CaseHandler.case_id, StaffUser.first_name, StaffUser.last_name, StaffUser.username, HandlerGroup.name)
        .select_from(CaseHandler)
        .outerjoin(StaffUser, StaffUser.id == CaseHandler.user_id)
        .outerjoin(HandlerGroup, HandlerGroup.id == CaseHandler.group_id)
        .where(CaseHandler.case_id.in_(case_ids))
        .order_by(CaseHandler.case_id, CaseHandler.id)
    )
    for case_id, first, last, username, group_name in rows:
        person = f"{first or ''} {last or ''}".strip() or username
        names[case_id].append(group_name or person or "")
    return names


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


@transactional
def export_cases(case_ids: Iterable[int], *, actor: StaffUser) -> io.BytesIO:
    """An Excel workbook of the checked cases (one sheet per e-service version); every case must be one the actor may see.

    Each exported case gets an audit entry: an export shows the case's data as opening it would.
    """
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise Invalid(_("Check at least one case first."))
    if len(ids) > MAX_CASES:
        raise Invalid(_("Choose at most %(max)s cases at a time.", max=MAX_CASES))
    visible = access.visible_cases(actor)
    # Ordered so that each version's cases come together, by case number.
    keys = db.session.execute(
        visible.with_only_columns(Case.id, Case.version_id, Case.number)
        .where(Case.id.in_(ids))
        .order_by(Case.version_id, Case.number)
    ).all()
    if len(keys) != len(ids):
        raise access.case_not_found()

    versions = {
        v.id: v
        for v in db.session.scalars(
            select(EServiceVersion).where(EServiceVersion.id.in_(sorted({k.version_id for k in keys})))
        )
    }
    eservices = {
        e.id: e
        for e in db.session.scalars(
            select(EService).where(EService.id.in_(sorted({v.eservice_id for v in versions.values()})))
        )
    }
    ordered_ids = [k.id for k in keys]
    handlers = _handler_names(ordered_ids)

    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    sheets: dict[int, tuple[Any, list[Column]]] = {}
    fixed = [_("Case no."), _("Status"), _("Submitted"), _("Submitter"), _("Handlers")]
    for batch in _batches(ordered_ids):
        rows = db.session.execute(
            select(Case, Status.name)
            .join(Status, Status.id == Case.status_id)
            .where(Case.id.in_(batch))
            .order_by(Case.version_id, Case.number)
        ).all()
        for case, status_name in rows:
            if case.version_id not in sheets:
                version = versions[case.version_id]
                eservice = eservices[version.eservice_id]
                sheet = workbook.create_sheet(_sheet_title(eservice.name, version.number, taken))
                columns = question_columns(eservice, version.definition)
                sheet.append([_cell(sheet, heading, bold=True) for heading in fixed + [c.heading for c in columns]])
                sheets[case.version_id] = (sheet, columns)
            sheet, columns = sheets[case.version_id]
            answers = case.answers or {}
            sheet.append(
                [
                    case.number,
                    status_name,
                    _cell(sheet, case.submitted_at),
                    case.applicant_name or case.contact_name or case.contact_email or "",
                    ", ".join(handlers.get(case.id, [])),
                    *(_cell(sheet, cell_value(c.question, answers.get(c.question_id))) for c in columns),
                ]
            )
            audit.record("case_exported", user=actor, case=case, details={"format": "xlsx"})
        db.session.flush()
    output = io.BytesIO()
    workbook.save(output)
    output.seek(0)
    return output


__all__ = ["XLSX_MIMETYPE", "cell_value", "export_cases", "question_columns"]
