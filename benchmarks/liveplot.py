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

LivePlot's rule (``glassnet.plots.live``): a due redraw waits until the drawings so
far, this one and one in reserve for the end fit in ``max_overhead`` (5 %) of the
training time; the final state is always drawn; a drawing is assumed to cost 0.5 s
until one has been timed. So drawing takes at most 5 % of a fit's time, plus one
final drawing for a fit shorter than two drawings' worth of budget (≈ 20 s), as long
as a drawing costs at most 1 s (twice the guess) or has been timed before. The
``share`` column is the drawing time over the training time of the same run; the
tests check the rule itself on a fake clock.

Measured 2026-12-01 23:00–23:15 on the shared 2-core development machine while it
was heavily loaded (load average 11–14 from other sessions' test runs): one drawing
of the three-panel figure took 1.7–3.5 s of wall-clock time there (≈ 0.6 s when the
machine is quiet), so the wall-clock columns mostly measure the other programs and
the drawings cost three to seven times the guess, the case the bound above excludes.

    --epochs 150 --every 50,1000 --repeats 2 --budgets 0.05 (18 750 steps, 6.4 s CPU)
    every  draws  draw s  share  CPU overhead
       50      1   1.730   8.9 %      +4.9 %
     1000      1   3.512  16.3 %     +11.4 %

    --epochs 600 --every 50 --repeats 1 --budgets 0.05 (75 000 steps, 24.2 s CPU)
    every  draws  draw s  share  CPU overhead
       50      2   3.630   6.2 %      +0.3 %

A fit of 18 750 steps is shorter than the 20 s the first drawing waits for, so it
gets its final picture only, which at 1.7–3.5 s a drawing is 9–16 % of its time; on
the quiet machine (0.6 s a drawing, 7.3 s of training) that picture is 8 %. The
longer fit drew once during training and once at the end: 6.2 % (5 % plus the final
drawing). Before the budget was kept this way (10 % of the time, a drawing at the
start and one at the end), the same 150-epoch fit cost +16 % and a 500-epoch one
+12 % of CPU time on a less loaded machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import NamedTuple

import glassnet as gn
from glassnet.plots.live import LivePlot


class Timed(NamedTuple):
    """One fit's wall-clock and CPU seconds, and its LivePlot's drawings."""

    wall: float
    cpu: float
    draws: int
    draw_seconds: float


def network() -> gn.Sequential:
    sizes = [2, 25, 50, 50, 25, 1]
    layers: list[gn.Layer] = []
    for i in range(len(sizes) - 1):
        layers.append(gn.Dense(sizes[i], sizes[i + 1], rng=i))
        layers.append(gn.ReLU() if i < len(sizes) - 2 else gn.Sigmoid())
    return gn.Sequential(layers)


def train(X, y, epochs: int, make_live: Callable[[], LivePlot] | None) -> Timed:
    """One fit, timed from before the LivePlot is made to the end of fit."""
    model = network()
    t0, c0 = time.perf_counter(), time.process_time()
    live = make_live() if make_live is not None else None
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
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if live is None:
        return Timed(wall, cpu, 0, 0.0)
    return Timed(wall, cpu, live.draws, live.draw_seconds)


def liveplot(X, y, every: int, budget: float) -> Callable[[], LivePlot]:
    """A maker of the LivePlot of one row, rendering what the cell would get."""

    def make() -> LivePlot:
        live = LivePlot(every=every, X=X[:400], y=y[:400], max_overhead=budget)
        live.show = live.png  # type: ignore[method-assign]
        return live

    return make


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
    plain: list[Timed] = []
    timed: dict[tuple[int, float], list[Timed]] = {c: [] for c in configs}
    for _ in range(args.repeats):
        plain.append(train(X, y, args.epochs, None))
        for every, budget in configs:
            timed[every, budget].append(
                train(X, y, args.epochs, liveplot(X, y, every, budget))
            )
    wall = min(t.wall for t in plain)
    cpu = min(t.cpu for t in plain)
    print(f"{steps} steps; without LivePlot: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(
        "every  max_overhead  draws  draw s  share  wall s  overhead  CPU s  overhead"
    )
    for (every, budget), runs in timed.items():
        w = min(t.wall for t in runs)
        c = min(t.cpu for t in runs)
        best = min(runs, key=lambda t: t.wall)
        share = best.draw_seconds / (best.wall - best.draw_seconds)  # of its training
        print(
            f"{every:5d}  {budget:12g}  {best.draws:5d}  {best.draw_seconds:6.3f}"
            f"  {share:5.1%}  {w:6.2f}  {(w - wall) / wall:+8.1%}  {c:5.2f}"
            f"  {(c - cpu) / cpu:+8.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
