"""One vector θ for every parameter of a model, one vector dθ for every gradient.

When a model is built, each parameter of each layer (a Dense layer's W and b today;
any layer's arrays, whatever their shapes) is copied into its slice of θ, laid end
to end in the order of the layers, and the layer's array becomes a view of that
slice with its usual shape; the gradients likewise in dθ. Then an optimizer's step,
weight decay, gradient clipping, a NaN check and a checkpoint are each one operation
on one vector, for every layer type:

>>> import numpy as np
>>> from glassnet.layers import Dense
>>> layer = Dense(2, 3, rng=0)
>>> vector = ParameterVector([layer], np.dtype(np.float32))
>>> vector.theta.shape                   # W (3, 2) then b (3,)
(9,)
>>> layer.W.base is vector.theta         # W is a view of θ
True
>>> [(p.name, p.start, p.stop) for p in vector.slots]
[('0.W', 0, 6), ('0.b', 6, 9)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.layers.base import Layer, ParameterDict

__all__ = ["ParameterSlot", "ParameterVector", "own_dicts"]

Array = NDArray[Any]


@dataclass(frozen=True)
class ParameterSlot:
    """Where one named parameter lies in θ: ``theta[start:stop].reshape(shape)``.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0)])
    >>> slot = model.vector.slots[0]
    >>> slot.name, slot.key, slot.start, slot.stop, slot.shape
    ('0.W', 'W', 0, 6, (3, 2))
    >>> W = model.theta[slot.start : slot.stop].reshape(slot.shape)
    >>> bool(np.shares_memory(W, slot.layer.W))          # the layer's W is this view
    True
    """

    name: str
    layer: Layer
    key: str
    start: int
    stop: int
    shape: tuple[int, ...]


class ParameterVector:
    """θ and dθ of a list of layers, and the slot of each named parameter.

    Names are "<position of the layer>.<key>" ("0.W", "0.b", "2.W", ...). A layer
    that appears twice in the list is laid out once, under its first position.
    Values are copied in, so nothing outside the layers changes.

    Args:
        layers: the layers, in order.
        dtype: the dtype of θ and dθ (every parameter gets it).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.params import ParameterVector
    >>> layers = [gn.Dense(2, 3, rng=0), gn.ReLU(), gn.Dense(3, 1, rng=1)]
    >>> vector = ParameterVector(layers, np.dtype(np.float64))
    >>> [p.name for p in vector.slots], vector.theta.size    # 6 + 3 + 3 + 1
    (['0.W', '0.b', '2.W', '2.b'], 13)
    >>> vector.views(vector.dtheta)["2.W"].shape, layers[2].W.dtype, vector.holds()
    ((1, 3), dtype('float64'), True)
    """

    def __init__(self, layers: Sequence[Layer], dtype: np.dtype[Any]) -> None:
        slots: list[ParameterSlot] = []
        owners: list[Layer] = []
        start = 0
        for i, layer in enumerate(layers):
            if any(layer is seen for seen in owners):
                continue
            owners.append(layer)
            own_dicts(layer)
            for key, W in layer.params.items():
                stop = start + W.size
                slots.append(
                    ParameterSlot(f"{i}.{key}", layer, key, start, stop, W.shape)
                )
                start = stop
        self.slots: list[ParameterSlot] = slots
        self.theta: Array = np.empty(start, dtype=dtype)
        self.dtheta: Array = np.zeros(start, dtype=dtype)
        for p in slots:
            W = self.view(self.theta, p)
            W[...] = p.layer.params[p.key]
            p.layer.params.rebind(p.key, W)
            dW = self.view(self.dtheta, p)
            dW[...] = p.layer.grads[p.key]
            p.layer.grads.rebind(p.key, dW)
        for layer in owners:
            layer._vector = self
        # each layer with its two dicts, as laid out: see holds()
        self.tables = [(layer, layer.params, layer.grads) for layer in owners]

    @staticmethod
    def view(vector: Array, slot: ParameterSlot) -> Array:
        """The part of ``vector`` (θ, dθ or a state vector) that belongs to ``slot``."""
        return vector[slot.start : slot.stop].reshape(slot.shape)

    def views(self, vector: Array) -> dict[str, Array]:
        """Every parameter's part of ``vector`` (shaped like θ), by name."""
        return {p.name: self.view(vector, p) for p in self.slots}

    def holds(self) -> bool:
        """Whether every layer's parameters are still views of this θ and dθ.

        False once a layer was laid out again, in another model's vector, or was
        given new ``params``/``grads`` dicts. Three identity checks a layer: cheap
        enough for every step.
        """
        for layer, P, G in self.tables:
            if (
                layer._vector is not self
                or layer.params is not P
                or layer.grads is not G
            ):
                return False
        return True


def own_dicts(layer: Layer) -> None:
    """Make the layer's params and grads ParameterDicts (a plain dict is wrapped).

    Raises:
        TypeError: the layer has no params/grads dict (its ``__init__`` did not call
            ``super().__init__()``), or they are read-only properties, so the model
            could not keep them in θ; the message says how to write the layer.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.params import own_dicts
    >>> layer = gn.Layer()
    >>> layer.params, layer.grads = {"w": np.ones(2)}, {"w": np.zeros(2)}  # plain dicts
    >>> own_dicts(layer)
    >>> type(layer.params).__name__, layer.params["w"].tolist()
    ('ParameterDict', [1.0, 1.0])
    """
    for name in ("params", "grads"):
        table = getattr(layer, name, None)
        if isinstance(table, ParameterDict):
            continue
        if not isinstance(table, dict):
            raise TypeError(
                f"{layer!r} has no {name} dict: call super().__init__() in its "
                f"__init__ (then fill self.params[...] and self.grads[...])."
            )
        try:
            setattr(layer, name, ParameterDict(table))
        except AttributeError:  # a read-only property
            raise TypeError(
                f"{layer!r}: {name} must be the layer's own dict (call "
                "super().__init__(), then fill self.params[...] and "
                "self.grads[...]), so that the model can keep them in θ."
            ) from None
