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

import json
import math
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet._files import atomic_write_bytes, read_safetensors

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

FORMAT = "glassnet-checkpoint"
VERSION = 2
HISTORY_SUFFIX = ".history"

# Bounds on what a checkpoint header may declare: far above any real run, they keep a
# tampered file from making the loader allocate or loop without end.
_MAX_HEADER_JSON = 2**20
_MAX_COUNT = 2**53  # steps, epochs, samples: exact in a float64
_MAX_KEYS = 64  # history keys; settings entries get _MAX_SETTINGS
_MAX_LAYERS = 4096  # layers with their own generator (Dropout)
_MAX_SETTINGS = 512
_MAX_TEXT = 4096

Array = NDArray[Any]
Scalar = None | bool | int | float | str


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


# ---- the settings of a run ---------------------------------------------------------
def fingerprint(A: ArrayLike) -> str:
    """A cheap identity of an array: dtype, shape and the CRC-32 of its bytes.

    Read a block of rows at a time, so no copy of the data's size is made: MNIST's
    training images (60 000 × 784 float32, 188 MB) take about 0.1 s, against seconds
    for one epoch of training. A CRC detects any accidental change (other data, other
    scaling, a row more or less), not a deliberate forgery.

    >>> fingerprint(np.zeros((2, 3), dtype=np.float32))
    'float32 2×3 crc32 a3c1ca20'
    """
    A = np.asarray(A)
    crc = 0
    if A.flags.c_contiguous:  # the bytes as they lie in memory, no copy
        crc = zlib.crc32(A.reshape(-1).view(np.uint8).data)
    else:
        rows = max(1, 2**22 // max(1, A[:1].nbytes))
        for start in range(0, A.shape[0], rows):
            block = np.ascontiguousarray(A[start : start + rows])
            crc = zlib.crc32(block.data, crc)
    shape = "×".join(map(str, A.shape)) or "scalar"
    return f"{A.dtype} {shape} crc32 {crc:08x}"


def _hyper_parameters(obj: Any, what: str) -> dict[str, Scalar]:
    """``what`` → class name, and ``what <attr>`` → every public number/text attribute.

    For an optimizer these are lr, weight_decay, beta, beta1, beta2, eps, rho (not the
    step count ``t``, which is progress); for a loss, whatever parameters it has.
    """
    out: dict[str, Scalar] = {what: type(obj).__name__}
    for key, value in sorted(vars(obj).items()):
        if key.startswith("_") or key == "t":
            continue
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = repr(value)  # JSON has no inf: kept comparable as text
        if isinstance(value, (bool, int, float, str)):
            out[f"{what} {key}"] = value
    return out


def _seed_setting(seed: Any) -> Scalar:
    """An int seed as itself, None (fresh entropy) as None, else its generator state."""
    if seed is None or (
        isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
    ):
        return None if seed is None else int(seed)
    state = np.random.default_rng(seed).bit_generator.state
    return f"generator state crc32 {zlib.crc32(repr(state).encode()):08x}"


def run_settings(
    model: Sequential,
    X: Array,
    Y: Array,
    *,
    loss: Any,
    optimizer: Any,
    batch_size: int,
    shuffle: bool,
    seed: Any,
    clip_norm: float | None,
    validation: tuple[Array, Array] | None = None,
) -> dict[str, Any]:
    """What a resumed fit must share with the run that wrote the checkpoint.

    The data (``fingerprint`` of X and Y as fit uses them, and of the validation data),
    the number of samples and the batch size, shuffling, the seed, gradient clipping,
    the architecture (each layer's repr, e.g. ``Dense(3 → 8)``), the loss and the
    optimizer (class and every hyper-parameter, e.g. ``optimizer lr``). Each save
    records the optimizer's hyper-parameters as they are at that moment, so a
    learning rate changed by a schedule must be set again before resuming (the CLI
    replays its ``--lr-decay``); otherwise the resume is refused, as it could not be
    bit-identical.

    ``epochs`` is not a setting: a resumed fit may ask for more epochs than the first
    run did (training goes on), never fewer than it has started (see
    ``Checkpoint.load``).
    """
    settings: dict[str, Any] = {
        "data X": fingerprint(X),
        "data Y": fingerprint(Y),
        "validation data": (
            None
            if validation is None
            else f"{fingerprint(validation[0])}; {fingerprint(validation[1])}"
        ),
        "samples": int(X.shape[0]),
        "batch_size": int(batch_size),
        "shuffle": bool(shuffle),
        "seed": _seed_setting(seed),
        "clip_norm": None if clip_norm is None else float(clip_norm),
        "architecture": [repr(layer) for layer in model.layers],
    }
    settings.update(_hyper_parameters(loss, "loss"))
    settings.update(_hyper_parameters(optimizer, "optimizer"))
    return settings


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise a ValueError unless a checkpoint can be written at ``path``.

    Called before the first step, so that a typo in the folder fails at once rather
    than after hours of training. Writing (and removing) a probe file is the only
    test that tells the truth for every file system and user (root included).
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


# ---- reading a header without trusting it -----------------------------------------
class _Reader:
    """Typed access to the JSON header; every failure names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str, got: Any) -> ValueError:
        shown = repr(got)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return ValueError(
            f"{self.path}: corrupt checkpoint: field {where} must be {expected}; got "
            f"{shown}. The file was altered or damaged; resume from an intact copy or "
            "train afresh."
        )

    def obj(
        self, value: Any, where: str, keys: set[str] | None = None
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        if keys is not None and set(value) != keys:
            missing, extra = sorted(keys - set(value)), sorted(set(value) - keys)
            parts = ([f"missing {missing}"] if missing else []) + (
                [f"unknown {extra}"] if extra else []
            )
            raise self.fail(
                where, f"an object with keys {sorted(keys)}", ", ".join(parts)
            )
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not low <= value <= high
        ):
            raise self.fail(where, f"an integer in [{low}, {high}]", value)
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, "a finite number", value)
        if not math.isfinite(value):
            raise self.fail(where, "a finite number", value)
        return float(value)

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "true or false", value)
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise self.fail(where, f"a string of at most {_MAX_TEXT} characters", value)
        return value


def _parse_header(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """The checkpoint's JSON header, checked for format, version and field types."""
    r = _Reader(path)
    raw = metadata.get("glassnet")
    if raw is None or len(raw) > _MAX_HEADER_JSON:
        raise ValueError(f"{path} is a safetensors file but not a glassnet checkpoint.")
    try:
        info = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError, a 5000-digit number
        raise ValueError(
            f"{path}: corrupt checkpoint: its header is not valid JSON (or nested "
            "too deeply)."
        ) from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ValueError(f"{path} is a safetensors file but not a glassnet checkpoint.")
    if info.get("version") != VERSION or isinstance(info.get("version"), bool):
        raise ValueError(
            f"{path} is a checkpoint of format version {info.get('version')!r}; this "
            f"glassnet reads version {VERSION}. Train afresh (without resume)."
        )
    r.obj(info, "(top level)", {"format", "version", "optimizer", "settings", "state"})
    opt = r.obj(info["optimizer"], "optimizer", {"class", "t"})
    r.text(opt["class"], "optimizer.class")
    r.integer(opt["t"], "optimizer.t", 0, _MAX_COUNT)

    settings = r.obj(info["settings"], "settings")
    if len(settings) > _MAX_SETTINGS:
        raise r.fail("settings", f"at most {_MAX_SETTINGS} entries", len(settings))
    for key, value in settings.items():
        r.text(key, "settings (a key)")
        if isinstance(value, list):
            if len(value) > _MAX_SETTINGS:
                raise r.fail(f"settings[{key!r}]", "a short list", len(value))
            for i, item in enumerate(value):
                r.text(item, f"settings[{key!r}][{i}]")
        elif isinstance(value, float) and not math.isfinite(value):
            raise r.fail(f"settings[{key!r}]", "a finite number", value)
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            raise r.fail(f"settings[{key!r}]", "a number, a string or null", value)
        elif isinstance(value, str):
            r.text(value, f"settings[{key!r}]")
    for key in ("samples", "batch_size"):
        r.integer(settings.get(key), f"settings[{key!r}]", 1, _MAX_COUNT)
    r.flag(settings.get("shuffle"), "settings['shuffle']")
    if settings["batch_size"] > settings["samples"]:
        raise r.fail(
            "settings['batch_size']",
            f"at most samples ({settings['samples']})",
            settings["batch_size"],
        )

    state = info["state"]
    # layer_rng_states came with Dropout; a checkpoint written before has none
    layer_rngs = state.get("layer_rng_states", {}) if isinstance(state, dict) else {}
    if isinstance(state, dict):
        state = {k: v for k, v in state.items() if k != "layer_rng_states"}
    state = r.obj(
        state,
        "state",
        {
            "epoch", "batch", "step", "rng_state", "loss_sum", "correct", "classify",
            "history_keys", "history_values", "history_crc32", "finished",
        },
    )  # fmt: skip
    m, b = settings["samples"], settings["batch_size"]
    per_epoch = -(-m // b)
    epoch = r.integer(state["epoch"], "state.epoch", 1, _MAX_COUNT // per_epoch)
    batch = r.integer(state["batch"], "state.batch", 0, per_epoch)
    step = r.integer(state["step"], "state.step", 0, _MAX_COUNT)
    if step != (epoch - 1) * per_epoch + batch:
        raise r.fail(
            "state.step",
            f"(epoch − 1) × {per_epoch} steps per epoch + batch = "
            f"{(epoch - 1) * per_epoch + batch}",
            step,
        )
    r.number(state["loss_sum"], "state.loss_sum")
    correct = r.number(state["correct"], "state.correct")
    if not 0 <= correct <= m:
        raise r.fail("state.correct", f"a count in [0, {m}]", correct)
    r.flag(state["classify"], "state.classify")
    r.flag(state["finished"], "state.finished")
    keys = state["history_keys"]
    if (
        not isinstance(keys, list)
        or len(keys) > _MAX_KEYS
        or len(set(map(str, keys))) != len(keys)
    ):
        raise r.fail("state.history_keys", f"a list of at most {_MAX_KEYS} names", keys)
    for i, key in enumerate(keys):
        r.text(key, f"state.history_keys[{i}]")
    if (epoch == 1 and keys) or (epoch > 1 and "loss" not in keys):
        raise r.fail(
            "state.history_keys",
            "names including 'loss' once an epoch is done, and none before",
            keys,
        )
    expected = (epoch - 1) * (per_epoch + len(keys)) + batch
    r.integer(state["history_values"], "state.history_values", expected, expected)
    r.integer(state["history_crc32"], "state.history_crc32", 0, 2**32 - 1)
    _pcg64_state(r, state["rng_state"], "state.rng_state")
    layer_rngs = r.obj(layer_rngs, "state.layer_rng_states")
    if len(layer_rngs) > _MAX_LAYERS:
        raise r.fail("state.layer_rng_states", f"at most {_MAX_LAYERS} layers", "more")
    for key, value in layer_rngs.items():
        if not (key.isdecimal() and len(key) <= 6):
            raise r.fail("state.layer_rng_states", "layer positions as keys", key)
        _pcg64_state(r, value, f"state.layer_rng_states[{key!r}]")
    return info


def _pcg64_state(r: Any, value: Any, where: str) -> None:
    """Refuse anything but the state of a PCG64 generator (NumPy's default)."""
    state = r.obj(value, where)
    if state.get("bit_generator") != "PCG64":
        raise r.fail(where, "the state of a PCG64 generator", state)
    try:  # the generator checks its own state; a throwaway one takes it
        np.random.default_rng().bit_generator.state = state
    except (ValueError, TypeError, KeyError, OverflowError):
        raise r.fail(where, "the state of a PCG64 generator", state) from None


def _differences(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """'name was A, is B' for every setting that differs, in the order of ``now``."""
    out = []
    for key in [*now, *(k for k in saved if k not in now)]:
        a, b = saved.get(key), now.get(key)
        if a != b or (type(a) is bool) != (type(b) is bool):
            out.append(f"{key} was {a!r}, is {b!r}")
    return out


# ---- the checkpoint ----------------------------------------------------------------
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
        info = _parse_header(path, metadata)
        saved_opt, settings, raw = info["optimizer"], info["settings"], info["state"]
        if saved_opt["class"] != type(optimizer).__name__:
            raise ValueError(
                f"{path} was written with optimizer {saved_opt['class']}; resuming "
                f"needs the same optimizer, got {type(optimizer).__name__}."
            )
        params = model.parameters()
        optimizer.check_model(model)
        self._check_parameters(tensors, params, model.dtype)
        if self.settings is not None:
            diffs = _differences(settings, self.settings)
            if diffs:
                raise ValueError(
                    f"{path} was made under other settings: {'; '.join(diffs)}. "
                    "Resume with the settings of that run, or train afresh (without "
                    "resume, or with another checkpoint file)."
                )
        if epochs is not None:
            started = raw["epoch"] - (raw["batch"] == 0)
            if epochs < started:
                raise ValueError(
                    f"{path} has started epoch {started}; a resumed fit must ask for "
                    f"at least {started} epochs, got {epochs}."
                )
        opt_state = self._check_optimizer_state(tensors, params, optimizer, model.dtype)
        order = self._check_order(tensors, raw, settings)
        known = {
            f"{kind}/{n}" for n, _, _ in params for kind in ("param", "epoch_start")
        }
        known |= {f"opt/{n}/{s}" for n, slots in opt_state.items() for s in slots}
        buffers = model_buffers(model)
        self._check_buffers(tensors, buffers)
        known |= {f"buffer/{n}" for n in buffers}
        unknown = sorted(set(tensors) - known - {"order"})
        if unknown:
            raise ValueError(
                f"{path}: corrupt checkpoint: unknown tensors {unknown[:5]}; a "
                "glassnet checkpoint holds param/, epoch_start/, opt/, buffer/ and "
                "order only."
            )
        n_values, crc = raw["history_values"], raw["history_crc32"]
        values = self._read_history(n_values, crc)
        per_epoch = -(-settings["samples"] // settings["batch_size"])
        history, step_loss = _split_history(
            values, raw["history_keys"], per_epoch, raw["epoch"] - 1, raw["batch"]
        )

        # Everything is checked: from here on nothing can fail.
        for name, W, _ in params:
            W[...] = tensors[f"param/{name}"]
        for name, value in buffers.items():
            value[...] = tensors[f"buffer/{name}"]
        optimizer.bind(model)
        views = optimizer.state_views()
        for name, slots in opt_state.items():
            for slot, value in slots.items():
                views[name][slot][...] = value
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

    def _check_buffers(
        self, tensors: dict[str, Array], buffers: dict[str, Array]
    ) -> None:
        """Every layer buffer present, with the model's shape and dtype."""
        for name, value in buffers.items():
            saved = tensors.get(f"buffer/{name}")
            if saved is None:
                raise ValueError(
                    f"{self.path}: the model's buffer {name} (a layer's saved state, "
                    "e.g. BatchNorm's running statistics) is not in the checkpoint."
                )
            if saved.shape != value.shape or saved.dtype != value.dtype:
                raise ValueError(
                    f"{self.path}: buffer {name} is {saved.dtype} of shape "
                    f"{saved.shape} in the checkpoint but {value.dtype} of shape "
                    f"{value.shape} in the model."
                )

    def _check_parameters(
        self,
        tensors: dict[str, Array],
        params: list[tuple[str, Array, Array]],
        dtype: Any,
    ) -> None:
        path = self.path
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

    def _check_optimizer_state(
        self,
        tensors: dict[str, Array],
        params: list[tuple[str, Array, Array]],
        optimizer: Any,
        dtype: Any,
    ) -> dict[str, dict[str, Array]]:
        """The opt/<name>/<slot> tensors as an optimizer state, each checked."""
        path = self.path
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
                f"opt/{n}/{s}"
                for n in shapes
                for s in slots
                if s not in state.get(n, {})
            ]
            if missing:
                raise ValueError(
                    f"{path}: corrupt checkpoint: tensors {missing[:5]} are missing."
                )
        return state

    def _check_order(
        self, tensors: dict[str, Array], raw: dict[str, Any], settings: dict[str, Any]
    ) -> Array | None:
        """The epoch's order: present exactly when a shuffled epoch is under way."""
        path = self.path
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

    def _read_history(self, n_values: int, crc: int) -> Array:
        """The first ``n_values`` float64 of the history file, checked by their CRC."""
        path = self.history_path
        if n_values == 0:
            return np.empty(0)
        if not path.is_file():
            raise ValueError(
                f"{self.path}: its history file {path} is missing (or not a regular "
                "file); it holds the run's losses. Copy it along with the checkpoint."
            )
        size = n_values * 8
        if path.stat().st_size < size:
            raise ValueError(
                f"{self.path}: its history file {path} holds "
                f"{path.stat().st_size} bytes; the checkpoint needs {size}."
            )
        with path.open("rb") as f:
            data = f.read(size)
        if len(data) != size or zlib.crc32(data) != crc:
            raise ValueError(
                f"{self.path}: its history file {path} does not match the checkpoint "
                "(CRC-32 differs): it is damaged or from another run."
            )
        return np.frombuffer(data, dtype="<f8").astype(np.float64)

    # -- saving --
    def save(self, model: Sequential, optimizer: Any, state: FitState) -> None:
        """Write the checkpoint: append the new records, then the file, atomically.

        The history file is written and flushed to disk before the checkpoint that
        counts its values replaces the old one, so that every checkpoint on disk
        finds all its values.
        """
        from safetensors.numpy import save

        if self.settings is None:
            raise ValueError("Checkpoint.save needs the run's settings (run_settings).")
        per_epoch = -(-self.settings["samples"] // self.settings["batch_size"])
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
        new = _history_values(state, keys, per_epoch, self._values, total)
        self._append_history(new)
        crc = zlib.crc32(new, self._crc)

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
        info = {
            "format": FORMAT,
            "version": VERSION,
            "optimizer": {
                "class": type(optimizer).__name__,
                "t": int(getattr(optimizer, "t", 0)),
            },
            # the optimizer's hyper-parameters as they are now: a schedule changes lr
            "settings": {**self.settings, **_hyper_parameters(optimizer, "optimizer")},
            "state": {
                "epoch": state.epoch,
                "batch": state.batch,
                "step": state.step,
                "rng_state": state.rng_state,
                "layer_rng_states": state.layer_rng_states,
                "loss_sum": float(state.loss_sum),
                "correct": float(state.correct),
                "classify": bool(state.classify),
                "history_keys": keys,
                "history_values": total,
                "history_crc32": crc,
                "finished": bool(state.finished),
            },
        }
        atomic_write_bytes(
            self.path, save(tensors, metadata={"glassnet": json.dumps(info)})
        )
        self._values, self._crc = total, crc

    def _append_history(self, new: bytes) -> None:
        """Write ``new`` after the values already vouched for; drop anything beyond."""
        fd = os.open(self.history_path, os.O_RDWR | os.O_CREAT, 0o666)
        with os.fdopen(fd, "r+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() < self._values * 8:
                raise ValueError(
                    f"{self.history_path} shrank during the run ({f.tell()} bytes, "
                    f"{self._values * 8} written); something else writes to it."
                )
            f.seek(self._values * 8)
            f.write(new)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())


def _history_values(
    state: FitState, keys: list[str], per_epoch: int, start: int, stop: int
) -> bytes:
    """Values ``start`` … ``stop`` − 1 of the history file's layout, as float64 bytes.

    Position p is in epoch e = p // (per_epoch + k): its step losses come first, then
    its k per-epoch values in the order of ``keys``.
    """
    per = per_epoch + len(keys)
    out = np.empty(stop - start, dtype="<f8")
    for i, p in enumerate(range(start, stop)):
        e, r = divmod(p, per)
        out[i] = (
            state.step_loss[e * per_epoch + r]
            if r < per_epoch
            else state.history[keys[r - per_epoch]][e]
        )
    return out.tobytes()


def _split_history(
    values: Array, keys: list[str], per_epoch: int, done: int, batch: int
) -> tuple[dict[str, list[float]], list[float]]:
    """The inverse of ``_history_values``: per-epoch lists and the step losses."""
    per = per_epoch + len(keys)
    table = values[: done * per].reshape(done, per)
    step_loss = table[:, :per_epoch].ravel().tolist()
    step_loss += values[done * per : done * per + batch].tolist()
    history = {k: table[:, per_epoch + j].tolist() for j, k in enumerate(keys)}
    return history, step_loss


def model_buffers(model: Sequential) -> dict[str, Array]:
    """Every layer's buffers by "<layer index>.<key>" (``Layer.buffers``)."""
    return {
        f"{i}.{key}": value
        for i, layer in enumerate(model.layers)
        for key, value in layer.buffers.items()
    }


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
    """
    return Checkpoint(path, settings).load(model, optimizer)
