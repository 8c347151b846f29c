"""Model files: weights in safetensors, the architecture as JSON in its metadata.

No pickle, ever: a safetensors file holds raw tensors and a JSON header, so loading a
file cannot run code. The header's ``__metadata__`` (string → string) carries:

- ``format``: "glassnet"; ``format_version``: "1" (a newer version is refused);
- ``architecture``: a JSON list, one object per layer, e.g.
  ``[{"type": "Dense", "n_in": 2, "n_out": 25, "bias": true}, {"type": "ReLU"},
  {"type": "LeakyReLU", "alpha": 0.01}, ...]``;
- ``dtype``: "float32" or "float64";
- ``metadata``: the caller's own JSON object (e.g. how the data were scaled);
- ``input_shape`` (only when the first layer does not imply it, as a Conv2D does not
  know H and W): one sample's shape, e.g. ``[1, 28, 28]``.

``{"type": "BatchNorm1D", "n": 16, "eps": 1e-05, "momentum": 0.1}`` (and
``BatchNorm2D``) and ``{"type": "LSTM", "n_in": 1, "n_hidden": 8,
"return_sequences": false}`` (and ``RNN``) describe the normalisation and recurrent
layers.

``{"type": "Standardize", "shape": [3]}`` (and ``Unstandardize``) is a frozen
standardization (issue 15): its mean and std, of one sample's shape, are the tensors
``"i.mean"`` and ``"i.std"`` (std > 0), so a model that standardizes its inputs and
unstandardizes its outputs carries its scaling in its own file.

Image layers: ``{"type": "Conv2D", "c_in": 1, "c_out": 16, "kernel_size": [5, 5],
"stride": [1, 1], "padding": [2, 2], "bias": true}``, ``{"type": "MaxPool2D",
"kernel_size": [2, 2], "stride": [2, 2]}`` (AvgPool2D likewise), ``{"type":
"Flatten"}``, ``{"type": "Dropout", "p": 0.5}``. A Conv2D's kernels are
``"i.weight"`` (c_out, c_in, kh, kw) and its bias ``"i.bias"``, as in ``nn.Conv2d``.

The code follows the format's concepts. This module owns the file: its format and
version, ``save``, ``load`` and ``read_metadata``. ``glassnet._formats.header`` checks
the header's other keys and ties the tensors to the architecture;
``glassnet._formats.architecture`` turns layers into architecture entries and back
(Dense and the activations there, each other family in a module of its own:
normalisation and recurrent layers, image layers, frozen standardization).

The first five keys are required, every layer object has exactly its keys
(``n_in``/``n_out`` integers, ``bias`` a boolean, ``alpha`` a finite float), the
metadata is JSON without NaN or infinities (as save writes it), and tensors have
exactly the names, shapes and the dtype the architecture implies: ``load`` refuses
anything else with a ValueError naming the file and the field, before it allocates
a layer. Nothing is cast or defaulted: a file that loads saves back to the same
header values and tensors.

Tensor names follow PyTorch's ``nn.Sequential`` state_dict: the Dense layer at position
i of ``model.layers`` stores ``W`` as ``"i.weight"`` (n_out, n_in) and ``b`` as
``"i.bias"`` (n_out,). Activations sit at their own positions, as in PyTorch, so
``Sequential([Dense(2, 4), ReLU(), Dense(4, 1), Sigmoid()])`` maps onto
``torch.nn.Sequential(Linear(2, 4), ReLU(), Linear(4, 1), Sigmoid())`` and
``torch_model.load_state_dict(safetensors.torch.load_file(path))`` works unchanged.
BatchNorm at position i stores γ, β as ``"i.weight"``, ``"i.bias"`` and its running
statistics as ``"i.running_mean"``, ``"i.running_var"`` and ``"i.num_batches_tracked"``
(int64, shape ()); RNN and LSTM use nn.RNN/nn.LSTM's names (``"i.weight_ih_l0"``,
``"i.weight_hh_l0"``, ``"i.bias_ih_l0"``, ``"i.bias_hh_l0"``), so those files load
into the matching torch ``nn.Sequential`` with ``load_state_dict(strict=True)`` too.

>>> import tempfile, pathlib
>>> from glassnet import Dense, ReLU, Sequential
>>> model = Sequential([Dense(2, 3, rng=0), ReLU()])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.safetensors"
>>> save(model, path, metadata={"note": "demo"})
>>> load(path)
Sequential([Dense(2 → 3), ReLU()])
>>> read_metadata(path)["note"]
'demo'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from glassnet import _files
from glassnet._files import MAX_HEADER_BYTES, atomic_write_bytes, safetensors_bytes
from glassnet._formats.architecture import _build, _describe
from glassnet._formats.fields import check_saved_tensor
from glassnet._formats.frozen import _start_frozen
from glassnet._formats.header import (
    _FLOAT_DTYPES,
    _check_tensors,
    _input_shape_entry,
    _parse_contents,
    _parse_input_shape,
)
from glassnet._formats.norm_recurrent import _start_more, _tensors_of
from glassnet.layers import Conv2D, Dense
from glassnet.model import Sequential

__all__ = ["FORMAT_VERSION", "export_onnx", "load", "read_metadata", "save"]

FORMAT_VERSION = 1


def save(model: Sequential, path: str | os.PathLike[str], metadata: Any = None) -> None:
    """Write ``model`` to ``path`` as safetensors, atomically.

    The bytes go to a temporary file in the same folder, are flushed to disk (fsync),
    then renamed over ``path``: a crash leaves the old file or the new one, never half.
    The file gets the permissions an ordinary write would give (an existing file keeps
    its mode); through a symbolic link, the link's target is written. Everything that
    ``load`` would refuse (non-finite weights, mixed dtypes, a header above the
    safetensors limit) is refused here first, so every saved file loads back.

    Args:
        model: the Sequential to store (Dense and activation layers).
        path: the file to write (".safetensors" by convention).
        metadata: any JSON-serialisable value, returned by ``read_metadata``.

    Raises:
        TypeError: not a Sequential, a layer without a file format, metadata that is
            not JSON-serialisable.
        ValueError: NaN/inf weights, parameters of different dtypes, a header too big.
        OSError: the folder is missing or not writable (see ``_files.check_writable``).

    >>> import pathlib, tempfile
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> gn.save(model, path, metadata={"epochs": 10})
    >>> sorted(p.name for p in path.parent.iterdir())   # no temporary file left over
    ['model.safetensors']
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save expected a glassnet Sequential; got {type(model)}.")
    architecture = [_describe(layer, i) for i, layer in enumerate(model.layers)]
    dtype = model.dtype
    if dtype.name not in _FLOAT_DTYPES:
        raise TypeError(f"save stores float32 or float64 models; this one is {dtype}.")
    tensors: dict[str, np.ndarray] = {}
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, (Dense, Conv2D)):
            tensors.update(_tensors_of(layer, i, dtype, path))
            continue
        for key, torch_name in (("W", "weight"), ("b", "bias")):
            if key not in layer.params:
                continue
            name, value = f"{i}.{torch_name}", layer.params[key]
            check_saved_tensor(path, name, value, dtype, layer)
            tensors[name] = np.ascontiguousarray(value)
    try:
        user = json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(
            "save's metadata must be JSON-serialisable (dicts, lists, str, finite "
            f"numbers, nested less deeply than the recursion limit); {exc}."
        ) from None
    header = {
        "format": "glassnet",
        "format_version": str(FORMAT_VERSION),
        "architecture": json.dumps(architecture),
        "dtype": dtype.name,
        "metadata": user,
    }
    input_shape = _input_shape_entry(model)
    if input_shape is not None:
        header["input_shape"] = input_shape
    data = safetensors_bytes(tensors, header)
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES:
        raise ValueError(
            f"cannot save {path}: the header would take {n} bytes, above the "
            f"safetensors limit of {MAX_HEADER_BYTES}; store less metadata."
        )
    # Refused here, the file could never be loaded again: keep the save symmetric.
    _json_depth_ok(user, path)
    atomic_write_bytes(path, data, "model file")


