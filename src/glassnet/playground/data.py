"""The playground's data: the problems in the plane and the input features.

Every problem lives in the square [−R, R]² with R = ``DOMAIN`` = 6, as in TensorFlow
Playground, so sin x1 and x1² mean there what they mean there. Classification
problems return integer labels; regression problems (``plane``, ``multigauss``)
return targets in [−1, 1]. NumPy only: the exported script imports this module too,
so the page and the script build the same points from the same seed.

>>> X, y = make_dataset("circles", n_samples=4, noise=0, seed=0)
>>> X.shape, X.dtype, sorted(y.tolist())
((4, 2), dtype('float32'), [0, 0, 1, 1])
>>> features(np.array([[1.0, 2.0]], np.float32), ["x1", "x1x2"]).tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.datasets import make_circles, make_moons, make_spirals, make_xor

__all__ = [
    "CLASSIFICATION",
    "DOMAIN",
    "FEATURES",
    "REGRESSION",
    "features",
    "make_dataset",
]

Array = NDArray[Any]
DOMAIN = 6.0  # points and heatmaps cover [−DOMAIN, DOMAIN]²
CLASSIFICATION = ("circles", "xor", "gauss", "spiral", "moons")
REGRESSION = ("plane", "multigauss")

# x ↦ feature, for the input nodes (TensorFlow Playground's seven)
FEATURES: dict[str, Callable[[Array, Array], Array]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sinx1": lambda x1, x2: np.sin(x1),
    "sinx2": lambda x1, x2: np.sin(x2),
}

# the six Gaussian bumps of ``multigauss``: (centre x1, centre x2, sign)
_BUMPS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)


def features(X: Array, names: Sequence[str]) -> Array:
    """The input matrix (m, len(names)) of the chosen features of points X (m, 2).

    Args:
        X: points in the plane, one per row.
        names: keys of ``FEATURES``, in the order of the network's inputs.
    """
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[n](x1, x2) for n in names]).astype(np.float32)


def make_dataset(
    name: str, n_samples: int, noise: float, seed: int, classes: int = 2
) -> tuple[Array, Array]:
    """Points X (m, 2) in [−6, 6]² and labels (int64) or targets (float32) y (m,).

    Args:
        name: one of ``CLASSIFICATION`` or ``REGRESSION``.
        n_samples: m, the number of points.
        noise: 0 to 50, TensorFlow Playground's noise slider (a percentage).
        seed: the seed of the points and their noise.
        classes: the number of classes of ``gauss`` and ``spiral`` (2 to 8).
    """
    s = noise / 100.0
    R = DOMAIN
    rng = np.random.default_rng(seed)
    if name == "circles":
        X, y = make_circles(n_samples, noise=0.5 * s, factor=0.45, seed=rng)
        X, y = X * (0.85 * R), y
    elif name == "xor":
        X, y = make_xor(n_samples, noise=0.5 * s, seed=rng)
        X = X * (0.85 * R)
    elif name == "moons":
        X, y = make_moons(n_samples, noise=0.4 * s, seed=rng)
        X = (X - np.array([0.5, 0.25], np.float32)) * (0.4 * R)
    elif name == "spiral":
        X, y = make_spirals(
            n_samples, n_arms=classes, noise=2 * s, turns=0.75, seed=rng
        )
        X = X * (0.85 * R)
    elif name == "gauss":
        y = np.arange(n_samples, dtype=np.int64) % classes
        angle = 2 * np.pi * y / classes + np.pi / 4
        centres = 0.45 * R * np.column_stack([np.cos(angle), np.sin(angle)])
        X = centres + rng.normal(0.0, 0.5 + 3 * s, size=(n_samples, 2))
        order = rng.permutation(n_samples)
        X, y = X[order], y[order]
    elif name in REGRESSION:
        X = rng.uniform(-R, R, size=(n_samples, 2))
        y = _regression_target(name, X) + rng.normal(0.0, s, size=n_samples)
        y = np.clip(y, -1.0, 1.0).astype(np.float32)
    else:
        raise ValueError(
            f"unknown data set {name!r}; expected one of: "
            f"{', '.join(CLASSIFICATION + REGRESSION)}."
        )
    X = np.clip(X, -R, R).astype(np.float32)
    return X, y


def _regression_target(name: str, X: Array) -> Array:
    """The noiseless target of a regression problem at points X."""
    if name == "plane":
        return (X[:, 0] + X[:, 1]) / (2 * DOMAIN)
    out = np.zeros(X.shape[0])
    for c1, c2, sign in _BUMPS:
        out += sign * np.exp(-((X[:, 0] - c1) ** 2 + (X[:, 1] - c2) ** 2) / 3.2)
    return out
