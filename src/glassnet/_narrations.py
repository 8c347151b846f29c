"""Two narrations of the seeds: seed D's chain of weights, seed B's descent.

``chain`` and ``descent`` print the worked examples step by step, with the
backpropagated gradients beside central differences (``glassnet demo chain``,
``glassnet demo descent``). ``glassnet.demos`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from glassnet.descent import gradient_descent
from glassnet.gradcheck import numerical_gradient
from glassnet.layers import Dense
from glassnet.losses import MSE
from glassnet.model import Sequential
from glassnet.optimizers import SGD

__all__ = ["DESCENT_RUNS", "DESCENT_STEPS", "chain", "chain_model", "descent"]


# ---- seed D: the chain of three weights ---------------------------------------------
def chain_model(w: Sequence[float]) -> Sequential:
    """Seed D's network: three 1 → 1 Dense maps without bias, weights w, float64."""
    return Sequential(
        [Dense(1, 1, bias=False, init=[[wi]], dtype=np.float64) for wi in w]
    )


def _loss_of(model: Sequential, X: np.ndarray, T: np.ndarray, loss: MSE) -> Any:
    """L as a function of the (perturbed in place) weights, for numerical_gradient."""
    return lambda _: model.forward_loss(X, T, loss)[0]


def _train_chain(
    w: tuple[float, float, float],
    epochs: int,
    lr: float,
    out: TextIO | None,
    show: set[int] | None = None,
) -> tuple[Sequential, float, list[float]]:
    """Per-sample SGD on seed D's two samples.

    Returns:
        The model, max |backprop − numerical| and the loss of every update.
    """
    model, loss, opt = chain_model(w), MSE(), SGD(lr)
    samples = [(1.0, -1.0), (-1.0, 1.0)]
    worst = 0.0
    losses: list[float] = []
    for epoch in range(1, epochs + 1):
        for x, t in samples:
            X, T = np.array([[x]]), np.array([[t]])
            L, _ = model.loss_and_gradients(X, T, loss)
            losses.append(float(L))
            backprop = [float(dW[0, 0]) for _, _, dW in model.parameters()]

            numeric = [
                float(numerical_gradient(_loss_of(model, X, T, loss), W)[0, 0])
                for _, W, _ in model.parameters()
            ]
            worst = max(
                worst, *(abs(a - b) for a, b in zip(backprop, numeric, strict=True))
            )
            if out is not None and show is not None and epoch in show:
                pairs = "  ".join(
                    f"{a:+.8f} {b:+.8f}" for a, b in zip(backprop, numeric, strict=True)
                )
                print(f"{epoch:5d}  {x:+.0f}  {L:.6f}  {pairs}", file=out)
            opt.step(model)  # every gradient first, then every update (the correction)
    return model, worst, losses


def chain(out: TextIO, epochs: int = 160, lr: float = 0.05) -> dict[str, Any]:
    """Seed D: learn e = −x with y = w1·x, z = w2·y, e = w3·z, L = ½ (e − ê)².

    Prints, for chosen epochs, each sample's loss and every weight's gradient from
    backpropagation beside its central difference (ε = 1e-4); then the weights and the
    predictions sign(e). Returns the final numbers, and in "step_loss" the loss of
    each of the 2 · epochs updates.
    """
    w0 = (0.2333, -0.233, -0.52133)
    n_epochs = f"{epochs} epoch" + ("" if epochs == 1 else "s")
    print(
        "seed D: three weights in a chain, y = w1·x, z = w2·y, e = w3·z, "
        "L = ½ (e − ê)²",
        file=out,
    )
    print(
        f"samples x = +1 → ê = −1 and x = −1 → ê = +1; lr {lr}, {n_epochs}, one "
        f"sample per update; start w = {w0}",
        file=out,
    )
    print(
        "every gradient is computed before any weight changes (the seed's code "
        "updated w3 first),\nso backprop and central differences agree:\n",
        file=out,
    )
    header = "  ".join(f"dL/dw{i} backprop  numerical " for i in (1, 2, 3))
    print(f"epoch   x  loss      {header}".rstrip(), file=out)
    show = {1, 2, 3} | set(range(20, epochs + 1, 20)) | {epochs}
    model, worst, losses = _train_chain(w0, epochs, lr, out, show)
    w = [float(W[0, 0]) for _, W, _ in model.parameters()]
    e_pos = float(model.predict(np.array([[1.0]]))[0, 0])
    e_neg = float(model.predict(np.array([[-1.0]]))[0, 0])
    print(
        f"\nafter {n_epochs}: w1 = {w[0]:+.5f}, w2 = {w[1]:+.5f}, "
        f"w3 = {w[2]:+.5f}  (w1·w2·w3 = {w[0] * w[1] * w[2]:+.5f}, target −1)",
        file=out,
    )
    print(
        f"predict(+1) = sign({e_pos:+.4f}) = {np.sign(e_pos):+.0f}   "
        f"predict(−1) = sign({e_neg:+.4f}) = {np.sign(e_neg):+.0f}",
        file=out,
    )
    print(f"largest |backprop − numerical| over all updates: {worst:.1e}", file=out)
    same, _, _ = _train_chain((0.2333, 0.2333, 0.2333), epochs, lr, None)
    e_same = float(same.predict(np.array([[1.0]]))[0, 0])
    print(
        f"with w1 = w2 = w3 = 0.2333 instead: e(+1) = {e_same:+.4f} after {n_epochs} "
        "— the equal weights stay equal and their gradients ∝ w² vanish, so it "
        "fails to learn.",
        file=out,
    )
    return {
        "w1": w[0],
        "w2": w[1],
        "w3": w[2],
        "e_pos": e_pos,
        "e_neg": e_neg,
        "max_gradient_difference": worst,
        "e_pos_equal_start": e_same,
        "step_loss": losses,
    }


