"""A safe arithmetic evaluator for computed questions, built on a whitelist of `ast` nodes."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeGuard, cast

from flask_babel import gettext as _

from shared.errors import Invalid
from shared.forms.structure import ID_PATTERN

Number = int | float

MAX_LENGTH = 500
MAX_DEPTH = 100
MAX_EXPONENT = 10
MAX_ROUND_DIGITS = 10
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "round": (1, 2),
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "if_": (3, 3),
}

_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Number, Number], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_NAME_RE = re.compile(ID_PATTERN)
_DECIMAL_COMMA = re.compile(r"[0-9],[0-9]")


class FormulaError(Invalid):
    """A formula that cannot be used: bad syntax, a forbidden construct or an unknown name."""

    code = "invalid_formula"


class _NoValue(Exception):
    """The formula has no value for these inputs (a missing answer, division by zero, overflow)."""


def _not_allowed() -> FormulaError:
    return FormulaError(_("The formula may only contain numbers, questions and arithmetic."))


@lru_cache(maxsize=1024)
def _parse(expr: str) -> tuple[ast.expr, frozenset[str]]:
    """Parse and check a formula; return its expression node and the names it uses."""
    text = expr.strip()
    if not text:
        raise FormulaError(_("The formula is empty."))
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("The formula is too long (at most %(max)d characters).", max=MAX_LENGTH))
    try:
        # ast.parse only builds the syntax tree; nothing is compiled to code or run.
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise FormulaError(_("The formula cannot be read: check the parentheses and the operators.")) from None
    if isinstance(tree.body, ast.Tuple) and _DECIMAL_COMMA.search(text):
        # "belopp * 0,3142" parses as a tuple: a Swedish decimal comma.
        raise FormulaError(_("Use a point as the decimal sign in formulas (0.31, not 0,31)."))
    names: set[str] = set()
    _check(tree.body, 1, names)
    return tree.body, frozenset(names)


def _constant_number(node: ast.expr) -> Number | None:
    """Return the value of a literal number such as `2` or `-2`, else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return sign * node.value
    return None


def _is_number(value: object) -> TypeGuard[Number]:
    # bool is an int subclass, but True is not a number a builder meant.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(node: ast.expr, depth: int, names: set[str]) -> None:
    """Raise FormulaError unless the node and its children are on the whitelist."""
    if depth > MAX_DEPTH:
        raise FormulaError(_("The formula is nested too deeply."))
    children: list[ast.expr]
    if isinstance(node, ast.Constant):
        # "1e999" reads as infinity; an int literal is always finite (and may be too big for float).
        if not _is_number(node.value) or (isinstance(node.value, float) and not math.isfinite(node.value)):
            raise _not_allowed()
        return
    if isinstance(node, ast.Name):
        if not _NAME_RE.match(node.id):
            raise _not_allowed()
        names.add(node.id)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        children = [node.operand]
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        children = [node.left, node.right]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _constant_number(node.right)
        if exponent is None or abs(exponent) > MAX_EXPONENT:
            raise FormulaError(
                _(
                    "The exponent must be a number between -%(max)d and %(max)d.",
                    max=MAX_EXPONENT,
                )
            )
        children = [node.left]
    elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        children = [node.left, *node.comparators]
    elif isinstance(node, ast.Call):
        children = _check_call(node)
    else:
        raise _not_allowed()
    for child in children:
        _check(child, depth + 1, names)


def _check_call(node: ast.Call) -> list[ast.expr]:
    """Check a function call and return the arguments to check further."""
    if not isinstance(node.func, ast.Name):
        raise _not_allowed()
    name = node.func.id
    if name not in FUNCTIONS:
        raise FormulaError(
            _(
                "Unknown function '%(name)s'. You may use %(functions)s.",
                name=name,
                functions=", ".join(FUNCTIONS),
            )
        )
    low, high = FUNCTIONS[name]
    count = len(node.args)
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise _not_allowed()
    if count < low or (high is not None and count > high):
        raise FormulaError(_("The function '%(name)s' has the wrong number of arguments.", name=name))
    if name == "round" and count == 2:
        digits = _constant_number(node.args[1])
        if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
            raise FormulaError(
                _(
                    "round(x, n) needs a whole number n between -%(max)d and %(max)d.",
                    max=MAX_ROUND_DIGITS,
                )
            )
        return [node.args[0]]
    return list(node.args)


