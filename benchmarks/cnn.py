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
  W2 @ cols, dZ2 @ cols.T and W2.T @ dZ2 — which the layer runs one kernel row at a
  time, the same FLOPs — and the Dense layer's three), preallocated, with cols in
  the layer's own layout: the floor that a NumPy CNN built on one GEMM per
  convolution cannot go below.

Each round times every contender for ``--steps`` steps, in an order rotated from
round to round, after a warm-up round; the machine has fast and slow phases, so the
table gives medians with min–max and the ratios of medians. ``--threads N`` sets
NumPy's BLAS threads (and so torch's) first.

``--memory`` measures instead the peak memory of one epoch of ``demo cnn`` (its
network, Adam, batch 64, on the MNIST training images, ``GLASSNET_DATA``) with
tracemalloc, against issue 12's budget: 2 × (data + parameters + optimizer state +
one batch's activations). ``--memory-subset N`` trains on the first N images only.
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import glassnet as gn
from benchmarks.recurrent import (
    blas_description,
    blas_threads,
    glassnet_step,
    interleaved,
)


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


def torch_step(
    model: gn.Sequential, X: np.ndarray, y: np.ndarray
) -> Callable[[int], None] | None:
    """The same steps in PyTorch eager, from a copy of the model's weights."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(blas_threads())
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


def products_step(model: gn.Sequential, X: np.ndarray) -> Callable[[int], None]:
    """Only the GEMMs of a glassnet step on X, each written into a preallocated output.

    A training forward first builds each convolution's cols, so that every product
    reads its operands in the memory order the layer gives them (cols is stored
    channels first or channels last: ``Conv2D._im2col``).
    """
    rng = np.random.default_rng(0)
    products: list[tuple[Any, Any, Any]] = []
    model.forward(X, training=True)
    m = X.shape[0]
    for layer in model.layers:
        if isinstance(layer, gn.Conv2D):
            assert layer.cols is not None
            cols = layer.cols.copy(order="K")  # (K, N), the layer's memory order
            (K, N), c_out = cols.shape, layer.c_out
            W2 = layer.W.transpose(layer._kernel_axes).reshape(c_out, K)
            dZ2 = rng.random((c_out, N), dtype=np.float32)
            products += [
                (W2, cols, np.empty((c_out, N), np.float32)),  # Z2 = W2 @ cols
                (dZ2, cols.T, np.empty((c_out, K), np.float32)),  # dW2
                (np.ascontiguousarray(W2.T), dZ2, np.empty((K, N), np.float32)),
            ]  # the last, dcols, the layer computes one kernel row at a time
        elif isinstance(layer, gn.Dense):
            A = rng.random((m, layer.n_in), dtype=np.float32)
            dZ = rng.random((m, layer.n_out), dtype=np.float32)
            products += [
                (A, layer.W.T, np.empty((m, layer.n_out), np.float32)),
                (dZ.T, A, np.empty((layer.n_out, layer.n_in), np.float32)),
                (dZ, layer.W, np.empty((m, layer.n_in), np.float32)),
            ]

    def run(steps: int) -> None:
        for _ in range(steps):
            for a, b, out in products:
                np.dot(a, b, out=out)

    return run


def epoch_memory(
    batch: int = 64, subset: int | None = None, data_dir: str | None = None
) -> dict[str, float]:
    """Peak memory of one epoch of ``demo cnn``'s training, and issue 12's budget.

    The images are loaded (float32) before tracing starts and counted as data;
    tracemalloc then sees every NumPy allocation of the model, the optimizer, fit's
    batches and each layer's buffers (im2col's columns included). A batch's
    activations are every layer's output for ``batch`` samples (the shape chain).
    """
    from glassnet.datasets import load_mnist
    from glassnet.demos import cnn_model

    (X, y), _ = load_mnist(data_dir, flatten=False)
    X, y = X[:subset].reshape(-1, 1, 28, 28), y[:subset]
    tracemalloc.start()
    model, opt = cnn_model(), gn.Adam(1e-3)
    model.fit(
        X, y, loss=gn.CrossEntropy(), optimizer=opt, epochs=1, batch_size=batch,
        seed=0, verbose=0,
    )  # fmt: skip
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    params = sum(W.nbytes for _, W, _ in model.parameters())
    state = sum(a.nbytes for a in opt.state.values())  # one vector per slot
    activations = (
        batch * model.dtype.itemsize * sum(int(np.prod(s)) for s in model.shapes[1:])
    )
    data = X.nbytes + y.nbytes
    budget = 2 * (data + params + state + activations)
    return {
        "data_MB": data / 1e6,
        "params_MB": params / 1e6,
        "optimizer_state_MB": state / 1e6,
        "activations_MB": activations / 1e6,
        "peak_MB": (data + peak) / 1e6,
        "budget_MB": budget / 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    """Time the contenders and print the table (or the memory row)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--memory-subset", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    if args.memory:
        mem = epoch_memory(args.batch, args.memory_subset)
        print(
            f"Peak memory of a demo-cnn epoch (batch {args.batch}, Adam, tracemalloc, "
            "data set counted)"
        )
        print(
            "| data MB | params MB | optimizer state MB | batch activations MB | "
            "peak MB | budget MB = 2 × (sum) | peak ÷ budget |"
        )
        print("|---|---|---|---|---|---|---|")
        print(
            f"| {mem['data_MB']:.1f} | {mem['params_MB']:.2f} | "
            f"{mem['optimizer_state_MB']:.2f} | {mem['activations_MB']:.1f} | "
            f"{mem['peak_MB']:.1f} | {mem['budget_MB']:.1f} | "
            f"{mem['peak_MB'] / mem['budget_MB']:.2f} |"
        )
        return
    rng = np.random.default_rng(0)
    X = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=args.batch)
    contenders: dict[str, Callable[[int], None]] = {
        "glassnet": glassnet_step(lenet(), X, y, gn.CrossEntropy())
    }
    ref = torch_step(lenet(), X, y)
    if ref is None:
        print("pytorch: not installed, skipped")
    else:
        contenders["pytorch"] = ref
    contenders["products"] = products_step(lenet(), X)
    names = list(contenders)
    times = interleaved(contenders, args.rounds, args.steps)
    print(
        f"LeNet-like step, batch {args.batch}, float32, {blas_threads()} BLAS "
        f"thread(s) (and as many for torch), {args.rounds} rounds × {args.steps} "
        "steps, interleaved; ratios: median over rounds of the round's ratio"
    )
    print(f"NumPy's BLAS: {blas_description()}")
    print("contender   ms/step median (min–max)   × pytorch   × products")

    def ratio(name: str, other: str) -> str:
        if other not in times:
            return "—"
        pairs = zip(times[name], times[other], strict=True)
        return f"{statistics.median(a / b for a, b in pairs):.2f}"

    for name in names:
        t = times[name]
        print(
            f"{name:10s}  {statistics.median(t):6.1f} ({min(t):.1f}–{max(t):.1f})"
            f"{'':10s}{ratio(name, 'pytorch'):>6s}      {ratio(name, 'products')}"
        )


if __name__ == "__main__":
    main()
