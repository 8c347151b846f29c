"""How each layer without a W[l] reads, A = g(Z) forward and dZ = g'(dA) backward.

One small function per layer family, each giving its formula in plain text and in
LaTeX with the names it is handed (Z[2] or A^{[0]}: the caller picks the notation).
``g`` picks the function; a layer it does not know reads as Name(Z).

>>> import glassnet as gn
>>> g(gn.ReLU(), "Z[1]", "A[1]", "dA[1]").backward
'dA[1] * (Z[1] > 0)'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from glassnet.layers import (
    AvgPool2D,
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

__all__ = ["Formula", "fused_loss", "g"]


class Formula(NamedTuple):
    """A = g(Z) and its backward pass, each in plain text and in LaTeX."""

    forward: str
    forward_latex: str
    backward: str
    backward_latex: str


def g(layer: Layer, Z: str, A: str, dA: str) -> Formula:
    """What ``layer`` computes, forward and backward, written with the names given."""
    for kinds, formula in _FORMULAS:  # in order: the first family that matches
        if isinstance(layer, kinds):
            return formula(layer, Z, A, dA)
    name = type(layer).__name__
    return Formula(
        f"{name}({Z})",
        rf"\mathrm{{{name}}}({Z})",
        f"{name}.backward({dA})",
        rf"\mathrm{{{name}}}'({dA})",
    )


def fused_loss(layer: Layer | None) -> str:
    """The loss whose gradient fuses with ``layer``'s into (A − Y) / m ("": none)."""
    if isinstance(layer, Sigmoid):
        return "BinaryCrossEntropy"
    if isinstance(layer, Softmax):
        return "CrossEntropy"
    return ""


# ---- the activations ---------------------------------------------------------------
def _relu(layer: ReLU, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"max({Z}, 0)",
        rf"\max({Z}, 0)",
        f"{dA} * ({Z} > 0)",
        rf"{dA} \odot \mathbb{{1}}[{Z} > 0]",
    )


def _leaky_relu(layer: LeakyReLU, Z: str, A: str, dA: str) -> Formula:
    a = layer.alpha
    return Formula(
        f"where({Z} > 0, {Z}, {a}·{Z})",
        rf"\max({Z}, {a}\,{Z})",
        f"{dA} * where({Z} > 0, 1, {a})",
        rf"{dA} \odot \big(\mathbb{{1}}[{Z} > 0]"
        rf" + {a}\,\mathbb{{1}}[{Z} \le 0]\big)",
    )


def _sigmoid(layer: Sigmoid, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"σ({Z}) = 1 / (1 + exp(−{Z}))",
        rf"\sigma({Z}) = \frac{{1}}{{1 + e^{{-{Z}}}}}",
        f"{dA} * {A} * (1 − {A})",
        rf"{dA} \odot {A} \odot (1 - {A})",
    )


def _tanh(layer: Tanh, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"tanh({Z})",
        rf"\tanh({Z})",
        f"{dA} * (1 − {A}²)",
        rf"{dA} \odot (1 - {A}^{{2}})",
    )


def _softmax(layer: Softmax, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"softmax({Z}) (each row: exp / sum of exp)",
        rf"\mathrm{{softmax}}({Z})",
        f"{A} * ({dA} − ({dA} * {A}).sum(axis=1, keepdims=True))",
        rf"{A} \odot \big({dA} - \textstyle\sum_k ({dA} \odot {A})_{{:,k}}\big)",
    )


def _identity(layer: Identity, Z: str, A: str, dA: str) -> Formula:
    return Formula(Z, Z, dA, dA)


# ---- the layers that reshape: pooling, Flatten -------------------------------------
def _pool(layer: MaxPool2D | AvgPool2D, Z: str, A: str, dA: str) -> Formula:
    (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
    kind = "max" if isinstance(layer, MaxPool2D) else "mean"
    back = (
        f"{dA} routed to each window's argmax (0 elsewhere)"
        if kind == "max"
        else f"{dA} / {kh * kw} spread over each window"
    )
    return Formula(
        f"{kind} of each {kh}×{kw} window of {Z}, stride {sh}×{sw}",
        rf"\mathrm{{{kind}pool}}_{{{kh}\times{kw}}}({Z})",
        back + (", overlaps adding" if (sh, sw) < (kh, kw) else ""),
        rf"\mathrm{{{kind}pool}}'({dA})",
    )


def _flatten(layer: Flatten, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"{Z}.reshape(m, −1)",
        rf"\mathrm{{flatten}}({Z})",
        f"{dA}.reshape(its input's shape)",
        rf"\mathrm{{unflatten}}({dA})",
    )


# ---- the layers that scale: Dropout, and the frozen μ, σ of the training data ------
def _dropout(layer: Dropout, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"{Z} * M while training, M = (U ≥ {layer.p:g}) / (1 − {layer.p:g}); "
        f"{Z} in inference",
        rf"{Z} \odot M",
        f"{dA} * M",
        rf"{dA} \odot M",
    )


def _standardize(layer: Standardize, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"({Z} − μ) / σ", rf"({Z} - \mu) / \sigma", f"{dA} / σ", rf"{dA} / \sigma"
    )


def _unstandardize(layer: Unstandardize, Z: str, A: str, dA: str) -> Formula:
    return Formula(
        f"{Z} * σ + μ", rf"{Z} \odot \sigma + \mu", f"{dA} * σ", rf"{dA} \odot \sigma"
    )


# Checked in this order, the first isinstance that holds wins (as a subclass of one of
# these reads like its parent).
_Families = type[Layer] | tuple[type[Layer], ...]
_FORMULAS: tuple[tuple[_Families, Callable[[Any, str, str, str], Formula]], ...] = (
    (ReLU, _relu),
    (LeakyReLU, _leaky_relu),
    (Sigmoid, _sigmoid),
    (Tanh, _tanh),
    (Softmax, _softmax),
    (Identity, _identity),
    ((MaxPool2D, AvgPool2D), _pool),
    (Flatten, _flatten),
    (Dropout, _dropout),
    (Standardize, _standardize),
    (Unstandardize, _unstandardize),
)
