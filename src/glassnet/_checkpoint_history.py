"""The history file of a checkpoint: the run's records as float64, append-only.

Its layout, epoch after epoch: the epoch's step losses, then its per-epoch values in
the order of the header's ``history_keys``; after the finished epochs, the step
losses of the current one. The checkpoint's header says how many values are valid
and their CRC-32, so a save appends only what is new and a load reads only what the
checkpoint vouches for.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from glassnet.checkpoint import FitState

Array = NDArray[Any]

HISTORY_SUFFIX = ".history"


def history_values(
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


def split_history(
    values: Array, keys: list[str], per_epoch: int, done: int, batch: int
) -> tuple[dict[str, list[float]], list[float]]:
    """The inverse of ``history_values``: per-epoch lists and the step losses."""
    per = per_epoch + len(keys)
    table = values[: done * per].reshape(done, per)
    step_loss = table[:, :per_epoch].ravel().tolist()
    step_loss += values[done * per : done * per + batch].tolist()
    history = {k: table[:, per_epoch + j].tolist() for j, k in enumerate(keys)}
    return history, step_loss


def read_history(path: Path, checkpoint: Path, n_values: int, crc: int) -> Array:
    """The first ``n_values`` float64 of the history file, checked by their CRC.

    ``checkpoint`` is the file that vouches for them, named in every error.
    """
    if n_values == 0:
        return np.empty(0)
    if not path.is_file():
        raise ValueError(
            f"{checkpoint}: its history file {path} is missing (or not a regular "
            "file); it holds the run's losses. Copy it along with the checkpoint."
        )
    size = n_values * 8
    if path.stat().st_size < size:
        raise ValueError(
            f"{checkpoint}: its history file {path} holds "
            f"{path.stat().st_size} bytes; the checkpoint needs {size}."
        )
    with path.open("rb") as f:
        data = f.read(size)
    if len(data) != size or zlib.crc32(data) != crc:
        raise ValueError(
            f"{checkpoint}: its history file {path} does not match the checkpoint "
            "(CRC-32 differs): it is damaged or from another run."
        )
    return np.frombuffer(data, dtype="<f8").astype(np.float64)


def append_history(path: Path, vouched: int, new: bytes) -> None:
    """Write ``new`` after the ``vouched`` values; drop anything beyond them.

    Values past those the last checkpoint counted are what a crash during an append
    left: they are overwritten. The bytes are on disk when this returns, before the
    checkpoint that counts them replaces the old one.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with os.fdopen(fd, "r+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() < vouched * 8:
            raise ValueError(
                f"{path} shrank during the run ({f.tell()} bytes, "
                f"{vouched * 8} written); something else writes to it."
            )
        f.seek(vouched * 8)
        f.write(new)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())
