"""The mathematics of a model, written out: dimension table and every equation (seed A).

``explain(model)`` prints, for the user's own network, the table of dimensions that
seed A lists for its example (W[l], b[l], Z[l], A[l], dW[l], db[l]) and the forward and
backward equations in the order they run. Shapes follow glassnet's row convention:
one sample per row, so A[l] is (m, n[l]) and Z[l] = A[l−1] @ W[l].T + b[l]; seed A's
column convention is the transpose, Z[l] = W[l]·A[l−1] + b[l] with A[l] of n[l] × m.
W[l] is n[l] × n[l−1] in both.

A "layer l" here is the seeds' layer: one Dense map followed by its activation. A
Conv2D opens a layer l too, with what follows it (ReLU, pooling, Flatten); then
n[l] is C×H×W and Z[l], A[l] are (m, C, H, W). Layers without parameters before the
first layer with some (a ``Standardize``, a ``Flatten``) belong to the input, l = 0:
A[0] is then the input they prepare, e.g. A[0] = (X − μ) / σ, and the first Dense
is still W[1], as ``model.summary()`` and ``model.seed_names()`` number it.

This module writes them out as text or LaTeX; ``glassnet.dimension_table`` builds
the table (``blocks``, ``dimensions``) and ``glassnet.equations`` the equations
(``steps``), whose names it re-exports.

>>> import glassnet as gn
>>> model = gn.Sequential([gn.Dense(2, 3), gn.ReLU(), gn.Dense(3, 1), gn.Sigmoid()])
>>> dimensions(model)[1]["W"], dimensions(model, m=5)[1]["Z"]
((3, 2), (5, 3))
>>> print(explain(model).splitlines()[2])
Dimensions (m samples; dZ[l] has the shape of Z[l], dA[l] that of A[l])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassnet.dimension_table import (
    Block,
    Shape,
    blocks,
    dimensions,
    input_layers,
    layer_numbers,
)
from glassnet.dimension_table import Dim as Dim  # re-exported, as Shape's element
from glassnet.equations import Step, steps
from glassnet.layers import (
    LSTM,
    RNN,
    BatchNorm1D,
    BatchNorm2D,
    Layer,
    Standardize,
    Unstandardize,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "Block",
    "Step",
    "blocks",
    "dimensions",
    "explain",
    "input_layers",
    "inside_layers",
    "layer_numbers",
    "steps",
]


# ---- text --------------------------------------------------------------------------
def explain(model: Sequential, m: int | None = None, latex: bool = False) -> str:
    """The dimension table and the forward and backward equations of ``model``.

    Args:
        model: the Sequential to describe.
        m: the batch size to put in the shapes; None writes the symbol "m".
        latex: a LaTeX fragment (a tabular and an align*) instead of plain text.

    Returns:
        The text, ready to print.

    >>> import glassnet as gn
    >>> text = gn.explain(gn.Sequential([gn.Dense(2, 1), gn.Sigmoid()]), m=4)
    >>> for line in text.splitlines()[3:6]:        # the table of dimensions
    ...     print(line)
      l  n[l]  W[l]    b[l]  Z[l]    A[l]    dW[l]   db[l]
      0  2     —       —     —       (4, 2)  —       —
      1  1     (1, 2)  (1,)  (4, 1)  (4, 1)  (1, 2)  (1,)
    """
    if m is not None and (isinstance(m, bool) or not isinstance(m, int) or m < 1):
        raise ValueError(
            f"explain's m must be a positive integer (the batch size) or None; got "
            f"{m!r}."
        )
    return _latex(model, m) if latex else _text(model, m)


_COLUMNS = ("W", "b", "Z", "A", "dW", "db")


def _shape(shape: Shape | None) -> str:
    if shape is None:
        return ""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _text(model: Sequential, m: int | None) -> str:
    dims = dimensions(model, m)
    where = "m samples" if m is None else f"m = {m} samples"
    lines = [
        repr(model),
        "Row convention: one sample per row. Seed A's column convention is the "
        "transpose (Z[l] = W[l]·A[l−1] + b[l]).",
        f"Dimensions ({where}; dZ[l] has the shape of Z[l], dA[l] that of A[l])",
    ]
    table = [("l", "n[l]", *(f"{c}[l]" for c in _COLUMNS))]
    for l, entry in enumerate(dims):  # noqa: E741
        n = _width(entry["A"])
        table.append((str(l), n, *(_shape(entry.get(c)) or "—" for c in _COLUMNS)))
    widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
    for row in table:
        cells = (v.ljust(w) for v, w in zip(row, widths, strict=True))
        lines.append(("  " + "  ".join(cells)).rstrip())
    all_steps = steps(model, m)
    width = max(len(st.text) for st in all_steps if st.phase != "update")
    titles = {
        "forward": "Forward (l = 1 … L)",
        "loss": "Loss",
        "backward": "Backward (l = L … 1, reusing each dZ[l] for the layer before)",
        "update": "Update (gradient descent with learning rate α)",
    }
    phase = ""
    for st in all_steps:
        if st.phase != phase:
            phase = st.phase
            lines.append(titles[phase])
        shape = "scalar" if st.shape == () else _shape(st.shape)
        line = f"  {st.text.ljust(width)}  {shape}".rstrip()
        if st.note:
            line += f"   [{st.note}]"
        lines.append(line)
    return "\n".join(lines + inside_layers(model, m))


def _latex_shape(shape: Shape | None) -> str:
    if not shape:
        return ""
    if len(shape) == 1:
        return rf"{shape[0]}"
    return r" \times ".join(str(d) for d in shape)


def _latex(model: Sequential, m: int | None) -> str:
    dims = dimensions(model, m)
    head = " & ".join(["l", "n^{[l]}", *(f"{c}^{{[l]}}" for c in _COLUMNS)])
    lines = [
        "% " + repr(model) + " — row convention, one sample per row",
        r"\begin{tabular}{" + "c" * (len(_COLUMNS) + 2) + "}",
        "$" + head.replace(" & ", "$ & $") + r"$ \\ \hline",
    ]
    for l, entry in enumerate(dims):  # noqa: E741
        cells = [str(l), _width(entry["A"]).replace("×", r"\times ")]
        for c in _COLUMNS:
            shape = entry.get(c) if l > 0 or c == "A" else None
            cells.append(f"${_latex_shape(shape)}$" if shape else "--")
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\end{tabular}", "", r"\begin{align*}"]
    for st in steps(model, m):
        size = _latex_shape(st.shape)
        note = rf"\quad\text{{({st.note})}}" if st.note else ""
        tail = rf" && {size}" if size else ""
        lines.append(f"  {st.latex}{tail}{note} \\\\")
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def _width(shape: Shape) -> str:
    """n[l] of a sample shape: "25" for (m, 25), "16×14×14" for (m, 16, 14, 14)."""
    return "×".join(str(d) for d in shape[1:])


# ---- inside the BatchNorm and recurrent layers -------------------------------------
# Their formulas span more than one line each; the seeds' table above shows them as
# one step of layer l. Here each gets its shapes (T: time steps, m: samples) and the
# equations its forward and backward run (as in the layers' docstrings).
_INSIDE: dict[type[Layer], tuple[list[str], list[str]]] = {
    BatchNorm1D: (
        ["μ = X.mean(axis=0), σ² = X.var(axis=0)   (running_mean, running_var when "
         "not training)",
         "X̂ = (X − μ) / √(σ² + ε),  Y = γ X̂ + β",
         "running = (1 − p)·running + p·batch  (p = momentum; var unbiased, ·N/(N−1))"],
        ["dγ = (dY * X̂).sum(axis=0),  dβ = dY.sum(axis=0),  dX̂ = dY γ",
         "dX = (dX̂ − mean(dX̂) − X̂·mean(dX̂ * X̂)) / √(σ² + ε)"],
    ),
    RNN: (
        ["h_t = tanh(x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + b_hh),  h_0 = 0"],
        ["dz_t = (dH[:, t] + dz_{t+1} @ W_hh) * (1 − h_t²)   for t = T … 1",
         "dW_ih = Σ_t dz_t.T @ x_t,  dW_hh = Σ_t dz_t.T @ h_{t−1},  "
         "db = Σ_t dz_t.sum(0),  dx_t = dz_t @ W_ih"],
    ),
    LSTM: (
        ["[i, f, g, o] = [σ, σ, tanh, σ](x_t @ W_ih.T + b_ih + h_{t−1} @ W_hh.T + "
         "b_hh)",
         "c_t = f * c_{t−1} + i * g,  h_t = o * tanh(c_t),  h_0 = c_0 = 0"],
        ["dh_t = dH[:, t] + dz_{t+1} @ W_hh,  dc_t = dc_{t+1} * f_{t+1} + dh_t * o * "
         "(1 − tanh²(c_t))",
         "dz_t = [dc·g·i(1−i), dc·c_{t−1}·f(1−f), dc·i·(1−g²), dh·tanh(c_t)·o(1−o)]",
         "dW_ih = Σ_t dz_t.T @ x_t,  dW_hh = Σ_t dz_t.T @ h_{t−1},  "
         "db = Σ_t dz_t.sum(0),  dx_t = dz_t @ W_ih"],
    ),
}  # fmt: skip
_INSIDE[Standardize] = (
    ["Y = (X − μ) / σ   (μ, σ: frozen, of the training data; σ = 1 where constant)"],
    ["dX = dY / σ   (no parameters)"],
)
_INSIDE[Unstandardize] = (
    ["Y = X * σ + μ   (μ, σ: frozen, of the training targets)"],
    ["dX = dY * σ   (no parameters)"],
)
_INSIDE[BatchNorm2D] = (
    [line.replace("axis=0", "axis=(0, 2, 3)") for line in _INSIDE[BatchNorm1D][0]],
    [line.replace("axis=0", "axis=(0, 2, 3)") for line in _INSIDE[BatchNorm1D][1]],
)


def _sample(shape: tuple[int | None, ...], recurrent: bool, m: int | None) -> str:
    """A batch's shape with the symbols m and T (an unknown length of time)."""
    dims = [
        ("T" if recurrent and k == 0 else "?") if n is None else str(n)
        for k, n in enumerate(shape)
    ]
    return "(" + ", ".join(["m" if m is None else str(m), *dims]) + ")"


