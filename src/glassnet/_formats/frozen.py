"""Standardize and Unstandardize in a model file (issue 15)."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._formats.fields import _MAX_AXES, _MAX_WIDTH, _check_keys
from glassnet.layers import (
    Layer,
    Standardize,
    Unstandardize,
)

# ---- frozen standardization (issue 15) ----------------------------------------------
# Standardize and Unstandardize at position i store μ as "i.mean" and σ as "i.std",
# of one sample's shape (their buffers), in the model's dtype.
_FROZEN: dict[str, type[Standardize] | type[Unstandardize]] = {
    "Standardize": Standardize,
    "Unstandardize": Unstandardize,
}


def _describe_frozen(layer: Layer) -> dict[str, Any] | None:
    """The architecture entry of a Standardize or Unstandardize (None: another)."""
    name = type(layer).__name__
    if isinstance(layer, (Standardize, Unstandardize)) and _FROZEN.get(name) is type(
        layer
    ):
        return {"type": name, "shape": list(layer.shape)}
    return None


def _parse_frozen(spec: dict[str, Any], where: str) -> None:
    _check_keys(spec, ("type", "shape"), where)
    shape = spec["shape"]
    if not (
        isinstance(shape, list)
        and 1 <= len(shape) <= _MAX_AXES
        and all(type(n) is int and 1 <= n <= _MAX_WIDTH for n in shape)
    ):
        raise ValueError(
            f"{where}: shape must be one sample's shape, a list of 1 to {_MAX_AXES} "
            f"integers in [1, {_MAX_WIDTH}] like [3]; got {shape!r}."
        )


def _start_frozen(spec: dict[str, Any]) -> tuple[int, ...] | None:
    """One sample's shape for a model that starts with a frozen standardization."""
    return tuple(spec["shape"]) if spec["type"] in _FROZEN else None


def _build_frozen(
    spec: dict[str, Any], dtype: np.dtype[Any], tensors: dict[str, Any], i: int
) -> Layer:
    mean, std = tensors[f"{i}.mean"], tensors[f"{i}.std"]
    if not (std > 0).all():
        raise ValueError(
            f"layer {i}, {spec['type']}: std must be > 0 for every feature; the file "
            "is corrupt."
        )
    return _FROZEN[spec["type"]](mean, std, dtype=dtype)
