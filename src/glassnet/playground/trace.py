"""One sample through the network by hand: every layer's Z, A, dZ, dW and db.

The page's "step one sample" view. The forward pass runs layer by layer, keeping
each output; the backward pass starts at the logits with dZ = Ŷ − T, the exact
gradient of Sigmoid + BinaryCrossEntropy, Softmax + CrossEntropy and Identity + MSE
for one sample (m = 1), and runs each layer's own ``backward`` down to the first.
A model here is the playground's: Dense, activation, Dense, activation, …, Dense,
output activation.

>>> import numpy as np
>>> from glassnet.playground.engine import build_model
>>> model, loss = build_model("tanh", [2], n_in=2, n_out=1, task="binary", seed=0)
>>> out = trace_sample(model, loss, np.ones((1, 2), np.float32),
...                    np.ones((1, 1), np.float32))
>>> [sorted(layer) for layer in out["layers"]][0]
['A', 'Z', 'dA_in', 'dW', 'dZ', 'db']
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers import Dense, Softmax
from glassnet.losses import Loss
from glassnet.model import Sequential

__all__ = ["trace_sample"]

Array = NDArray[Any]


def trace_sample(model: Sequential, loss: Loss, x: Array, t: Array) -> dict[str, Any]:
    """The loss and, per Dense layer, Z, A, dZ, dW, db for one sample (x, t).

    Leaves the gradients of this sample in the model's layers; changes no weight.

    Args:
        model: Dense and activation layers in turn, ending with the output's.
        loss: the loss that goes with the output activation.
        x: the sample's inputs, shape (1, n_in).
        t: its target: shape (1, 1), or (1,) class labels for a softmax output.
    """
    outputs = [x]
    for layer in model.layers:
        outputs.append(layer.forward(outputs[-1]))
    Y_hat = outputs[-1]
    L = loss.forward(Y_hat, t)
    if isinstance(model.layers[-1], Softmax):  # one-hot of the class label
        T = np.zeros_like(Y_hat)
        T[0, int(t[0])] = 1.0
    else:
        T = t
    d = (Y_hat - T).astype(Y_hat.dtype)  # dZ at the logits
    layers: list[dict[str, Any]] = []
    for i in range(len(model.layers) - 2, -1, -1):  # from the last Dense down
        layer = model.layers[i]
        dense = isinstance(layer, Dense)
        if dense:  # its output Z, the activation A after it, and dZ
            layers.append(
                {
                    "Z": outputs[i + 1][0].tolist(),
                    "A": outputs[i + 2][0].tolist(),
                    "dZ": d[0].tolist(),
                }
            )
        d = layer.backward(d)  # type: ignore[assignment]  # need_dX: an array
        if dense:
            g = layer.grads
            layers[-1]["dW"] = g["W"].tolist()
            layers[-1]["db"] = g["b"].tolist() if "b" in g else []
            layers[-1]["dA_in"] = d[0].tolist() if i else []  # dL/d(its input)
    layers.reverse()
    return {
        "loss": float(L),
        "layers": layers,
        "x": x[0].tolist(),
        "target": np.asarray(t[0]).tolist(),
    }
