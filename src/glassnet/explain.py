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

>>> import glassnet as gn
>>> model = gn.Sequential([gn.Dense(2, 3), gn.ReLU(), gn.Dense(3, 1), gn.Sigmoid()])
>>> dimensions(model)[1]["W"], dimensions(model, m=5)[1]["Z"]
((3, 2), (5, 3))
>>> print(explain(model).splitlines()[2])
Dimensions (m samples; dZ[l] has the shape of Z[l], dA[l] that of A[l])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from glassnet.layers import (
    LSTM,
    RNN,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Sigmoid,
    Softmax,
    Standardize,
    Tanh,
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
    "layer_numbers",
    "steps",
]

Dim = int | str
Shape = tuple[Dim, ...]


@dataclass
class Block:
    """The seeds' layer l: an optional Dense map and the activations after it.

    A convolutional layer l has ``conv`` instead of ``dense`` (n_in, n_out are then
    its channels); ``activations`` are then all the layers up to the next map,
    pooling and Flatten included. ``first`` is the position in ``model.layers`` of
    the block's first layer (after the input's layers, which belong to no block).
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


@dataclass(frozen=True)
class Step:
    """One equation of the computation, with the shape of what it computes.

    ``phase`` is "forward", "loss", "backward" or "update"; ``note`` says when the
    step applies (the fused output gradient) or why one is skipped; ``layer`` is the
    l the step belongs to (0 for the input, L for the loss).
    """

    phase: str
    text: str
    latex: str
    shape: Shape | None = None
    note: str = ""
    layer: int = 0


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
    """The layers before layer 1, which prepare the input A[0] (l = 0; often none)."""
    numbers = layer_numbers(model)
    return [layer for layer, n in zip(model.layers, numbers, strict=True) if n == 0]


def blocks(model: Sequential) -> list[Block]:
    """Group ``model.layers`` into the seeds' layers l = 1..L (see ``layer_numbers``).

    The input's layers (l = 0) form no block: ``input_layers`` gives them. A layer
    with parameters but no W[l] (an RNN) opens a block without a Dense.
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


def dimensions(model: Sequential, m: int | None = None) -> list[dict[str, Shape]]:
    """Shapes per layer l = 0..L, in the row convention; key set as in seed A's table.

    Entry 0 has only "A" (the input X, after the input's layers when there are
    some). Entry l ≥ 1 has "W", "b" (when the layer has a bias), "Z", "A", "dW",
    "db", "dZ", "dA". ``m`` None gives the symbol "m".
    """
    rows = _dim(m)
    bl = blocks(model)

    def batch(i: int) -> Shape:  # (m, ...) before layer i of model.layers
        return (rows, *(_n(n) for n in model.shapes[i]))

    table: list[dict[str, Shape]] = [{"A": batch(bl[0].first if bl else 0)}]
    for block in bl:
        last = block.first + (block.map is not None) + len(block.activations)
        z = block.first + 1 if block.map is not None else block.first
        entry: dict[str, Shape] = {"Z": batch(z), "A": batch(last)}
        if block.map is not None:
            entry["W"] = entry["dW"] = tuple(_n(n) for n in block.map.W.shape)
            if block.has_bias:
                entry["b"] = entry["db"] = (_n(block.n_out),)
        entry["dZ"], entry["dA"] = entry["Z"], entry["A"]
        table.append(entry)
    if any(isinstance(layer, (RNN, LSTM)) for layer in model.layers):
        _with_time(model, bl, table, rows)
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


