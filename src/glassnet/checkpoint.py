"""Checkpoints: everything a ``fit`` needs to go on exactly where it stopped.

A checkpoint is one safetensors file (never a pickle), written atomically, holding

- the model's parameters (``param/<name>``), the optimizer's state
  (``opt/<name>/<slot>``) and the parameters at the start of the current epoch
  (``epoch_start/<name>``, what a divergence restores);
- the current epoch's order of the samples (``order``);
- as JSON metadata: the step and epoch reached, the state of the random generator,
  the epoch's running sums, the history so far, the optimizer's class and step count,
  and the shape of the data and batch size the run was started with.

Resuming from it replays the remaining steps with the same batches, the same random
numbers and the same optimizer state, so the final weights are bit-identical to those
of a run that was never interrupted.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet._files import atomic_write_bytes, read_safetensors

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["FitState", "load_checkpoint", "save_checkpoint"]

FORMAT = "glassnet-checkpoint"
VERSION = 1

Array = NDArray[Any]


@dataclass
class FitState:
    """Where a fit stands, between two optimizer steps.

    Attributes:
        epoch: the current epoch (1-based).
        batch: batches of this epoch already done.
        step: optimizer steps done in the whole run.
        rng_state: ``Generator.bit_generator.state`` after drawing this epoch's order.
        loss_sum: Σ batch loss × batch size over this epoch's done batches.
        correct: Σ accuracy × batch size over the same (classification).
        classify: whether every batch so far had an accuracy.
        history: per-epoch lists, as ``History.history``.
        step_loss: the loss of every step so far.
        config: m, n_in, batch_size, epochs, shuffle — checked on resume.
        finished: the run completed all its epochs.
        order: this epoch's sample order (None when batches are taken in place).
        epoch_start: parameters at the start of this epoch.
    """

    epoch: int
    batch: int
    step: int
    rng_state: dict[str, Any]
    loss_sum: float
    correct: float
    classify: bool
    history: dict[str, list[float]]
    step_loss: list[float]
    config: dict[str, Any]
    finished: bool = False
    order: Array | None = field(default=None, repr=False)
    epoch_start: list[Array] = field(default_factory=list, repr=False)


def _optimizer_info(optimizer: Any) -> dict[str, Any]:
    return {"class": type(optimizer).__name__, "t": int(getattr(optimizer, "t", 0))}


def save_checkpoint(
    path: str | os.PathLike[str], model: Sequential, optimizer: Any, state: FitState
) -> None:
    """Write ``model``, ``optimizer`` and ``state`` to ``path`` atomically."""
    from safetensors.numpy import save

    tensors: dict[str, Array] = {}
    for (name, W, _), W0 in zip(model.parameters(), state.epoch_start, strict=True):
        tensors[f"param/{name}"] = np.ascontiguousarray(W)
        tensors[f"epoch_start/{name}"] = np.ascontiguousarray(W0)
    for name, slots in optimizer.state_views().items():
        for slot, value in slots.items():
            tensors[f"opt/{name}/{slot}"] = np.ascontiguousarray(value)
    if state.order is not None:
        tensors["order"] = np.ascontiguousarray(state.order, dtype=np.int64)
    info = {
        "format": FORMAT,
        "version": VERSION,
        "optimizer": _optimizer_info(optimizer),
        "state": {
            k: v for k, v in asdict(state).items() if k not in ("order", "epoch_start")
        },
    }
    atomic_write_bytes(path, save(tensors, metadata={"glassnet": json.dumps(info)}))


def load_checkpoint(
    path: str | os.PathLike[str], model: Sequential, optimizer: Any
) -> FitState:
    """Put the checkpoint's parameters and optimizer state into ``model``/``optimizer``.

    Raises:
        ValueError: the file is not a glassnet checkpoint, comes from a newer version,
            or does not fit the model or the optimizer (names, shapes, class).
    """
    tensors, metadata = read_safetensors(path, "checkpoint")
    try:
        info = json.loads(metadata["glassnet"])
        if info.get("format") != FORMAT:
            raise KeyError("format")
    except (KeyError, json.JSONDecodeError):
        raise ValueError(
            f"{path} is a safetensors file but not a glassnet checkpoint."
        ) from None
    if info.get("version") != VERSION:
        raise ValueError(
            f"{path} is a checkpoint of format version {info.get('version')}; this "
            f"glassnet reads version {VERSION}."
        )
    saved_opt = info["optimizer"]
    if saved_opt["class"] != type(optimizer).__name__:
        raise ValueError(
            f"{path} was written with optimizer {saved_opt['class']}; resuming "
            "needs the "
            f"same optimizer, got {type(optimizer).__name__}."
        )
    params = model.parameters()
    expected = {f"param/{n}" for n, _, _ in params}
    found = {k for k in tensors if k.startswith("param/")}
    if expected != found:
        raise ValueError(
            f"{path} holds parameters {sorted(found)}; "
            f"the model has {sorted(expected)}."
        )
    for name, W, _ in params:
        saved = tensors[f"param/{name}"]
        if saved.shape != W.shape:
            raise ValueError(
                f"{path}: parameter {name} has shape {saved.shape} in the checkpoint "
                f"but {W.shape} in the model."
            )
    for name, W, _ in params:
        W[...] = tensors[f"param/{name}"]
    optimizer.bind(model)
    views = optimizer.state_views()
    for key, value in tensors.items():
        if key.startswith("opt/"):
            name, slot = key[len("opt/") :].rsplit("/", 1)
            views[name][slot][...] = value
    optimizer.t = int(saved_opt["t"])
    raw = info["state"]
    return FitState(
        **raw,
        order=tensors.get("order"),
        epoch_start=[
            tensors[f"epoch_start/{n}"].astype(model.dtype) for n, _, _ in params
        ],
    )
