"""How much LivePlot slows training: fit with and without it, same data and seed.

Run: python -m benchmarks.liveplot [--epochs 150] [--every 50,500] [--repeats 3]

Seed A's network (2-25-50-50-25-1, ReLU, sigmoid + BCE, Adam, batch 32) on 4 000
circle points. Each LivePlot redraw renders the PNG a notebook cell would receive
(the figure is drawn for real; only the hand-over to IPython is left out, so the
numbers hold outside a kernel). The overhead is (t_live − t_plain) / t_plain with
the fastest of ``--repeats`` runs of each, runs with and without LivePlot taking
turns (on a shared machine the fastest run is the one least disturbed).
"""

from __future__ import annotations

import argparse
import math
import time

import glassnet as gn
from glassnet.plots.live import LivePlot


def network() -> gn.Sequential:
    sizes = [2, 25, 50, 50, 25, 1]
    layers: list[gn.Layer] = []
    for i in range(len(sizes) - 1):
        layers.append(gn.Dense(sizes[i], sizes[i + 1], rng=i))
        layers.append(gn.ReLU() if i < len(sizes) - 2 else gn.Sigmoid())
    return gn.Sequential(layers)


def train(X, y, epochs: int, live: LivePlot | None) -> float:
    model = network()
    t0 = time.perf_counter()
    model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.Adam(0.01),
        epochs=epochs,
        batch_size=32,
        seed=0,
        verbose=0,
        callbacks=[live] if live is not None else [],
    )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--every", default="50,500")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    X, y = gn.datasets.make_circles(n_samples=4000, noise=0.1, factor=0.3, seed=0)
    steps = args.epochs * -(-len(X) // 32)
    configs = [
        (int(every), budget)
        for every in args.every.split(",")
        for budget in (0.1, math.inf)
    ]
    plain: list[float] = []
    timed: dict[tuple[int, float], list[tuple[float, LivePlot]]] = {}
    for _ in range(args.repeats):
        plain.append(train(X, y, args.epochs, None))
        for every, budget in configs:
            live = LivePlot(every=every, X=X[:400], y=y[:400], max_overhead=budget)
            live.show = live.png  # render what the cell would get
            timed.setdefault((every, budget), []).append(
                (train(X, y, args.epochs, live), live)
            )
    base = min(plain)
    print(f"{steps} steps; without LivePlot: {base:.3f} s (fastest of {len(plain)})")
    print("every  max_overhead  draws  draw s  total s  overhead")
    for (every, budget), runs in timed.items():
        total, live = min(runs, key=lambda r: r[0])
        print(
            f"{every:5d}  {budget:12g}  {live.draws:5d}  {live.draw_seconds:6.3f}"
            f"  {total:7.3f}  {(total - base) / base:+8.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