def _json_depth_ok(text: str, path: str | os.PathLike[str]) -> None:
    try:
        _files.loads_json(text, "metadata")
    except ValueError as exc:
        raise TypeError(f"cannot save {path}: {exc}") from None


def _parse(path: Path, meta: dict[str, str]) -> tuple[list[dict[str, Any]], str, Any]:
    """The checked architecture, dtype name and user metadata of a glassnet header.

    The file's identity (format and version, beside ``FORMAT_VERSION``) is checked
    here; the other keys by ``_formats.header``.
    """
    if meta.get("format") != "glassnet":
        raise ValueError(
            f"{path}: a safetensors file without a glassnet architecture in its "
            "metadata (written by another program?). glassnet.io.load reads files "
            "written by glassnet.io.save."
        )
    version = meta.get("format_version")
    if version is None or not version.isdigit() or len(version) > 6:
        raise ValueError(
            f"{path}: format_version must be a positive integer; got {version!r}."
        )
    if int(version) > FORMAT_VERSION:
        raise ValueError(
            f"{path}: glassnet file format version {version}, but this glassnet reads "
            f"versions up to {FORMAT_VERSION}. Upgrade glassnet to load it."
        )
    if version != str(FORMAT_VERSION):
        raise ValueError(
            f"{path}: format_version {version!r} was never written by glassnet; this "
            f"glassnet reads version {FORMAT_VERSION}."
        )
    return _parse_contents(path, meta)