def formula_names(expr: str) -> set[str]:
    """Return the question ids a formula uses; raise FormulaError if it is not allowed."""
    if not isinstance(expr, str):
        raise _not_allowed()
    return set(_parse(expr)[1])


def evaluate_formula(expr: str, values: Mapping[str, Number | None]) -> Number | None:
    """Compute a formula from question values; None when an input is missing or it divides by 0."""
    if not isinstance(expr, str):
        raise _not_allowed()
    node, names = _parse(expr)
    for name in sorted(names):
        if name not in values:
            raise FormulaError(_("The formula uses '%(name)s', which is not a question in the form.", name=name))
        value = values[name]
        if value is not None and not _is_number(value):
            raise FormulaError(_("The question '%(name)s' has no number to calculate with.", name=name))
    if any(values[name] is None for name in names):
        return None
    try:
        return _tidy(_eval(node, values))
    except _NoValue:
        return None


def _tidy(value: Number) -> Number:
    """Remove float noise (0.1 + 0.2) and give integral results as int."""
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        raise _NoValue
    value = round(value, 10)
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _eval(node: ast.expr, values: Mapping[str, Number | None]) -> Number:
    """Evaluate a node already checked by _check."""
    try:
        return _eval_node(node, values)
    except (ZeroDivisionError, OverflowError, ValueError, InvalidOperation):
        raise _NoValue from None


def _eval_node(node: ast.expr, values: Mapping[str, Number | None]) -> Number:
    if isinstance(node, ast.Constant):
        return cast(Number, node.value)  # _check let only numbers through
    if isinstance(node, ast.Name):
        value = values[node.id]
        assert value is not None  # evaluate_formula returns None before we get here
        return value
    if isinstance(node, ast.UnaryOp):
        operand = _eval_node(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        left = _eval_node(node.left, values)
        if isinstance(node.op, ast.Pow):
            return _power(left, _constant_number(node.right))  # type: ignore[arg-type]
        right = _eval_node(node.right, values)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, float) and not math.isfinite(result):
            raise _NoValue
        return result
    if isinstance(node, ast.Compare):
        left = _eval_node(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval_node(comparator, values)
            if not _COMPARE[type(op)](left, right):
                return 0
            left = right
        return 1
    if isinstance(node, ast.Call):
        return _call(node, values)
    raise _not_allowed()  # unreachable for checked trees


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        return base**exponent  # exact, and small since |exponent| <= MAX_EXPONENT
    # math.pow raises instead of returning a complex number for (-8) ** 0.5.
    return math.pow(base, exponent)


def _call(node: ast.Call, values: Mapping[str, Number | None]) -> Number:
    name = node.func.id  # type: ignore[attr-defined]
    if name == "if_":
        condition = _eval_node(node.args[0], values)
        # Only the chosen branch is evaluated, so the other may divide by zero.
        return _eval_node(node.args[1] if condition else node.args[2], values)
    if name == "round":
        digits = _constant_number(node.args[1]) if len(node.args) == 2 else 0
        return _round_half_up(_eval_node(node.args[0], values), int(digits or 0))
    args = [_eval_node(arg, values) for arg in node.args]
    if name == "abs":
        return abs(args[0])
    return min(args) if name == "min" else max(args)


def _round_half_up(value: Number, digits: int) -> Number:
    """Round as people do (2.5 -> 3), not as Python's round() does (2.5 -> 2)."""
    # repr() gives the shortest decimal form, so 2.675 rounds to 2.68 as written.
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits <= 0 else float(rounded)
