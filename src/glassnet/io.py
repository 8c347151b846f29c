"""Model files: weights in safetensors, the architecture as JSON in its metadata.

No pickle, ever: a safetensors file holds raw tensors and a JSON header, so loading a
file cannot run code. The header's ``__metadata__`` (string → string) carries:

- ``format``: "glassnet"; ``format_version``: "1" (a newer version is refused);
- ``architecture``: a JSON list, one object per layer, e.g.
  ``[{"type": "Dense", "n_in": 2, "n_out": 25, "bias": true}, {"type": "ReLU"},
  {"type": "LeakyReLU", "alpha": 0.01}, ...]``;
- ``dtype``: "float32" or "float64";
- ``metadata``: the caller's own JSON object (e.g. how the data were scaled).

Tensor names follow PyTorch's ``nn.Sequential`` state_dict: the Dense layer at position
i of ``model.layers`` stores ``W`` as ``"i.weight"`` (n_out, n_in) and ``b`` as
``"i.bias"`` (n_out,). Activations sit at their own positions, as in PyTorch, so
``Sequential([Dense(2, 4), ReLU(), Dense(4, 1), Sigmoid()])`` maps onto
``torch.nn.Sequential(Linear(2, 4), ReLU(), Linear(4, 1), Sigmoid())`` and
``torch_model.load_state_dict(safetensors.torch.load_file(path))`` works unchanged.

>>> import tempfile, pathlib
>>> from glassnet import Dense, ReLU, Sequential
>>> model = Sequential([Dense(2, 3, rng=0), ReLU()])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.safetensors"
>>> save(model, path, metadata={"note": "demo"})
>>> load(path)
Sequential([Dense(2 → 3), ReLU()])
>>> read_metadata(path)["note"]
'demo'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save as st_save

from glassnet._files import atomic_write_bytes, read_safetensors
from glassnet.layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from glassnet.model import Sequential

__all__ = ["FORMAT_VERSION", "load", "read_metadata", "save"]

FORMAT_VERSION = 1

_ACTIVATIONS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (ReLU, Sigmoid, Tanh, Softmax, Identity, LeakyReLU)
}


def _describe(layer: Layer, i: int) -> dict[str, Any]:
    if isinstance(layer, Dense):
        return {
            "type": "Dense",
            "n_in": layer.n_in,
            "n_out": layer.n_out,
            "bias": layer.b is not None,
        }
    if isinstance(layer, LeakyReLU):
        return {"type": "LeakyReLU", "alpha": layer.alpha}
    name = type(layer).__name__
    if _ACTIVATIONS.get(name) is not type(layer):
        raise TypeError(
            f"glassnet.io.save cannot store layer {i}, {layer!r}: only Dense and the "
            f"activations {', '.join(sorted(_ACTIVATIONS))} have a file format."
        )
    return {"type": name}


def save(model: Sequential, path: str | os.PathLike[str], metadata: Any = None) -> None:
    """Write ``model`` to ``path`` as safetensors, atomically.

    The bytes go to a temporary file in the same folder, are flushed to disk (fsync),
    then renamed over ``path``: a crash leaves the old file or the new one, never half.

    Args:
        model: the Sequential to store (Dense and activation layers).
        path: the file to write (".safetensors" by convention).
        metadata: any JSON-serialisable value, returned by ``read_metadata``.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save expected a glassnet Sequential; got {type(model)}.")
    architecture = [_describe(layer, i) for i, layer in enumerate(model.layers)]
    tensors: dict[str, np.ndarray] = {}
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            tensors[f"{i}.weight"] = np.ascontiguousarray(layer.W)
            if layer.b is not None:
                tensors[f"{i}.bias"] = np.ascontiguousarray(layer.b)
    try:
        user = json.dumps(metadata)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"save's metadata must be JSON-serialisable (dicts, lists, str, numbers); "
            f"{exc}."
        ) from None
    header = {
        "format": "glassnet",
        "format_version": str(FORMAT_VERSION),
        "architecture": json.dumps(architecture),
        "dtype": model.dtype.name,
        "metadata": user,
    }
    atomic_write_bytes(path, st_save(tensors, metadata=header))


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The file's tensors and glassnet metadata, or a ValueError saying what is off."""
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a model file.")
    tensors, meta = read_safetensors(path, "model file")
    if meta.get("format") != "glassnet" or "architecture" not in meta:
        raise ValueError(
            f"{path}: a safetensors file without a glassnet architecture in its "
            "metadata (written by another program?). glassnet.io.load reads files "
            "written by glassnet.io.save."
        )
    version = meta.get("format_version", "?")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise ValueError(
            f"{path}: glassnet file format version {version}, but this glassnet reads "
            f"versions up to {FORMAT_VERSION}. Upgrade glassnet to load it."
        )
    return tensors, meta


def read_metadata(path: str | os.PathLike[str]) -> Any:
    """The ``metadata`` value given to ``save`` (None when none was given)."""
    _, meta = _read(Path(path))
    try:
        return json.loads(meta.get("metadata", "null"))
    except ValueError:
        raise ValueError(f"{path}: its metadata is not valid JSON.") from None


def _build(spec: Any, i: int, dtype: np.dtype[Any], path: Path) -> Layer:
    kind = spec.get("type") if isinstance(spec, dict) else None
    try:
        if kind == "Dense":
            return Dense(
                int(spec["n_in"]),
                int(spec["n_out"]),
                bias=bool(spec.get("bias", True)),
                init="zeros",
                dtype=dtype,
            )
        if kind == "LeakyReLU":
            return LeakyReLU(float(spec.get("alpha", 0.01)))
        if kind in _ACTIVATIONS:
            return _ACTIVATIONS[kind]()
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: layer {i} ({spec}) is invalid: {exc}") from None
    raise ValueError(
        f"{path}: layer {i} has unknown type {kind!r}; known: Dense, "
        f"{', '.join(sorted(_ACTIVATIONS))}."
    )


def load(path: str | os.PathLike[str]) -> Sequential:
    """Rebuild the Sequential stored by ``save``, with its weights and dtype.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a glassnet safetensors file, a newer format version, an
            unknown layer, or tensors missing or of the wrong shape (named).
    """
    path = Path(path)
    tensors, meta = _read(path)
    try:
        architecture = json.loads(meta["architecture"])
        dtype = np.dtype(meta.get("dtype", "float32"))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: corrupt glassnet model file ({exc}).") from None
    if not isinstance(architecture, list) or dtype.kind != "f":
        raise ValueError(f"{path}: corrupt glassnet architecture or dtype.")
    layers = [_build(spec, i, dtype, path) for i, spec in enumerate(architecture)]
    try:
        model = Sequential(layers)
    except ValueError as exc:
        raise ValueError(f"{path}: inconsistent architecture: {exc}") from None
    expected: set[str] = set()
    for i, layer in enumerate(layers):
        if not isinstance(layer, Dense):
            continue
        for key, torch_name in (("W", "weight"), ("b", "bias")):
            if key not in layer.params:
                continue
            name = f"{i}.{torch_name}"
            expected.add(name)
            target = layer.params[key]
            if name not in tensors:
                raise ValueError(f"{path}: tensor {name!r} is missing.")
            if tensors[name].shape != target.shape:
                raise ValueError(
                    f"{path}: tensor {name!r} has shape {tensors[name].shape}; "
                    f"layer {i}, {layer!r}, needs {target.shape}."
                )
            target[...] = tensors[name]
    extra = sorted(set(tensors) - expected)
    if extra:
        raise ValueError(
            f"{path}: tensors {extra} belong to no layer of the stored architecture."
        )
    return model