def inside_layers(model: Sequential, m: int | None = None) -> list[str]:
    """Shapes and equations of the model's BatchNorm, RNN, LSTM, Standardize layers.

    One block per such layer: its input and output shapes (with T for time steps),
    its parameters' and buffers' shapes, and its forward and backward equations.
    Empty for a model without them.

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.RNN(3, 5)], input_shape=(None, 3))
    >>> print(inside_layers(model)[1])
      layer 0, RNN(3 → 5): X (m, T, 3) → Y (m, 5)
    """
    lines: list[str] = []
    recurrent = any(isinstance(layer, (RNN, LSTM)) for layer in model.layers)
    for i, layer in enumerate(model.layers):
        formulas = _INSIDE.get(type(layer))
        if formulas is None:
            continue
        if not lines:
            lines.append("Inside the layers (T: time steps, m: samples)")
        x = _sample(model.shapes[i], recurrent, m)
        y = _sample(model.shapes[i + 1], recurrent, m)
        lines.append(f"  layer {i}, {layer!r}: X {x} → Y {y}")
        arrays = {**layer.params, **layer.buffers}
        lines.append(
            "    " + ", ".join(f"{k} {_shape(tuple(v.shape))}" for k, v in
                                arrays.items())
        )  # fmt: skip
        lines += [f"    forward:  {text}" for text in formulas[0]]
        lines += [f"    backward: {text}" for text in formulas[1]]
    return lines
