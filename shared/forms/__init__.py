"""The form engine: definition schema and checks, answer validation, formulas and display."""

from shared.forms.answers import clean_answers, visible_question_ids
from shared.forms.definition import DefinitionProblem, check_definition, validate_definition
from shared.forms.display import answers_text, display_value, summarize
from shared.forms.formula import FormulaError, evaluate_formula, formula_names
from shared.forms.schema import DEFINITION_SCHEMA
from shared.forms.structure import QUESTION_TYPES, find_question, find_step, iter_questions

__all__ = [
    "DEFINITION_SCHEMA",
    "QUESTION_TYPES",
    "DefinitionProblem",
    "FormulaError",
    "answers_text",
    "check_definition",
    "clean_answers",
    "display_value",
    "evaluate_formula",
    "find_question",
    "find_step",
    "formula_names",
    "iter_questions",
    "summarize",
    "validate_definition",
    "visible_question_ids",
]
