"""Optimizers: update every parameter in place from its gradient.

Contract: ``step(model)`` reads ``model.parameters()`` — (name, value, gradient)
triples — and changes each value in place; state (velocities, moments) is kept per
parameter name. ``fit`` hands the optimizer the same list of triples at every step,
so the arrays each parameter's rule works with are looked up once per fit, not once
per step. The update rules and defaults are PyTorch's, so a glassnet optimizer
and its ``torch.optim`` namesake take identical steps.

Weight decay (L2) adds ``weight_decay * W`` to each gradient before the rule, as
PyTorch's ``weight_decay`` argument does (for Adam that is L2, not AdamW).

>>> import numpy as np
>>> from glassnet import Dense, Sequential
>>> model = Sequential([Dense(1, 1, init=[[1.0]], dtype=np.float64)])
>>> model.layers[0].dW[...] = 0.5
>>> SGD(lr=0.1).step(model)
>>> model.layers[0].W      # 1 − 0.1 · 0.5
array([[0.95]])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["SGD", "Adam", "Momentum", "Optimizer", "RMSProp"]

Array = NDArray[Any]


class HasParameters(Protocol):
    """Anything with ``parameters()`` (a Sequential)."""

    def parameters(self) -> Iterable[tuple[str, Array, Array]]:
        """(name, value, gradient) triples."""
        ...


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


Triple = tuple[str, Array, Array]


class Optimizer:
    """Shared bookkeeping: the learning rate, weight decay and per-parameter state.

    A rule is written once, as ``_rule(W, g, *arrays)``, where ``arrays`` are the
    parameter's state slots (named in ``slots``) followed by ``work_arrays`` work
    arrays. A subclass may instead override ``update(name, W, g)``.
    """

    slots: tuple[str, ...] = ()  # per-parameter state, e.g. ("m", "v") for Adam
    work_arrays = 1  # work arrays the rule needs

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = _positive("lr", lr)
        self.weight_decay = _positive("weight_decay", weight_decay, allow_zero=True)
        self.state: dict[str, dict[str, Array]] = {}
        self.t = 0  # steps taken
        # Work arrays for the terms of an update (lr · dW, ...), shared by parameters
        # of the same shape: a step then allocates nothing. Not state: their contents
        # mean nothing between steps.
        self._work: dict[tuple[tuple[int, ...], str, int], Array] = {}
        # The arrays of every parameter of the last list given to _step, in its order
        self._bound: list[tuple[Array, ...]] = []
        self._targets: list[tuple[Array, Array]] = []  # the (W, dW) they update
        self._bound_to: tuple[object, object] = (None, None)

    def step(self, model: HasParameters) -> None:
        """Update every parameter of ``model`` once."""
        self._step(list(model.parameters()))

    def _step(
        self, params: Sequence[Triple], flat: tuple[Array, Array] | None = None
    ) -> None:
        """Update every (name, W, dW) of ``params`` once.

        With ``flat`` = (θ, dθ) — every W of ``params`` a view of θ, laid end to end
        in their order, and every dW the same view of dθ (see
        ``Sequential._flat_parameters``) — the rule runs once, on the two vectors;
        only for an optimizer whose ``_elementwise()`` is True.

        The arrays of each parameter are looked up when ``params`` is a new list (or
        the state was replaced, as loading a checkpoint does), then reused.
        """
        self.t += 1
        wd = self.weight_decay
        if type(self).update is not Optimizer.update:  # a subclass's own update
            for name, W, dW in params:
                self.update(name, W, dW + wd * W if wd else dW)
            return
        if self._bound_to[0] is not params or self._bound_to[1] is not self.state:
            if flat is None:
                self._bound = [self._arrays(name, W) for name, W, _ in params]
                self._targets = [(W, dW) for _, W, dW in params]
            else:
                self._bound = [self._flat_arrays(params, flat[0])]
                self._targets = [flat]
            self._bound_to = (params, self.state)
        rule = self._rule
        for (W, dW), arrays in zip(self._targets, self._bound, strict=True):
            if wd:  # g = dW + wd · W, in the last work array
                g = np.multiply(W, wd, out=arrays[-1])
                g += dW
            else:
                g = dW
            rule(W, g, *arrays)

    def _flat_arrays(self, params: Sequence[Triple], theta: Array) -> tuple[Array, ...]:
        """The state slots as vectors shaped like θ, then the work arrays.

        Each parameter's slot in ``state`` becomes a view of its part of the vector,
        with its values kept, so that the state is still read, saved and restored
        per parameter name.
        """
        vectors = []
        for slot in self.slots:
            S = np.zeros_like(theta)
            start = 0
            for name, W, _ in params:
                part = S[start : start + W.size].reshape(W.shape)
                start += W.size
                old = self.state.get(name, {}).get(slot)
                if old is not None and old.shape == W.shape:
                    part[...] = old
                self.state.setdefault(name, {})[slot] = part
            vectors.append(S)
        count = self.work_arrays + (1 if self.weight_decay else 0)
        return (*vectors, *(self._scratch(theta, k) for k in range(count)))

    def _elementwise(self) -> bool:
        """Whether ``_step`` may be given all parameters as one vector θ.

        True for the built-in rules, which treat every number on its own (their
        state too), so that one update of θ is the updates of all the parameters,
        bit for bit; False for a subclass that brings its own rule, update or step.
        """
        cls = type(self)
        return (
            cls._rule in _ELEMENTWISE_RULES
            and cls.update is Optimizer.update
            and cls.step is Optimizer.step
            and cls._step in (Optimizer._step, SGD._step)
        )

    def update(self, name: str, W: Array, g: Array) -> None:
        """Apply the rule to one parameter W with gradient g (in place)."""
        self._rule(W, g, *self._arrays(name, W))

    def _rule(self, W: Array, g: Array, *arrays: Array) -> None:
        raise NotImplementedError

    def _arrays(self, name: str, W: Array) -> tuple[Array, ...]:
        """The state slots, then the work arrays (one more for weight decay)."""
        slots = tuple(self._slot(name, slot, W) for slot in self.slots)
        count = self.work_arrays + (1 if self.weight_decay else 0)
        work = tuple(self._scratch(W, k) for k in range(count))
        return slots + work

    def _scratch(self, like: Array, k: int = 0) -> Array:
        """Work array ``k`` with the shape and dtype of ``like`` (any contents)."""
        key = (like.shape, like.dtype.str, k)
        work = self._work.get(key)
        if work is None:
            work = self._work[key] = np.empty_like(like)
        return work

    def _slot(self, name: str, slot: str, like: Array) -> Array:
        per_param = self.state.setdefault(name, {})
        if slot not in per_param or per_param[slot].shape != like.shape:
            per_param[slot] = np.zeros_like(like)
        return per_param[slot]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Plain gradient descent, exactly the seeds' rule.

    Update::  W := W − lr · dW

    Matches ``torch.optim.SGD(lr=lr, weight_decay=wd)``.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        # lr as a 0-d array of each parameter dtype, and (W, dW, work, lr) for each
        # parameter of the bound list: see _step.
        self._lr_arrays: dict[str, Array] = {}
        self._lr_in_arrays = math.nan
        self._plain: list[tuple[Array, Array, Array, Array]] = []

    def _step(
        self, params: Sequence[Triple], flat: tuple[Array, Array] | None = None
    ) -> None:
        """The generic loop, or for plain SGD a shorter one (same arithmetic).

        For small networks the cost of a step is the count of NumPy calls and of
        Python operations, not arithmetic. Here the loop calls nothing per parameter
        but the two ufuncs, and lr is passed as a 0-d array of W's dtype: NumPy
        would convert a Python float to exactly that value on every call, which
        costs as much as the multiplication itself for a small W. The result is the
        same bits: lr rounded to W's dtype, times dW, subtracted from W.
        """
        cls = type(self)
        if (
            self.weight_decay
            or cls._rule is not SGD._rule
            or cls.update is not SGD.update
        ):
            super()._step(params, flat)  # L2, or a subclass's own rule or update
            return
        if self._bound_to[0] is not params or self._bound_to[1] is not self.state:
            super()._step(params, flat)  # binds the work arrays, steps once
            self._plain = [
                (W, dW, arrays[0], self._lr_array(W.dtype))
                for (W, dW), arrays in zip(self._targets, self._bound, strict=True)
            ]
            return
        if self.lr != self._lr_in_arrays:  # a new lr (a schedule), or the first step
            for lr in self._lr_arrays.values():
                lr[...] = self.lr
            self._lr_in_arrays = self.lr
        self.t += 1
        for W, dW, work, lr in self._plain:
            np.subtract(W, np.multiply(dW, lr, out=work), out=W)

    def _lr_array(self, dtype: np.dtype[Any]) -> Array:
        """The 0-d array of ``dtype`` that holds lr during the plain loop."""
        lr = self._lr_arrays.get(dtype.str)
        if lr is None:
            lr = self._lr_arrays[dtype.str] = np.array(self.lr, dtype=dtype)
            self._lr_in_arrays = math.nan  # filled before the next plain step
        return lr

    def _rule(self, W: Array, g: Array, *arrays: Array) -> None:
        """W −= lr · g."""
        W -= np.multiply(g, self.lr, out=arrays[0])


class Momentum(Optimizer):
    """Gradient descent with momentum (heavy ball), PyTorch's form.

    Update::

        v := β v + dW            (v = dW at the first step)
        W := W − lr · v

    Matches ``torch.optim.SGD(lr=lr, momentum=beta, weight_decay=wd)`` (dampening 0,
    no Nesterov). State: v per parameter.
    """

    def __init__(
        self, lr: float = 0.01, beta: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta = _fraction("beta", beta)

    slots = ("v",)

    def _rule(self, W: Array, g: Array, *arrays: Array) -> None:
        """V = β v + g; W −= lr · v."""
        v, work = arrays[0], arrays[1]
        v *= self.beta
        v += g
        np.multiply(v, self.lr, out=work)
        np.subtract(W, work, out=W)


class RMSProp(Optimizer):
    """RMSProp: scale each step by a running root-mean-square of the gradient.

    Update::

        s := ρ s + (1 − ρ) dW²
        W := W − lr · dW / (√s + ε)

    Defaults and form of ``torch.optim.RMSprop`` (lr 0.01, alpha = ρ = 0.99, ε = 1e-8,
    ε added after the square root). State: s per parameter.
    """

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

    slots = ("s",)
    work_arrays = 2

    def _rule(self, W: Array, g: Array, *arrays: Array) -> None:
        """S = ρ s + (1 − ρ) g²; W −= lr · g / (√s + ε)."""
        s, work, work1 = arrays[:3]
        s *= self.rho
        np.multiply(1 - self.rho, g, out=work)
        work *= g
        s += work  # s += (1 − ρ) g g
        denom = np.sqrt(s, out=work1)
        denom += self.eps
        np.multiply(self.lr, g, out=work)
        work /= denom
        W -= work  # W −= lr g / (√s + ε)


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction.

    Update at step t::

        m := β1 m + (1 − β1) dW
        v := β2 v + (1 − β2) dW²
        W := W − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)

    Defaults and form of ``torch.optim.Adam`` (lr 1e-3, betas (0.9, 0.999), ε = 1e-8);
    weight decay is L2 added to the gradient, as there. State: m and v per parameter.
    """

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

    slots = ("m", "v")
    work_arrays = 2

    def _rule(self, W: Array, g: Array, *arrays: Array) -> None:
        """Moments m, v; bias-corrected step."""
        m, v, work, work1 = arrays[:4]
        np.multiply(1 - self.beta1, g, out=work)
        m *= self.beta1
        m += work  # m = β1 m + (1 − β1) g
        np.multiply(1 - self.beta2, g, out=work)
        work *= g
        v *= self.beta2
        v += work  # v = β2 v + (1 − β2) g g
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        denom = np.sqrt(v, out=work1)
        denom /= math.sqrt(c2)  # a Python float: keeps float32 arrays float32
        denom += self.eps  # √v / √c2 + ε
        np.multiply(self.lr / c1, m, out=work)
        work /= denom
        W -= work  # W −= (lr / c1) m / (√v / √c2 + ε)


# The rules that treat every number on its own: see Optimizer._elementwise.
_ELEMENTWISE_RULES = {SGD._rule, Momentum._rule, RMSProp._rule, Adam._rule}
