"""A formula in x and y, read safely: a small interpreter over Python's ``ast``.

It accepts only numbers, x, y, pi, e, + − * / ** and a list of NumPy functions;
every other construct is refused before anything is evaluated, and nothing in the
string is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["parse_expression"]

Array = NDArray[np.float64]
F2 = Callable[[Array, Array], Array]

_FUNCS: dict[str, Callable[..., Any]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "arctan": np.arctan,
    "atan": np.arctan,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: np.positive,
    ast.USub: np.negative,
}
_MAX_LENGTH = 500
_MAX_NUMBER = 10**300  # every literal has a finite float64


def parse_expression(expr: str) -> F2:
    """A function f(x, y) from a formula such as ``"x**2 + 3*sin(y)"``, read safely.

    Allowed: numbers, the names x, y, pi, e; + − * / ** and unary ±; calls of
    sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, arctan (atan) with one
    argument. Anything else — attribute access, subscripts, other names or calls,
    keywords, lambdas, comparisons, strings — is refused with a ValueError before
    any evaluation. Evaluation walks the parsed tree with NumPy, on float64 arrays,
    and never calls ``eval``; overflow gives inf (no warning), not an exception.

    >>> f = parse_expression("x**2 + y**2")
    >>> float(f(3.0, 4.0))
    25.0
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: the expression may only call sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, arctan, atan; got a call of '__import__'.
    """  # noqa: E501 — the doctest's message is one line
    if not isinstance(expr, str):
        raise TypeError(f"the expression must be a string; got {type(expr).__name__}.")
    if len(expr) > _MAX_LENGTH:
        raise ValueError(
            f"the expression is {len(expr)} characters long; at most {_MAX_LENGTH} "
            "are accepted."
        )
    if "^" in expr:
        raise ValueError(
            f"the expression {expr!r} uses '^'; write powers as ** (x**2), "
            "as in Python."
        )
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(
            f"the expression {expr!r} is not a valid formula ({err.msg}); write it "
            "in Python syntax, e.g. 'x**2 + 10*y**2'."
        ) from None
    _check(tree.body)
    body = tree.body

    def f(x: ArrayLike, y: ArrayLike) -> Array:
        env = {
            "x": np.asarray(x, dtype=np.float64),
            "y": np.asarray(y, dtype=np.float64),
        }
        with np.errstate(all="ignore"):
            out = np.asarray(_evaluate(body, env), dtype=np.float64)
        return np.broadcast_to(out, np.broadcast(env["x"], env["y"]).shape).copy()

    return f


def _check(node: ast.AST) -> None:
    """Refuse every node that is not a number, x, y, a constant, ± * / ** or a call."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(
                f"the expression may hold only real numbers; got {node.value!r:.40}."
            )
        # a 400-digit integer has no float (OverflowError); 1e999 reads as inf
        value = node.value
        if isinstance(value, int) and abs(value) > _MAX_NUMBER:
            digits = str(abs(value))
            raise ValueError(
                f"the expression's numbers must be below 1e300; got {digits[:12]}… "
                f"({len(digits)} digits)."
            )
        if isinstance(value, float) and not abs(value) <= _MAX_NUMBER:
            raise ValueError(
                f"the expression's numbers must be below 1e300; got {value!r} (a "
                "literal too large for a float)."
            )
    elif isinstance(node, ast.Name):
        if node.id not in ("x", "y", *_CONSTANTS):
            raise ValueError(
                f"the expression may use the variables x and y and the constants "
                f"pi and e; got the name {node.id!r}."
            )
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ValueError(
                f"the expression may use + - * / and **; got {type(node.op).__name__}."
            )
        _check(node.left)
        _check(node.right)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ValueError(
                f"the expression may use unary + and -; got {type(node.op).__name__}."
            )
        _check(node.operand)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCS:
            shown = name if name is not None else type(node.func).__name__
            raise ValueError(
                f"the expression may only call {', '.join(_FUNCS)}; got a call of "
                f"{shown!r}."
            )
        if node.keywords or len(node.args) != 1:
            raise ValueError(
                f"{name}() takes exactly one argument, without keywords, in an "
                "expression."
            )
        _check(node.args[0])
    else:
        raise ValueError(
            f"the expression may not contain {type(node).__name__} "
            f"({ast.unparse(node)!r}); allowed are numbers, x, y, pi, e, + - * / ** "
            "and functions such as sin(x)."
        )


def _evaluate(node: ast.AST, env: dict[str, Array]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type] # _check: int or float; floats: 9**9**9 overflows to inf, never a bigint
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else _CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        op = _BINARY[type(node.op)]
        return op(_evaluate(node.left, env), _evaluate(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, env))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _FUNCS[node.func.id](_evaluate(node.args[0], env))
    raise ValueError(f"unexpected node {type(node).__name__}")  # _check forbids it
