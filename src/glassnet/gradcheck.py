"""Numerical gradient checking: backpropagation against central differences.

The central difference (f(x + h) − f(x − h)) / 2h has an error of order h², against
order h for the one-sided difference (seed C, seed D). With h = 1e-4 in float64 a
correct backward agrees to about 1e-8 or better, unless the loss curves on a scale
near h; ``check_gradients`` then tries h/10 and h/100 before it reports a failure.

>>> import numpy as np
>>> numerical_gradient(lambda x: float((x ** 2).sum()), np.array([1.0, -2.0]))
array([ 2., -4.])
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.losses import Loss

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "GradientCheckError",
    "check_gradients",
    "numerical_gradient",
    "relative_error",
]

Array = NDArray[Any]


class GradientCheckError(AssertionError):
    """Backpropagation and central differences disagree beyond the tolerance.

    ``check_gradients`` raises it, with the table of relative errors as its message:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> class ForgetfulTanh(gn.Tanh):           # a bug: backward drops (1 − A²)
    ...     def backward(self, dA, need_dX=True):
    ...         return dA
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), ForgetfulTanh(),
    ...                        gn.Dense(3, 1, rng=1)])
    >>> X, Y = np.random.default_rng(0).normal(size=(4, 2)), np.zeros((4, 1))
    >>> try:
    ...     gn.check_gradients(model, gn.MSE(), X, Y)
    ... except gn.GradientCheckError as error:
    ...     for line in str(error).splitlines()[:4]:
    ...         print(line)
    gradient check failed:
    parameter  relative error  ok (< 1e-06)
    0.W  W[1]       2.385e-01  NO
    0.b  b[1]       2.448e-01  NO
    """


def numerical_gradient(f: Callable[[Array], float], x: Array, h: float = 1e-4) -> Array:
    """Central differences ∂f/∂x[i] ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every i.

    ``x`` is a float array that is perturbed in place one entry at a time and restored
    exactly; ``f(x)`` must return a scalar. The result has the shape of x, in float64.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> gn.numerical_gradient(lambda W: float(np.sum(W ** 3)), W).round(4)  # 3 W²
    array([[ 3., 12.],
           [27., 48.]])
    >>> W.tolist()                              # perturbed in place, then restored
    [[1.0, 2.0], [3.0, 4.0]]
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError("numerical_gradient needs x as a floating NumPy array.")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x = x.reshape(-1)  # a view when x is contiguous, so f sees the perturbation
    if not np.shares_memory(flat_x, x):
        raise ValueError(
            "numerical_gradient needs a contiguous x (use np.ascontiguousarray)."
        )
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        saved = flat_x[i]
        flat_x[i] = saved + h
        f_plus = float(f(x))
        flat_x[i] = saved - h
        f_minus = float(f(x))
        flat_x[i] = saved
        flat_g[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12): the norm-based error (0 when equal, ≤ 1 always).

    Per-element relative errors blow up where both gradients are near zero even for
    correct code; the norms weigh each entry by its size.

    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), 1e-12)
    return float(np.linalg.norm(a - b)) / denom


def format_report(
    errors: dict[str, float], tol: float, seed_names: dict[str, str] | None = None
) -> str:
    """The per-parameter table that ``check_gradients`` raises with, as its error.

    ``seed_names`` adds the seeds' numbering beside each name ("0.W  W[1]").
    """
    seed_names = seed_names or {}
    labels = {
        name: f"{name}  {seed_names[name]}" if name in seed_names else name
        for name in errors
    }
    width = max([len("parameter")] + [len(label) for label in labels.values()])
    lines = [f"{'parameter'.ljust(width)}  relative error  ok (< {tol:g})"]
    for name, err in errors.items():
        lines.append(
            f"{labels[name].ljust(width)}  {err:14.3e}  {'yes' if err < tol else 'NO'}"
        )
    return "\n".join(lines)


def check_gradients(
    model: Sequential,
    loss: Loss,
    X: ArrayLike,
    Y: ArrayLike,
    eps: float = 1e-4,
    tol: float = 1e-6,
) -> dict[str, float]:
    """Compare backprop's dL/dparam with central differences, for every parameter.

    Works on a float64 copy of the model and loss, so the caller's model is neither
    converted nor updated; the gradients are those before any update. Uses the same
    forward/backward as training (fused output gradients included). A parameter
    whose error is ≥ tol at ``eps`` is measured again at eps/10 and eps/100: the
    error of a right backward shrinks with h (as h², until round-off), that of a
    wrong one does not.

    Returns:
        {parameter name: relative error} (the smallest over the h tried; see
        ``relative_error``).

    Raises:
        GradientCheckError: some error is ≥ tol; the message is the whole table.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(), gn.Dense(3, 1, rng=1)])
    >>> X, Y = np.random.default_rng(0).normal(size=(4, 2)), np.zeros((4, 1))
    >>> errors = gn.check_gradients(model, gn.MSE(), X, Y)
    >>> sorted(errors), all(error < 1e-6 for error in errors.values())
    (['0.W', '0.b', '2.W', '2.b'], True)
    """
    model64 = copy.deepcopy(model).astype(np.float64)
    loss64 = copy.deepcopy(loss)
    X64 = np.asarray(X, dtype=np.float64)
    Y_arr = np.asarray(Y)
    if Y_arr.dtype.kind == "f":
        Y_arr = Y_arr.astype(np.float64)
    model64.loss_and_gradients(X64, Y_arr, loss64)
    analytic = {name: dW.copy() for name, _, dW in model64.parameters()}

    # L as training computes it (training=True: BatchNorm's batch statistics), so
    # both sides differentiate the same function; the backward it also runs is
    # thrown away (its dθ is never read again).
    def L(_: Array) -> float:
        return model64.loss_and_gradients(X64, Y_arr, loss64)[0]

    # A right backward agrees better as h shrinks (the difference's error is of
    # order h²) until round-off; a wrong one stays as wrong. So a parameter that
    # misses tol at eps is measured again at eps/10 and eps/100, and its smallest
    # error counts: a loss that curves on a scale near eps (Z⁴ at Z = 0.006, say)
    # would otherwise fail correct code.
    errors: dict[str, float] = {}
    for name, W, _ in model64.parameters():
        for h in (eps, eps / 10, eps / 100):
            error = relative_error(analytic[name], numerical_gradient(L, W, h))
            errors[name] = min(error, errors.get(name, error))
            if error < tol:
                break
    if any(not err < tol for err in errors.values()):
        raise GradientCheckError(
            "gradient check failed:\n" + format_report(errors, tol, model.seed_names())
        )
    return errors
