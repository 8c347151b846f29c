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

One pass of the network over the 100 × 100 grid makes every map: the 20 × 20 grid's
centres are every fifth centre of the 100 × 100 one (``NEURON_PIXELS`` picks them),
so a neuron's map is its activation there, with no second forward pass. The grid's
input features depend only on the chosen features, and are computed once for them.

>>> from glassnet.playground.engine import build_model
>>> model, _ = build_model("relu", [3], n_in=2, n_out=1, task="binary", seed=0)
>>> maps = heatmaps(model, ["x1", "x2"], "binary")
>>> len(base64.b64decode(maps["heatmap"])), len(base64.b64decode(maps["neurons"]))
(10000, 1200)
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers import Dense, Layer, Sigmoid, Tanh
from glassnet.model import Sequential
from glassnet.playground.data import DOMAIN, REGRESSION, features
from glassnet.playground.engine import dense_layers

__all__ = [
    "MAIN_SIZE",
    "NEURON_PIXELS",
    "NEURON_SIZE",
    "grid",
    "grid_inputs",
    "heatmaps",
    "pack",
    "task_of",
]

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


def _subgrid(n: int, k: int) -> Array:
    """Rows of grid(n) that are the centres of grid(k), for k dividing n, in order.

    A cell of the k-grid covers s = n/k cells of the n-grid per side; for odd s its
    centre is the centre of the middle one, number s // 2 of them.

    >>> _subgrid(6, 2).tolist()
    [7, 10, 25, 28]
    """
    if n % k or (n // k) % 2 == 0:
        raise ValueError(f"grid({k})'s centres are in grid({n}) only for odd n/k.")
    s = n // k
    picks = np.arange(k) * s + s // 2
    return (picks[:, None] * n + picks[None, :]).ravel()


NEURON_PIXELS = _subgrid(MAIN_SIZE, NEURON_SIZE)  # grid(100)[…] is grid(20)


@functools.lru_cache(maxsize=8)
def grid_inputs(names: tuple[str, ...]) -> tuple[Array, str]:
    """The network's input on the main grid, and the input nodes' maps (base64).

    Cached per choice of features: neither changes while a run trains. The array is
    read-only, as it is shared by every session with these features.
    """
    X = features(grid(MAIN_SIZE), names)
    X.flags.writeable = False
    A = X[NEURON_PIXELS]
    scale = np.maximum(np.abs(A).max(axis=0), 1e-12)
    return X, _bytes((A / scale).T)


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
    X, inputs = grid_inputs(tuple(names))
    out: dict[str, Any] = {"inputs": inputs}
    maps = []
    A = model.check_input(X)
    hidden = len(model.layers) - 2  # the layers before the output Dense
    for i, layer in enumerate(model.layers):
        A = layer.forward(A)
        if i < hidden and not isinstance(layer, Dense):
            maps.append(_neuron_maps(layer, A[NEURON_PIXELS]))
    Y_hat = A.astype(np.float64)
    if task == "multiclass":
        out["classes"] = _b64(Y_hat.argmax(axis=1).astype(np.uint8))
        out["heatmap"] = _bytes(2 * Y_hat.max(axis=1) - 1)
    else:
        y = Y_hat[:, 0]
        out["heatmap"] = _bytes(2 * y - 1 if task == "binary" else y)
    out["neurons"] = _bytes(np.concatenate(maps)) if maps else ""
    return out


def _neuron_maps(activation: Layer, A: Array) -> Array:
    """The maps (neurons, pixels) in [−1, 1] of an activation layer's output A."""
    if isinstance(activation, Tanh):
        return A.T
    if isinstance(activation, Sigmoid):
        return 2 * A.T - 1
    top = np.maximum(np.abs(A).max(axis=0, keepdims=True), 1.0)  # ReLU, linear
    return (A / top).T
