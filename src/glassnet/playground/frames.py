"""What a frame carries: parameters as float32 bytes, and heatmaps as bytes.

Numbers the page draws in bulk travel as base64 of little-endian arrays (the page
reads them with ``Float32Array`` and ``Uint8Array``): a 100 × 100 heatmap is 10 kB
where JSON numbers would be several times that, and encoding costs microseconds.

Heatmap bytes map a value v in [−1, 1] to round((v + 1) · 127.5), the colour scale
of TensorFlow Playground (orange −1, white 0, blue +1):
- the main map is Ŷ: 2ŷ − 1 for a binary classifier, ŷ clipped for regression; a
  multiclass one sends the winning class and its probability instead;
- a hidden neuron's map is its activation a: tanh as is, 2a − 1 for sigmoid, and
  a / max(1, max |a|) for ReLU and linear, whose range is not bounded;
- an input node's map is its feature divided by its largest |value| on the grid.

>>> from glassnet.playground.engine import build_model
>>> model, _ = build_model("relu", [3], n_in=2, n_out=1, task="binary", seed=0)
>>> maps = heatmaps(model, ["x1", "x2"], "binary")
>>> len(base64.b64decode(maps["heatmap"])), len(base64.b64decode(maps["neurons"]))
(10000, 1200)
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers import Sigmoid, Tanh
from glassnet.model import Sequential
from glassnet.playground.data import DOMAIN, REGRESSION, features
from glassnet.playground.engine import dense_layers

__all__ = ["MAIN_SIZE", "NEURON_SIZE", "grid", "heatmaps", "pack", "task_of"]

Array = NDArray[Any]
MAIN_SIZE = 100  # pixels per side of the decision heatmap
NEURON_SIZE = 20  # pixels per side of every neuron's heatmap


def task_of(dataset: str, y: Array) -> str:
    """The task, "regression", "binary" or "multiclass", from data set and labels."""
    if dataset in REGRESSION or y.dtype.kind == "f":
        return "regression"
    return "binary" if int(y.max(initial=1)) <= 1 else "multiclass"


def grid(n: int) -> Array:
    """The centres of an n × n grid over [−6, 6]², row by row from the top (x2 high).

    >>> grid(2).tolist()
    [[-3.0, 3.0], [3.0, 3.0], [-3.0, -3.0], [3.0, -3.0]]
    """
    c = (np.arange(n) + 0.5) / n * 2 * DOMAIN - DOMAIN
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()]).astype(np.float32)


_GRIDS = {n: grid(n) for n in (MAIN_SIZE, NEURON_SIZE)}


def _bytes(v: Array) -> str:
    """base64 of v in [−1, 1] as bytes round((v + 1) · 127.5)."""
    b = np.rint((np.clip(v, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(b.tobytes()).decode("ascii")


def _b64(a: Array) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def pack(model: Sequential) -> dict[str, Any]:
    """θ and dθ as float32 bytes (in parameters() order), and ‖dW‖ of each layer."""
    params = model.parameters()
    theta = np.concatenate([W.ravel() for _, W, _ in params]).astype("<f4")
    dtheta = np.concatenate([dW.ravel() for _, _, dW in params]).astype("<f4")
    norms = [float(np.linalg.norm(d.dW)) for d in dense_layers(model)]
    return {
        "theta": _b64(theta),
        "dtheta": _b64(np.nan_to_num(dtheta, nan=0.0, posinf=0.0, neginf=0.0)),
        "grad_norms": [n if np.isfinite(n) else None for n in norms],
    }


def heatmaps(model: Sequential, names: Sequence[str], task: str) -> dict[str, Any]:
    """The output's map (100 × 100), every hidden neuron's and input's (20 × 20)."""
    out: dict[str, Any] = {}
    Y_hat = model.forward(features(_GRIDS[MAIN_SIZE], names)).astype(np.float64)
    if task == "multiclass":
        out["classes"] = _b64(Y_hat.argmax(axis=1).astype(np.uint8))
        out["heatmap"] = _bytes(2 * Y_hat.max(axis=1) - 1)
    else:
        y = Y_hat[:, 0]
        out["heatmap"] = _bytes(2 * y - 1 if task == "binary" else y)
    A = features(_GRIDS[NEURON_SIZE], names)
    scale = np.maximum(np.abs(A).max(axis=0), 1e-12)
    out["inputs"] = _bytes((A / scale).T)
    maps = []
    for layer in model.layers[:-2]:  # the hidden layers, up to the output Dense
        A = layer.forward(A)
        if isinstance(layer, Tanh):
            maps.append(A.T)
        elif isinstance(layer, Sigmoid):
            maps.append(2 * A.T - 1)
        elif not hasattr(layer, "W"):  # ReLU, linear
            top = np.maximum(np.abs(A).max(axis=0, keepdims=True), 1.0)
            maps.append((A / top).T)
    out["neurons"] = _bytes(np.concatenate(maps)) if maps else ""
    return out
