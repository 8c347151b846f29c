"""Weight initializers.

An initializer is a function ``init(shape, rng) -> W`` that draws a float64 array of
``shape = (n_out, n_in)`` from the ``numpy.random.Generator`` it is given; ``Dense``
casts the result to its dtype. The factories below return such functions.

>>> import numpy as np
>>> W = normal(0.01)((2, 3), np.random.default_rng(0))
>>> W.shape
(2, 3)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Initializer",
    "get",
    "he",
    "initial_weights",
    "normal",
    "uniform",
    "xavier",
    "zeros",
]

Initializer = Callable[[tuple[int, int], np.random.Generator], NDArray[np.float64]]


def normal(std: float = 0.01, mean: float = 0.0) -> Initializer:
    """Gaussian weights N(mean, std²); seed C's TwoLayerNet uses std = 0.01.

    >>> import numpy as np
    >>> normal(0.0, mean=1.5)((1, 2), np.random.default_rng(0))
    array([[1.5, 1.5]])
    """
    if not np.isfinite(std) or std < 0:
        raise ValueError(f"normal(std) needs a finite std ≥ 0; got {std!r}.")

    def draw(shape: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.normal(mean, std, size=shape)

    return draw


def uniform(low: float = -0.5, high: float = 0.5) -> Initializer:
    """Uniform weights in [low, high); seed D's framework uses [−0.5, 0.5].

    >>> import numpy as np
    >>> W = uniform(-0.5, 0.5)((3, 3), np.random.default_rng(0))
    >>> bool((W >= -0.5).all() and (W < 0.5).all())
    True
    """
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        raise ValueError(
            f"uniform(low, high) needs finite low ≤ high; got {low!r}, {high!r}."
        )

    def draw(shape: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.uniform(low, high, size=shape)

    return draw


def he(shape: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float64]:
    """He (Kaiming) normal: N(0, 2 / n_in); keeps ReLU activations' variance steady.

    >>> import numpy as np
    >>> he((4, 8), np.random.default_rng(0)).shape
    (4, 8)
    """
    n_in = shape[1]
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=shape)


def xavier(shape: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float64]:
    """Xavier (Glorot) uniform: U(−r, r), r = √(6 / (n_in + n_out)); for tanh/sigmoid.

    >>> import numpy as np
    >>> bool(np.abs(xavier((2, 4), np.random.default_rng(0))).max() <= 1.0)
    True
    """
    n_out, n_in = shape
    r = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-r, r, size=shape)


def zeros(shape: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float64]:
    """All zeros (every neuron then learns the same thing; for tests and demos).

    >>> import numpy as np
    >>> zeros((1, 2), np.random.default_rng(0))
    array([[0., 0.]])
    """
    return np.zeros(shape)


_BY_NAME: dict[str, Initializer] = {
    "he": he,
    "xavier": xavier,
    "glorot": xavier,
    "zeros": zeros,
    "normal": normal(),
    "uniform": uniform(),
}


def get(name: str) -> Initializer:
    """The initializer called ``name``: he, xavier (or glorot), zeros, normal, uniform.

    >>> get("he") is he
    True
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        valid = ", ".join(sorted(_BY_NAME))
        raise ValueError(
            f"unknown initializer {name!r}; expected one of: {valid}."
        ) from None


def initial_weights(
    init: str | Initializer | ArrayLike,
    shape: tuple[int, ...],
    rng: int | np.random.Generator | None,
    what: str,
) -> NDArray[np.float64]:
    """A layer's initial weights of ``shape``: from a name, an initializer, or given.

    An initializer sees the (fan_out, fan_in) matrix of the weights — for a
    convolution's (c_out, c_in, kh, kw) kernels that is (c_out, c_in·kh·kw) — and its
    result is reshaped to ``shape``. Given weights must have ``shape`` exactly;
    ``what`` names the layer and the layout in that error.

    >>> initial_weights("zeros", (2, 1, 3, 3), 0, "Conv2D").shape
    (2, 1, 3, 3)
    """
    if isinstance(init, str):
        init = get(init)
    if callable(init):
        fans = (shape[0], int(np.prod(shape[1:])))
        return np.reshape(init(fans, np.random.default_rng(rng)), shape)
    W = np.asarray(init)
    if W.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} init weights must hold numbers; got an array of dtype {W.dtype}. "
            "Convert strings or objects to floats first."
        )
    if W.shape != shape:
        raise ValueError(
            f"{what} expected initial weights of shape {shape}; got {W.shape}."
        )
    return W.astype(np.float64)