# ---- seed B: descent on f(x, y) = x² + y² -------------------------------------------
# (learning rate, steps) of the three descents that ``descent`` prints, from (−5, −5).
DESCENT_RUNS: tuple[tuple[float, int], ...] = ((0.5, 5), (0.1, 8), (1.05, 5))
# the steps of a descent at a learning rate the user chose (``demo descent --lr``)
DESCENT_STEPS = 10


def _f(p: np.ndarray) -> float:
    return float(p[0] ** 2 + p[1] ** 2)


def _descent_table(out: TextIO, lr: float, path: np.ndarray) -> None:
    print(
        f"\nlr {lr}: step  (x, y)                 f(x, y)     "
        "∇f = (2x, 2y)            numerical ∇f",
        file=out,
    )
    for k, p in enumerate(path):
        num = numerical_gradient(_f, p.copy())
        print(
            f"      {k:4d}  ({p[0]:+8.4f}, {p[1]:+8.4f})  {_f(p):10.4f}  "
            f"({2 * p[0]:+8.4f}, {2 * p[1]:+8.4f})  ({num[0]:+8.4f}, {num[1]:+8.4f})",
            file=out,
        )


def descent(
    out: TextIO, runs: Sequence[tuple[float, int]] = DESCENT_RUNS
) -> dict[str, list[float]]:
    """Seed B: gradient descent on f(x, y) = x² + y² from (−5, −5), step by step.

    With lr 0.5 one step lands on the minimum (0, 0), where the gradient is the zero
    vector and descent stops; lr 0.1 creeps towards it; lr 1.05 overshoots and
    diverges (seed A: too large a learning rate does not converge). ``runs`` replaces
    these three (lr, steps) pairs; each step multiplies (x, y) by 1 − 2·lr.

    Returns:
        The end point of each run, keyed "lr <lr>".
    """
    # every path first: a descent that fails (DescentError) prints nothing
    paths = [
        gradient_descent(_f, [-5.0, -5.0], lr=lr, steps=steps, grad=lambda p: 2 * p)
        for lr, steps in runs
    ]
    print("seed B: gradient descent on f(x, y) = x² + y², start (−5, −5)", file=out)
    print("update (x, y) := (x, y) − lr · ∇f(x, y)", file=out)
    ends = {}
    for (lr, _), path in zip(runs, paths, strict=True):
        _descent_table(out, lr, path)
        ends[f"lr {lr}"] = path[-1].tolist()
    if tuple(runs) == DESCENT_RUNS:
        print(
            "\nlr 0.5 reaches (0, 0) in one step and stops (zero gradient); lr 0.1 "
            "shrinks the distance by 0.8 a step; lr 1.05 multiplies it by −1.1 and "
            "diverges.",
            file=out,
        )
    else:
        for lr, _ in runs:
            factor = 1 - 2 * lr
            verdict = (
                "reaches (0, 0) in one step"
                if factor == 0
                else "converges"
                if abs(factor) < 1
                else "never moves closer"
                if abs(factor) == 1
                else "diverges"
            )
            print(
                f"\nlr {lr:g}: each step multiplies the distance to (0, 0) by "
                f"1 − 2·lr = {factor:+g}, so the descent {verdict}.",
                file=out,
            )
    return ends
