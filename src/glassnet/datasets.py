"""Data: the seeds' toy problems, MNIST from its IDX files, and the usual helpers.

NumPy only. Every generator takes a ``seed`` (an int or a ``numpy.random.Generator``)
and returns ``(X, y)`` with ``X`` of shape (m, 2) in float32 and ``y`` int64 class
labels (float32 targets for the regression ``make_area``), as scikit-learn does.

>>> X, y = make_circles(n_samples=6, noise=0.0, factor=0.5, seed=0)
>>> X.shape, X.dtype, sorted(y.tolist())
((6, 2), dtype('float32'), [0, 0, 0, 1, 1, 1])
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MNIST_FILES",
    "Standardizer",
    "batches",
    "load_mnist",
    "make_area",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "mnist_dir",
    "one_hot",
    "parse_idx",
    "read_idx",
    "train_test_split",
]

Array = NDArray[Any]
Seed = int | np.random.Generator | None


# ---- toy problems in the plane ------------------------------------------------------
def _check_samples(n_samples: int, minimum: int, what: str) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"{what}'s n_samples must be an integer; got {n_samples!r}.")
    if n_samples < minimum:
        raise ValueError(f"{what} needs n_samples ≥ {minimum}; got {n_samples}.")
    return int(n_samples)


def _check_noise(noise: float, what: str) -> float:
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{what} needs a finite noise ≥ 0; got {noise!r}.")
    return float(noise)


def _finish(
    X: Array, y: Array, noise: float, rng: np.random.Generator
) -> tuple[Array, Array]:
    """Add Gaussian noise of std ``noise`` to X, shuffle the rows, cast to float32."""
    X = X + rng.normal(0.0, noise, size=X.shape) if noise else X
    order = rng.permutation(X.shape[0])
    return X[order].astype(np.float32), y[order]


def make_circles(
    n_samples: int = 1000, noise: float = 0.05, factor: float = 0.5, seed: Seed = None
) -> tuple[Array, Array]:
    """Two concentric rings (seed A): class 0 on radius 1, class 1 on radius ``factor``.

    Points are evenly spaced in angle, then moved by N(0, noise²) in x and y.

    Args:
        n_samples: total points; the outer ring gets ⌊m/2⌋, the inner the rest.
        noise: standard deviation of the Gaussian noise.
        factor: inner radius over outer radius, in (0, 1).
        seed: seed or Generator.

    Returns:
        X (m, 2) float32 and y (m,) int64 in {0, 1}.
    """
    m = _check_samples(n_samples, 2, "make_circles")
    noise = _check_noise(noise, "make_circles")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles needs 0 < factor < 1; got {factor!r}.")
    rng = np.random.default_rng(seed)
    n_out = m // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, m - n_out, endpoint=False)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(m - n_out, np.int64)])
    return _finish(X, y, noise, rng)


def make_moons(
    n_samples: int = 1000, noise: float = 0.1, seed: Seed = None
) -> tuple[Array, Array]:
    """Two interleaving half circles: class 0 the upper, class 1 the lower, shifted one.

    Upper: (cos t, sin t); lower: (1 − cos t, 0.5 − sin t), t in [0, π]; plus noise.

    Returns:
        X (m, 2) float32 and y (m,) int64 in {0, 1}.
    """
    m = _check_samples(n_samples, 2, "make_moons")
    noise = _check_noise(noise, "make_moons")
    rng = np.random.default_rng(seed)
    n_up = m // 2
    t_up = np.linspace(0, np.pi, n_up)
    t_lo = np.linspace(0, np.pi, m - n_up)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t_up), np.sin(t_up)]),
            np.column_stack([1 - np.cos(t_lo), 0.5 - np.sin(t_lo)]),
        ]
    )
    y = np.concatenate([np.zeros(n_up, np.int64), np.ones(m - n_up, np.int64)])
    return _finish(X, y, noise, rng)


def make_spirals(
    n_samples: int = 900,
    n_arms: int = 3,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: Seed = None,
) -> tuple[Array, Array]:
    """``n_arms`` interleaved spiral arms around the origin, one class per arm.

    Arm c at radius r in (0, 1] has angle θ = 2π (c / n_arms + turns · r); the angle is
    jittered by N(0, noise²) (radians, scaled by r so the centre stays clean).

    Returns:
        X (m, 2) float32 and y (m,) int64 in {0, …, n_arms − 1}.
    """
    m = _check_samples(n_samples, 1, "make_spirals")
    noise = _check_noise(noise, "make_spirals")
    if isinstance(n_arms, bool) or not isinstance(n_arms, (int, np.integer)):
        raise TypeError(f"make_spirals' n_arms must be an integer; got {n_arms!r}.")
    if n_arms < 2 or m < n_arms:
        raise ValueError(
            f"make_spirals needs n_arms ≥ 2 and n_samples ≥ n_arms; got n_arms "
            f"{n_arms}, n_samples {m}."
        )
    rng = np.random.default_rng(seed)
    y = np.arange(m, dtype=np.int64) % n_arms
    r = np.empty(m)
    for c in range(n_arms):
        k = int(np.sum(y == c))
        r[y == c] = np.linspace(0.05, 1.0, k)
    theta = 2 * np.pi * (y / n_arms + turns * r)
    if noise:
        theta = theta + rng.normal(0.0, noise, size=m) * r
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return _finish(X, y, 0.0, rng)


def make_xor(
    n_samples: int = 1000, noise: float = 0.0, seed: Seed = None
) -> tuple[Array, Array]:
    """Points uniform in [−1, 1]²; class 1 where exactly one coordinate is positive.

    The labels are set before the noise N(0, noise²) moves the points.

    Returns:
        X (m, 2) float32 and y (m,) int64 in {0, 1}.
    """
    m = _check_samples(n_samples, 1, "make_xor")
    noise = _check_noise(noise, "make_xor")
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(m, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return _finish(X, y, noise, rng)


def make_area(
    n_samples: int = 1000,
    low: float = 1.0,
    high: float = 10.0,
    noise: float = 0.0,
    seed: Seed = None,
) -> tuple[Array, Array]:
    """Regression (seed E): a table's length a and width b → its area s = a · b.

    a and b are uniform in [low, high); ``noise`` adds N(0, noise²) to the area.

    Returns:
        X (m, 2) float32 with columns (a, b), and y (m,) float32 areas.

    >>> X, y = make_area(3, seed=0)
    >>> bool(np.allclose(X[:, 0] * X[:, 1], y))
    True
    """
    m = _check_samples(n_samples, 1, "make_area")
    noise = _check_noise(noise, "make_area")
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low < high):
        raise ValueError(
            f"make_area needs finite 0 ≤ low < high; got low {low!r}, high {high!r}."
        )
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(m, 2))
    y = X[:, 0] * X[:, 1]
    if noise:
        y = y + rng.normal(0.0, noise, size=m)
    return X.astype(np.float32), y.astype(np.float32)


# ---- splitting, encoding, scaling, batching -----------------------------------------
def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: float | int = 0.2,
    seed: Seed = None,
    stratify: bool = False,
) -> tuple[Array, Array, Array, Array]:
    """Shuffle and split into training and test sets (scikit-learn's order of results).

    Args:
        X: inputs, one sample per row.
        y: targets, one per row of X.
        test_size: a fraction in (0, 1) (rounded up to whole samples) or a count.
        seed: seed or Generator for the shuffle.
        stratify: keep each class's share of y the same in both parts (class labels).

    Returns:
        X_train, X_test, y_train, y_test.

    >>> X = np.arange(10).reshape(5, 2); y = np.arange(5)
    >>> [a.shape for a in train_test_split(X, y, test_size=2, seed=0)]
    [(3, 2), (2, 2), (3,), (2,)]
    """
    X, y = np.asarray(X), np.asarray(y)
    m = X.shape[0] if X.ndim else 0
    if y.ndim == 0 or y.shape[0] != m:
        raise ValueError(
            f"train_test_split needs one target per row of X; got {m} rows in X and "
            f"{y.shape[0] if y.ndim else 'no rows'} in y."
        )
    if isinstance(test_size, (float, np.floating)):
        if not 0 < test_size < 1:
            raise ValueError(
                f"train_test_split's test_size as a fraction must be in (0, 1); got "
                f"{test_size}."
            )
        n_test = int(np.ceil(test_size * m))
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise TypeError(
            f"train_test_split's test_size must be a float or an int; got "
            f"{test_size!r}."
        )
    if not 0 < n_test < m:
        raise ValueError(
            f"train_test_split would put {n_test} of {m} samples in the test set; both "
            "parts need at least one. Change test_size or use more data."
        )
    rng = np.random.default_rng(seed)
    if stratify:
        classes, inverse = np.unique(y, return_inverse=True)
        if y.ndim != 1 or len(classes) > m // 2:
            raise ValueError(
                "train_test_split(stratify=True) needs y as a 1-D array of class "
                f"labels; got shape {y.shape} with {len(classes)} distinct values."
            )
        test_parts = []
        for c in range(len(classes)):
            idx = rng.permutation(np.flatnonzero(inverse == c))
            test_parts.append(idx[: round(n_test * idx.size / m)])
        test_idx = np.concatenate(test_parts)
        mask = np.zeros(m, dtype=bool)
        mask[test_idx] = True
        test_idx = rng.permutation(test_idx)
        train_idx = rng.permutation(np.flatnonzero(~mask))
    else:
        order = rng.permutation(m)
        test_idx, train_idx = order[:n_test], order[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def one_hot(labels: ArrayLike, k: int | None = None) -> Array:
    """Rows T (m, k) of float32 with T[i, labels[i]] = 1 and zeros elsewhere.

    Args:
        labels: integer class ids in [0, k), shape (m,).
        k: number of classes; default max(labels) + 1.

    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iub":
        raise ValueError(
            "one_hot expected a 1-D array of integer class ids; got shape "
            f"{labels.shape}, dtype {labels.dtype}."
        )
    if k is None:
        k = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(
            f"one_hot expected class ids in [0, {k}); got values from {labels.min()} "
            f"to {labels.max()}."
        )
    T = np.zeros((labels.shape[0], k), dtype=np.float32)
    T[np.arange(labels.shape[0]), labels] = 1.0
    return T


class Standardizer:
    """Per-column standardization fitted on the training set: (X − mean) / std.

    Fit on the training data only, then transform training and test data with the same
    mean and std; ``inverse`` maps standardized values (e.g. predicted targets) back.

    >>> s = Standardizer.fit(np.array([[1.0], [3.0]]))
    >>> s.mean, s.std
    (array([2.]), array([1.]))
    >>> s.transform(np.array([[5.0]])), s.inverse(np.array([[3.0]]))
    (array([[3.]]), array([[5.]]))
    """

    def __init__(self, mean: ArrayLike, std: ArrayLike) -> None:
        self.mean: Array = np.asarray(mean, dtype=np.float64)
        self.std: Array = np.asarray(std, dtype=np.float64)
        if self.mean.shape != self.std.shape or np.any(self.std <= 0):
            raise ValueError(
                "Standardizer needs mean and std of the same shape with std > 0; got "
                f"shapes {self.mean.shape} and {self.std.shape}."
            )

    @classmethod
    def fit(cls, X: ArrayLike) -> Standardizer:
        """Mean and std of each column of X (axis 0); a constant column gets std 1."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 0 or X.shape[0] == 0:
            raise ValueError(f"Standardizer.fit needs at least one row; got {X.shape}.")
        std = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, X: ArrayLike) -> Array:
        """(X − mean) / std, in X's floating dtype (float32 stays float32)."""
        X = np.asarray(X)
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        return ((X - self.mean) / self.std).astype(dtype, copy=False)

    def inverse(self, Z: ArrayLike) -> Array:
        """Z · std + mean: undo ``transform``."""
        Z = np.asarray(Z)
        dtype = Z.dtype if Z.dtype.kind == "f" else np.dtype(np.float64)
        return (Z * self.std + self.mean).astype(dtype, copy=False)


def batches(
    X: ArrayLike,
    Y: ArrayLike,
    batch_size: int,
    shuffle: bool = False,
    rng: Seed = None,
) -> Iterator[tuple[Array, Array]]:
    """Yield (X_batch, Y_batch) pairs of ``batch_size`` rows (the last may be smaller).

    Args:
        X: inputs, one sample per row.
        Y: targets, one per row of X.
        batch_size: rows per batch (≥ 1).
        shuffle: visit the rows in a random order drawn from ``rng``.
        rng: seed or Generator for the order.

    >>> [xb.tolist() for xb, _ in batches(np.arange(5), np.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batches' batch_size must be an integer; got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batches' batch_size must be ≥ 1; got {batch_size}.")
    if X.ndim == 0 or Y.ndim == 0 or X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"batches needs X and Y with the same number of rows; got shapes {X.shape} "
            f"and {Y.shape}."
        )
    m = X.shape[0]
    order = np.random.default_rng(rng).permutation(m) if shuffle else None
    for start in range(0, m, batch_size):
        if order is None:
            yield X[start : start + batch_size], Y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]
            yield X[idx], Y[idx]


# ---- MNIST --------------------------------------------------------------------------
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