def read_metadata(path: str | os.PathLike[str]) -> Any:
    """The ``metadata`` value given to ``save`` (None when none was given).

    Only the header is read (never the weights), and checked as ``load`` checks it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: as ``load``.

    >>> import pathlib, tempfile
    >>> import glassnet as gn
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> gn.save(model, path, metadata={"mean": [0.5, 2]})
    >>> gn.io.read_metadata(path)
    {'mean': [0.5, 2]}
    >>> gn.save(model, path)                      # no metadata given
    >>> print(gn.io.read_metadata(path))
    None
    """
    path = Path(path)
    infos, meta = _files.read_safetensors_header(path, "model file")
    layers, dtype, user = _parse(path, meta)
    _check_tensors(path, layers, dtype, infos)
    return user


def load(path: str | os.PathLike[str]) -> Sequential:
    """Rebuild the Sequential stored by ``save``, with its weights and dtype.

    Everything is checked before anything is allocated: the file must be a regular
    file, its header's sizes must match the bytes present, the architecture's fields
    must have exactly the right keys and types, and the tensors exactly the names,
    shapes and dtype the architecture implies. Weights must be finite. Nothing is
    ever cast or defaulted.

    Raises:
        FileNotFoundError: no such file.
        ValueError: naming the file and the field: not a regular file; not a glassnet
            safetensors file (a PyTorch .pt, a zip, another program's file); a newer or
            invalid format version; a missing, unknown or mistyped field (``n_in``
            "2" or 2.7, ``bias`` "false"); an unknown layer; tensors missing, extra,
            of the wrong shape or of a dtype other than the model's; NaN/inf weights.

    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(3, 2, rng=0), gn.Tanh()])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> gn.save(model, path)
    >>> again = gn.load(path)
    >>> again, again.dtype, bool(np.array_equal(again.layers[0].W, model.layers[0].W))
    (Sequential([Dense(3 → 2), Tanh()]), dtype('float32'), True)
    """
    path = Path(path)
    parsed: list[tuple[list[dict[str, Any]], str]] = []

    parsed_meta: list[dict[str, str]] = []

    def check(infos: dict[str, _files.TensorInfo], meta: dict[str, str]) -> None:
        layers, dtype, _ = _parse(path, meta)
        _check_tensors(path, layers, dtype, infos)
        _parse_input_shape(path, meta)
        parsed.append((layers, dtype))
        parsed_meta.append(meta)

    tensors, _ = _files.read_safetensors(
        path, "model file", dtypes={*_FLOAT_DTYPES.values(), "I64"}, check=check
    )
    (layers_spec, dtype_name) = parsed[0]
    for name, value in tensors.items():
        if not np.isfinite(value).all():
            raise ValueError(
                f"{path}: tensor {name!r} holds NaN or inf; a saved model's weights "
                "are finite, so the file is corrupt."
            )
    dtype = np.dtype(dtype_name)
    layers = [_build(spec, dtype, tensors, i) for i, spec in enumerate(layers_spec)]
    # a layer that implies its input (any T for a recurrent one) before the header's
    input_shape = (
        _start_more(layers_spec[0])
        or _start_frozen(layers_spec[0])
        or _parse_input_shape(path, parsed_meta[0])
    )
    try:
        return Sequential(layers, input_shape=input_shape)
    except ValueError as exc:
        raise ValueError(f"{path}: inconsistent architecture: {exc}") from None


def export_onnx(
    model: Sequential, path: str | os.PathLike[str], dtype: DTypeLike = np.float32
) -> None:
    """Write ``model`` to ``path`` as an ONNX file: ``glassnet.onnx.export_onnx``.

    Here beside ``save`` so that every way of writing a model is in ``gn.io``; the
    ``onnx`` package (an optional extra) is imported only when this is called.

    Args:
        model: the Sequential to export (Dense and activation layers).
        path: the file to write (".onnx" by convention), written atomically.
        dtype: float32 (default) or float64, for the weights, input and output.

    Raises:
        ImportError: the onnx extra is not installed (with the command to install it).
        TypeError: a layer type ONNX export does not know (named), or a bad dtype.

    >>> import importlib.util, pathlib, tempfile
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.onnx"
    >>> if importlib.util.find_spec("onnx"):    # the optional extra, glassnet[onnx]
    ...     gn.io.export_onnx(model, path)
    ...     import onnx
    ...     ops = [node.op_type for node in onnx.load(path).graph.node]
    ...     assert ops == ["Gemm", "Sigmoid"], ops
    """
    try:
        from glassnet.onnx import export_onnx as export
    except ModuleNotFoundError as error:
        if error.name != "onnx":
            raise
        raise ImportError(
            "gn.io.export_onnx needs the onnx package, which is not installed; "
            'install it with pip install "glassnet[onnx]".'
        ) from None
    export(model, path, dtype)
