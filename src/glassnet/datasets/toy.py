"""The seeds' toy problems in the plane, generated with NumPy from a seed.

Every generator takes a ``seed`` (an int or a ``numpy.random.Generator``) and returns
``(X, y)`` with ``X`` of shape (m, 2) in float32 and ``y`` int64 class labels (float32
targets for the regression ``make_area``), as scikit-learn does.

>>> X, y = make_circles(n_samples=6, noise=0.0, factor=0.5, seed=0)
>>> X.shape, X.dtype, sorted(y.tolist())
((6, 2), dtype('float32'), [0, 0, 0, 1, 1, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_SAMPLES",
    "make_area",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
]

Array = NDArray[Any]
Seed = int | np.random.Generator | None


# The most points a generator makes: 10 M points of 2 float64 are 160 MB, and every
# step of the generation needs a few such arrays.
MAX_SAMPLES = 10_000_000


def _check_samples(n_samples: int, minimum: int, what: str) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"{what}'s n_samples must be an integer; got {n_samples!r}.")
    if not minimum <= n_samples <= MAX_SAMPLES:
        raise ValueError(
            f"{what} needs {minimum} ≤ n_samples ≤ {MAX_SAMPLES}; got {n_samples}."
        )
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

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X, y = gn.datasets.make_circles(n_samples=8, noise=0.0, factor=0.5, seed=0)
    >>> radius = np.hypot(X[:, 0], X[:, 1])
    >>> sorted({(label, round(r, 3)) for label, r in zip(y.tolist(), radius.tolist())})
    [(0, 1.0), (1, 0.5)]
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

    >>> import glassnet as gn
    >>> X, y = gn.datasets.make_moons(n_samples=6, noise=0.0, seed=0)
    >>> sorted(X[y == 0].round(2).tolist())    # the upper half circle
    [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    >>> sorted(X[y == 1].round(2).tolist())    # the lower one, shifted by (1, 0.5)
    [[0.0, 0.5], [1.0, -0.5], [2.0, 0.5]]
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

    >>> import numpy as np
    >>> import glassnet as gn
    >>> X, y = gn.datasets.make_spirals(n_samples=9, n_arms=3, seed=0)
    >>> np.bincount(y).tolist()                # three points on each arm
    [3, 3, 3]
    >>> sorted({round(r, 3) for r in np.hypot(X[:, 0], X[:, 1]).tolist()})
    [0.05, 0.525, 1.0]
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

    >>> import glassnet as gn
    >>> X, y = gn.datasets.make_xor(n_samples=8, seed=0)
    >>> X.shape, y.tolist()
    ((8, 2), [0, 1, 1, 0, 1, 0, 0, 1])
    >>> exactly_one_positive = (X[:, 0] > 0) != (X[:, 1] > 0)
    >>> bool((y == exactly_one_positive).all())
    True
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
