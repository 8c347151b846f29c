"""How a model is shown to its reader: the seeds' numbering of its layers, its table.

``Sequential.layer_numbers`` and ``Sequential.summary`` are these functions; the
numbering is the one ``seed_names``, ``explain`` and the figures use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from glassnet.layers import BatchNorm1D, BatchNorm2D, Layer

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["layer_numbers", "show_shape", "summary"]


def layer_numbers(layers: Sequence[Layer]) -> list[int]:
    """The seeds' l of each layer: 1..L, and 0 for the layers that prepare the input.

    A layer with parameters opens layer l, except a batch normalisation after one,
    which normalises that layer's Z and so belongs to its l (γ[l], β[l]). A layer
    without parameters belongs to the l before it; those before the first layer
    with parameters (a Standardize, a Flatten) prepare the input: l = 0.
    """
    numbers: list[int] = []
    l = 0  # noqa: E741 — the seeds' l
    for layer in layers:
        normalises_z = l > 0 and isinstance(layer, (BatchNorm1D, BatchNorm2D))
        if layer.params and not normalises_z:
            l += 1  # noqa: E741
        numbers.append(l)
    return numbers


def summary(model: Sequential) -> str:
    """The table of ``Sequential.summary``: position, l, layer, output, parameters."""
    rows = [("#", "l", "layer", "output", "parameters")]
    total, numbers = 0, layer_numbers(model.layers)
    for i, layer in enumerate(model.layers):
        count = sum(W.size for W in layer.params.values())
        total += count
        shapes = ", ".join(f"{k} {W.shape}" for k, W in layer.params.items())
        rows.append(
            (
                str(i),
                str(numbers[i]) if layer.params else "",
                repr(layer),
                show_shape(model.shapes[i + 1]),
                f"{count}  ({shapes})" if shapes else str(count),
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    lines = [
        "  ".join(r[c].ljust(widths[c]) for c in range(4)) + "   " + r[4] for r in rows
    ]
    lines.append(f"total parameters: {total}")
    return "\n".join(line.rstrip() for line in lines)


def show_shape(shape: tuple[int | None, ...]) -> str:
    """A sample shape (3, None) as "(m, 3, ?)"."""
    return "(" + ", ".join(["m", *("?" if n is None else str(n) for n in shape)]) + ")"
