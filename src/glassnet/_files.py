"""Reading and writing files safely: atomic writes, and safetensors read without pickle.

A safetensors file is an 8-byte little-endian header length n, n bytes of JSON header
(tensor names, dtypes, shapes, byte offsets, and a ``__metadata__`` dict of strings),
then the raw tensor bytes. Nothing in it is ever executed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Far above any real model's header: a guard against absurd sizes.
_MAX_HEADER = 100 * 2**20


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new.

    The bytes go to a temporary file in the same folder, are flushed to disk (fsync),
    and the temporary file is renamed over ``path`` — a rename within one file system
    is atomic.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable; not every platform lets a folder be opened
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def read_safetensors(
    path: str | os.PathLike[str], what: str
) -> tuple[dict[str, NDArray[Any]], dict[str, str]]:
    """The tensors and ``__metadata__`` of a safetensors file, or a clear ValueError.

    ``what`` names the kind of file in messages ("model file", "checkpoint"). Pickles,
    NumPy archives, truncated files and headers that lie about sizes are rejected
    before any tensor is read.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what}.")
    data = path.read_bytes()
    if data[:1] == b"\x80" or data[:2] == b"PK":
        raise ValueError(
            f"{path}: not a safetensors file. It looks like a pickle or a NumPy .npz "
            "archive, which glassnet never loads (loading them can run code)."
        )
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file ({len(data)} bytes).")
    n = int.from_bytes(data[:8], "little")
    if n > min(len(data) - 8, _MAX_HEADER):
        raise ValueError(
            f"{path}: not a safetensors file, or a truncated one: its header claims "
            f"{n} bytes but {len(data) - 8} follow the length field."
        )
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    metadata = header.get("__metadata__") or {} if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not all(
        isinstance(v, str) for v in metadata.values()
    ):
        raise ValueError(f"{path}: not a safetensors file, or its header is corrupt.")
    try:
        tensors = load(data)
    except (SafetensorError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: corrupt {what} ({err}).") from None
    return {k: np.array(v) for k, v in tensors.items()}, metadata
