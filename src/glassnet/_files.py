"""Writing files safely: atomic replacement with fsync, and checking a path first.

A model file, a checkpoint or an exported figure is written to a temporary file in the
target's folder, flushed to disk, then renamed over the target: a crash leaves the old
file or the new one, never half of either. ``check_writable`` finds a bad path before
the work that would produce the file. ``safetensors_bytes`` makes the bytes of a
safetensors file, the same bytes every time for the same tensors and metadata.

Reading lives beside this module: the hardened safetensors reader in
``glassnet._safetensors`` and the strict JSON reader in ``glassnet._strict_json``.
Their public names are re-exported here, where the rest of glassnet imports them.

>>> import tempfile, pathlib
>>> import numpy as np
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.safetensors"
>>> atomic_write_bytes(path, safetensors_bytes({"W": np.eye(2, dtype=np.float32)}))
>>> tensors, metadata = read_safetensors(path, "model file")
>>> tensors["W"].tolist(), metadata
([[1.0, 0.0], [0.0, 1.0]], {})
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from glassnet._safetensors import (
    MAX_HEADER_BYTES,
    MAX_TENSOR_BYTES,
    TensorInfo,
    read_safetensors,
    read_safetensors_header,
)
from glassnet._strict_json import loads_json

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_TENSOR_BYTES",
    "TensorInfo",
    "atomic_write",
    "atomic_write_bytes",
    "check_writable",
    "loads_json",
    "read_safetensors",
    "read_safetensors_header",
    "safetensors_bytes",
]


def check_writable(path: str | os.PathLike[str], what: str = "file") -> Path:
    """Check that ``path`` can be written, before any work that would produce it.

    Call it before training when the result goes to ``path`` (``--save``,
    ``--checkpoint``), so a typo in the folder fails in a second, not after an hour.

    Args:
        path: the file to be written; a symbolic link means its target.
        what: what the file is, for messages ("model file", "checkpoint").

    Returns:
        The path that will really be written: the link's target for a link.

    Raises:
        FileNotFoundError: the folder does not exist.
        NotADirectoryError: the folder is not a folder.
        IsADirectoryError: ``path`` is a folder.
        PermissionError: the folder (or an existing read-only file) cannot be written.
        ValueError: ``path`` exists but is not a regular file (a FIFO, a device).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_writable(folder / "m.safetensors", "model file").name
    'm.safetensors'
    >>> check_writable(folder / "no" / "m.safetensors", "model file")
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot write model file ...: folder ... does not exist. ...
    """
    given = Path(path)
    # A save through a link writes the target, as open(path, "wb") would.
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    folder = target.parent if str(target.parent) else Path(".")
    label = f"{what} {given}"
    if not folder.exists():
        raise FileNotFoundError(
            f"cannot write {label}: folder {folder} does not exist. "
            f"Create it first (mkdir -p {folder}) or choose another path."
        )
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write {label}: {folder} is not a folder.")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(
            f"cannot write {label}: it is a folder; give a file name inside it."
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ValueError(
            f"cannot write {label}: it exists and is not a regular file "
            "(a FIFO, socket or device); give the path of a regular file."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(
            f"cannot write {label}: no permission to create files in {folder}."
        )
    if st is not None and not os.access(target, os.W_OK):
        raise PermissionError(
            f"cannot write {label}: the existing file is read-only; make it "
            "writable (chmod u+w) or choose another path."
        )
    return target


def atomic_write(
    path: str | os.PathLike[str],
    write: Callable[[IO[bytes]], object],
    what: str = "file",
) -> None:
    """Write a file through ``write(f)`` so that a crash leaves the old file or the new.

    ``write`` receives a binary file object opened on a temporary file in the same
    folder (``np.save(f, A)`` and ``np.savetxt(f, A)`` accept it). The bytes are
    flushed to disk (fsync), then the temporary file is renamed over the target — a
    rename within one file system is atomic. On any failure, including
    ``KeyboardInterrupt``, the temporary file is removed and the target is untouched.

    The new file gets the permissions an ordinary ``open(path, "wb")`` would give: an
    existing file keeps its mode; a new one gets 0o666 less the umask. A path that is
    a symbolic link writes the link's target; the link stays a link.

    Args:
        path: the file to write.
        write: called once with the open temporary file.
        what: what the file is, for messages.

    Raises:
        OSError: as ``check_writable``, or the write itself failed (disk full).

    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> atomic_write(path, lambda f: np.save(f, np.arange(3)))
    >>> np.load(path, allow_pickle=False).tolist()
    [0, 1, 2]
    """
    target = check_writable(path, what)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        old_mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        old_mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    while True:
        tmp = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            # Mode 0o666 through open(): the kernel applies the umask, as for any
            # ordinary new file (mkstemp would give 0o600).
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if old_mode is not None:  # replacing a file keeps its mode
                os.chmod(tmp, old_mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, what: str = "file"
) -> None:
    """Write ``data`` to ``path`` atomically; see ``atomic_write``.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.bin"
    >>> atomic_write_bytes(path, b"new")
    >>> path.read_bytes()
    b'new'
    """
    atomic_write(path, lambda f: f.write(data), what)


def safetensors_bytes(
    tensors: dict[str, Any], metadata: dict[str, str] | None = None
) -> bytes:
    """The safetensors file of ``tensors`` (name → NumPy array) and ``metadata``.

    safetensors' own writer lays out the tensors in a fixed order but writes its JSON
    header's keys in the order of a Rust hash map, which changes from process to
    process. The header is written again here with its keys sorted, so that the same
    model saved twice is the same file (a checksum, a diff or a cache can rely on
    that); the tensors' bytes and offsets are the writer's, untouched.

    >>> import numpy as np
    >>> a = safetensors_bytes({"W": np.ones(2), "b": np.zeros(1)}, {"y": "1", "x": "2"})
    >>> a[8 : 8 + int.from_bytes(a[:8], "little")].decode().rstrip()[:40]
    '{"W":{"data_offsets":[0,16],"dtype":"F64'
    """
    from safetensors.numpy import save

    raw = save(tensors, metadata=metadata)
    n = int.from_bytes(raw[:8], "little")
    header = json.dumps(
        json.loads(raw[8 : 8 + n]), sort_keys=True, separators=(",", ":")
    ).encode()
    header += b" " * (-len(header) % 8)  # the data starts 8-byte aligned, as written
    return len(header).to_bytes(8, "little") + header + raw[8 + n :]


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform lets a folder be opened."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
