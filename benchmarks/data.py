"""The benchmark's data: MNIST (IDX files) and two small 2-D problems.

MNIST is read with ``glassnet.datasets.load_mnist`` when it exists, otherwise with the
small IDX reader below. The files are looked for in $GLASSNET_DATA/mnist, else in
../shared/data/mnist beside the repository.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def mnist_dir() -> Path:
    """$GLASSNET_DATA/mnist, else ../shared/data/mnist relative to the repository."""
    env = os.environ.get("GLASSNET_DATA")
    candidates = [Path(env) / "mnist"] if env else []
    candidates += [
        REPO.parent / "shared" / "data" / "mnist",
        REPO.parent.parent / "shared" / "data" / "mnist",
    ]
    for path in candidates:
        if (path / "train-images-idx3-ubyte.gz").exists() or (
            path / "train-images-idx3-ubyte"
        ).exists():
            return path
    raise FileNotFoundError(
        "MNIST IDX files not found; looked in "
        + ", ".join(str(p) for p in candidates)
        + ". Set GLASSNET_DATA to the folder that holds mnist/."
    )


def _read_idx(path: Path) -> np.ndarray:
    """One IDX file (optionally gzipped): a big-endian header, then uint8 values."""
    if not path.exists():
        path = path.with_suffix("")  # the uncompressed name
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(X_train, y_train), (X_test, y_test): pixels float32 in [0, 1], labels int64."""
    path = mnist_dir()
    try:
        from glassnet.datasets import load_mnist as gn_load_mnist
    except ImportError:
        gn_load_mnist = None
    if gn_load_mnist is not None:
        (Xtr, ytr), (Xte, yte) = gn_load_mnist(path)
        return (Xtr, ytr.astype(np.int64)), (Xte, yte.astype(np.int64))
    out = []
    for split in ("train", "t10k"):
        images = _read_idx(path / f"{split}-images-idx3-ubyte.gz")
        labels = _read_idx(path / f"{split}-labels-idx1-ubyte.gz")
        X = images.reshape(images.shape[0], -1).astype(np.float32)
        X /= 255.0
        out.append((X, labels.astype(np.int64)))
    return out[0], out[1]


def circles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric rings (radius 1 and 0.5), labels 0/1, X float32 (n, 2)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, 0.5, 1.0)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    X += rng.normal(0, 0.05, X.shape)
    return X.astype(np.float32), y.astype(np.int64)
