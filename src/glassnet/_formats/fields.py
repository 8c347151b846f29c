"""Checks of an architecture entry's fields, shared by every family of layers."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = [
    "_MAX_AXES",
    "_MAX_WIDTH",
    "_check_keys",
    "_pair_field",
    "_size",
    "check_saved_tensor",
]

# Bounds on declared sizes, far above any real model; the tensor bytes present bound
# the real allocation, these bound the work done on a hostile header.
_MAX_WIDTH = 2**31 - 1
_MAX_AXES = 8


def _check_keys(spec: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    missing = [k for k in allowed if k not in spec]
    unknown = sorted(set(spec) - set(allowed))
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(map(repr, missing))}")
        if unknown:
            problems.append(f"unknown key(s) {', '.join(map(repr, unknown))}")
        raise ValueError(
            f"{where}: {' and '.join(problems)}; a {spec.get('type', 'layer')} has "
            f"exactly the keys {', '.join(map(repr, allowed))}."
        )


def _size(value: Any, field: str, where: str) -> int:
    # bool is an int in Python, and 2.0 or "2" are not sizes: refuse, never cast.
    if type(value) is not int or not 1 <= value <= _MAX_WIDTH:
        raise ValueError(
            f"{where}: {field} must be an integer in [1, {_MAX_WIDTH}]; got {value!r}."
        )
    return value


def _pair_field(value: Any, field: str, where: str, minimum: int) -> None:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(type(n) is int and minimum <= n <= _MAX_WIDTH for n in value)
    ):
        raise ValueError(
            f"{where}: {field} must be a pair [rows, columns] of integers in "
            f"[{minimum}, {_MAX_WIDTH}]; got {value!r}."
        )


def check_saved_tensor(
    path: str | os.PathLike[str], name: str, value: np.ndarray, dtype: np.dtype[Any],
    layer: Any,
) -> None:  # fmt: skip
    """Refuse to save a tensor that ``load`` would refuse: another float dtype, NaN."""
    if value.dtype.kind == "f" and value.dtype != dtype:
        raise ValueError(
            f"cannot save {path}: tensor {name!r} is {value.dtype} but the "
            f"model is {dtype}; call model.astype({dtype.name!r}) first."
        )
    if not np.isfinite(value).all():
        raise ValueError(
            f"cannot save {path}: tensor {name!r} ({layer!r}) holds NaN or "
            "inf, which load refuses; the weights have diverged."
        )
