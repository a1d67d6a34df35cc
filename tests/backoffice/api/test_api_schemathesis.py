"""Property-based: schemathesis drives the REST API from its own OpenAPI document (in-process, WSGI).

Every operation of /api/v1/eservices and /api/v1/cases gets generated requests, valid and
invalid (schemathesis's positive and negative modes), as an unrestricted handler with a
token; a case id is mostly one of the world's cases so that the bodies reach the services.
No answer may be a server error, and every answer must be documented: its status code, its
content type and its body's schema. Derandomized, so a run is repeatable.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.backoffice.api.conftest import jwt_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 25


def _exercise(operation, headers: dict, seen: set[int], known_ids: dict[str, list[int]]) -> None:
    """Run generated requests against one operation; with ``known`` an id is one that exists."""

    @given(case=operation.as_strategy(), known=st.booleans(), data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case, known, data):
        parameters = case.path_parameters or {}
        for name in ("case_id", "eservice_id"):
            if known and name in parameters:
                parameters[name] = data.draw(st.sampled_from(known_ids[name]))
        if known and isinstance(case.body, dict) and isinstance(case.body.get("status_id"), int):
            case.body["status_id"] = data.draw(st.sampled_from(known_ids["status_id"]))
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen.add(response.status_code)

    run()


def test_the_api_answers_as_its_openapi_document_says(setup, bo, client):
    world = setup.world
    headers = {"Authorization": f"Bearer {jwt_for(client, world.hanna)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", bo, headers=headers)
    schema = schema.include(path_regex=r"^/api/v1/(eservices|cases)/")
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, allow_x00=True)
    case_ids = [setup.case.id, setup.open_case.id, setup.group_case.id, setup.other_case.id]
    eservice_ids = [world.eservice.id, setup.other_case.eservice_id]
    status_ids = [status.id for status in world.eservice.status_group.statuses]

    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        seen = statuses.setdefault(f"{operation.method.upper()} {operation.path}", set())

        _exercise(operation, headers, seen, {"case_id": case_ids, "eservice_id": eservice_ids, "status_id": status_ids})

    # Every operation was reached, and each both succeeded and refused bad input somewhere.
    assert set(statuses) == {
        "GET /api/v1/eservices/",
        "GET /api/v1/eservices/{eservice_id}",
        "GET /api/v1/cases/",
        "GET /api/v1/cases/{case_id}",
        "PUT /api/v1/cases/{case_id}/external-number",
        "POST /api/v1/cases/{case_id}/status",
        "POST /api/v1/cases/{case_id}/messages",
        "POST /api/v1/cases/{case_id}/notes",
        "GET /api/v1/cases/{case_id}/events",
    }
    for name, seen in statuses.items():
        assert any(200 <= code < 300 for code in seen), (name, seen)
        if name != "GET /api/v1/eservices/":  # the one operation that takes no input
            assert any(400 <= code < 500 for code in seen), (name, seen)
