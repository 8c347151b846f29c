"""Checkpoints: everything a ``fit`` needs to go on exactly where it stopped.

A checkpoint is two files, neither ever a pickle:

- ``<path>``, one safetensors file rewritten atomically at every save: the model's
  parameters (``param/<name>``), the optimizer's state (``opt/<name>/<slot>``), the
  parameters at the start of the current epoch (``epoch_start/<name>``, what a
  divergence restores), the layers' buffers (``buffer/<layer>.<key>``: BatchNorm's
  running statistics, which are state but not parameters), the epoch's order of the
  samples (``order``), and a JSON
  header of bounded size: progress (epoch, batch, step), the random state (of the
  order, and of each layer's own generator: Dropout's masks), the
  epoch's running sums, the optimizer's class and step count, and the *settings* of
  the run (see ``run_settings``);
- ``<path>.history``, the run's records as float64, append-only: for every finished
  epoch its step losses then its per-epoch values (loss, accuracy, val_loss, ...),
  then the step losses of the current epoch. The header records how many values are
  valid and their CRC-32.

Why a second file: the records grow with the run, and a file rewritten whole at every
save would make each save cost O(steps) (``checkpoint_every=1`` quadratic). A save
appends only the values new since the last save, so its cost is O(parameters +
steps since the last save), whatever the number of steps taken. A crash during an
append leaves values past the recorded count, which the next save overwrites; a
history file that is missing, short or from another run fails its count or CRC and
the resume is refused. Copy both files together.

Resuming replays the remaining steps with the same batches, the same random numbers
and the same optimizer state, so the final weights are bit-identical to those of a
run that was never interrupted. ``Checkpoint.load`` reads and checks everything —
format, version, every field's type and range, optimizer class, names, shapes and
dtypes of every tensor, the settings, the history file — before it changes anything:
a refused resume leaves the model and the optimizer as they were.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

# FORMAT, VERSION and Scalar were defined here once: still importable from here
from glassnet._checkpoint_header import FORMAT as FORMAT
from glassnet._checkpoint_header import VERSION as VERSION
from glassnet._checkpoint_header import header_json, parse_header
from glassnet._checkpoint_history import (
    HISTORY_SUFFIX,
    append_history,
    history_values,
    read_history,
    split_history,
)
from glassnet._checkpoint_tensors import (
    check_buffers,
    check_nothing_unknown,
    check_optimizer_state,
    check_order,
    check_parameters,
    checkpoint_tensors,
    model_buffers,
    restore,
)
from glassnet._files import atomic_write_bytes, read_safetensors, safetensors_bytes
from glassnet.fit_settings import Scalar as Scalar
from glassnet.fit_settings import (
    differences,
    fingerprint,
    hyper_parameters,
    run_settings,
    steps_per_epoch,
)

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "Checkpoint",
    "FitState",
    "check_writable",
    "fingerprint",
    "load_checkpoint",
    "run_settings",
]

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
        finished: the run completed all its epochs.
        order: this epoch's sample order (None when batches are taken in place).
        epoch_start: parameters at the start of this epoch.
        layer_rng_states: the state of each layer's own generator (``Dropout.rng``),
            by the layer's position in ``model.layers``.

    A checkpoint saved at the end of a 2-epoch fit, read back:

    >>> import os, tempfile
    >>> import numpy as np
    >>> import glassnet as gn
    >>> path = os.path.join(tempfile.mkdtemp(), "run.ckpt")
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.array([[1.0], [2.0]])
    >>> _ = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
    ...               verbose=0, checkpoint=path)
    >>> state = load_checkpoint(path, model, gn.SGD(0.1))
    >>> state.epoch, state.batch, state.step, state.finished, state.history
    (3, 0, 2, True, {'loss': [11.25, 6.328125]})
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
    finished: bool = False
    order: Array | None = field(default=None, repr=False)
    epoch_start: list[Array] = field(default_factory=list, repr=False)
    layer_rng_states: dict[str, dict[str, Any]] = field(default_factory=dict)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise a ValueError unless a checkpoint can be written at ``path``.

    Called before the first step, so that a typo in the folder fails at once rather
    than after hours of training. Writing (and removing) a probe file is the only
    test that tells the truth for every file system and user (root included).

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_writable(os.path.join(folder, "run.ckpt"))  # writable: returns None
    >>> check_writable(os.path.join(folder, "typo", "run.ckpt"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: checkpoint ...run.ckpt: folder ...typo does not exist. Create it ...
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise ValueError(
            f"checkpoint {path}: folder {folder} {what}. Create it first, or choose "
            "a path in an existing folder."
        )
    if path.is_dir():
        raise ValueError(f"checkpoint {path} is a folder; give a file name in it.")
    try:
        fd, probe = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".probe", dir=folder
        )
    except OSError as err:
        raise ValueError(
            f"checkpoint {path}: folder {folder} is not writable ({err.strerror}). "
            "Choose a folder you can write to."
        ) from None
    os.close(fd)
    os.unlink(probe)


class Checkpoint:
    """A checkpoint file and its history file, as one fit writes and reads them.

    Args:
        path: the checkpoint file; the history goes to ``path`` + ".history".
        settings: this fit's ``run_settings``; needed to save, and, given to ``load``,
            compared with the checkpoint's.

    >>> ckpt = Checkpoint("run.ckpt")
    >>> ckpt.history_path.name
    'run.ckpt.history'
    """

    def __init__(
        self, path: str | os.PathLike[str], settings: dict[str, Any] | None = None
    ) -> None:
        self.path = Path(path)
        self.history_path = Path(f"{self.path}{HISTORY_SUFFIX}")
        self.settings = settings
        # What the history file holds that the last save (or the load) vouched for
        self._values = 0
        self._crc = 0

    # -- loading --
    def load(
        self, model: Sequential, optimizer: Any, epochs: int | None = None
    ) -> FitState:
        """Check the checkpoint in full, then put it into ``model`` and ``optimizer``.

        Args:
            model: receives the parameters (written into its arrays in place).
            optimizer: receives its state and step count.
            epochs: the epochs the resumed fit asks for: it may not be fewer than the
                checkpoint has started.

        Returns:
            The FitState to go on from.

        Raises:
            ValueError: naming the file and the field, when the file is not a glassnet
                checkpoint of this version, was altered (a field of the wrong type or
                out of range, a tensor missing, unknown, of another shape or dtype),
                its history file is missing or does not match, or it was made under
                other settings (``run_settings``) or with another optimizer. Nothing is
                changed then.
        """
        path = self.path
        tensors, metadata = read_safetensors(path, "checkpoint")
        info = parse_header(path, metadata)
        saved_opt, settings, raw = info["optimizer"], info["settings"], info["state"]
        if saved_opt["class"] != type(optimizer).__name__:
            raise ValueError(
                f"{path} was written with optimizer {saved_opt['class']}; resuming "
                f"needs the same optimizer, got {type(optimizer).__name__}."
            )
        params = model.parameters()
        optimizer.check_model(model)
        check_parameters(path, tensors, params, model.dtype)
        self._check_run(settings, raw, epochs)
        opt_state = check_optimizer_state(path, tensors, params, optimizer, model.dtype)
        order = check_order(path, tensors, raw, settings)
        buffers = model_buffers(model)
        check_buffers(path, tensors, buffers)
        check_nothing_unknown(path, tensors, params, opt_state, buffers)
        n_values, crc = raw["history_values"], raw["history_crc32"]
        values = self._read_history(n_values, crc)
        per_epoch = steps_per_epoch(settings["samples"], settings["batch_size"])
        history, step_loss = split_history(
            values, raw["history_keys"], per_epoch, raw["epoch"] - 1, raw["batch"]
        )

        # Everything is checked: from here on nothing can fail.
        restore(model, optimizer, tensors, params, buffers, opt_state)
        optimizer.t = saved_opt["t"]
        self._values, self._crc = n_values, crc
        return FitState(
            epoch=raw["epoch"],
            batch=raw["batch"],
            step=raw["step"],
            rng_state=raw["rng_state"],
            loss_sum=float(raw["loss_sum"]),
            correct=float(raw["correct"]),
            classify=raw["classify"],
            history=history,
            step_loss=step_loss,
            finished=raw["finished"],
            order=order,
            epoch_start=[tensors[f"epoch_start/{n}"] for n, _, _ in params],
            layer_rng_states=raw.get("layer_rng_states", {}),
        )

    def _check_run(
        self, settings: dict[str, Any], raw: dict[str, Any], epochs: int | None
    ) -> None:
        """The fit that resumes has this checkpoint's settings, and enough epochs."""
        if self.settings is not None:
            diffs = differences(settings, self.settings)
            if diffs:
                raise ValueError(
                    f"{self.path} was made under other settings: {'; '.join(diffs)}. "
                    "Resume with the settings of that run, or train afresh (without "
                    "resume, or with another checkpoint file)."
                )
        if epochs is not None:
            started = raw["epoch"] - (raw["batch"] == 0)
            if epochs < started:
                raise ValueError(
                    f"{self.path} has started epoch {started}; a resumed fit must ask "
                    f"for at least {started} epochs, got {epochs}."
                )

    def _read_history(self, n_values: int, crc: int) -> Array:
        """The first ``n_values`` float64 of the history file, checked by their CRC."""
        return read_history(self.history_path, self.path, n_values, crc)

    # -- saving --
    def save(self, model: Sequential, optimizer: Any, state: FitState) -> None:
        """Write the checkpoint: append the new records, then the file, atomically.

        The history file is written and flushed to disk before the checkpoint that
        counts its values replaces the old one, so that every checkpoint on disk
        finds all its values.
        """
        if self.settings is None:
            raise ValueError("Checkpoint.save needs the run's settings (run_settings).")
        per_epoch = steps_per_epoch(
            self.settings["samples"], self.settings["batch_size"]
        )
        keys = list(state.history)
        done = state.epoch - 1
        if len(state.step_loss) != done * per_epoch + state.batch or any(
            len(v) != done for v in state.history.values()
        ):
            raise ValueError(
                f"Checkpoint.save: a state at epoch {state.epoch}, batch {state.batch} "
                f"needs {done * per_epoch + state.batch} step losses and {done} values "
                f"per history key; got {len(state.step_loss)} and "
                f"{ {k: len(v) for k, v in state.history.items()} }."
            )
        total = done * (per_epoch + len(keys)) + state.batch
        new = history_values(state, keys, per_epoch, self._values, total)
        self._append_history(new)
        crc = zlib.crc32(new, self._crc)

        tensors = checkpoint_tensors(model, optimizer, state)
        # the optimizer's hyper-parameters as they are now: a schedule changes lr
        settings = {**self.settings, **hyper_parameters(optimizer, "optimizer")}
        header = header_json(optimizer, settings, state, keys, total, crc)
        atomic_write_bytes(self.path, safetensors_bytes(tensors, {"glassnet": header}))
        self._values, self._crc = total, crc

    def _append_history(self, new: bytes) -> None:
        """Write ``new`` after the values already vouched for; drop anything beyond."""
        append_history(self.history_path, self._values, new)


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Sequential,
    optimizer: Any,
    settings: dict[str, Any] | None = None,
) -> FitState:
    """Put the checkpoint's parameters and optimizer state into ``model``/``optimizer``.

    Checks everything first (see ``Checkpoint.load``); with ``settings``
    (``run_settings`` of the fit that resumes), a checkpoint made under other settings
    is refused too.

    Raises:
        ValueError: the file is not a glassnet checkpoint of this version, was altered,
            or does not fit the model, the optimizer or the settings; nothing changed.

    >>> import os, tempfile
    >>> import numpy as np
    >>> import glassnet as gn
    >>> path = os.path.join(tempfile.mkdtemp(), "run.ckpt")
    >>> X = np.array([[1.0], [2.0]])
    >>> _ = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)]).fit(
    ...     X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2, verbose=0,
    ...     checkpoint=path)
    >>> fresh = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> state = load_checkpoint(path, fresh, gn.SGD(0.1))
    >>> fresh.layers[0].W.tolist(), state.step  # the trained weight, after 2 steps
    ([[1.3125]], 2)
    >>> load_checkpoint(path, fresh, gn.Adam(0.1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...run.ckpt was written with optimizer SGD; resuming needs the same ...
    """
    return Checkpoint(path, settings).load(model, optimizer)