# ---- how each activation reads, forward and backward ------------------------------
def _g(layer: Layer, Z: str, A: str, dA: str) -> tuple[str, str, str, str]:
    """(forward text, forward LaTeX, backward text, backward LaTeX) for A = g(Z)."""
    if isinstance(layer, ReLU):
        return (
            f"max({Z}, 0)",
            rf"\max({Z}, 0)",
            f"{dA} * ({Z} > 0)",
            rf"{dA} \odot \mathbb{{1}}[{Z} > 0]",
        )
    if isinstance(layer, LeakyReLU):
        a = layer.alpha
        return (
            f"where({Z} > 0, {Z}, {a}·{Z})",
            rf"\max({Z}, {a}\,{Z})",
            f"{dA} * where({Z} > 0, 1, {a})",
            rf"{dA} \odot \big(\mathbb{{1}}[{Z} > 0]"
            rf" + {a}\,\mathbb{{1}}[{Z} \le 0]\big)",
        )
    if isinstance(layer, Sigmoid):
        return (
            f"σ({Z}) = 1 / (1 + exp(−{Z}))",
            rf"\sigma({Z}) = \frac{{1}}{{1 + e^{{-{Z}}}}}",
            f"{dA} * {A} * (1 − {A})",
            rf"{dA} \odot {A} \odot (1 - {A})",
        )
    if isinstance(layer, Tanh):
        return (
            f"tanh({Z})",
            rf"\tanh({Z})",
            f"{dA} * (1 − {A}²)",
            rf"{dA} \odot (1 - {A}^{{2}})",
        )
    if isinstance(layer, Softmax):
        return (
            f"softmax({Z}) (each row: exp / sum of exp)",
            rf"\mathrm{{softmax}}({Z})",
            f"{A} * ({dA} − ({dA} * {A}).sum(axis=1, keepdims=True))",
            rf"{A} \odot \big({dA} - \textstyle\sum_k ({dA} \odot {A})_{{:,k}}\big)",
        )
    if isinstance(layer, Identity):
        return Z, Z, dA, dA
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
        kind = "max" if isinstance(layer, MaxPool2D) else "mean"
        back = (
            f"{dA} routed to each window's argmax (0 elsewhere)"
            if kind == "max"
            else f"{dA} / {kh * kw} spread over each window"
        )
        return (
            f"{kind} of each {kh}×{kw} window of {Z}, stride {sh}×{sw}",
            rf"\mathrm{{{kind}pool}}_{{{kh}\times{kw}}}({Z})",
            back + (", overlaps adding" if (sh, sw) < (kh, kw) else ""),
            rf"\mathrm{{{kind}pool}}'({dA})",
        )
    if isinstance(layer, Flatten):
        return (
            f"{Z}.reshape(m, −1)",
            rf"\mathrm{{flatten}}({Z})",
            f"{dA}.reshape(its input's shape)",
            rf"\mathrm{{unflatten}}({dA})",
        )
    if isinstance(layer, Dropout):
        return (
            f"{Z} * M while training, M = (U ≥ {layer.p:g}) / (1 − {layer.p:g}); "
            f"{Z} in inference",
            rf"{Z} \odot M",
            f"{dA} * M",
            rf"{dA} \odot M",
        )
    if isinstance(layer, (Standardize, Unstandardize)):
        if isinstance(layer, Standardize):  # frozen μ, σ of the training data
            return (f"({Z} − μ) / σ", rf"({Z} - \mu) / \sigma", f"{dA} / σ",
                    rf"{dA} / \sigma")  # fmt: skip
        return (f"{Z} * σ + μ", rf"{Z} \odot \sigma + \mu", f"{dA} * σ",
                rf"{dA} \odot \sigma")  # fmt: skip
    name = type(layer).__name__
    return (
        f"{name}({Z})",
        rf"\mathrm{{{name}}}({Z})",
        f"{name}.backward({dA})",
        rf"\mathrm{{{name}}}'({dA})",
    )


def _fused_loss(layer: Layer | None) -> str:
    if isinstance(layer, Sigmoid):
        return "BinaryCrossEntropy"
    if isinstance(layer, Softmax):
        return "CrossEntropy"
    return ""


