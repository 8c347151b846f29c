"""The settings of a run: what a resumed fit must share with the run it goes on.

A checkpoint records them (``run_settings``) and a resume compares them with its own
(``differences``): data, batching, seed, clipping, architecture, loss and optimizer.
Anything that would make the resumed steps differ from those of an uninterrupted run
is a setting; ``epochs`` is not (training may go on longer).
"""

from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "Scalar",
    "differences",
    "fingerprint",
    "hyper_parameters",
    "run_settings",
    "steps_per_epoch",
]

Array = NDArray[Any]
Scalar = None | bool | int | float | str


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Steps in one epoch: ⌈samples / batch_size⌉, the last batch possibly smaller.

    The one place this count is written: a fit's progress, a checkpoint's step
    records and the CLI's animation frames all count with it.

    >>> steps_per_epoch(500, 32), steps_per_epoch(512, 32), steps_per_epoch(5, 100)
    (16, 16, 1)
    """
    return -(-samples // batch_size)


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


def hyper_parameters(obj: Any, what: str) -> dict[str, Scalar]:
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

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> X, Y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
    >>> settings = run_settings(model, X, Y, loss=gn.MSE(), optimizer=gn.SGD(0.1),
    ...                         batch_size=2, shuffle=True, seed=0, clip_norm=None)
    >>> settings["data X"], settings["architecture"], settings["optimizer lr"]
    ('float32 4×2 crc32 190a55ad', ['Dense(2 → 1)'], 0.1)
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
    settings.update(hyper_parameters(loss, "loss"))
    settings.update(hyper_parameters(optimizer, "optimizer"))
    return settings


def differences(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """'name was A, is B' for every setting that differs, in the order of ``now``."""
    out = []
    for key in [*now, *(k for k in saved if k not in now)]:
        a, b = saved.get(key), now.get(key)
        # True == 1 in Python; a flag and a number are still different settings
        if a != b or (type(a) is bool) != (type(b) is bool):
            out.append(f"{key} was {a!r}, is {b!r}")
    return out
