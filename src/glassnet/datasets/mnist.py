"""MNIST from its four standard IDX files, gzip-compressed or not; nothing downloaded.

An IDX file is a 4-byte magic number (0, 0, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values, big-endian.
"""

from __future__ import annotations

import gzip
import math
import os
import stat
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_IDX_BYTES",
    "MNIST_FILES",
    "load_mnist",
    "mnist_dir",
    "parse_idx",
    "read_idx",
]

Array = NDArray[Any]


MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# IDX type codes → NumPy big-endian dtypes (the format stores every number big-endian).
_IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


# The most bytes an IDX file may declare (the real training images need 47 MB): a
# header that claims more is refused before anything is read or decompressed.
MAX_IDX_BYTES = 2**30


def _header(head: bytes, name: str) -> tuple[np.dtype[Any], tuple[int, ...], int]:
    """The dtype, shape and header length an IDX header declares, checked.

    Raises:
        ValueError: not an IDX magic number, a truncated header, or a declared size
            above MAX_IDX_BYTES.
    """
    if len(head) < 4:
        raise ValueError(
            f"{name}: not an IDX file (only {len(head)} bytes; an IDX header has at "
            "least 4). The file is truncated or empty."
        )
    if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES or head[3] == 0:
        raise ValueError(
            f"{name}: not an IDX file (magic number 0x{head[:4].hex()}; expected "
            "0x0000TTDD with a type TT in 08, 09, 0b, 0c, 0d, 0e and DD ≥ 1 "
            "dimensions). Is it the right file, and decompressed if it has no .gz?"
        )
    dtype, ndim = _IDX_TYPES[head[2]], head[3]
    size = 4 + 4 * ndim
    if len(head) < size:
        raise ValueError(
            f"{name}: truncated IDX header ({len(head)} bytes; {ndim} dimensions need "
            f"{size})."
        )
    shape = tuple(
        int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    body = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if body > MAX_IDX_BYTES:
        raise ValueError(
            f"{name}: the header declares shape {shape} of {dtype.name}, {body} bytes; "
            f"at most {MAX_IDX_BYTES} are read. Is it the right file?"
        )
    return dtype, shape, size


def _check_length(
    name: str, dtype: np.dtype[Any], shape: tuple[int, ...], expected: int, got: int
) -> None:
    if got != expected:
        what = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: {what}: the header says shape {shape} of {dtype.name}, which "
            f"needs {expected} bytes; the file has {got}"
            + (" or more" if got > expected else "")
            + ". Download it again."
        )


def parse_idx(data: bytes, name: str = "<bytes>") -> Array:
    """Decode the bytes of one IDX file into an array of its stated shape.

    The header is two zero bytes, a type code, the number of dimensions d, then d
    big-endian uint32 sizes; the data follow, exactly Π sizes items.

    Raises:
        ValueError: naming ``name`` and what is wrong (magic, header, or length).

    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]))
    array([7, 9], dtype=uint8)
    """
    dtype, shape, header = _header(data[: 4 + 4 * 255], name)
    expected = header + math.prod(shape) * dtype.itemsize
    _check_length(name, dtype, shape, expected, len(data))
    return np.frombuffer(data, dtype, offset=header).reshape(shape)


def _read_bounded(fh: BinaryIO, name: str) -> bytes:
    """The whole IDX file from a stream, read no further than its header declares.

    The header comes first; then exactly the bytes it declares (and one more, to see
    trailing bytes) are read, in chunks, so a gzip bomb is never decompressed
    beyond the size a true file of that shape would have.
    """
    head = fh.read(4)
    if len(head) == 4 and head[3]:
        head += fh.read(4 * head[3])
    dtype, shape, size = _header(head, name)
    body = math.prod(shape) * dtype.itemsize
    chunks, left = [head], body + 1
    while left > 0:
        chunk = fh.read(min(left, 2**22))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    _check_length(name, dtype, shape, size + body, len(data))
    return data


