"""A LeNet-like training step: glassnet against PyTorch eager, interleaved, one process.

    python -m benchmarks.cnn                     # 15 rounds of 10 steps per contender
    python -m benchmarks.cnn --rounds 5 --steps 5 --batch 64

The network is issue 12's: conv 1→16 5×5 pad 2, ReLU, max-pool 2, conv 16→32 5×5
pad 2, ReLU, max-pool 2, Flatten, Dense 1568→10, softmax + cross-entropy, SGD 0.01,
on batches of 28×28 images. The contenders start from the same weights and train on
the same batches:

- **glassnet**: ``loss_and_gradients`` then ``optimizer.step``, inside
  ``model.reusing_outputs()`` as ``fit`` runs them;
- **pytorch**: eager ``nn.Sequential``, ``torch.set_num_threads`` = NumPy's BLAS
  threads (skipped with a note when torch is missing);
- **products**: only the matrix products of a glassnet step (each conv's
  W @ cols, dZ @ cols.T and W.T @ dZ, the Dense layer's three), preallocated — the
  floor that a NumPy CNN built on one GEMM per convolution cannot go below.

Each round times every contender for ``--steps`` steps, in an order rotated from
round to round, after a warm-up round; the machine has fast and slow phases, so the
table gives medians with min–max and the ratios of medians.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import glassnet as gn


def lenet(seed: int = 0) -> gn.Sequential:
    """The benchmark's network, float32."""
    return gn.Sequential(
        [
            gn.Conv2D(1, 16, 5, padding=2, rng=seed),
            gn.ReLU(),
            gn.MaxPool2D(2),
            gn.Conv2D(16, 32, 5, padding=2, rng=seed + 1),
            gn.ReLU(),
            gn.MaxPool2D(2),
            gn.Flatten(),
            gn.Dense(32 * 7 * 7, 10, rng=seed + 2),
            gn.Softmax(),
        ],
        input_shape=(1, 28, 28),
    )


def glassnet_step(
    model: gn.Sequential, X: np.ndarray, y: np.ndarray
) -> Callable[[int], None]:
    """Steps of fit's arithmetic on the batch (X, y)."""
    loss, opt = gn.CrossEntropy(), gn.SGD(0.01)

    def run(steps: int) -> None:
        with model.reusing_outputs():
            for _ in range(steps):
                model.loss_and_gradients(X, y, loss)
                opt.step(model)

    return run


def torch_step(
    model: gn.Sequential, X: np.ndarray, y: np.ndarray
) -> Callable[[int], None] | None:
    """The same steps in PyTorch eager, from a copy of the model's weights."""
    try:
        import torch
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    threads = max(
        (i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
        default=1,
    )
    torch.set_num_threads(threads)
    nn = torch.nn
    ref = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )
    with torch.no_grad():
        for name, W, _ in model.parameters():
            i, key = name.split(".")
            target = getattr(ref[int(i)], {"W": "weight", "b": "bias"}[key])
            target.copy_(torch.from_numpy(W))
    opt = torch.optim.SGD(ref.parameters(), lr=0.01)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def run(steps: int) -> None:
        for _ in range(steps):
            opt.zero_grad(set_to_none=False)
            nn.functional.cross_entropy(ref(Xt), yt).backward()
            opt.step()

    return run


def products_step(model: gn.Sequential, m: int) -> Callable[[int], None]:
    """Only the GEMMs of a step, each written into a preallocated output."""
    rng = np.random.default_rng(0)
    products: list[tuple[Any, Any, Any]] = []
    for layer, shape in zip(model.layers, model.shapes[1:], strict=True):
        if isinstance(layer, gn.Conv2D):
            c_out, K, N = layer.c_out, layer.W[0].size, m * shape[1] * shape[2]
            W = layer.W.reshape(c_out, K)
            cols = rng.random((K, N), dtype=np.float32)
            dZ = rng.random((c_out, N), dtype=np.float32)
            products += [
                (W, cols, np.empty((c_out, N), np.float32)),  # Z = W @ cols
                (dZ, cols.T, np.empty((c_out, K), np.float32)),  # dW
                (W.T, dZ, np.empty((K, N), np.float32)),  # dcols
            ]
        elif isinstance(layer, gn.Dense):
            X = rng.random((m, layer.n_in), dtype=np.float32)
            dZ = rng.random((m, layer.n_out), dtype=np.float32)
            products += [
                (X, layer.W.T, np.empty((m, layer.n_out), np.float32)),
                (dZ.T, X, np.empty((layer.n_out, layer.n_in), np.float32)),
                (dZ, layer.W, np.empty((m, layer.n_in), np.float32)),
            ]

    def run(steps: int) -> None:
        for _ in range(steps):
            for a, b, out in products:
                np.dot(a, b, out=out)

    return run


def main(argv: list[str] | None = None) -> None:
    """Time the contenders and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=args.batch)
    contenders: dict[str, Callable[[int], None]] = {
        "glassnet": glassnet_step(lenet(), X, y)
    }
    ref = torch_step(lenet(), X, y)
    if ref is None:
        print("pytorch: not installed, skipped")
    else:
        contenders["pytorch"] = ref
    contenders["products"] = products_step(lenet(), args.batch)
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds + 1):  # round 0 warms up
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            start = time.perf_counter()
            contenders[name](args.steps)
            if r:
                times[name].append((time.perf_counter() - start) / args.steps * 1e3)
    print(
        f"LeNet-like step, batch {args.batch}, float32, {args.rounds} rounds × "
        f"{args.steps} steps, interleaved"
    )
    print("contender   ms/step median (min–max)   × pytorch   × products")
    med = {name: statistics.median(t) for name, t in times.items()}
    for name in names:
        t = times[name]
        vs_torch = f"{med[name] / med['pytorch']:.2f}" if "pytorch" in med else "—"
        print(
            f"{name:10s}  {med[name]:6.1f} ({min(t):.1f}–{max(t):.1f})"
            f"{'':10s}{vs_torch:>6s}      {med[name] / med['products']:.2f}"
        )


if __name__ == "__main__":
    main()
