"""The tensors of a checkpoint: what a save writes, checked against the model on load.

By name: ``param/<name>`` and ``epoch_start/<name>`` (the parameters now and at the
start of the epoch), ``opt/<name>/<slot>`` (the optimizer's state), ``buffer/<layer
index>.<key>`` (the layers' buffers) and ``order`` (the epoch's order of the
samples). Every check runs before ``restore``, the only step that changes the model
and the optimizer, so a refused checkpoint changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from glassnet.checkpoint import FitState
    from glassnet.model import Sequential

Array = NDArray[Any]
Params = list[tuple[str, Array, Array]]  # model.parameters(): (name, W, dW)


def model_buffers(model: Sequential) -> dict[str, Array]:
    """Every layer's buffers by "<layer index>.<key>" (``Layer.buffers``)."""
    return {
        f"{i}.{key}": value
        for i, layer in enumerate(model.layers)
        for key, value in layer.buffers.items()
    }


def checkpoint_tensors(
    model: Sequential, optimizer: Any, state: FitState
) -> dict[str, Array]:
    """The tensors a save writes, each C-contiguous as safetensors needs."""
    tensors: dict[str, Array] = {}
    for (name, W, _), W0 in zip(model.parameters(), state.epoch_start, strict=True):
        tensors[f"param/{name}"] = np.ascontiguousarray(W)
        tensors[f"epoch_start/{name}"] = np.ascontiguousarray(W0)
    for name, slots in optimizer.state_views().items():
        for slot, value in slots.items():
            tensors[f"opt/{name}/{slot}"] = np.ascontiguousarray(value)
    for name, value in model_buffers(model).items():  # np.array keeps shape ()
        tensors[f"buffer/{name}"] = np.array(value, order="C")
    if state.order is not None and state.batch > 0:
        tensors["order"] = np.ascontiguousarray(state.order, dtype=np.int64)
    return tensors


def check_parameters(
    path: Path, tensors: dict[str, Array], params: Params, dtype: Any
) -> None:
    """The parameters, now and at the epoch's start, as the model has them."""
    expected = {f"param/{n}" for n, _, _ in params}
    found = {k for k in tensors if k.startswith("param/")}
    if expected != found:
        raise ValueError(
            f"{path} holds parameters {sorted(found)}; "
            f"the model has {sorted(expected)}."
        )
    for name, W, _ in params:
        for kind in ("param", "epoch_start"):
            saved = tensors.get(f"{kind}/{name}")
            if saved is None:
                raise ValueError(
                    f"{path}: corrupt checkpoint: tensor {kind}/{name} is missing."
                )
            if saved.shape != W.shape:
                raise ValueError(
                    f"{path}: parameter {name} has shape {saved.shape} in the "
                    f"checkpoint ({kind}/{name}) but {W.shape} in the model."
                )
            if saved.dtype != dtype:
                raise ValueError(
                    f"{path}: tensor {kind}/{name} is {saved.dtype}; the model is "
                    f"{dtype}. Convert the model (model.astype), not the file."
                )
            if not np.isfinite(saved).all():
                raise ValueError(
                    f"{path}: corrupt checkpoint: tensor {kind}/{name} holds NaN "
                    "or inf."
                )


def check_optimizer_state(
    path: Path, tensors: dict[str, Array], params: Params, optimizer: Any, dtype: Any
) -> dict[str, dict[str, Array]]:
    """The opt/<name>/<slot> tensors as an optimizer state, each checked."""
    shapes = {n: W.shape for n, W, _ in params}
    slots = getattr(type(optimizer), "slots", None)
    state: dict[str, dict[str, Array]] = {}
    for key, value in tensors.items():
        if not key.startswith("opt/"):
            continue
        name, _, slot = key[len("opt/") :].rpartition("/")
        if name not in shapes or (slots is not None and slot not in slots):
            raise ValueError(
                f"{path}: corrupt checkpoint: tensor {key} is not a state of "
                f"{type(optimizer).__name__} for this model (slots "
                f"{list(slots) if slots is not None else '?'} of parameters "
                f"{list(shapes)})."
            )
        if value.shape != shapes[name] or value.dtype != dtype:
            raise ValueError(
                f"{path}: corrupt checkpoint: tensor {key} is {value.dtype} of "
                f"shape {value.shape}; expected {dtype} of shape {shapes[name]}."
            )
        if not np.isfinite(value).all():
            raise ValueError(
                f"{path}: corrupt checkpoint: tensor {key} holds NaN or inf."
            )
        state.setdefault(name, {})[slot] = value
    if slots is not None and state:  # a built-in optimizer keeps every slot
        missing = [
            f"opt/{n}/{s}" for n in shapes for s in slots if s not in state.get(n, {})
        ]
        if missing:
            raise ValueError(
                f"{path}: corrupt checkpoint: tensors {missing[:5]} are missing."
            )
    return state


