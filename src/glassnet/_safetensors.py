"""Reading safetensors files safely: no pickle, no hang, no allocation beyond the file.

A safetensors file is an 8-byte little-endian header length n, n bytes of JSON header
(tensor names, dtypes, shapes, byte offsets, and a ``__metadata__`` dict of strings),
then the raw tensor bytes. Nothing in it is ever executed.

Reading is done in the order that keeps a hostile file harmless: the path must be a
regular file (a FIFO is never opened, so a read cannot hang), then the 8-byte length,
then the header, whose every declared size is checked against the real file size and a
limit, and only then the tensor bytes — so no allocation is ever larger than the bytes
that are actually on disk. ``glassnet._files`` re-exports the public names.

>>> import tempfile, pathlib
>>> from safetensors.numpy import save
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.safetensors"
>>> _ = path.write_bytes(save({"W": np.eye(2, dtype=np.float32)}))
>>> tensors, metadata = read_safetensors(path, "model file")
>>> tensors["W"].tolist(), metadata
([[1.0, 0.0], [0.0, 1.0]], {})
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet._strict_json import loads_json

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_TENSOR_BYTES",
    "TensorInfo",
    "read_safetensors",
    "read_safetensors_header",
]

# The limit of the reference implementation (safetensors' Rust crate), so every file we
# accept also loads in PyTorch, and every file glassnet writes is checked against it.
MAX_HEADER_BYTES = 100_000_000
# Far above any model this engine trains on a CPU: a guard against absurd sizes.
MAX_TENSOR_BYTES = 2**34  # 16 GiB

# safetensors dtype codes NumPy can hold, stored little-endian. BF16 and the FP8
# formats have no NumPy dtype and are refused by name.
_DTYPES: dict[str, np.dtype[Any]] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
    "C64": np.dtype("<c8"),
}
_DTYPE_NAMES = {code: dt.name for code, dt in _DTYPES.items()}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header declares it, checked against the file's real size.

    Attributes:
        dtype: the safetensors code ("F32", "BF16", ...).
        shape: the declared shape.
        start: offset of its first byte, counted from the end of the header.
        end: offset one past its last byte.
    """

    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


