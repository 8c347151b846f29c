"""L1 regularisation: an explicit penalty λ·Σ|W| added to the loss, and its gradient.

Beside L2 (the optimizers' ``weight_decay``, which adds wd·θ to dθ inside the step and
reports nothing), ``L1Penalty`` is a callback that makes the penalty visible::

    L_total = L_data + λ · Σ_weights |W|
    dL_total/dW = dL_data/dW + λ · sign(W)          (sign(0) = 0)

sign is the derivative of |w| everywhere but at w = 0, where |w| has a kink; there
the subgradient 0 is used (as ``torch.sign`` gives), so a weight that is exactly 0
gets no push. Where the L2 penalty's push λ·W fades as a weight shrinks, L1's stays
λ, which drives small weights to (around) zero: L1 makes networks sparse.

Which parameters: the weights — every parameter but the biases (Dense's ``b``, the
recurrent ``bias_ih_l0``/``bias_hh_l0``) and BatchNorm's γ and β, which scale and
shift rather than connect (TensorFlow Playground likewise leaves biases out).
``biases=True`` penalises every parameter in θ.

What is reported: the batch "loss" of every step (``History.step_loss``, the
callbacks' ``logs``) and the epoch's "loss" include λ·Σ|W| at the weights the step's
gradient was taken at; the history also records "l1_penalty", λ·Σ|W| at the end of
each epoch (what the weights have become; a resumed run records the same values).
``val_loss`` stays the data loss of the validation set (the penalty does not depend
on the data).

>>> import numpy as np
>>> import glassnet as gn
>>> model = gn.Sequential([gn.Dense(2, 1, init=[[1.0, -2.0]])])
>>> L1Penalty(0.1).value(model)          # 0.1 · (|1| + |−2|); the bias is left out
0.30000000000000004
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet.callbacks import Callback

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["L1Penalty", "is_bias"]

Array = NDArray[Any]

# BatchNorm's scale and shift: not connection weights, never penalised by default
_NOT_WEIGHTS = ("gamma", "beta")


def is_bias(key: str) -> bool:
    """Whether the parameter named ``key`` is a bias, scale or shift (not a weight).

    >>> [is_bias(k) for k in ("W", "b", "bias_hh_l0", "weight_ih_l0", "gamma")]
    [False, True, True, False, True]
    """
    return key == "b" or key.startswith("bias") or key in _NOT_WEIGHTS


class L1Penalty(Callback):
    """Add λ·sign(W) to dθ before each step and λ·Σ|W| to the reported loss.

    Pass it to fit: ``model.fit(..., callbacks=[gn.L1Penalty(1e-4)])``. It acts in
    ``on_backward_end``, after the built-in callbacks: the divergence guard checks
    the data loss, and with ``clip_norm`` the data gradient is clipped before the
    penalty's gradient is added. A checkpoint does not record λ: resume with the
    same callback.

    Args:
        lam: λ ≥ 0, the strength (0 adds nothing, but still records l1_penalty).
        biases: also penalise biases and BatchNorm's γ, β (default: weights only).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, init=[[0.5, -2.0]], dtype=np.float64)])
    >>> penalty = gn.L1Penalty(0.1)
    >>> penalty.value(model)                   # 0.1 · (|0.5| + |−2|)
    0.25
    >>> penalty.add_gradient(model)            # dθ += 0.1 · sign(θ), the bias left out
    >>> model.dtheta.tolist()                  # (dW, db), from dθ = 0
    [0.1, -0.1, 0.0]
    """

    def __init__(self, lam: float, *, biases: bool = False) -> None:
        if isinstance(lam, bool) or not (
            isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0
        ):
            raise ValueError(
                f"L1Penalty's lam must be a finite number ≥ 0 (e.g. 1e-4); got {lam!r}."
            )
        self.lam, self.biases = float(lam), bool(biases)

    def slices(self, model: Sequential) -> list[slice]:
        """The parts of θ (and dθ) that are penalised."""
        return [
            slice(p.start, p.stop)
            for p in model.vector.slots
            if self.biases or not is_bias(p.key)
        ]

    def value(self, model: Sequential) -> float:
        """λ·Σ|W| over the penalised parameters, at the model's current θ."""
        theta = model.theta
        total = sum(float(np.abs(theta[s]).sum()) for s in self.slices(model))
        return self.lam * total

    def add_gradient(self, model: Sequential) -> None:
        """dθ += λ·sign(θ) on the penalised parameters (in place)."""
        theta, dtheta = model.theta, model.dtheta
        lam = dtheta.dtype.type(self.lam)
        for s in self.slices(model):
            dtheta[s] += lam * np.sign(theta[s])

    def on_backward_end(
        self, step: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Take the penalty at this step's θ and add its gradient to dθ.

        The step's recorded loss is ``logs["loss"]``, so the penalty added to it
        enters the history and the epoch's mean loss.
        """
        penalty = self.value(model)
        self.add_gradient(model)
        logs["loss"] += penalty

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Add λ·Σ|W| at the epoch's end to its logs as "l1_penalty" (the history)."""
        logs["l1_penalty"] = self.value(model)

    def __repr__(self) -> str:
        extra = ", biases=True" if self.biases else ""
        return f"L1Penalty({self.lam}{extra})"