def check_order(
    path: Path, tensors: dict[str, Array], raw: dict[str, Any], settings: dict[str, Any]
) -> Array | None:
    """The epoch's order: present exactly when a shuffled epoch is under way."""
    m, b = settings["samples"], settings["batch_size"]
    needed = raw["batch"] > 0 and settings["shuffle"] and b < m
    order = tensors.get("order")
    if order is None:
        if needed:
            raise ValueError(
                f"{path}: corrupt checkpoint: tensor order is missing (epoch "
                f"{raw['epoch']} is under way, with shuffling)."
            )
        return None
    if not needed:
        raise ValueError(
            f"{path}: corrupt checkpoint: tensor order is present, but no shuffled "
            "epoch is under way."
        )
    if order.dtype != np.int64 or order.shape != (m,):
        raise ValueError(
            f"{path}: corrupt checkpoint: tensor order is {order.dtype} of shape "
            f"{order.shape}; expected int64 of shape ({m},)."
        )
    if (
        order.min() < 0
        or order.max() >= m
        or not (np.bincount(order, minlength=m) == 1).all()
    ):
        raise ValueError(
            f"{path}: corrupt checkpoint: tensor order is not a permutation of "
            f"0 … {m - 1}."
        )
    return order


def check_buffers(
    path: Path, tensors: dict[str, Array], buffers: dict[str, Array]
) -> None:
    """Every layer buffer present, with the model's shape and dtype."""
    for name, value in buffers.items():
        saved = tensors.get(f"buffer/{name}")
        if saved is None:
            raise ValueError(
                f"{path}: the model's buffer {name} (a layer's saved state, "
                "e.g. BatchNorm's running statistics) is not in the checkpoint."
            )
        if saved.shape != value.shape or saved.dtype != value.dtype:
            raise ValueError(
                f"{path}: buffer {name} is {saved.dtype} of shape "
                f"{saved.shape} in the checkpoint but {value.dtype} of shape "
                f"{value.shape} in the model."
            )


def check_nothing_unknown(
    path: Path,
    tensors: dict[str, Array],
    params: Params,
    opt_state: dict[str, dict[str, Array]],
    buffers: dict[str, Array],
) -> None:
    """No tensor beyond those the model, its optimizer and the epoch's order need."""
    known = {f"{kind}/{n}" for n, _, _ in params for kind in ("param", "epoch_start")}
    known |= {f"opt/{n}/{s}" for n, slots in opt_state.items() for s in slots}
    known |= {f"buffer/{n}" for n in buffers}
    unknown = sorted(set(tensors) - known - {"order"})
    if unknown:
        raise ValueError(
            f"{path}: corrupt checkpoint: unknown tensors {unknown[:5]}; a "
            "glassnet checkpoint holds param/, epoch_start/, opt/, buffer/ and "
            "order only."
        )


def restore(
    model: Sequential,
    optimizer: Any,
    tensors: dict[str, Array],
    params: Params,
    buffers: dict[str, Array],
    opt_state: dict[str, dict[str, Array]],
) -> None:
    """Copy the checked tensors into the model's and the optimizer's own arrays."""
    for name, W, _ in params:
        W[...] = tensors[f"param/{name}"]
    for name, value in buffers.items():
        value[...] = tensors[f"buffer/{name}"]
    optimizer.bind(model)
    views = optimizer.state_views()
    for name, slots in opt_state.items():
        for slot, value in slots.items():
            views[name][slot][...] = value
