"""MNIST from its four standard IDX files, gzip-compressed or not; nothing downloaded.

An IDX file is a 4-byte magic number (0, 0, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values, big-endian.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MNIST_FILES", "load_mnist", "mnist_dir", "parse_idx", "read_idx"]

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


def parse_idx(data: bytes, name: str = "<bytes>") -> Array:
    """Decode the bytes of one IDX file into an array of its stated shape.

    The header is two zero bytes, a type code, the number of dimensions d, then d
    big-endian uint32 sizes; the data follow, exactly Π sizes items.

    Raises:
        ValueError: naming ``name`` and what is wrong (magic, header, or length).

    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]))
    array([7, 9], dtype=uint8)
    """
    if len(data) < 4:
        raise ValueError(
            f"{name}: not an IDX file (only {len(data)} bytes; an IDX header has at "
            "least 4). The file is truncated or empty."
        )
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES or data[3] == 0:
        raise ValueError(
            f"{name}: not an IDX file (magic number 0x{data[:4].hex()}; expected "
            "0x0000TTDD with a type TT in 08, 09, 0b, 0c, 0d, 0e and DD ≥ 1 "
            "dimensions). Is it the right file, and decompressed if it has no .gz?"
        )
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{name}: truncated IDX header ({len(data)} bytes; {ndim} dimensions need "
            f"{header})."
        )
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: {what}: the header says shape {shape} of {dtype.name}, which "
            f"needs {expected} bytes; the file has {len(data)}. Download it again."
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike[str]) -> Array:
    """Read an IDX file (gzip-compressed when its name ends in .gz) into an array.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not valid IDX or not valid gzip (the message names it).
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
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
    """
    if path is not None:
        return Path(path)
    if os.environ.get("GLASSNET_DATA"):
        return Path(os.environ["GLASSNET_DATA"]) / "mnist"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "glassnet" / "mnist"


def _find(folder: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (folder / name).is_file():
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
