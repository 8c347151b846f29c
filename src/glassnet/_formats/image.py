"""Conv2D, pooling, Flatten and Dropout in a model file (issue 12)."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._formats.fields import _check_keys, _pair_field, _size
from glassnet.layers import (
    AvgPool2D,
    Conv2D,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
)

# ---- convolutional networks and dropout (issue 12) ---------------------------------
# Conv2D stores its kernels as "i.weight" (c_out, c_in, kh, kw) and "i.bias" (c_out,),
# the names and layout of nn.Conv2d; pooling, Flatten and Dropout have no tensors,
# like their PyTorch counterparts. Sizes are stored as pairs [rows, columns].
_IMAGE_LAYERS: dict[type[Layer], tuple[str, ...]] = {
    Conv2D: ("type", "c_in", "c_out", "kernel_size", "stride", "padding", "bias"),
    MaxPool2D: ("type", "kernel_size", "stride"),
    AvgPool2D: ("type", "kernel_size", "stride"),
    Flatten: ("type",),
    Dropout: ("type", "p"),
}
_IMAGE_LAYERS_NAMES = tuple(cls.__name__ for cls in _IMAGE_LAYERS)


def _describe_image_layer(layer: Layer) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": type(layer).__name__}
    for key in _IMAGE_LAYERS[type(layer)][1:]:
        value = "b" in layer.params if key == "bias" else getattr(layer, key)
        spec[key] = list(value) if isinstance(value, tuple) else value
    return spec


def _parse_image_layer(spec: dict[str, Any], where: str) -> None:
    kind = spec["type"]
    allowed = next(k for c, k in _IMAGE_LAYERS.items() if c.__name__ == kind)
    _check_keys(spec, allowed, where)
    if kind == "Conv2D":
        _size(spec["c_in"], "c_in", where)
        _size(spec["c_out"], "c_out", where)
        if type(spec["bias"]) is not bool:
            raise ValueError(
                f"{where}: bias must be true or false; got {spec['bias']!r}."
            )
        _pair_field(spec["padding"], "padding", where, 0)
    for field in ("kernel_size", "stride"):
        if field in spec:
            _pair_field(spec[field], field, where, 1)
    if kind == "Dropout":
        p = spec["p"]
        if type(p) is not float or not 0 <= p < 1:  # a float, as save writes it
            raise ValueError(
                f"{where}: p must be a number in [0, 1), written as a float (0.0, "
                f"not 0); got {p!r}."
            )


def _build_image_layer(
    spec: dict[str, Any], dtype: np.dtype[Any], tensors: dict[str, Any], i: int
) -> Layer:
    kind = spec["type"]
    if kind == "Conv2D":
        conv = Conv2D(
            spec["c_in"],
            spec["c_out"],
            tuple(spec["kernel_size"]),
            stride=tuple(spec["stride"]),
            padding=tuple(spec["padding"]),
            bias=spec["bias"],
            init="zeros",
            dtype=dtype,
        )
        conv.params["W"] = tensors[f"{i}.weight"]
        if spec["bias"]:
            conv.params["b"] = tensors[f"{i}.bias"]
        return conv
    if kind in ("MaxPool2D", "AvgPool2D"):
        pool = MaxPool2D if kind == "MaxPool2D" else AvgPool2D
        return pool(tuple(spec["kernel_size"]), tuple(spec["stride"]))
    if kind == "Dropout":
        return Dropout(float(spec["p"]))
    return Flatten()
