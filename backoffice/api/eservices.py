"""``/api/v1/eservices/``: the e-services whose cases the user handles (read only).

An administrator sees every e-service; a handler those linked to them today (directly or
through a group), as the case overview's e-service filter offers them. One they may not
see is "not found".
"""

from __future__ import annotations

from flask import Response
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, fields
from sqlalchemy.orm import selectinload

from backoffice.api.base import READ, EtjanstApi, api_errors, current_staff
from shared.forms.structure import iter_questions, label_of
from shared.models import EService, StatusKind
from shared.services import access


class StatusRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    is_final = fields.Boolean(required=True, metadata={"description": "A final status closes the case."})


class EServiceItemSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    category = fields.String(required=True, allow_none=True)
    published_version = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The number of the published version."}
    )


class QuestionSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "text, number, date, single_choice, file …"})
    step = fields.String(required=True, metadata={"description": "The title of the form's step."})


class EServiceDetailSchema(EServiceItemSchema):
    description = fields.String(required=True, allow_none=True)
    statuses = fields.List(
        fields.Nested(StatusRefSchema),
        required=True,
        metadata={"description": "The statuses a case can be set to (POST /cases/{id}/status)."},
    )
    questions = fields.List(
        fields.Nested(QuestionSchema),
        required=True,
        metadata={"description": "The questions of the published version (not information texts)."},
    )


class EServiceListSchema(Schema):
    count = fields.Integer(required=True)
    result = fields.List(fields.Nested(EServiceItemSchema), required=True)


class EServiceResultSchema(Schema):
    result = fields.Nested(EServiceDetailSchema, required=True)


# What the answers show of each e-service, loaded with it (no query per e-service).
_LOADED = (selectinload(EService.versions), selectinload(EService.category))


def _item(eservice: EService) -> dict:
    published = eservice.published_version
    return {
        "id": eservice.id,
        "name": eservice.name,
        "slug": eservice.slug,
        "enabled": bool(eservice.enabled),
        "category": eservice.category.name if eservice.category else None,
        "published_version": published.number if published else None,
    }


def _detail(eservice: EService) -> dict:
    published = eservice.published_version
    questions = []
    if published is not None:
        for step, question in iter_questions(published.definition or {}):
            if question.get("type") == "info" or not question.get("id"):
                continue
            questions.append(
                {
                    "id": str(question["id"]),
                    "label": label_of(question),
                    "type": str(question.get("type") or ""),
                    "step": str(step.get("title") or ""),
                }
            )
    statuses = [s for s in eservice.status_group.statuses if s.kind != StatusKind.DRAFT]
    return {
        **_item(eservice),
        "description": eservice.description,
        "statuses": [{"id": s.id, "name": s.name, "is_final": bool(s.is_final)} for s in statuses],
        "questions": questions,
    }


class EServicesApi(EtjanstApi):
    resource_name = "eservices"
    openapi_spec_tag = "E-services"
    openapi_spec_component_schemas = (EServiceListSchema, EServiceResultSchema)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name(READ)
    @api_errors
    def list_eservices(self) -> Response:
        """The e-services whose cases the user handles
        ---
        get:
          summary: List the e-services whose cases the user handles
          responses:
            200:
              description: The e-services, by name
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/EServiceListSchema'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
        """
        user = current_staff()
        eservices = access.handled_eservices(user, options=_LOADED)
        body = EServiceListSchema().dump({"count": len(eservices), "result": [_item(e) for e in eservices]})
        return self.response(200, **body)

    @expose("/<int:eservice_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name(READ)
    @api_errors
    def get_eservice(self, eservice_id: int) -> Response:
        """One e-service with its statuses and the published version's questions
        ---
        get:
          summary: Read an e-service with its statuses and questions
          parameters:
          - in: path
            name: eservice_id
            required: true
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
          responses:
            200:
              description: The e-service
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/EServiceResultSchema'
            401:
              $ref: '#/components/responses/Unauthorized'
            403:
              $ref: '#/components/responses/Forbidden'
            404:
              $ref: '#/components/responses/NotFound'
        """
        user = current_staff()
        eservice = access.handled_eservice(eservice_id, user, options=_LOADED)
        return self.response(200, **EServiceResultSchema().dump({"result": _detail(eservice)}))