def steps(model: Sequential, m: int | None = None) -> list[Step]:
    """Every equation of one training step, in the order it runs.

    Forward: A[0] (X, or X through the input's layers), then l = 1..L; the loss;
    backward l = L..1 (the output gradient first, fused when the last activation is
    Sigmoid or Softmax), down to dA[0], which no one needs (an input's Standardize
    has no parameters); then the update of every W and b.
    """
    dims = dimensions(model, m)
    bl = blocks(model)
    L = len(bl)
    rows = _dim(m)

    def after(block: Block, k: int) -> Shape:
        """(m, ...) after the block's k-th activation (k = 0: its first)."""
        i = block.first + (block.map is not None) + k + 1
        return (rows, *(_n(n) for n in model.shapes[i]))

    def s(kind: str, l: int) -> tuple[str, str]:  # noqa: E741 — the seeds' l
        return f"{kind}[{l}]", f"{kind}^{{[{l}]}}"

    out = _input_steps(model, bl[0].first if bl else 0, dims[0]["A"], rows)
    for block in bl:
        l = block.index  # noqa: E741
        (Z, Zt), (A, At), (Ap, Apt) = s("Z", l), s("A", l), s("A", l - 1)
        (W, Wt), (b, bt) = s("W", l), s("b", l)
        if block.dense is not None:
            has_b = block.dense.b is not None
            text = f"{Z} = {Ap} @ {W}.T" + (f" + {b}" if has_b else "")
            latex = f"{Zt} = {Apt} {{{Wt}}}^{{\\top}}" + (f" + {bt}" if has_b else "")
        elif block.conv is not None:
            text, latex = _conv_forward(block.conv, Z, Ap, W, b, Zt, Apt, Wt, bt)
        else:
            text, latex = f"{Z} = {Ap}", f"{Zt} = {Apt}"
        out.append(Step("forward", text, latex, dims[l]["Z"]))
        acts = block.activations or [Identity()]
        for k, act in enumerate(acts):
            # one layer after another: the first reads Z[l], the next ones A[l]
            ft = _g(act, Z if k == 0 else A, A, "")[0]
            fl = _g(act, Zt if k == 0 else At, At, "")[1]
            shape = dims[l]["A"] if len(acts) == 1 else after(block, k)
            out.append(Step("forward", f"{A} = {ft}", f"{At} = {fl}", shape))
    last = model.layers[-1]
    fused = _fused_loss(last)
    AL, ALt = s("A", L)
    out.append(
        Step("loss", f"L = loss({AL}, Y)", rf"\mathcal{{L}} = \ell({ALt}, Y)", ())
    )
    for block in reversed(bl):
        l = block.index  # noqa: E741
        (Z, Zt), (A, At), (dZ, dZt), (dA, dAt) = (
            s("Z", l),
            s("A", l),
            s("dZ", l),
            s("dA", l),
        )
        if l == L:
            out.append(
                Step(
                    "backward",
                    f"{dA} = dL/d{A}",
                    rf"{dAt} = \partial\mathcal{{L}}"
                    rf" / \partial {At}",
                    dims[l]["A"],
                    "from the loss",
                )
            )
        acts = block.activations or [Identity()]
        for k in range(len(acts) - 1, 0, -1):  # the layers after the first, last first
            _, _, bt, _ = _g(acts[k], A, A, dA)
            _, _, _, bl_ = _g(acts[k], At, At, dAt)
            shape = after(block, k - 1)
            out.append(Step("backward", f"{dA} = {bt}", f"{dAt} = {bl_}", shape))
        _, _, bt, _ = _g(acts[0], Z, A, dA)
        _, _, _, bl_ = _g(acts[0], Zt, At, dAt)
        out.append(Step("backward", f"{dZ} = {bt}", f"{dZt} = {bl_}", dims[l]["Z"]))
        if l == L and fused:
            out.append(
                Step(
                    "backward",
                    f"{dZ} = ({A} − Y) / m",
                    rf"{dZt} = \frac{{1}}{{m}} ({At} - Y)",
                    dims[l]["Z"],
                    f"with {fused}: the fused gradient replaces the two lines above",
                )
            )
        if block.conv is not None:
            out += _conv_backward(block, dims, l, _before_layer_1(model, l))
        if block.map is None:  # Z[l] = A[l−1] (an RNN's block): dA[l−1] is dZ[l]
            (dAp, dApt) = s("dA", l - 1)
            out.append(
                Step(
                    "backward",
                    f"{dAp} = {dZ}",
                    f"{dApt} = {dZt}",
                    dims[l - 1]["A"],
                    _before_layer_1(model, l),
                )
            )
            continue
        if block.dense is None:
            continue
        (W, Wt), (Ap, Apt), (dAp, dApt) = s("W", l), s("A", l - 1), s("dA", l - 1)
        out.append(
            Step(
                "backward",
                f"dW[{l}] = {dZ}.T @ {Ap}",
                f"dW^{{[{l}]}} = {{{dZt}}}^{{\\top}} {Apt}",
                dims[l]["dW"],
            )
        )
        if block.dense.b is not None:
            out.append(
                Step(
                    "backward",
                    f"db[{l}] = {dZ}.sum(axis=0)",
                    rf"db^{{[{l}]}} = \textstyle\sum_i {dZt}_{{i,:}}",
                    dims[l]["db"],
                )
            )
        out.append(
            Step(
                "backward",
                f"{dAp} = {dZ} @ {W}",
                f"{dApt} = {dZt} {Wt}",
                dims[l - 1]["A"],
                _before_layer_1(model, l),
            )
        )
    for block in bl:
        if block.map is None:
            continue
        l = block.index  # noqa: E741
        text = f"W[{l}] := W[{l}] − α·dW[{l}]"
        latex = rf"W^{{[{l}]}} := W^{{[{l}]}} - \alpha\, dW^{{[{l}]}}"
        if block.has_bias:
            text += f",  b[{l}] := b[{l}] − α·db[{l}]"
            latex += rf",\quad b^{{[{l}]}} := b^{{[{l}]}} - \alpha\, db^{{[{l}]}}"
        out.append(Step("update", text, latex))
    # every step's layer is the largest l it names: dA[l−1] = dZ[l] @ W[l] belongs to l
    return [
        replace(st, layer=max(int(k) for k in re.findall(r"\[(\d+)\]", st.text)))
        for st in out
    ]


