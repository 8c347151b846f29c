"""ONNX export: a Sequential as an ONNX graph that any ONNX runtime can run.

One ONNX node per glassnet layer, in order, so the graph reads like ``model.layers``:

| glassnet layer | ONNX node | what it computes |
|---|---|---|
| Dense(n_in → n_out) | Gemm(X, W, b, transB=1) | Z = X @ W.T + b |
| ReLU | Relu | max(Z, 0) |
| LeakyReLU(α) | LeakyRelu(alpha=α) | Z if Z > 0 else α Z |
| Sigmoid | Sigmoid | 1 / (1 + exp(−Z)) |
| Tanh | Tanh | tanh(Z) |
| Softmax | Softmax(axis=1) | exp(Z) / Σⱼ exp(Z[:, j]), row by row |
| Identity | Identity | Z |
| Standardize | Sub(X, mean), Div(·, std) | (X − μ) / σ |
| Unstandardize | Mul(X, std), Add(·, mean) | X σ + μ |

W keeps glassnet's (and PyTorch's) (n_out, n_in) layout; ``transB=1`` tells Gemm to
use its transpose. A frozen standardization's μ and σ are initializers
``"i.mean"`` and ``"i.std"`` of one sample's shape, broadcast over the batch.
The input is named "X" with shape (batch, n_in) and a free batch size; the output
"Y". Needs the optional extra: ``pip install "glassnet[onnx]"``.

>>> import tempfile, pathlib
>>> import numpy as np
>>> import onnxruntime as ort
>>> from glassnet import Dense, ReLU, Sequential, Softmax
>>> model = Sequential([Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1), Softmax()])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.onnx"
>>> export_onnx(model, path)
>>> session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
>>> X = np.ones((5, 3), dtype=np.float32)
>>> bool(np.allclose(session.run(None, {"X": X})[0], model.predict(X), atol=1e-6))
True
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import onnx
from numpy.typing import DTypeLike
from onnx import TensorProto, helper, numpy_helper

import glassnet
from glassnet._files import atomic_write_bytes
from glassnet.layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Standardize,
    Tanh,
    Unstandardize,
)
from glassnet.model import Sequential

__all__ = ["OPSET", "export_onnx", "to_onnx"]

# Opset 17 (ONNX 1.12, 2022): every runtime of the last years reads it, and each
# operator used here has had its present meaning since opset 13 or earlier.
OPSET = 17
# The IR version that goes with opset 17; newer onnx packages default to a later
# one that older runtimes refuse.
_IR_VERSION = 8

_ELEMENTWISE: dict[type[Layer], str] = {
    ReLU: "Relu",
    Sigmoid: "Sigmoid",
    Tanh: "Tanh",
    Identity: "Identity",
}
_ONNX_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
}
SUPPORTED = (
    "Dense",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Identity",
    "Standardize",
    "Unstandardize",
)
# (first op, its constant, second op, its constant): Y = (X − μ) / σ, or X σ + μ
_FROZEN: dict[type[Layer], tuple[str, str, str, str]] = {
    Standardize: ("Sub", "mean", "Div", "std"),
    Unstandardize: ("Mul", "std", "Add", "mean"),
}


def _nodes(
    layer: Layer, i: int, x: str, y: str, dtype: np.dtype[Any]
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """The ONNX node(s) for layer ``i`` reading tensor ``x`` and writing ``y``."""
    kind = type(layer)
    name = f"{i}.{kind.__name__}"
    if kind is Dense:
        assert isinstance(layer, Dense)
        W = numpy_helper.from_array(np.asarray(layer.W, dtype=dtype), f"{i}.weight")
        inputs = [x, W.name]
        weights = [W]
        if layer.b is not None:
            b = numpy_helper.from_array(np.asarray(layer.b, dtype=dtype), f"{i}.bias")
            inputs.append(b.name)
            weights.append(b)
        return [helper.make_node("Gemm", inputs, [y], name=name, transB=1)], weights
    if kind is LeakyReLU:
        assert isinstance(layer, LeakyReLU)
        node = helper.make_node("LeakyRelu", [x], [y], name=name, alpha=layer.alpha)
        return [node], []
    if kind is Softmax:
        return [helper.make_node("Softmax", [x], [y], name=name, axis=1)], []
    if kind in _ELEMENTWISE:
        return [helper.make_node(_ELEMENTWISE[kind], [x], [y], name=name)], []
    if kind in _FROZEN:
        first, k1, second, k2 = _FROZEN[kind]
        consts = [
            numpy_helper.from_array(
                np.asarray(layer.buffers[k], dtype=dtype), f"{i}.{k}"
            )
            for k in (k1, k2)
        ]
        mid = f"{i}.{first.lower()}"
        nodes = [
            helper.make_node(first, [x, consts[0].name], [mid], name=f"{name}.{first}"),
            helper.make_node(
                second, [mid, consts[1].name], [y], name=f"{name}.{second}"
            ),
        ]
        return nodes, consts
    raise TypeError(
        f"export_onnx cannot export layer {i}, {layer!r} (type {kind.__name__}): ONNX "
        f"export knows the layers {', '.join(SUPPORTED)}. Replace the layer, or "
        "export the part of the model made of these layers."
    )


def to_onnx(model: Sequential, dtype: DTypeLike = np.float32) -> onnx.ModelProto:
    """The ONNX model (checked by ``onnx.checker``) of a Sequential, in memory.

    Args:
        model: the Sequential to export.
        dtype: float32 (default: what ONNX runtimes and accelerators run everywhere;
            a float64 model's weights are rounded) or float64.

    Returns:
        The ``onnx.ModelProto``; ``export_onnx`` writes it to a file.

    Raises:
        TypeError: not a Sequential, a layer type without an ONNX form, or a dtype
            other than float32 or float64.

    >>> import glassnet as gn
    >>> from glassnet.onnx import to_onnx
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.ReLU(), gn.Dense(3, 1, rng=1)])
    >>> proto = to_onnx(model)
    >>> [node.op_type for node in proto.graph.node]
    ['Gemm', 'Relu', 'Gemm']
    >>> [weight.name for weight in proto.graph.initializer]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    if not isinstance(model, Sequential):
        raise TypeError(
            f"export_onnx expected a glassnet Sequential; got {type(model).__name__}."
        )
    dtype = np.dtype(dtype)
    if dtype not in _ONNX_TYPES:
        raise TypeError(f"export_onnx's dtype must be float32 or float64; got {dtype}.")
    nodes: list[onnx.NodeProto] = []
    weights: list[onnx.TensorProto] = []
    last = len(model.layers) - 1
    x = "X"
    for i, layer in enumerate(model.layers):
        y = "Y" if i == last else f"{i}.out"
        layer_nodes, layer_weights = _nodes(layer, i, x, y, dtype)
        nodes += layer_nodes
        weights += layer_weights
        x = y
    if not model.layers:
        nodes.append(helper.make_node("Identity", ["X"], ["Y"], name="empty"))
    elem = _ONNX_TYPES[dtype]
    graph = helper.make_graph(
        nodes,
        "glassnet.Sequential",
        [helper.make_tensor_value_info("X", elem, _dims(model.shapes[0]))],
        [helper.make_tensor_value_info("Y", elem, _dims(model.shapes[-1]))],
        initializer=weights,
        doc_string=repr(model),
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="glassnet",
        producer_version=glassnet.__version__,
    )
    proto.ir_version = _IR_VERSION
    onnx.checker.check_model(proto)
    return proto


