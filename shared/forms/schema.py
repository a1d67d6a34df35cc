"""The JSON Schema (draft 2020-12) of a form definition."""

from __future__ import annotations

from typing import Any

from shared.forms.structure import CHOICE_TYPES, ID_PATTERN, QUESTION_TYPES, TEXT_TYPES

ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CONTENT_TYPE_PATTERN = r"^[a-z0-9][a-z0-9.+-]*/([a-z0-9][a-z0-9.+-]*|\*)$"

# `{"not": {}}` forbids a property; a bare `false` schema loses the property in the
# error path in jsonschema, and the path is what names the bad field.
_FORBIDDEN: dict[str, Any] = {"not": {}}
_SCALAR = {"type": ["string", "number", "boolean"]}
_DATE_LIMIT = {
    "type": "string",
    "anyOf": [{"const": "today"}, {"pattern": ISO_DATE_PATTERN}],
}


def _type_is(*types: str) -> dict[str, Any]:
    return {"properties": {"type": {"enum": list(types)}}, "required": ["type"]}


def _only_for(field: str, types: frozenset[str] | tuple[str, ...]) -> dict[str, Any]:
    """Forbid `field` on every question type not in `types`."""
    others = [t for t in QUESTION_TYPES if t not in types]
    return {"if": _type_is(*others), "then": {"properties": {field: _FORBIDDEN}}}


def _validation_for(types: tuple[str, ...] | frozenset[str], keys: dict[str, Any]) -> dict[str, Any]:
    return {
        "if": _type_is(*sorted(types)),
        "then": {"properties": {"validation": {"type": "object", "properties": keys, "additionalProperties": False}}},
    }


def _comparison(operator: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": ["question", operator],
        "additionalProperties": False,
        "properties": {"question": {"$ref": "#/$defs/id"}, operator: value},
    }


def _combination(operator: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"required": [operator], "additionalProperties": False, "properties": {operator: value}}


_NON_NEGATIVE_INT = {"type": "integer", "minimum": 0}

DEFINITION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://etjanst.se/schemas/form-definition.json",
    "title": "Form definition",
    "type": "object",
    "required": ["steps"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
    },
    "$defs": {
        "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": 64},
        "step": {
            "type": "object",
            "required": ["id", "title", "questions"],
            "additionalProperties": False,
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "title": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "visible_if": {"$ref": "#/$defs/condition"},
                "questions": {"type": "array", "items": {"$ref": "#/$defs/question"}},
            },
        },
        "option": {
            "type": "object",
            "required": ["value", "label"],
            "additionalProperties": False,
            "properties": {
                "value": {"type": "string", "minLength": 1, "maxLength": 200},
                "label": {"type": "string", "minLength": 1},
                "exclusive": {"type": "boolean"},
            },
        },
        "question": {
            "type": "object",
            "required": ["id", "type", "label"],
            "additionalProperties": False,
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "type": {"enum": list(QUESTION_TYPES)},
                "label": {"type": "string", "minLength": 1},
                "help": {"type": "string"},
                "required": {"type": "boolean"},
                "visible_if": {"$ref": "#/$defs/condition"},
                "display": {"enum": ["radio", "select"]},
                "text": {"type": "string"},
                "formula": {"type": "string", "minLength": 1},
                "options": {"type": "array", "items": {"$ref": "#/$defs/option"}},
                "validation": {"type": "object"},
                "file": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "max_size_mb": {"type": "number", "exclusiveMinimum": 0},
                        "max_files": {"type": "integer", "minimum": 1},
                        "content_types": {
                            "type": "array",
                            "minItems": 1,
                            "uniqueItems": True,
                            "items": {"type": "string", "pattern": CONTENT_TYPE_PATTERN},
                        },
                    },
                },
            },
            "allOf": [
                {
                    "if": _type_is(*sorted(CHOICE_TYPES)),
                    "then": {"required": ["options"], "properties": {"options": {"minItems": 1}}},
                },
                {"if": _type_is("computed"), "then": {"required": ["formula"]}},
                {
                    "if": _type_is("info", "computed"),
                    "then": {"properties": {"required": {"const": False}}},
                },
                _only_for("options", CHOICE_TYPES),
                _only_for("formula", ("computed",)),
                _only_for("file", ("file",)),
                _only_for("display", ("single_choice",)),
                _only_for("text", ("info",)),
                _only_for("validation", ("number", "date", "multiple_choice", *sorted(TEXT_TYPES))),
                _validation_for(
                    ("number",),
                    {
                        "min": {"type": "number"},
                        "max": {"type": "number"},
                        "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
                    },
                ),
                _validation_for(("date",), {"min": _DATE_LIMIT, "max": _DATE_LIMIT}),
                _validation_for(
                    TEXT_TYPES,
                    {
                        "min_length": _NON_NEGATIVE_INT,
                        "max_length": {"type": "integer", "minimum": 1},
                        "pattern": {"type": "string", "minLength": 1, "maxLength": 500},
                        "pattern_message": {"type": "string", "minLength": 1},
                    },
                ),
                _validation_for(
                    ("multiple_choice",),
                    {"min_choices": _NON_NEGATIVE_INT, "max_choices": {"type": "integer", "minimum": 1}},
                ),
            ],
        },
        "condition": {
            "type": "object",
            "anyOf": [
                _comparison("equals", _SCALAR),
                _comparison("not_equals", _SCALAR),
                _comparison("in", {"type": "array", "minItems": 1, "items": _SCALAR}),
                _comparison("contains", {"type": "string"}),
                _comparison("answered", {"type": "boolean"}),
                _combination("all", {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}),
                _combination("any", {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}),
                _combination("not", {"$ref": "#/$defs/condition"}),
            ],
        },
    },
}
