"""Optimizers: an update rule on the model's one parameter vector θ, from dθ.

Every parameter of a model lies in one vector θ and every gradient in one vector dθ
(``glassnet.params``), so an optimizer is its rule, written once, on two vectors:
``SGD`` is ``θ −= lr · dθ``. State (velocities, moments) is vectors shaped like θ,
readable per parameter name as views (``state_views``). The rules and defaults are
PyTorch's, so a glassnet optimizer and its ``torch.optim`` namesake take identical
steps.

Weight decay (L2) adds ``weight_decay · θ`` to dθ before the rule, as PyTorch's
``weight_decay`` argument does (for Adam that is L2, not AdamW).

>>> import numpy as np
>>> from glassnet import Dense, Sequential
>>> model = Sequential([Dense(1, 1, init=[[1.0]], dtype=np.float64)])
>>> model.dtheta[...] = 0.5           # dW = 0.5, db = 0.5
>>> SGD(lr=0.1).step(model)
>>> model.theta                       # W: 1 − 0.1 · 0.5, b: 0 − 0.1 · 0.5
array([ 0.95, -0.05])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.params import ParameterVector

__all__ = ["SGD", "Adam", "Momentum", "Optimizer", "RMSProp"]

Array = NDArray[Any]


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and ok):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}.")
    return value


def _fraction(name: str, value: float) -> float:
    value = float(value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must lie in [0, 1); got {value!r}.")
    return value


class Optimizer:
    """The learning rate, weight decay, the step count t and the state vectors.

    A subclass names its state vectors in ``slots`` and writes ``rule(θ, g)``, which
    changes θ in place from the gradient g (dθ, plus weight decay). ``step(model)``
    does the rest.

    An optimizer belongs to the first model it steps: its state means nothing for
    another one, so stepping a second model raises a ValueError.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> class SignSGD(gn.Optimizer):             # θ −= lr · sign(g)
    ...     def rule(self, theta, g):
    ...         theta -= self.lr * np.sign(g)
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[1.0]], dtype=np.float64)])
    >>> model.dtheta[...] = [0.5, -2.0]          # dW, db
    >>> optimizer = SignSGD(lr=0.1)
    >>> optimizer.step(model)
    >>> model.theta.tolist(), optimizer.t        # W: 1 − 0.1, b: 0 + 0.1
    ([0.9, 0.1], 1)
    """

    slots: tuple[str, ...] = ()  # state vectors, e.g. ("m", "v") for Adam

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = _positive("lr", lr)
        self.weight_decay = _positive("weight_decay", weight_decay, allow_zero=True)
        self.t = 0  # steps taken
        self.state: dict[str, Array] = {}  # slot → vector shaped like θ
        self._model: Sequential | None = None
        self._vector: ParameterVector | None = None
        # Work vectors for the terms of a step (lr · g, ...): a step then allocates
        # nothing. Their contents mean nothing between steps.
        self._work: list[Array] = []

    def step(self, model: Sequential) -> None:
        """Update θ of ``model`` once from its gradient dθ."""
        vector = model.vector
        if vector is not self._vector:
            self.bind(model)
        theta, g = vector.theta, vector.dtheta
        if self.weight_decay:  # g = dθ + wd · θ
            g = np.multiply(theta, self.weight_decay, out=self.work(0))
            g += vector.dtheta
        self.t += 1
        self.rule(theta, g)

    def rule(self, theta: Array, g: Array) -> None:
        """Change θ in place from the gradient g (the subclass's update rule)."""
        raise NotImplementedError

    def bind(self, model: Sequential) -> None:
        """Make (or keep) the state vectors for ``model``'s θ.

        The state is kept through a new layout of the same model (``astype``) and
        starts at zero otherwise.

        Raises:
            ValueError: this optimizer has already stepped another model.
        """
        self.check_model(model)
        vector = model.vector
        old = self.state_views() if self._vector is not None else {}
        self.state = {slot: np.zeros_like(vector.theta) for slot in self.slots}
        self._model, self._vector, self._work = model, vector, []
        for name, slots in old.items():
            for slot, values in self.state_views().get(name, {}).items():
                values[...] = slots[slot]

    def check_model(self, model: Sequential) -> None:
        """Raise a ValueError if this optimizer has stepped another model."""
        if self._model is not None and self._model is not model:
            raise ValueError(
                f"this {type(self).__name__} has already stepped another model; its "
                "state (step count, moments) belongs to that one. Give each model "
                f"its own optimizer: {type(self).__name__}(...)."
            )

    def state_views(self) -> dict[str, dict[str, Array]]:
        """Each parameter name → {slot: its view of the state vector}."""
        vector = self._vector
        if vector is None:
            return {}
        views = {slot: vector.views(S) for slot, S in self.state.items()}
        return {
            p.name: {slot: views[slot][p.name] for slot in self.state}
            for p in vector.slots
        }

    def work(self, k: int) -> Array:
        """Work vector ``k``, shaped like θ (any contents)."""
        assert self._vector is not None  # step binds before the rule runs
        while len(self._work) <= k:
            self._work.append(np.empty_like(self._vector.theta))
        return self._work[k]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Plain gradient descent, exactly the seeds' rule.

    Update::  θ := θ − lr · dθ

    Matches ``torch.optim.SGD(lr=lr, weight_decay=wd)``.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, init=[[1.0, -1.0]], dtype=np.float64)])
    >>> _ = model.loss_and_gradients(np.array([[1.0, 2.0]]), [[1.0]], gn.MSE())
    >>> theta, dtheta = model.theta.copy(), model.dtheta.copy()
    >>> theta.tolist(), dtheta.tolist()          # (W, b) and (dW, db)
    ([1.0, -1.0, 0.0], [-2.0, -4.0, -2.0])
    >>> gn.SGD(lr=0.1).step(model)
    >>> model.theta.tolist(), bool(np.array_equal(model.theta, theta - 0.1 * dtheta))
    ([1.2, -0.6, 0.2], True)
    """

    def rule(self, theta: Array, g: Array) -> None:
        """θ −= lr · g."""
        theta -= np.multiply(g, self.lr, out=self.work(1))


class Momentum(Optimizer):
    """Gradient descent with momentum (heavy ball), PyTorch's form.

    Update::

        v := β v + dθ            (v = dθ at the first step, from v = 0)
        θ := θ − lr · v

    Matches ``torch.optim.SGD(lr=lr, momentum=beta, weight_decay=wd)`` (dampening 0,
    no Nesterov). State: v.
    """

    slots = ("v",)

    def __init__(
        self, lr: float = 0.01, beta: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta = _fraction("beta", beta)

    def rule(self, theta: Array, g: Array) -> None:
        """V = β v + g; θ −= lr · v."""
        v = self.state["v"]
        v *= self.beta
        v += g
        theta -= np.multiply(v, self.lr, out=self.work(1))


class RMSProp(Optimizer):
    """RMSProp: scale each step by a running root-mean-square of the gradient.

    Update::

        s := ρ s + (1 − ρ) dθ²
        θ := θ − lr · dθ / (√s + ε)

    Defaults and form of ``torch.optim.RMSprop`` (lr 0.01, alpha = ρ = 0.99, ε = 1e-8,
    ε added after the square root). State: s.
    """

    slots = ("s",)

    def __init__(
        self,
        lr: float = 0.01,
        rho: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.rho = _fraction("rho", rho)
        self.eps = _positive("eps", eps)

    def rule(self, theta: Array, g: Array) -> None:
        """S = ρ s + (1 − ρ) g²; θ −= lr · g / (√s + ε)."""
        s, term, denom = self.state["s"], self.work(1), self.work(2)
        s *= self.rho
        np.multiply(1 - self.rho, g, out=term)
        term *= g
        s += term  # s = ρ s + (1 − ρ) g g
        np.sqrt(s, out=denom)
        denom += self.eps
        np.multiply(self.lr, g, out=term)
        term /= denom
        theta -= term  # θ −= lr g / (√s + ε)


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction.

    Update at step t::

        m := β1 m + (1 − β1) dθ
        v := β2 v + (1 − β2) dθ²
        θ := θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)

    Defaults and form of ``torch.optim.Adam`` (lr 1e-3, betas (0.9, 0.999), ε = 1e-8);
    weight decay is L2 added to the gradient, as there. State: m and v.
    """

    slots = ("m", "v")

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta1 = _fraction("beta1", beta1)
        self.beta2 = _fraction("beta2", beta2)
        self.eps = _positive("eps", eps)

    def rule(self, theta: Array, g: Array) -> None:
        """Moments m, v; the bias-corrected step."""
        m, v, term, denom = self.state["m"], self.state["v"], self.work(1), self.work(2)
        m *= self.beta1
        m += np.multiply(1 - self.beta1, g, out=term)  # m = β1 m + (1 − β1) g
        np.multiply(1 - self.beta2, g, out=term)
        term *= g
        v *= self.beta2
        v += term  # v = β2 v + (1 − β2) g g
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        np.sqrt(v, out=denom)
        denom /= math.sqrt(c2)  # a Python float: keeps float32 vectors float32
        denom += self.eps  # √v / √c2 + ε
        np.multiply(self.lr / c1, m, out=term)
        term /= denom
        theta -= term  # θ −= (lr / c1) m / (√v / √c2 + ε)
