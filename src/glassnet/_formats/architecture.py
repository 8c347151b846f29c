"""The architecture of a model file: one JSON object per layer, to and from layers.

``save`` describes each layer as an entry (``_describe``). ``load`` checks every entry
field by field and the list as a whole (``_parse_layer``, ``_parse_architecture``)
before anything is allocated, derives the tensors the entries imply
(``_expected_tensors``), and rebuilds each layer from its entry and tensors
(``_build``). Dense and the activations are handled here; every other family is
delegated to its own module (``norm_recurrent``, ``image``, ``frozen``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from glassnet._formats.fields import _check_keys, _size
from glassnet._formats.frozen import (
    _FROZEN,
    _build_frozen,
    _describe_frozen,
    _parse_frozen,
)
from glassnet._formats.image import (
    _IMAGE_LAYERS,
    _IMAGE_LAYERS_NAMES,
    _build_image_layer,
    _describe_image_layer,
    _parse_image_layer,
)
from glassnet._formats.norm_recurrent import (
    _MORE,
    _build_more,
    _describe_more,
    _parse_more,
    _shapes_more,
)
from glassnet._strict_json import loads_json
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

__all__ = [
    "_ACTIVATIONS",
    "_EXAMPLE",
    "_MAX_LAYERS",
    "_build",
    "_describe",
    "_expected_tensors",
    "_parse_architecture",
    "_parse_layer",
]

# Bound on the layers declared, far above any real model (see fields' _MAX_WIDTH)
_MAX_LAYERS = 100_000
_EXAMPLE = '{"type": "Dense", "n_in": 2, "n_out": 25, "bias": true}'

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
    more = _describe_more(layer) or _describe_frozen(layer)
    if more is not None:
        return more
    if type(layer) in _IMAGE_LAYERS:
        return _describe_image_layer(layer)
    name = type(layer).__name__
    if _ACTIVATIONS.get(name) is not type(layer):
        raise TypeError(
            f"glassnet.io.save cannot store layer {i}, {layer!r}: only Dense, "
            f"{', '.join(_IMAGE_LAYERS_NAMES)} and the activations "
            f"{', '.join(sorted(_ACTIVATIONS))} have a file format."
        )
    return {"type": name}


def _parse_layer(spec: Any, i: int, path: Path) -> dict[str, Any]:
    """One architecture entry, checked field by field; nothing is allocated."""
    where = f"{path}: layer {i}"
    if not isinstance(spec, dict):
        raise ValueError(f"{where} is {spec!r}; expected an object like {_EXAMPLE}.")
    kind = spec.get("type")
    if kind == "Dense":
        _check_keys(spec, ("type", "n_in", "n_out", "bias"), where)
        if type(spec["bias"]) is not bool:
            raise ValueError(
                f"{where}: bias must be true or false; got {spec['bias']!r}."
            )
        _size(spec["n_in"], "n_in", where)
        _size(spec["n_out"], "n_out", where)
    elif kind == "LeakyReLU":
        _check_keys(spec, ("type", "alpha"), where)
        alpha = spec["alpha"]
        # a float, as save writes it: an int would load and save back as another
        # file (0 → 0.0)
        if type(alpha) is not float or not (math.isfinite(alpha) and alpha >= 0):
            raise ValueError(
                f"{where}: alpha must be a finite number ≥ 0, written as a float "
                f"(0.0, not 0); got {alpha!r}."
            )
    elif isinstance(kind, str) and kind in _IMAGE_LAYERS_NAMES:
        _parse_image_layer(spec, where)
    elif isinstance(kind, str) and kind in _ACTIVATIONS:
        _check_keys(spec, ("type",), where)
    elif isinstance(kind, str) and kind in _MORE:
        _parse_more(spec, where)
    elif isinstance(kind, str) and kind in _FROZEN:
        _parse_frozen(spec, where)
    else:
        raise ValueError(
            f"{where} has unknown type {kind!r}; known: Dense, "
            f"{', '.join(_IMAGE_LAYERS_NAMES)}, "
            f"{', '.join(sorted([*_ACTIVATIONS, *_MORE, *_FROZEN]))}."
        )
    return spec


def _parse_architecture(path: Path, text: str) -> list[dict[str, Any]]:
    """The checked layer entries of the header's ``architecture`` JSON text."""
    architecture = loads_json(text, f"{path}: architecture")
    if not isinstance(architecture, list) or not 1 <= len(architecture) <= _MAX_LAYERS:
        raise ValueError(
            f"{path}: architecture must be a list of 1 to {_MAX_LAYERS} layers like "
            f"[{_EXAMPLE}, ...]; got {type(architecture).__name__}"
            + (f" of {len(architecture)}" if isinstance(architecture, list) else "")
            + "."
        )
    layers = [_parse_layer(spec, i, path) for i, spec in enumerate(architecture)]
    n = None
    for i, spec in enumerate(layers):
        if spec["type"] != "Dense":
            continue
        if n is not None and spec["n_in"] != n:
            raise ValueError(
                f"{path}: inconsistent architecture: layer {i} takes n_in="
                f"{spec['n_in']} but the previous Dense gives {n}."
            )
        n = spec["n_out"]
    return layers


def _expected_tensors(layers: list[dict[str, Any]]) -> dict[str, tuple[int, ...]]:
    """The name and shape of every tensor the checked entries imply."""
    shapes: dict[str, tuple[int, ...]] = {}
    for i, spec in enumerate(layers):
        if spec["type"] == "Dense":
            shapes[f"{i}.weight"] = (spec["n_out"], spec["n_in"])
            if spec["bias"]:
                shapes[f"{i}.bias"] = (spec["n_out"],)
        elif spec["type"] in _MORE:
            shapes.update(_shapes_more(spec, i))
        elif spec["type"] in _FROZEN:
            shape = tuple(spec["shape"])
            shapes[f"{i}.mean"] = shapes[f"{i}.std"] = shape
        elif spec["type"] == "Conv2D":
            kh, kw = spec["kernel_size"]
            shapes[f"{i}.weight"] = (spec["c_out"], spec["c_in"], kh, kw)
            if spec["bias"]:
                shapes[f"{i}.bias"] = (spec["c_out"],)
    return shapes


def _build(
    spec: dict[str, Any], dtype: np.dtype[Any], tensors: dict[str, Any], i: int
) -> Layer:
    """Layer ``i``, rebuilt from its checked entry and its (checked) tensors."""
    kind = spec["type"]
    if kind == "Dense":
        layer = Dense(
            spec["n_in"], spec["n_out"], bias=spec["bias"], init="zeros", dtype=dtype
        )
        layer.W[...] = tensors[f"{i}.weight"]
        if layer.b is not None:
            layer.b[...] = tensors[f"{i}.bias"]
        return layer
    if kind == "LeakyReLU":
        return LeakyReLU(float(spec["alpha"]))
    if kind in _MORE:
        return _build_more(spec, dtype, tensors, i)
    if kind in _FROZEN:
        return _build_frozen(spec, dtype, tensors, i)
    if kind in _IMAGE_LAYERS_NAMES:
        return _build_image_layer(spec, dtype, tensors, i)
    return _ACTIVATIONS[kind]()
