"""The glassnet header of a model file: its keys, and the tensors it admits.

A model file's safetensors ``__metadata__`` is checked here after ``glassnet.io`` has
recognised its format and version: the required and optional keys, the model dtype,
the architecture (entry by entry, in ``architecture``), the caller's metadata and the
input shape. ``_check_tensors`` then ties the header's tensor descriptions to the
architecture, before a byte of tensor data is read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassnet._formats.architecture import _expected_tensors, _parse_architecture
from glassnet._formats.fields import _MAX_AXES, _MAX_WIDTH, _check_keys
from glassnet._safetensors import TensorInfo
from glassnet._strict_json import loads_json

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "_FLOAT_DTYPES",
    "_HEADER_KEYS",
    "_OPTIONAL_HEADER_KEYS",
    "_check_tensors",
    "_input_shape_entry",
    "_parse_contents",
    "_parse_input_shape",
]

# The metadata keys a glassnet model file has, all required: nothing is defaulted.
_HEADER_KEYS = ("format", "format_version", "architecture", "dtype", "metadata")
# The model dtypes and their safetensors codes; other dtypes are refused, never cast.
_FLOAT_DTYPES = {"float32": "F32", "float64": "F64"}

# "input_shape": one sample's shape as a JSON list ([1, 28, 28]), written when the
# first layer does not fix it (a Conv2D does not know H and W); files without it
# are the models whose first layer does (Dense: (n_in,)).
_OPTIONAL_HEADER_KEYS = ("input_shape",)


def _parse_contents(
    path: Path, meta: dict[str, str]
) -> tuple[list[dict[str, Any]], str, Any]:
    """The checked architecture, dtype name and user metadata of a glassnet header.

    ``meta``'s format and version have been checked (``glassnet.io._parse``).
    """
    _check_keys(
        {k: v for k, v in meta.items() if k not in _OPTIONAL_HEADER_KEYS},
        _HEADER_KEYS,
        f"{path}: the metadata",
    )
    if meta["dtype"] not in _FLOAT_DTYPES:
        raise ValueError(
            f"{path}: dtype must be one of {', '.join(_FLOAT_DTYPES)}; "
            f"got {meta['dtype']!r}."
        )
    layers = _parse_architecture(path, meta["architecture"])
    user = loads_json(meta["metadata"], f"{path}: metadata")
    try:  # what save refuses, load refuses: the file must save again unchanged
        json.dumps(user, allow_nan=False)
    except ValueError:
        raise ValueError(
            f"{path}: metadata holds NaN or an infinite number (written as NaN, "
            "Infinity or too large for a float), which is not JSON."
        ) from None
    return layers, meta["dtype"], user


def _check_tensors(
    path: Path,
    layers: list[dict[str, Any]],
    dtype: str,
    infos: dict[str, TensorInfo],
) -> None:
    """Names, shapes and dtypes of the stored tensors against the architecture.

    Runs on the header alone, before a byte of tensor data is read or any layer is
    built: an architecture that declares sizes the file does not hold allocates nothing.
    """
    expected = _expected_tensors(layers)
    code = _FLOAT_DTYPES[dtype]
    for name, shape in expected.items():
        if name not in infos:
            raise ValueError(f"{path}: tensor {name!r} is missing.")
        info = infos[name]
        if info.shape != shape:
            i = int(name.split(".")[0])
            raise ValueError(
                f"{path}: tensor {name!r} has shape {info.shape}; layer {i}, "
                f"{layers[i]}, needs {shape}."
            )
        if name.endswith(".num_batches_tracked"):  # a count, int64 as in PyTorch
            if info.dtype != "I64":
                raise ValueError(
                    f"{path}: tensor {name!r} has dtype {info.dtype}; a count of "
                    "batches is I64 (int64)."
                )
        elif info.dtype != code:
            raise ValueError(
                f"{path}: tensor {name!r} has dtype {info.dtype}; the model is "
                f"{dtype} ({code}). glassnet never casts weights on load."
            )
    extra = sorted(set(infos) - set(expected))
    if extra:
        raise ValueError(
            f"{path}: tensors {extra} belong to no layer of the stored architecture."
        )


def _input_shape_entry(model: Sequential) -> str | None:
    """The model's input shape as JSON, when its first layer does not imply it."""
    first = getattr(model.layers[0], "n_in", None)
    implied = (first,) if isinstance(first, int) else (None,)
    if tuple(model.shapes[0]) == implied:
        return None
    return json.dumps(list(model.shapes[0]))


def _parse_input_shape(path: Path, meta: dict[str, str]) -> tuple[int, ...] | None:
    """One sample's shape from the optional ``input_shape`` key; None without it."""
    text = meta.get("input_shape")
    if text is None:
        return None
    shape = loads_json(text, f"{path}: input_shape")
    if not (
        isinstance(shape, list)
        and 1 <= len(shape) <= _MAX_AXES
        and all(n is None or (type(n) is int and 1 <= n <= _MAX_WIDTH) for n in shape)
    ):
        raise ValueError(
            f"{path}: input_shape must be one sample's shape, a list of 1 to "
            f"{_MAX_AXES} sizes (integers ≥ 1 or null) like [1, 28, 28]; got {text!r}."
        )
    return tuple(shape)
