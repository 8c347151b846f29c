"""How much LivePlot slows training: fit with and without it, same data and seed.

Run: python -m benchmarks.liveplot [--epochs 150] [--every 50,1000] [--repeats 3]

Seed A's network (2-25-50-50-25-1, ReLU, sigmoid + BCE, Adam, batch 32) on 4 000
circle points. Each LivePlot redraw renders the PNG a notebook cell would receive
(the figure is drawn for real; only the hand-over to IPython is left out, so the
numbers hold outside a kernel). The overhead is (t_live − t_plain) / t_plain with
the fastest of ``--repeats`` runs of each, runs with and without LivePlot taking
turns, in wall-clock time and in the process's CPU time (on a shared machine the
CPU time is the steadier of the two: other programs' load lengthens wall-clock time
by tens of percent from one run to the next).

Measured on the shared 2-core development machine (load average ≈ 3; one drawing
of the three-panel figure costs ≈ 0.6 s there), ``--epochs 500 --repeats 2
--budgets 0.1``, 62 500 steps, 15.5 s CPU without LivePlot:

    every  draws  CPU overhead
       50      2        +1.3 %
     1000      3         +12 %

The budget is kept in wall-clock time, so on a loaded machine (training slowed by
other programs) a drawing more fits in it than the CPU time alone would allow. With
``--epochs 150`` (18 750 steps, 7.3 s) the two drawings that always happen, at the
start and at the end, cost +16 %: a fit shorter than about twenty drawings gets
those two pictures even though they exceed the budget.
"""

from __future__ import annotations

import argparse
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


def train(X, y, epochs: int, live: LivePlot | None) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one fit."""
    model = network()
    t0, c0 = time.perf_counter(), time.process_time()
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
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--every", default="50,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budgets", default="0.05,inf", help="max_overhead values")
    args = parser.parse_args(argv)
    X, y = gn.datasets.make_circles(n_samples=4000, noise=0.1, factor=0.3, seed=0)
    steps = args.epochs * -(-len(X) // 32)
    configs = [
        (int(every), budget)
        for every in args.every.split(",")
        for budget in (float(b) for b in args.budgets.split(","))
    ]
    plain: list[tuple[float, float]] = []
    timed: dict[tuple[int, float], list[tuple[tuple[float, float], LivePlot]]] = {}
    for _ in range(args.repeats):
        plain.append(train(X, y, args.epochs, None))
        for every, budget in configs:
            live = LivePlot(every=every, X=X[:400], y=y[:400], max_overhead=budget)
            live.show = live.png  # render what the cell would get
            timed.setdefault((every, budget), []).append(
                (train(X, y, args.epochs, live), live)
            )
    wall = min(w for w, _ in plain)
    cpu = min(c for _, c in plain)
    print(f"{steps} steps; without LivePlot: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(
        "every  max_overhead  draws  draw s  share  wall s  overhead  CPU s  overhead"
    )
    for (every, budget), runs in timed.items():
        w = min(t[0] for t, _ in runs)
        c = min(t[1] for t, _ in runs)
        (best, _), live = min(runs, key=lambda run: run[0][0])
        share = live.draw_seconds / (best - live.draw_seconds)  # of its training
        print(
            f"{every:5d}  {budget:12g}  {live.draws:5d}  {live.draw_seconds:6.3f}"
            f"  {share:5.1%}  {w:6.2f}  {(w - wall) / wall:+8.1%}  {c:5.2f}"
            f"  {(c - cpu) / cpu:+8.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
