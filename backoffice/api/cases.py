"""``/api/v1/cases/``: list and read cases, set the external number, change status, message, note, events.

The same rules as the case screens, because the same services do the work: the list is
``access.visible_cases(user)`` narrowed by the filters, a case one may not see is "not
found" (404), an action one may not do on a case one sees is refused (403) with the
service's reason, and every change goes through ``shared.services.cases`` / ``messages``
(history, audit, notifications in the outbox, one commit).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.api.base import (
    READ,
    WRITE,
    BodySchema,
    EtjanstApi,
    QuerySchema,
    UtcDateTime,
    api_errors,
    current_staff,
    id_field,
)
from backoffice.views.case_words import event_label
from shared.db import db
from shared.forms.structure import label_of
from shared.models import Case, CaseEvent, StaffUser
from shared.services import access, audit, case_queries, cases, messages, overview

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
MAX_PAGE = 100_000
# Dates a filter may name: wide enough for any case, narrow enough for every clock conversion.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


# -- schemas: what goes in --------------------------------------------------------------


class CaseListQuerySchema(QuerySchema):
    eservice_id = id_field(strict=False, description="Only cases of this e-service.")
    status_id = id_field(strict=False, description="Only cases in this status.")
    submitted_from = fields.Date(
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY),
        metadata={"description": "Submitted on or after this day (Swedish time)."},
    )
    submitted_to = fields.Date(
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY),
        metadata={"description": "Submitted on or before this day (Swedish time)."},
    )
    updated_since = UtcDateTime(
        validate=validate.Range(
            min=dt.datetime(1900, 1, 2, tzinfo=dt.UTC), max=dt.datetime(9998, 12, 30, tzinfo=dt.UTC)
        ),
        metadata={"description": "Changed at or after this moment (ISO 8601 with offset; UTC if none)."},
    )
    external_number = fields.String(
        validate=[validate.Length(min=1, max=100), validate.Regexp(NO_CONTROL_CHARACTERS)],
        metadata={"description": "Only the case with this number in another system."},
    )
    assigned_to_me = fields.Boolean(
        metadata={"description": "true: only open cases assigned to me or my groups (the Mina tab)."}
    )
    page = fields.Integer(
        strict=False, load_default=1, validate=validate.Range(min=1, max=MAX_PAGE), metadata={"description": "From 1."}
    )
    page_size = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"At most {MAX_PAGE_SIZE}."},
    )


class ExternalNumberSchema(BodySchema):
    external_number = fields.String(
        required=True,
        allow_none=True,
        validate=[validate.Length(max=100), validate.Regexp(NO_CONTROL_CHARACTERS)],
        metadata={"description": "The case's number in another system; null or empty removes it."},
    )


class StatusChangeSchema(BodySchema):
    status_id = id_field(required=True, description="One of the e-service's statuses (GET /eservices/{id}).")
    notify_applicant = fields.Boolean(
        load_default=True,
        metadata={"description": "Tell the applicant (the status's notification and default message)."},
    )
    resolve_subtasks = fields.Boolean(
        load_default=False,
        metadata={"description": "Closing with unresolved subtasks: true resolves them (else 409)."},
    )
    message = fields.String(
        validate=validate.Length(max=messages.MAX_BODY),
        metadata={"description": "A message to the applicant sent with the change (as POST /messages)."},
    )


class MessageSchema(BodySchema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=messages.MAX_BODY),
        metadata={"description": "The text (plain text; line breaks kept)."},
    )


# -- schemas: what comes out ------------------------------------------------------------


class RefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CaseStatusSchema(RefSchema):
    is_final = fields.Boolean(required=True)


class HandlerSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["user", "group"]))
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    username = fields.String(required=True, allow_none=True)


class CaseItemSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True, metadata={"description": "The case number (ärendenummer)."})
    eservice = fields.Nested(RefSchema, required=True)
    version = fields.Integer(required=True, metadata={"description": "The form version's number."})
    status = fields.Nested(CaseStatusSchema, required=True)
    submitted_at = UtcDateTime(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)
    due_at = UtcDateTime(required=True, allow_none=True)
    closed_at = UtcDateTime(required=True, allow_none=True)
    external_number = fields.String(required=True, allow_none=True)
    applicant_name = fields.String(required=True, allow_none=True)
    summary = fields.String(required=True, allow_none=True)
    handlers = fields.List(fields.Nested(HandlerSchema), required=True)


class FileSchema(Schema):
    document_id = fields.Integer(required=True)
    name = fields.String(required=True)


class AnswerSchema(Schema):
    question_id = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True)
    step = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "The stored answer."})
    text = fields.String(required=True, metadata={"description": "The answer as the case view shows it."})
    files = fields.List(fields.Nested(FileSchema), required=True)


class ApplicantSchema(Schema):
    name = fields.String(required=True, allow_none=True)
    personnummer = fields.String(required=True, allow_none=True)
    organisationsnummer = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    e_id = fields.Boolean(required=True, metadata={"description": "Logged in with e-ID (can get messages)."})


class CaseDetailSchema(CaseItemSchema):
    channel = fields.String(required=True)
    applicant = fields.Nested(ApplicantSchema, required=True)
    answers = fields.List(fields.Nested(AnswerSchema), required=True)


class CaseListSchema(Schema):
    count = fields.Integer(required=True, metadata={"description": "How many cases match, on every page."})
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    result = fields.List(fields.Nested(CaseItemSchema), required=True)


class CaseResultSchema(Schema):
    result = fields.Nested(CaseDetailSchema, required=True)


class CreatedSchema(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    body = fields.String(required=True)


class CreatedResultSchema(Schema):
    result = fields.Nested(CreatedSchema, required=True)


class ActorSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["user", "citizen", "system"]))
    name = fields.String(required=True, allow_none=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "E.g. status_changed, message_sent."})
    label = fields.String(required=True, metadata={"description": "What happened, in Swedish."})
    created_at = UtcDateTime(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class EventListSchema(Schema):
    count = fields.Integer(required=True)
    result = fields.List(fields.Nested(EventSchema), required=True)


# -- rows to dicts -----------------------------------------------------------------------


def _handlers(case: Case) -> list[dict[str, Any]]:
    rows = []
    for h in case.handlers:
        if h.user is not None:
            rows.append({"type": "user", "id": h.user.id, "name": h.user.display_name, "username": h.user.username})
        elif h.group is not None:
            rows.append({"type": "group", "id": h.group.id, "name": h.group.name, "username": None})
    return rows


def _item(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "number": case.number,
        "eservice": {"id": case.eservice.id, "name": case.eservice.name},
        "version": case.version.number,
        "status": {"id": case.status.id, "name": case.status.name, "is_final": bool(case.status.is_final)},
        "submitted_at": case.submitted_at,
        "updated_at": case.updated_at,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
        "external_number": case.external_number,
        "applicant_name": case.applicant_display or None,
        "summary": case.summary,
        "handlers": _handlers(case),
    }


def _answers(case: Case) -> list[dict[str, Any]]:
    rows = []
    for section in case_queries.answer_sections(case):
        for row in section.rows:
            question = row.question
            files = []
            if question.get("type") == "file":
                files = [
                    {"document_id": item["document_id"], "name": str(item.get("name") or "")}
                    for item in row.value or ()
                    if isinstance(item, dict) and isinstance(item.get("document_id"), int)
                ]
            rows.append(
                {
                    "question_id": str(question.get("id")),
                    "label": label_of(question),
                    "type": str(question.get("type") or ""),
                    "step": section.title,
                    "value": row.value,
                    "text": row.text,
                    "files": files,
                }
            )
    return rows


def _detail(case: Case) -> dict[str, Any]:
    return {
        **_item(case),
        "channel": str(getattr(case.channel, "value", case.channel)),
        "applicant": {
            "name": case.applicant_display or None,
            "personnummer": case.personnummer,
            "organisationsnummer": case.organisationsnummer,
            "email": case.contact_email,
            "phone": case.contact_phone,
            "e_id": case.citizen_id is not None,
        },
        "answers": _answers(case),
    }


def _event(event: CaseEvent) -> dict[str, Any]:
    if event.actor_user is not None:
        actor = {"type": "user", "name": event.actor_user.display_name}
    elif event.actor_citizen_id is not None:
        actor = {"type": "citizen", "name": None}  # the applicant; their name is in the case
    else:
        actor = {"type": "system", "name": None}
    return {
        "id": event.id,
        "kind": event.kind,
        "label": event_label(event.kind),
        "created_at": event.created_at,
        "actor": actor,
        "data": dict(event.data or {}),
    }


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def case_list(user: StaffUser, args: dict[str, Any]) -> tuple[int, list[Case]]:
    """The cases the user sees that match the filters: how many in all, and one page, newest first."""
    conditions = overview.filter_conditions(
        overview.Filters(
            eservice_id=args.get("eservice_id"),
            date_from=args.get("submitted_from"),
            date_to=args.get("submitted_to"),
        )
    )
    if args.get("status_id"):
        conditions.append(Case.status_id == args["status_id"])
    if args.get("updated_since"):
        conditions.append(Case.updated_at >= _naive_utc(args["updated_since"]))
    if args.get("external_number"):
        conditions.append(Case.external_number == args["external_number"])
    if args.get("assigned_to_me"):
        conditions.append(overview.tab_conditions(user)["mina"])
    query = access.visible_cases(user).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page, size = args["page"], args["page_size"]
    rows = db.session.scalars(
        query.options(
            joinedload(Case.eservice),
            joinedload(Case.version),
            joinedload(Case.status),
            selectinload(Case.handlers),
        )
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    return total, list(rows)


def _visible_case(case_id: int, user: StaffUser) -> Case:
    case = db.session.get(Case, case_id)
    access.require(user, "view", case)
    return case


_CASE_ID = """
          - in: path
            name: case_id
            required: true
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647"""


class CasesApi(EtjanstApi):
    resource_name = "cases"
    openapi_spec_tag = "Cases"
    openapi_spec_component_schemas = (
        CaseListSchema,
        CaseResultSchema,
        CreatedResultSchema,
        EventListSchema,
        ExternalNumberSchema,
        StatusChangeSchema,
        MessageSchema,
    )

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name(READ)
    @api_errors
    def list_cases(self) -> Response:
        """The cases the user may see, filtered, one page at a time
        ---
        get:
          summary: List cases (filters, pagination)
          parameters:
          - in: query
            schema: CaseListQuerySchema
          responses:
            200:
              description: One page of cases, newest first, and how many match in all
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseListSchema'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            422:
              $ref: '#/components/responses/Unprocessable'
        """
        user = current_staff()
        args = self.load_query(CaseListQuerySchema())
        total, rows = case_list(user, args)
        body = {
            "count": total,
            "page": args["page"],
            "page_size": args["page_size"],
            "result": [_item(c) for c in rows],
        }
        return self.response(200, **CaseListSchema().dump(body))

    @expose("/<int:case_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name(READ)
    @api_errors
    def get_case(self, case_id: int) -> Response:
        """One case with its answers, handlers, status and dates
        ---
        get:
          summary: Read a case with its answers
          parameters:{case_id}
          responses:
            200:
              description: The case (the reading is logged as when the case view is opened)
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseResultSchema'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
        """
        user = current_staff()
        case = audit.record_case_view(case_id, actor=user)
        return self.response(200, **CaseResultSchema().dump({"result": _detail(case)}))

    @expose("/<int:case_id>/external-number", methods=["PUT"])
    @protect()
    @safe
    @permission_name(WRITE)
    @api_errors
    def set_external_number(self, case_id: int) -> Response:
        """Set the case's number in another system
        ---
        put:
          summary: Set the external case number (externt ärendenummer)
          parameters:{case_id}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ExternalNumberSchema'
          responses:
            200:
              description: The case after the change
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseResultSchema'
            400:
              $ref: '#/components/responses/BadRequest'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
            422:
              $ref: '#/components/responses/Unprocessable'
        """
        user = current_staff()
        _visible_case(case_id, user)
        data = self.load_body(ExternalNumberSchema())
        case = cases.set_external_number(case_id, data["external_number"], actor=user)
        return self.response(200, **CaseResultSchema().dump({"result": _detail(case)}))

    @expose("/<int:case_id>/status", methods=["POST"])
    @protect()
    @safe
    @permission_name(WRITE)
    @api_errors
    def change_status(self, case_id: int) -> Response:
        """Change the case's status
        ---
        post:
          summary: Change status (ändra status), optionally with a message to the applicant
          description: >-
            As "Ändra status" in the case view: the history records it, the applicant is told
            unless notify_applicant is false, and a final status closes the case. Closing a case
            with unresolved subtasks answers 409 with their ids unless resolve_subtasks is true.
          parameters:{case_id}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/StatusChangeSchema'
          responses:
            200:
              description: The case after the change
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseResultSchema'
            400:
              $ref: '#/components/responses/BadRequest'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
            409:
              $ref: '#/components/responses/Conflict'
            422:
              $ref: '#/components/responses/Unprocessable'
        """
        user = current_staff()
        _visible_case(case_id, user)
        data = self.load_body(StatusChangeSchema())
        case = messages.change_status_and_write(
            case_id,
            data["status_id"],
            actor=user,
            notify_applicant=data["notify_applicant"],
            resolve_subtasks=data["resolve_subtasks"],
            message=data.get("message"),
        )
        return self.response(200, **CaseResultSchema().dump({"result": _detail(case)}))

    @expose("/<int:case_id>/messages", methods=["POST"])
    @protect()
    @safe
    @permission_name(WRITE)
    @api_errors
    def send_message(self, case_id: int) -> Response:
        """Write to the applicant
        ---
        post:
          summary: Send a message to the applicant
          description: >-
            As in the case view's Meddelanden: only a handler assigned to the case in person may
            write, the e-service must have messages on and the applicant must have used e-ID; the
            applicant is notified as the e-service's settings say.
          parameters:{case_id}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/MessageSchema'
          responses:
            201:
              description: The message sent
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CreatedResultSchema'
            400:
              $ref: '#/components/responses/BadRequest'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
            422:
              $ref: '#/components/responses/Unprocessable'
        """
        user = current_staff()
        _visible_case(case_id, user)
        data = self.load_body(MessageSchema())
        message = messages.send_message(case_id, data["body"], actor=user)
        result = {"id": message.id, "case_id": case_id, "created_at": message.created_at, "body": message.body}
        return self.response(201, **CreatedResultSchema().dump({"result": result}))

    @expose("/<int:case_id>/notes", methods=["POST"])
    @protect()
    @safe
    @permission_name(WRITE)
    @api_errors
    def add_note(self, case_id: int) -> Response:
        """Write an internal note
        ---
        post:
          summary: Add an internal note (intern notering), seen only by handlers
          parameters:{case_id}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/MessageSchema'
          responses:
            201:
              description: The note written
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CreatedResultSchema'
            400:
              $ref: '#/components/responses/BadRequest'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
            422:
              $ref: '#/components/responses/Unprocessable'
        """
        user = current_staff()
        _visible_case(case_id, user)
        data = self.load_body(MessageSchema())
        note = messages.add_note(case_id, data["body"], actor=user)
        result = {"id": note.id, "case_id": case_id, "created_at": note.created_at, "body": note.body}
        return self.response(201, **CreatedResultSchema().dump({"result": result}))

    @expose("/<int:case_id>/events", methods=["GET"])
    @protect()
    @safe
    @permission_name(READ)
    @api_errors
    def list_events(self, case_id: int) -> Response:
        """The case's history
        ---
        get:
          summary: Read the case's history (ärendehistorik), oldest first
          parameters:{case_id}
          responses:
            200:
              description: The events
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/EventListSchema'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
        """
        user = current_staff()
        _visible_case(case_id, user)
        events = case_queries.case_history(case_id)
        body = {"count": len(events), "result": [_event(e) for e in events]}
        return self.response(200, **EventListSchema().dump(body))


# The path parameter, written once for every operation on one case.
for _name in ("get_case", "set_external_number", "change_status", "send_message", "add_note", "list_events"):
    _function = getattr(CasesApi, _name)
    _function.__doc__ = _function.__doc__.replace("parameters:{case_id}", "parameters:" + _CASE_ID)
