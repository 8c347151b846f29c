"""Every equation of one training step of a model, in the order it runs (seed A).

``steps(model)`` writes out the forward pass A[0] … A[L], the loss, the backward
pass dA[L] … dA[0] and the update of every W[l] and b[l], each as a ``Step``: its
plain text, its LaTeX and the shape of what it computes (see ``dimension_table``).
A layer l's map reads by its family: a Dense's product, a Conv2D's convolution (its
gradients as im2col products), or none (an RNN's layer, Z[l] = A[l−1]); the layers
after the map read as ``_activation_formulas`` writes them.

>>> import glassnet as gn
>>> model = gn.Sequential([gn.Dense(2, 3), gn.ReLU(), gn.Dense(3, 1), gn.Sigmoid()])
>>> [st.text for st in steps(model)[:3]]
['A[0] = X', 'Z[1] = A[0] @ W[1].T + b[1]', 'A[1] = max(Z[1], 0)']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from glassnet._activation_formulas import fused_loss, g
from glassnet.dimension_table import (
    Block,
    Shape,
    batch_shape,
    blocks,
    dimensions,
    input_layers,
)
from glassnet.layers import Conv2D, Dense, Identity

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["Step", "steps"]

Table = list[dict[str, Shape]]  # dimensions(model, m): the shapes of layer l


@dataclass(frozen=True)
class Step:
    """One equation of the computation, with the shape of what it computes.

    ``phase`` is "forward", "loss", "backward" or "update"; ``note`` says when the
    step applies (the fused output gradient) or why one is skipped; ``layer`` is the
    l the step belongs to (0 for the input, L for the loss).

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.ReLU(), gn.Dense(3, 1, rng=1)])
    >>> step = steps(model, m=4)[1]
    >>> step.phase, step.text, step.shape, step.layer
    ('forward', 'Z[1] = A[0] @ W[1].T + b[1]', (4, 3), 1)
    """

    phase: str
    text: str
    latex: str
    shape: Shape | None = None
    note: str = ""
    layer: int = 0


def steps(model: Sequential, m: int | None = None) -> list[Step]:
    """Every equation of one training step, in the order it runs.

    Forward: A[0] (X, or X through the input's layers), then l = 1..L; the loss;
    backward l = L..1 (the output gradient first, fused when the last activation is
    Sigmoid or Softmax), down to dA[0], which no one needs (an input's Standardize
    has no parameters); then the update of every W and b.

    >>> import glassnet as gn
    >>> from glassnet.equations import steps
    >>> model = gn.Sequential([gn.Dense(2, 4), gn.Tanh(), gn.Dense(4, 1)])
    >>> for step in steps(model, m=8):
    ...     if step.phase == "backward" and step.layer == 1:
    ...         print(step.text, step.shape)
    dZ[1] = dA[1] * (1 − A[1]²) (8, 4)
    dW[1] = dZ[1].T @ A[0] (4, 2)
    db[1] = dZ[1].sum(axis=0) (4,)
    dA[0] = dZ[1] @ W[1] (8, 2)
    """
    dims = dimensions(model, m)
    bl = blocks(model)
    L = len(bl)
    out = _input_steps(model, bl[0].first if bl else 0, dims[0]["A"], m)
    for block in bl:
        out += _forward(model, block, dims, m)
    AL, ALt = _sym("A", L)
    out.append(
        Step("loss", f"L = loss({AL}, Y)", rf"\mathcal{{L}} = \ell({ALt}, Y)", ())
    )
    fused = fused_loss(model.layers[-1])
    for block in reversed(bl):
        out += _backward(model, block, dims, m, last=block.index == L, fused=fused)
    out += _updates(bl)
    # every step's layer is the largest l it names: dA[l−1] = dZ[l] @ W[l] belongs to l
    return [
        replace(st, layer=max(int(k) for k in re.findall(r"\[(\d+)\]", st.text)))
        for st in out
    ]


def _sym(kind: str, l: int) -> tuple[str, str]:  # noqa: E741 — the seeds' l
    """The name of an array of layer l, as text and LaTeX: Z[2], Z^{[2]}."""
    return f"{kind}[{l}]", f"{kind}^{{[{l}]}}"


def _after(model: Sequential, block: Block, k: int, m: int | None) -> Shape:
    """(m, ...) after the block's k-th activation (k = 0: its first)."""
    return batch_shape(model, block.first + (block.map is not None) + k + 1, m)


def _input_steps(
    model: Sequential, start: int, shape: Shape, m: int | None
) -> list[Step]:
    """A[0] = X, or the input's layers one after another: A[0] = (X − μ) / σ."""
    if start == 0:
        return [Step("forward", "A[0] = X", "A^{[0]} = X", shape)]
    out = []
    for k, layer in enumerate(model.layers[:start]):
        # the first reads X, the next ones A[0]
        ft, fl, _, _ = g(layer, "X" if k == 0 else "A[0]", "A[0]", "")
        if k > 0:
            fl = g(layer, "A^{[0]}", "A^{[0]}", "").forward_latex
        at = shape if k == start - 1 else batch_shape(model, k + 1, m)
        out.append(Step("forward", f"A[0] = {ft}", f"A^{{[0]}} = {fl}", at))
    return out


# ---- forward: Z[l] through the map, then A[l] through the layers after it -----------
def _forward(model: Sequential, block: Block, dims: Table, m: int | None) -> list[Step]:
    """Z[l] from A[l−1], then A[l] from Z[l] through each layer after the map."""
    l = block.index  # noqa: E741
    text, latex = _map_forward(block)
    out = [Step("forward", text, latex, dims[l]["Z"])]
    (Z, Zt), (A, At) = _sym("Z", l), _sym("A", l)
    acts = block.activations or [Identity()]
    for k, act in enumerate(acts):
        # one layer after another: the first reads Z[l], the next ones A[l]
        ft = g(act, Z if k == 0 else A, A, "").forward
        fl = g(act, Zt if k == 0 else At, At, "").forward_latex
        shape = dims[l]["A"] if len(acts) == 1 else _after(model, block, k, m)
        out.append(Step("forward", f"{A} = {ft}", f"{At} = {fl}", shape))
    return out


def _map_forward(block: Block) -> tuple[str, str]:
    """Z[l] by the map's family: Dense, Conv2D, or none (Z[l] = A[l−1], an RNN's)."""
    l = block.index  # noqa: E741
    if block.dense is not None:
        return _dense_forward(block.dense, l)
    if block.conv is not None:
        return _conv_forward(block.conv, l)
    (Z, Zt), (Ap, Apt) = _sym("Z", l), _sym("A", l - 1)
    return f"{Z} = {Ap}", f"{Zt} = {Apt}"


def _dense_forward(dense: Dense, l: int) -> tuple[str, str]:  # noqa: E741
    """Z[l] = A[l−1] @ W[l].T + b[l] (the row convention's Z = W·A + b)."""
    (Z, Zt), (Ap, Apt) = _sym("Z", l), _sym("A", l - 1)
    (W, Wt), (b, bt) = _sym("W", l), _sym("b", l)
    has_b = "b" in dense.params  # as the table and the update steps decide it
    text = f"{Z} = {Ap} @ {W}.T" + (f" + {b}" if has_b else "")
    latex = f"{Zt} = {Apt} {{{Wt}}}^{{\\top}}" + (f" + {bt}" if has_b else "")
    return text, latex


# ---- backward: dA[l] back through the layers after the map, then the map's ---------
def _backward(
    model: Sequential,
    block: Block,
    dims: Table,
    m: int | None,
    last: bool,
    fused: str,
) -> list[Step]:
    """dZ[l] from dA[l] (from the loss when l = L), then dW[l], db[l], dA[l−1]."""
    l = block.index  # noqa: E741
    (dZ, dZt), (A, At), (dA, dAt) = _sym("dZ", l), _sym("A", l), _sym("dA", l)
    out = []
    if last:
        out.append(
            Step(
                "backward",
                f"{dA} = dL/d{A}",
                rf"{dAt} = \partial\mathcal{{L}} / \partial {At}",
                dims[l]["A"],
                "from the loss",
            )
        )
    out += _activations_backward(model, block, dims, m)
    if last and fused:
        out.append(
            Step(
                "backward",
                f"{dZ} = ({A} − Y) / m",
                rf"{dZt} = \frac{{1}}{{m}} ({At} - Y)",
                dims[l]["Z"],
                f"with {fused}: the fused gradient replaces the two lines above",
            )
        )
    return out + _map_backward(block, dims, _before_layer_1(model, l))


def _activations_backward(
    model: Sequential, block: Block, dims: Table, m: int | None
) -> list[Step]:
    """dA[l] back through the layers after the map, last first, down to dZ[l]."""
    l = block.index  # noqa: E741
    (Z, Zt), (A, At) = _sym("Z", l), _sym("A", l)
    (dZ, dZt), (dA, dAt) = _sym("dZ", l), _sym("dA", l)
    acts = block.activations or [Identity()]
    out = []
    for k in range(len(acts) - 1, 0, -1):  # the layers after the first, last first
        bt = g(acts[k], A, A, dA).backward
        bl_ = g(acts[k], At, At, dAt).backward_latex
        shape = _after(model, block, k - 1, m)
        out.append(Step("backward", f"{dA} = {bt}", f"{dAt} = {bl_}", shape))
    bt = g(acts[0], Z, A, dA).backward
    bl_ = g(acts[0], Zt, At, dAt).backward_latex
    out.append(Step("backward", f"{dZ} = {bt}", f"{dZt} = {bl_}", dims[l]["Z"]))
    return out


def _map_backward(block: Block, dims: Table, note: str) -> list[Step]:
    """dW[l], db[l] and dA[l−1] by the map's family (``note``: that on dA[l−1])."""
    l = block.index  # noqa: E741
    if block.dense is not None:
        return _dense_backward(block.dense, dims, l, note)
    if block.conv is not None:
        return _conv_backward(block, dims, l, note)
    # Z[l] = A[l−1] (an RNN's block): dA[l−1] is dZ[l]
    (dZ, dZt), (dAp, dApt) = _sym("dZ", l), _sym("dA", l - 1)
    return [
        Step("backward", f"{dAp} = {dZ}", f"{dApt} = {dZt}", dims[l - 1]["A"], note)
    ]


def _dense_backward(
    dense: Dense,
    dims: Table,
    l: int,  # noqa: E741
    note: str,
) -> list[Step]:
    """dW[l] = dZ[l].T @ A[l−1], db[l] = Σ dZ[l] and dA[l−1] = dZ[l] @ W[l]."""
    (dZ, dZt), (W, Wt) = _sym("dZ", l), _sym("W", l)
    (Ap, Apt), (dAp, dApt) = _sym("A", l - 1), _sym("dA", l - 1)
    out = [
        Step(
            "backward",
            f"dW[{l}] = {dZ}.T @ {Ap}",
            f"dW^{{[{l}]}} = {{{dZt}}}^{{\\top}} {Apt}",
            dims[l]["dW"],
        )
    ]
    if "b" in dense.params:
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
            note,
        )
    )
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


# ---- update: gradient descent on every W[l] and b[l] -------------------------------
def _updates(bl: list[Block]) -> list[Step]:
    """W[l] := W[l] − α·dW[l] (and b[l] likewise) for each layer l with a map."""
    out = []
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
    return out


# ---- convolutional layers (issue 12) -----------------------------------------------
def _conv_forward(conv: Conv2D, l: int) -> tuple[str, str]:  # noqa: E741
    """Z[l] = conv(A[l−1], W[l]) + b[l], with the stride and padding written out."""
    (Z, Zt), (Ap, Apt) = _sym("Z", l), _sym("A", l - 1)
    (W, Wt), (b, bt) = _sym("W", l), _sym("b", l)
    (sh, sw), (ph, pw) = conv.stride, conv.padding
    has_b = "b" in conv.params
    text = f"{Z} = conv({Ap}, {W}, stride {sh}×{sw}, padding {ph}×{pw})" + (
        f" + {b}" if has_b else ""
    )
    latex = rf"{Zt} = {Apt} \star {{{Wt}}}" + (f" + {bt}" if has_b else "")
    return text, latex


def _conv_backward(
    block: Block,
    dims: Table,
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
