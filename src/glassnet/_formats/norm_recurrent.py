"""BatchNorm1D/2D, RNN and LSTM in a model file: entries, tensors, rebuilding."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from glassnet._formats.fields import _check_keys, _size, check_saved_tensor
from glassnet.layers import (
    LSTM,
    RNN,
    BatchNorm1D,
    BatchNorm2D,
    Layer,
)

# ---- batch normalisation and recurrent layers --------------------------------------
# BatchNorm at position i stores γ as "i.weight", β as "i.bias", and its buffers as
# "i.running_mean", "i.running_var" (model dtype) and "i.num_batches_tracked" (int64,
# shape ()), the names of nn.BatchNorm1d/2d. RNN and LSTM store their four arrays
# under nn.RNN/nn.LSTM's own names, "i.weight_ih_l0" ... "i.bias_hh_l0".
_NORMS: dict[str, type[BatchNorm1D] | type[BatchNorm2D]] = {
    "BatchNorm1D": BatchNorm1D,
    "BatchNorm2D": BatchNorm2D,
}
_RECURRENT: dict[str, type[RNN] | type[LSTM]] = {"RNN": RNN, "LSTM": LSTM}
_MORE = (*_NORMS, *_RECURRENT)
_BN_NAMES = {"gamma": "weight", "beta": "bias"}  # our key → PyTorch's name


def _describe_more(layer: Layer) -> dict[str, Any] | None:
    """The architecture entry of a BatchNorm or recurrent layer (None: another)."""
    name = type(layer).__name__
    if isinstance(layer, (BatchNorm1D, BatchNorm2D)) and _NORMS.get(name) is type(
        layer
    ):
        return {"type": name, "n": layer.n, "eps": layer.eps,
                "momentum": layer.momentum}  # fmt: skip
    if isinstance(layer, (RNN, LSTM)) and _RECURRENT.get(name) is type(layer):
        return {"type": name, "n_in": layer.n_in, "n_hidden": layer.n_hidden,
                "return_sequences": layer.return_sequences}  # fmt: skip
    return None


def _tensors_of(
    layer: Layer, i: int, dtype: np.dtype[Any], path: str | os.PathLike[str]
) -> dict[str, np.ndarray]:
    """The named tensors of a non-Dense layer (parameters and buffers), checked."""
    named: dict[str, np.ndarray] = {}
    for key, value in layer.params.items():
        named[f"{i}.{_BN_NAMES.get(key, key)}"] = value
    for key, value in layer.buffers.items():
        named[f"{i}.{key}"] = (
            value if value.dtype.kind == "i" else value.astype(dtype, copy=False)
        )
    for name, value in named.items():
        check_saved_tensor(path, name, value, dtype, layer)
    # np.array, not np.ascontiguousarray, which turns the count's shape () into (1,)
    return {name: np.array(value, order="C") for name, value in named.items()}


def _parse_more(spec: dict[str, Any], where: str) -> None:
    """Check a BatchNorm or recurrent architecture entry, field by field."""
    if spec["type"] in _NORMS:
        _check_keys(spec, ("type", "n", "eps", "momentum"), where)
        _size(spec["n"], "n", where)
        eps, momentum = spec["eps"], spec["momentum"]
        # floats, as save writes them: an int would load and save back as another
        # file (1 → 1.0)
        if type(eps) is not float or not (math.isfinite(eps) and eps > 0):
            raise ValueError(
                f"{where}: eps must be a finite number > 0, written as a float; got "
                f"{eps!r}."
            )
        if type(momentum) is not float or not 0 <= momentum <= 1:
            raise ValueError(
                f"{where}: momentum must be a number in [0, 1], written as a float "
                f"(1.0, not 1); got {momentum!r}."
            )
        return
    _check_keys(spec, ("type", "n_in", "n_hidden", "return_sequences"), where)
    _size(spec["n_in"], "n_in", where)
    _size(spec["n_hidden"], "n_hidden", where)
    if type(spec["return_sequences"]) is not bool:
        raise ValueError(
            f"{where}: return_sequences must be true or false; got "
            f"{spec['return_sequences']!r}."
        )


def _shapes_more(spec: dict[str, Any], i: int) -> dict[str, tuple[int, ...]]:
    """The tensor names and shapes a BatchNorm or recurrent entry implies."""
    if spec["type"] in _NORMS:
        n = spec["n"]
        return {f"{i}.weight": (n,), f"{i}.bias": (n,), f"{i}.running_mean": (n,),
                f"{i}.running_var": (n,), f"{i}.num_batches_tracked": ()}  # fmt: skip
    G = 4 if spec["type"] == "LSTM" else 1
    h, n_in = spec["n_hidden"], spec["n_in"]
    return {f"{i}.weight_ih_l0": (G * h, n_in), f"{i}.weight_hh_l0": (G * h, h),
            f"{i}.bias_ih_l0": (G * h,), f"{i}.bias_hh_l0": (G * h,)}  # fmt: skip


def _start_more(spec: dict[str, Any]) -> Any:
    """One sample's shape for a model that starts with this layer (None: the default).

    A recurrent first layer takes (T, n_in) with any T; BatchNorm2D (c, H, W).
    """
    if spec["type"] in _RECURRENT:
        return (None, spec["n_in"])
    if spec["type"] == "BatchNorm2D":
        return (spec["n"], None, None)
    if spec["type"] == "BatchNorm1D":
        return (spec["n"],)
    return None


def _build_more(
    spec: dict[str, Any], dtype: np.dtype[Any], tensors: dict[str, Any], i: int
) -> Layer:
    """A BatchNorm or recurrent layer with the file's tensors."""
    kind = spec["type"]
    if kind in _NORMS:
        bn = _NORMS[kind](spec["n"], eps=float(spec["eps"]),
                          momentum=float(spec["momentum"]), dtype=dtype)  # fmt: skip
        for key, torch_name in _BN_NAMES.items():
            bn.params[key][...] = tensors[f"{i}.{torch_name}"]
        var, count = tensors[f"{i}.running_var"], tensors[f"{i}.num_batches_tracked"]
        if (var < 0).any() or count < 0:
            raise ValueError(
                f"layer {i}, {bn!r}: running_var must be ≥ 0 and num_batches_tracked "
                "≥ 0; the file is corrupt."
            )
        for key, value in bn.buffers.items():
            value[...] = tensors[f"{i}.{key}"]
        return bn
    layer = _RECURRENT[kind](spec["n_in"], spec["n_hidden"],
                             return_sequences=spec["return_sequences"],
                             dtype=dtype)  # fmt: skip
    for key, value in layer.params.items():
        value[...] = tensors[f"{i}.{key}"]
    return layer