def _input_steps(model: Sequential, start: int, shape: Shape, rows: Dim) -> list[Step]:
    """A[0] = X, or the input's layers one after another: A[0] = (X − μ) / σ."""
    if start == 0:
        return [Step("forward", "A[0] = X", "A^{[0]} = X", shape)]
    out = []
    for k, layer in enumerate(model.layers[:start]):
        # the first reads X, the next ones A[0]
        ft, fl, _, _ = _g(layer, "X" if k == 0 else "A[0]", "A[0]", "")
        if k > 0:
            fl = _g(layer, "A^{[0]}", "A^{[0]}", "")[1]
        at = shape if k == start - 1 else (rows, *map(_n, model.shapes[k + 1]))
        out.append(Step("forward", f"A[0] = {ft}", f"A^{{[0]}} = {fl}", at))
    return out


def _before_layer_1(model: Sequential, l: int) -> str:  # noqa: E741
    """The note on dA[l−1] = dZ[l] @ W[l]: none but at l = 1 (no one uses dA[0])."""
    if l > 1:
        return ""
    inputs = input_layers(model)
    if not inputs:
        return "not computed: nothing comes before layer 1"
    names = ", ".join(type(layer).__name__ for layer in inputs)
    return f"not needed: only the input's {names} comes before layer 1"


# ---- convolutional layers (issue 12) -----------------------------------------------
def _conv_forward(
    conv: Conv2D, Z: str, Ap: str, W: str, b: str, Zt: str, Apt: str, Wt: str, bt: str
) -> tuple[str, str]:
    """Z[l] = conv(A[l−1], W[l]) + b[l], with the stride and padding written out."""
    (sh, sw), (ph, pw) = conv.stride, conv.padding
    has_b = "b" in conv.params
    text = f"{Z} = conv({Ap}, {W}, stride {sh}×{sw}, padding {ph}×{pw})" + (
        f" + {b}" if has_b else ""
    )
    latex = rf"{Zt} = {Apt} \star {{{Wt}}}" + (f" + {bt}" if has_b else "")
    return text, latex


def _conv_backward(
    block: Block,
    dims: list[dict[str, Shape]],
    l: int,  # noqa: E741
    note: str,
) -> list[Step]:
    """dW[l], db[l] and dA[l−1] of a convolution, as its im2col products."""
    out = [
        Step(
            "backward",
            f"dW[{l}] = dZ[{l}] (c_out, m·H·W) @ im2col(A[{l - 1}]).T",
            rf"dW^{{[{l}]}} = dZ^{{[{l}]}}\,"
            rf"\mathrm{{im2col}}(A^{{[{l - 1}]}})^{{\top}}",
            dims[l]["dW"],
        )
    ]
    if block.has_bias:
        out.append(
            Step(
                "backward",
                f"db[{l}] = dZ[{l}].sum(axis=(0, 2, 3))",
                rf"db^{{[{l}]}} = \textstyle\sum_{{n,y,x}} dZ^{{[{l}]}}_{{n,:,y,x}}",
                dims[l]["db"],
            )
        )
    out.append(
        Step(
            "backward",
            f"dA[{l - 1}] = col2im(W[{l}] (c_out, c_in·kh·kw).T @ dZ[{l}]), "
            "overlapping windows adding",
            rf"dA^{{[{l - 1}]}} = "
            rf"\mathrm{{col2im}}({{W^{{[{l}]}}}}^{{\top}} dZ^{{[{l}]}})",
            dims[l - 1]["A"],
            note,
        )
    )
    return out


# ---- text --------------------------------------------------------------------------
def explain(model: Sequential, m: int | None = None, latex: bool = False) -> str:
    """The dimension table and the forward and backward equations of ``model``.

    Args:
        model: the Sequential to describe.
        m: the batch size to put in the shapes; None writes the symbol "m".
        latex: a LaTeX fragment (a tabular and an align*) instead of plain text.

    Returns:
        The text, ready to print.
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


def _dim(m: int | None) -> Dim:
    return "m" if m is None else m


def _n(n: int | None) -> Dim:
    return "?" if n is None else n


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