def _open_regular(path: Path, what: str) -> int:
    """A read-only descriptor on ``path``, which must be a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}.") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read this {what} ({exc.strerror}).") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(_not_regular(path, what, st.st_mode))
    # O_NONBLOCK: should the path turn into a FIFO between stat and open, the open
    # returns at once instead of waiting for a writer; fstat below then refuses it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}.") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read this {what} ({exc.strerror}).") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ValueError(_not_regular(path, what, mode))
    return fd


def _not_regular(path: Path, what: str, mode: int) -> str:
    kind = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket or other special file"
    )
    return f"{path}: not a regular file ({kind}); give the path of a {what}."


def _read_exactly(f: BufferedReader, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{path}: truncated {what} (it changed while being read?).")
    return data


def _sniff(start: bytes) -> str | None:
    """What a file that is not safetensors looks like, if it is something known."""
    if start[:1] == b"\x80" and start[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (e.g. a PyTorch .pt/.pth file)"
    if start[:2] == b"PK":
        return "a zip archive (a NumPy .npz or a PyTorch .pt file)"
    if start[:6] == b"\x93NUMPY":
        return "a NumPy .npy array"
    return None


def _parse_entry(name: str, entry: Any, path: Path, what: str) -> TensorInfo:
    bad = f"{path}: corrupt {what}: tensor {name!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(
            f"{bad} is not described by exactly dtype, shape and data_offsets."
        )
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(code, str):
        raise ValueError(f"{bad} has dtype {code!r}, not a dtype name.")
    if not (
        isinstance(shape, list)
        and len(shape) <= 32
        and all(type(d) is int and d >= 0 for d in shape)
    ):
        raise ValueError(f"{bad} has shape {shape!r}; expected a list of sizes ≥ 0.")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(type(o) is int and o >= 0 for o in offsets)
        and offsets[0] <= offsets[1]
    ):
        raise ValueError(f"{bad} has data_offsets {offsets!r}; expected [begin, end].")
    if code not in _DTYPES:
        known = ", ".join(f"{c} ({n})" for c, n in _DTYPE_NAMES.items())
        raise ValueError(
            f"{path}: tensor {name!r} has dtype {code}, which NumPy cannot hold; "
            f"readable dtypes: {known}. Convert it (e.g. BF16 → F32) and save again."
        )
    nbytes = math.prod(shape) * _DTYPES[code].itemsize  # Python ints: no overflow
    if offsets[1] - offsets[0] != nbytes:
        raise ValueError(
            f"{bad}: shape {shape} of {code} needs {nbytes} bytes, but its "
            f"data_offsets {offsets} span {offsets[1] - offsets[0]}."
        )
    return TensorInfo(code, tuple(shape), offsets[0], offsets[1])


def _read_header(
    f: BufferedReader, size: int, path: Path, what: str, max_bytes: int
) -> tuple[dict[str, TensorInfo], dict[str, str]]:
    first = f.read(16)
    n = int.from_bytes(first[:8], "little") if len(first) >= 8 else -1
    looks_right = 2 <= n <= min(size - 8, MAX_HEADER_BYTES) and first[8:9] == b"{"
    if not looks_right:
        # The sniff comes after the length test: the first byte is the low byte of
        # the header length, so 0x80 alone says nothing.
        other = _sniff(first)
        if other:
            raise ValueError(
                f"{path}: not a safetensors file: it looks like {other}, which "
                "glassnet never loads (loading them can run code)."
            )
        if size < 8:
            raise ValueError(f"{path}: not a safetensors file ({size} bytes).")
        if n > size - 8 or n > MAX_HEADER_BYTES:
            raise ValueError(
                f"{path}: not a safetensors file, or a truncated one: its header "
                f"claims {n} bytes but {size - 8} follow the length field"
                + (f" (limit {MAX_HEADER_BYTES})." if n > MAX_HEADER_BYTES else ".")
            )
        raise ValueError(
            f"{path}: not a safetensors file: its header does not start with '{{'."
        )
    f.seek(8)
    header = loads_json(_read_exactly(f, n, path, what), f"{path}: the header")
    if not isinstance(header, dict):
        raise ValueError(
            f"{path}: not a safetensors file: its header is not an object."
        )
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(
        isinstance(v, str) for v in metadata.values()
    ):
        raise ValueError(
            f"{path}: corrupt {what}: __metadata__ must map names to strings."
        )
    infos = {name: _parse_entry(name, e, path, what) for name, e in header.items()}
    # The body must be exactly the tensors, end to end, as safetensors requires: no
    # holes, no overlaps, nothing after the last one.
    body = size - 8 - n
    position = 0
    for name, info in sorted(infos.items(), key=lambda kv: (kv[1].start, kv[1].end)):
        if info.start != position:
            raise ValueError(
                f"{path}: corrupt {what}: tensor {name!r} starts at byte {info.start} "
                f"of the data, expected {position} (tensors overlap or leave a gap)."
            )
        position = info.end
    if position != body:
        raise ValueError(
            f"{path}: truncated or corrupt {what}: the header declares {position} "
            f"bytes of tensor data, the file holds {body}."
        )
    if body > max_bytes:
        raise ValueError(
            f"{path}: {what} holds {body} bytes of tensors, above the limit of "
            f"{max_bytes}."
        )
    return infos, metadata


def read_safetensors_header(
    path: str | os.PathLike[str], what: str, *, max_bytes: int = MAX_TENSOR_BYTES
) -> tuple[dict[str, TensorInfo], dict[str, str]]:
    """The tensor descriptions and ``__metadata__`` of a safetensors file, unread data.

    Only the first 8 + n bytes are read; every declared size has been checked against
    the file's size. See ``read_safetensors`` for the errors.

    >>> import tempfile, pathlib
    >>> from safetensors.numpy import save
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.safetensors"
    >>> _ = path.write_bytes(save({"b": np.zeros(3)}, metadata={"k": "v"}))
    >>> read_safetensors_header(path, "model file")
    ({'b': TensorInfo(dtype='F64', shape=(3,), start=0, end=24)}, {'k': 'v'})
    """
    path = Path(path)
    fd = _open_regular(path, what)
    with os.fdopen(fd, "rb") as f:
        return _read_header(f, os.fstat(f.fileno()).st_size, path, what, max_bytes)


def read_safetensors(
    path: str | os.PathLike[str],
    what: str,
    *,
    dtypes: Collection[str] | None = None,
    check: Callable[[dict[str, TensorInfo], dict[str, str]], object] | None = None,
    max_bytes: int = MAX_TENSOR_BYTES,
) -> tuple[dict[str, NDArray[Any]], dict[str, str]]:
    """The tensors and ``__metadata__`` of a safetensors file, or a clear ValueError.

    Args:
        path: the file.
        what: the kind of file, for messages ("model file", "checkpoint").
        dtypes: the safetensors dtype codes allowed (e.g. ``{"F32", "F64"}``); any
            other is refused naming the tensor. None allows every dtype NumPy holds.
        check: called with the header's ``TensorInfo`` s and metadata before any
            tensor byte is read; raise ValueError there to refuse the file cheaply.
        max_bytes: the most tensor bytes accepted.

    Returns:
        ``(tensors, metadata)``: native-byte-order arrays that own their memory, and
        the string → string ``__metadata__``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a regular file (a folder, FIFO, device); a pickle, zip or
            .npy; a header that is not JSON, nested too deeply, or whose sizes and
            offsets do not match the file; a dtype outside ``dtypes`` or unknown to
            NumPy (BF16); more than ``max_bytes`` of tensors.
    """
    path = Path(path)
    fd = _open_regular(path, what)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        infos, metadata = _read_header(f, size, path, what, max_bytes)
        if dtypes is not None:
            for name, info in infos.items():
                if info.dtype not in dtypes:
                    raise ValueError(
                        f"{path}: tensor {name!r} has dtype {info.dtype} "
                        f"({_DTYPE_NAMES.get(info.dtype, 'no NumPy dtype')}); a "
                        f"{what} holds only {', '.join(sorted(dtypes))}."
                    )
        if check is not None:
            check(infos, metadata)
        body_start = f.tell()  # _read_header stops at the end of the header
        tensors: dict[str, NDArray[Any]] = {}
        for name, info in sorted(infos.items(), key=lambda kv: kv[1].start):
            dtype = _DTYPES[info.dtype]
            f.seek(body_start + info.start)
            array = np.empty(info.shape, dtype=dtype)
            view = array.reshape(-1).view(np.uint8).data
            if f.readinto(view) != info.end - info.start:
                raise ValueError(
                    f"{path}: truncated {what} (it changed while being read?)."
                )
            if dtype.kind == "b" and array.size and array.view(np.uint8).max() > 1:
                raise ValueError(
                    f"{path}: tensor {name!r} holds booleans other than 0 and 1."
                )
            tensors[name] = array.astype(dtype.newbyteorder("="), copy=False)
    return tensors, metadata
