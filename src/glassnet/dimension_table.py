"""Seed A's table of dimensions: a model's layers l = 1..L and the shape of each array.

A "layer l" is the seeds' layer: one Dense map followed by its activation (a
``Block``). A Conv2D opens a layer l too, with what follows it (ReLU, pooling,
Flatten); layers without parameters before the first layer with some belong to the
input, l = 0. ``dimensions`` gives each l the shapes of W[l], b[l], Z[l], A[l] and
their gradients, in glassnet's row convention (one sample per row).

>>> import glassnet as gn
>>> model = gn.Sequential([gn.Dense(2, 3), gn.ReLU(), gn.Dense(3, 1), gn.Sigmoid()])
>>> [(block.index, block.n_in, block.n_out) for block in blocks(model)]
[(1, 2, 3), (2, 3, 1)]
>>> dimensions(model, m=5)[2]["Z"]
(5, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from glassnet.layers import LSTM, RNN, Conv2D, Dense, Layer

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "Block",
    "batch_shape",
    "blocks",
    "dimensions",
    "input_layers",
    "layer_numbers",
]

Dim = int | str  # a size, or a symbol: "m" samples, "T" time steps, "?" unknown
Shape = tuple[Dim, ...]


@dataclass
class Block:
    """The seeds' layer l: an optional Dense map and the activations after it.

    A convolutional layer l has ``conv`` instead of ``dense`` (n_in, n_out are then
    its channels); ``activations`` are then all the layers up to the next map,
    pooling and Flatten included. ``first`` is the position in ``model.layers`` of
    the block's first layer (after the input's layers, which belong to no block).

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.ReLU(), gn.Dense(3, 1, rng=1)])
    >>> block = blocks(model)[0]
    >>> block.index, block.n_in, block.n_out, block.activations, block.has_bias
    (1, 2, 3, [ReLU()], True)
    """

    index: int
    n_in: int | None
    n_out: int | None
    dense: Dense | None = None
    activations: list[Layer] = field(default_factory=list)
    conv: Conv2D | None = None
    first: int = 0

    @property
    def map(self) -> Dense | Conv2D | None:
        """The layer with W[l] and b[l]: the Dense or the Conv2D (None: neither)."""
        return self.dense if self.dense is not None else self.conv

    @property
    def has_bias(self) -> bool:
        """Whether the map has a b[l]."""
        return self.map is not None and "b" in self.map.params


def layer_numbers(model: Sequential) -> list[int]:
    """The seeds' l of each entry of ``model.layers``; 0 for the input's layers.

    ``model.layer_numbers()`` (so the same as ``summary`` and ``seed_names``): each
    layer with parameters opens layer l, a BatchNorm after one belongs to its l, and
    layers without parameters before the first (a Standardize, a Flatten) prepare
    the input, l = 0. Here a model without parameters is one layer l = 1.

    >>> import glassnet as gn
    >>> import numpy as np
    >>> scale = gn.Standardize(np.zeros(2), np.ones(2))
    >>> layer_numbers(gn.Sequential([scale, gn.Dense(2, 3), gn.Tanh(), gn.Dense(3, 1)]))
    [0, 1, 1, 2]
    """
    numbers = model.layer_numbers()
    return numbers if any(numbers) else [1] * len(numbers)


def input_layers(model: Sequential) -> list[Layer]:
    """The layers before layer 1, which prepare the input A[0] (l = 0; often none).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.dimension_table import input_layers
    >>> scale = gn.Standardize(np.zeros(2), np.ones(2))
    >>> input_layers(gn.Sequential([scale, gn.Dense(2, 1)]))
    [Standardize(2)]
    >>> input_layers(gn.Sequential([gn.Dense(2, 1)]))
    []
    """
    numbers = layer_numbers(model)
    return [layer for layer, n in zip(model.layers, numbers, strict=True) if n == 0]


def blocks(model: Sequential) -> list[Block]:
    """Group ``model.layers`` into the seeds' layers l = 1..L (see ``layer_numbers``).

    The input's layers (l = 0) form no block: ``input_layers`` gives them. A layer
    with parameters but no W[l] (an RNN) opens a block without a Dense.

    >>> import glassnet as gn
    >>> from glassnet.dimension_table import blocks
    >>> model = gn.Sequential([gn.Dense(4, 8), gn.ReLU(), gn.Dropout(0.5),
    ...                        gn.Dense(8, 2)])
    >>> for block in blocks(model):
    ...     print(block.index, block.dense, block.activations)
    1 Dense(4 → 8) [ReLU(), Dropout(p=0.5)]
    2 Dense(8 → 2) []
    """
    out: list[Block] = []
    n: int | None = model.n_in
    numbers = layer_numbers(model)
    for i, layer in enumerate(model.layers):
        l = numbers[i]  # noqa: E741 — the seeds' l
        if l == 0:
            continue
        if l == len(out):  # within the layer opened before
            out[-1].activations.append(layer)
        elif isinstance(layer, Dense):
            out.append(Block(l, layer.n_in, layer.n_out, dense=layer, first=i))
            n = layer.n_out
        elif isinstance(layer, Conv2D):
            out.append(Block(l, layer.c_in, layer.c_out, conv=layer, first=i))
        else:  # a layer with parameters but no W[l] (an RNN) opens layer l
            out.append(Block(l, n, n, first=i))
            out[-1].activations.append(layer)
    return out


def batch_shape(model: Sequential, i: int, m: int | None = None) -> Shape:
    """The shape (m, ...) of the batch that enters ``model.layers[i]``.

    ``m`` None gives the symbol "m"; a size the model does not know reads "?".
    """
    return (_dim(m), *(_n(n) for n in model.shapes[i]))


def dimensions(model: Sequential, m: int | None = None) -> list[dict[str, Shape]]:
    """Shapes per layer l = 0..L, in the row convention; key set as in seed A's table.

    Entry 0 has only "A" (the input X, after the input's layers when there are
    some). Entry l ≥ 1 has "W", "b" (when the layer has a bias), "Z", "A", "dW",
    "db", "dZ", "dA". ``m`` None gives the symbol "m".

    >>> import glassnet as gn
    >>> from glassnet.dimension_table import dimensions
    >>> model = gn.Sequential([gn.Dense(4, 8), gn.ReLU(), gn.Dense(8, 2, bias=False)])
    >>> table = dimensions(model)
    >>> table[0], table[1]["W"], table[1]["b"], table[1]["Z"]
    ({'A': ('m', 4)}, (8, 4), (8,), ('m', 8))
    >>> sorted(table[2])                        # bias=False: no b[2], no db[2]
    ['A', 'W', 'Z', 'dA', 'dW', 'dZ']
    """
    bl = blocks(model)
    table: list[dict[str, Shape]] = [
        {"A": batch_shape(model, bl[0].first if bl else 0, m)}
    ]
    for block in bl:
        last = block.first + (block.map is not None) + len(block.activations)
        z = block.first + 1 if block.map is not None else block.first
        entry: dict[str, Shape] = {
            "Z": batch_shape(model, z, m),
            "A": batch_shape(model, last, m),
        }
        if block.map is not None:
            entry["W"] = entry["dW"] = tuple(_n(n) for n in block.map.W.shape)
            if block.has_bias:
                entry["b"] = entry["db"] = (_n(block.n_out),)
        entry["dZ"], entry["dA"] = entry["Z"], entry["A"]
        table.append(entry)
    if any(isinstance(layer, (RNN, LSTM)) for layer in model.layers):
        _with_time(model, bl, table, _dim(m))
    return table


def _with_time(
    model: Sequential, bl: list[Block], table: list[dict[str, Shape]], rows: Dim
) -> None:
    """Give the sequences of a recurrent model their (m, T, n) shapes, in place.

    A[0] is X of (m, T, n_in); a layer l without a Dense (a recurrent layer) gets
    the shape of its block's output: (m, T, h) with return_sequences, else (m, h).
    """

    def batch(shape: tuple[int | None, ...]) -> Shape:
        dims: list[Dim] = [
            ("T" if len(shape) == 2 and k == 0 else "?") if n is None else n
            for k, n in enumerate(shape)
        ]
        return (rows, *dims)

    table[0]["A"] = batch(model.shapes[bl[0].first if bl else 0])
    for block in bl:
        if "W" in table[block.index]:
            continue
        entry, last = table[block.index], block.first + len(block.activations)
        entry["Z"] = entry["dZ"] = batch(model.shapes[block.first])  # Z[l] = A[l−1]
        entry["A"] = entry["dA"] = batch(model.shapes[last])


def _dim(m: int | None) -> Dim:
    return "m" if m is None else m


def _n(n: int | None) -> Dim:
    return "?" if n is None else n