def read_idx(path: str | os.PathLike[str]) -> Array:
    """Read an IDX file (gzip-compressed when its name ends in .gz) into an array.

    The declared shape is checked against MAX_IDX_BYTES and against the bytes
    present before the body is read; a compressed file is decompressed no further
    than its header declares.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a regular file, not valid IDX or not valid gzip,
            or declares more data than it holds (the message names it).

    >>> import gzip, pathlib, tempfile
    >>> import glassnet as gn
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx2-ubyte.gz"
    >>> header = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3])  # uint8, shape (2, 3)
    >>> _ = path.write_bytes(gzip.compress(header + bytes(range(6))))
    >>> gn.datasets.read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ValueError(f"{path}: not a regular file; give the IDX file itself.")
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
            data = _read_bounded(fh, path.name)  # type: ignore[arg-type]
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file.") from None
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(
            f"{path.name}: not a readable gzip file ({exc}). The download is probably "
            "truncated or corrupt: fetch it again."
        ) from None
    return parse_idx(data, path.name)


def mnist_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Where ``load_mnist`` looks: ``path``, else $GLASSNET_DATA/mnist, else the cache.

    The cache is $XDG_CACHE_HOME/glassnet/mnist (default ~/.cache/glassnet/mnist).

    >>> import glassnet as gn
    >>> gn.datasets.mnist_dir("my_digits").name        # a folder given is the folder
    'my_digits'
    >>> gn.datasets.mnist_dir().name                   # else …/mnist, env or cache
    'mnist'
    """
    if path is not None:
        return Path(path)
    if os.environ.get("GLASSNET_DATA"):
        return Path(os.environ["GLASSNET_DATA"]) / "mnist"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "glassnet" / "mnist"


def _find(folder: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (folder / name).exists():  # read_idx refuses what is not a regular file
            return folder / name
    return None


def load_mnist(
    path: str | os.PathLike[str] | None = None, flatten: bool = True
) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    """The MNIST digits from the four standard IDX files (gzip-compressed or not).

    Args:
        path: the folder with the files; default ``mnist_dir()`` ($GLASSNET_DATA/mnist
            or ~/.cache/glassnet/mnist).
        flatten: images as rows of 784 pixels (m, 784); False keeps (m, 28, 28).

    Returns:
        (X_train, y_train), (X_test, y_test): pixels float32 in [0, 1], labels int64
        (60 000 training and 10 000 test images for the real data set).

    Raises:
        FileNotFoundError: files are missing; the message lists which and where.
        ValueError: a file is truncated or corrupt, or images and labels disagree.

    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> import glassnet as gn
    >>> folder = pathlib.Path(tempfile.mkdtemp())    # 3 white training images, 1 test
    >>> for split, n in (("train", 3), ("t10k", 1)):
    ...     header = np.array([0x803, n, 28, 28], ">u4").tobytes()   # uint8, 3 dims
    ...     images = header + bytes([255] * 784 * n)
    ...     labels = np.array([0x801, n], ">u4").tobytes() + bytes(range(n))
    ...     _ = (folder / f"{split}-images-idx3-ubyte").write_bytes(images)
    ...     _ = (folder / f"{split}-labels-idx1-ubyte").write_bytes(labels)
    >>> (X_train, y_train), (X_test, y_test) = gn.datasets.load_mnist(folder)
    >>> X_train.shape, float(X_train.max()), y_train.tolist(), X_test.shape
    ((3, 784), 1.0, [0, 1, 2], (1, 784))
    """
    folder = mnist_dir(path)
    found = {key: _find(folder, base) for key, base in MNIST_FILES.items()}
    missing = [MNIST_FILES[key] for key, p in found.items() if p is None]
    if missing:
        raise FileNotFoundError(
            f"MNIST files missing in {folder}: "
            + ", ".join(f"{name}[.gz]" for name in missing)
            + ". Put the four standard files (train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
            "t10k-labels-idx1-ubyte.gz) there, or set GLASSNET_DATA to a folder whose "
            "mnist/ subfolder holds them."
        )
    paths = {key: p for key, p in found.items() if p is not None}
    parts = []
    for split in ("train", "test"):
        img_path, lab_path = paths[f"{split}_images"], paths[f"{split}_labels"]
        images, labels = read_idx(img_path), read_idx(lab_path)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise ValueError(
                f"{img_path.name}: expected uint8 images of shape (n, 28, 28); got "
                f"{images.dtype.name} of shape {images.shape}."
            )
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(
                f"{lab_path.name}: expected {images.shape[0]} labels (one per image of "
                f"{img_path.name}); got shape {labels.shape}."
            )
        if labels.size and labels.max() > 9:
            raise ValueError(
                f"{lab_path.name}: labels must be digits 0–9; found {labels.max()}."
            )
        X = images.astype(np.float32) / np.float32(255.0)
        if flatten:
            X = X.reshape(X.shape[0], -1)
        parts.append((X, labels.astype(np.int64)))
    return parts[0], parts[1]