def _dims(shape: tuple[int | None, ...]) -> list[int | str]:
    """A batch's ONNX dimensions: "batch", then one sample's sizes (or names)."""
    names = ("n_in", *(f"d{k}" for k in range(1, len(shape))))
    sizes = (name if n is None else n for n, name in zip(shape, names, strict=True))
    return ["batch", *sizes]


def export_onnx(
    model: Sequential, path: str | os.PathLike[str], dtype: DTypeLike = np.float32
) -> None:
    """Write ``model`` to ``path`` as an ONNX file, atomically.

    The graph has one input "X" of shape (batch, n_in) and one output "Y"; run it
    with e.g. ``onnxruntime.InferenceSession(path).run(None, {"X": X})``.

    Args:
        model: the Sequential to export (the layers of ``SUPPORTED``).
        path: the file to write (".onnx" by convention).
        dtype: float32 (default) or float64, for the weights, input and output.

    Raises:
        TypeError: a layer type ONNX export does not know (named), or a bad dtype.

    >>> import pathlib, tempfile
    >>> import onnx
    >>> import glassnet as gn
    >>> from glassnet.onnx import export_onnx
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.onnx"
    >>> export_onnx(gn.Sequential([gn.Dense(4, 2, rng=0), gn.Softmax()]), path)
    >>> graph = onnx.load(path).graph
    >>> graph.input[0].name, [node.op_type for node in graph.node], graph.output[0].name
    ('X', ['Gemm', 'Softmax'], 'Y')
    """
    atomic_write_bytes(path, to_onnx(model, dtype).SerializeToString())
