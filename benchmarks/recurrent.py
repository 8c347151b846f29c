"""An LSTM training step: glassnet against PyTorch eager, interleaved, one process.

    python -m benchmarks.recurrent               # 15 rounds of 10 steps per contender
    python -m benchmarks.recurrent --rounds 5 --steps 5 --threads 1

The network is issue 12's LSTM row: LSTM(16 → 64) over T = 32 steps, batch 32, its
last state into Dense 64→1, mean squared error, SGD 0.01. The contenders start from
the same weights and train on the same batch:

- **glassnet**: ``loss_and_gradients`` then ``optimizer.step``, inside
  ``model.reusing_outputs()`` as ``fit`` runs them;
- **pytorch**: eager ``nn.LSTM(batch_first=True)`` + ``nn.Linear``, with
  ``torch.set_num_threads`` = the BLAS threads glassnet runs with (skipped with a
  note when torch is missing).

Each round times every contender for ``--steps`` steps, in an order rotated from
round to round, after a warm-up round; the table gives medians with min–max and the
median of the per-round ratios (the machine has fast and slow phases; a round's two
contenders see the same phase).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

import glassnet as gn

N_IN, HIDDEN, STEPS, BATCH = 16, 64, 32, 32


def lstm_model(seed: int = 0) -> gn.Sequential:
    """The benchmark's network, float32."""
    return gn.Sequential(
        [gn.LSTM(N_IN, HIDDEN, rng=seed), gn.Dense(HIDDEN, 1, rng=seed + 1)],
        input_shape=(STEPS, N_IN),
    )


def glassnet_step(
    model: gn.Sequential, X: np.ndarray, y: np.ndarray, loss: gn.Loss
) -> Callable[[int], None]:
    """Steps of fit's arithmetic on the batch (X, y): forward, backward, SGD."""
    opt = gn.SGD(0.01)

    def run(steps: int) -> None:
        with model.reusing_outputs():
            for _ in range(steps):
                model.loss_and_gradients(X, y, loss)
                opt.step(model)

    return run


def torch_step(
    model: gn.Sequential, X: np.ndarray, y: np.ndarray, threads: int
) -> Callable[[int], None] | None:
    """The same steps in PyTorch eager, from a copy of the model's weights."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    nn = torch.nn
    lstm, head = nn.LSTM(N_IN, HIDDEN, batch_first=True), nn.Linear(HIDDEN, 1)
    with torch.no_grad():
        for name, W, _ in model.parameters():
            i, key = name.split(".")
            target = (
                getattr(lstm, key)
                if i == "0"
                else getattr(head, {"W": "weight", "b": "bias"}[key])
            )
            target.copy_(torch.from_numpy(W))
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.SGD(params, lr=0.01)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def run(steps: int) -> None:
        for _ in range(steps):
            opt.zero_grad(set_to_none=False)
            out = lstm(Xt)[0][:, -1]
            nn.functional.mse_loss(head(out), yt).backward()
            opt.step()

    return run


def blas_threads() -> int:
    """The number of threads NumPy's BLAS runs with now (1 without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 1
    return max(
        (i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
        default=1,
    )


def blas_description() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, kernels, threads.

    The kernels are OpenBLAS's choice for the CPU, or OPENBLAS_CORETYPE's where the
    environment sets it, and they change the products' speed: every header says them.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS unknown (no threadpoolctl)"
    pools = [i for i in threadpool_info() if i["user_api"] == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    note = f" (set by OPENBLAS_CORETYPE={forced})" if forced else ""
    return ", ".join(
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')} kernels"
        f"{note}, {i['num_threads']} thread(s)"
        for i in pools
    )


def interleaved(
    contenders: dict[str, Callable[[int], None]], rounds: int, steps: int
) -> dict[str, list[float]]:
    """ms per step of each contender in each round, after a warm-up round.

    Each round runs every contender for ``steps`` steps, in an order rotated from
    round to round, so that a round's contenders see the same phase of the machine.
    """
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds + 1):  # round 0 warms up
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            start = time.perf_counter()
            contenders[name](steps)
            if r:
                times[name].append((time.perf_counter() - start) / steps * 1e3)
    return times


def main(argv: list[str] | None = None) -> None:
    """Time the contenders and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS and torch threads"
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    threads = blas_threads()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, STEPS, N_IN), dtype=np.float32)
    y = rng.standard_normal((BATCH, 1), dtype=np.float32)
    contenders = {"glassnet": glassnet_step(lstm_model(), X, y, gn.MSE())}
    ref = torch_step(lstm_model(), X, y, threads)
    if ref is None:
        print("pytorch: not installed, skipped")
    else:
        contenders["pytorch"] = ref
    names = list(contenders)
    times = interleaved(contenders, args.rounds, args.steps)
    print(
        f"LSTM({N_IN} → {HIDDEN}) step, T = {STEPS}, batch {BATCH}, float32, "
        f"{threads} thread(s) each, {args.rounds} rounds × {args.steps} steps, "
        "interleaved"
    )
    print(f"NumPy's BLAS: {blas_description()}")
    print("contender   ms/step median (min–max)   × pytorch (median of rounds)")
    for name in names:
        t = times[name]
        ratio = (
            statistics.median(a / b for a, b in zip(t, times["pytorch"], strict=True))
            if "pytorch" in times
            else float("nan")
        )
        print(
            f"{name:10s}  {statistics.median(t):6.2f} ({min(t):.2f}–{max(t):.2f})"
            f"{'':10s}{ratio:6.2f}"
        )


if __name__ == "__main__":
    main()
