"""How much LivePlot slows training: fit with and without it, same data and seed.

Run: python -m benchmarks.liveplot [--epochs 150] [--every 50,1000] [--repeats 9]
                                   [--budgets 0.05]   (0.05,inf adds unbudgeted rows)

Seed A's network (2-25-50-50-25-1, ReLU, sigmoid + BCE, Adam, batch 32) on 4 000
circle points, 150 epochs: 18 750 steps, ≈ 3.2 s on the quiet 2-core machine. Each
LivePlot redraw renders the PNG a notebook cell would receive (the figure is drawn
for real; only the hand-over to IPython is left out, so the numbers hold outside a
kernel), and the timing includes building the LivePlot. Runs without and with
LivePlot come in pairs, one right after the other (a shared machine's speed drifts
by tens of percent within a minute, much less within a pair); the overhead is the
median over ``--repeats`` pairs of (t_live − t_plain) / t_plain, in wall-clock time
and in the process's CPU time. ``share`` is LivePlot's own timed work (``build s``,
building the figure; ``draw s``, its drawings) over the rest of the same run: the
overhead with the machine's noise taken out. The last lines give what the first
LivePlot of the process cost (it renders every text once) and what a drawing and
a build cost in CPU time.

LivePlot's rule (``glassnet.plots.live``): a due redraw waits until building the
figure (in its first fit), the drawings so far, this one and a full one in reserve
for the end fit in ``max_overhead`` (5 %) of the training time; the final state is
always drawn. So LivePlot takes at most 5 % of a fit's time, or, for a fit too
short for a drawing during it, the build and the final drawing: ≈ 0.1 s, under
10 % from a fit of ≈ 1 s (≈ 0.35 s and ≈ 3.5 s for the first LivePlot of a
process, which renders each of its texts once).

Measured 2026-12-02 on the shared 2-core machine, the plain fit taking 5.0–5.2 s
(slower than its quiet 3.2 s all night; its speed jumped between two states, a
0.5 M-iteration Python loop taking 30 or 55 ms at random). The defaults, twice:

    02:36–02:39, load 0.7–1.5: without LivePlot (median of 18) 5.193 s wall
    every  max_overhead  draws  build s  draw s  share  wall overhead  CPU overhead
       50          0.05      3    0.055   0.160   4.4%          -2.0%         -1.8%
     1000          0.05      4    0.034   0.211   5.0%          -0.1%         +0.3%
    first LivePlot of the process: build 0.118 s, 1 drawing 0.203 s; +3.0% wall
    one drawing, CPU median of 7: 57 ms with its background, 35 ms blitted;
    building the figure 57 ms

    02:39–02:42, load 1.0–1.4: without LivePlot (median of 18) 5.046 s wall
       50          0.05      3    0.048   0.160   4.0%          +3.8%         +4.1%
     1000          0.05      2    0.060   0.127   3.8%          +9.4%         +9.6%
    first LivePlot of the process: build 0.159 s, 1 drawing 0.187 s; +7.4% wall
    one drawing, CPU median of 7: 55 ms with its background, 46 ms blitted;
    building the figure 42 ms

The overheads scatter by several percent around LivePlot's share (4–5 %: the
budget is spent on drawings during the fit): single pairs range from −13 % to
+18 % (six pairs of every=50 at 02:23, shares 2.2–7.7 %), and six earlier runs of
3 or 5 pairs (02:09–02:35) gave −5.2 % to +19.4 % at every=50 and −9.4 % to
+12.9 % at every=1000, three of them with a row above 10 % — hence nine pairs.
That nothing but LivePlot's own work is added was checked by counting
instructions (valgrind --tool=cachegrind, OPENBLAS_NUM_THREADS=1, 4 epochs): a fit
with LivePlot runs 0.521 G instructions more than one without, and LivePlot's
hooks, build and drawings on the same records without a fit run 0.523 G. Without
a budget (``--budgets 0.05,inf``, 02:25–02:35) every=50 drew 376 times in 15.4–16.0 s
(+283 % to +298 % wall) and every=1000 19 times in 0.9 s (+21 % to +23 %). The
earlier LivePlot (a full matplotlib drawing, 0.25–0.45 s) measured +9.4 % / +16.5 %
(wall / CPU) at every=50 and +26.8 % / +34.2 % at every=1000 (00:15, plain fit
3.2 s), and drew 376 times in 115 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import glassnet as gn
from glassnet.plots.live import LivePlot


class Timed(NamedTuple):
    """One fit's wall-clock and CPU seconds; its LivePlot's build and drawings."""

    wall: float
    cpu: float
    draws: int = 0
    draw_seconds: float = 0.0
    build_seconds: float = 0.0

    @property
    def share(self) -> float:
        """LivePlot's own time (build and drawings) over the training time."""
        own = self.build_seconds + self.draw_seconds
        return own / (self.wall - own)


def network() -> gn.Sequential:
    sizes = [2, 25, 50, 50, 25, 1]
    layers: list[gn.Layer] = []
    for i in range(len(sizes) - 1):
        layers.append(gn.Dense(sizes[i], sizes[i + 1], rng=i))
        layers.append(gn.ReLU() if i < len(sizes) - 2 else gn.Sigmoid())
    return gn.Sequential(layers)


def train(
    X,
    y,
    epochs: int,
    make_live: Callable[[], LivePlot] | None,
    keep: list | None = None,
) -> Timed:
    """One fit, timed from before the LivePlot is made to the end of fit.

    ``keep`` receives the LivePlot and the model (for ``costs``).
    """
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
    if keep is not None:
        keep[:] = [live, model]
    if live is None:
        return Timed(wall, cpu)
    return Timed(wall, cpu, live.draws, live.draw_seconds, live.build_seconds)


def liveplot(X, y, every: int, budget: float) -> Callable[[], LivePlot]:
    """A maker of the LivePlot of one row, rendering what the cell would get."""

    def make() -> LivePlot:
        live = LivePlot(every=every, X=X[:400], y=y[:400], max_overhead=budget)
        live.show = live.png  # type: ignore[method-assign]
        return live

    return make


def costs(live: LivePlot, model: gn.Sequential, n: int = 7) -> str:
    """What building the figure and one drawing of a fit's end state cost.

    CPU time of this thread (``time.thread_time``: steadier than the wall clock on
    a shared machine), the median of ``n``, in a process that has drawn before:
    a drawing that redraws the background, a blitted one, and LivePlot(...).
    """

    def median_ms(work: Callable[[], object]) -> float:
        times = []
        for _ in range(n):
            t0 = time.thread_time()
            work()
            times.append(time.thread_time() - t0)
        return 1000 * sorted(times)[n // 2]

    def full() -> None:
        live.view._background = None  # as when the frame changes
        live.draw(model)

    X, y = live.X, live.y
    return (
        f"one drawing, CPU median of {n}: {median_ms(full):.0f} ms with its"
        f" background, {median_ms(lambda: live.draw(model)):.0f} ms blitted; building"
        f" the figure {median_ms(lambda: LivePlot(X=X, y=y)):.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--every", default="50,1000")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--budgets", default="0.05", help="max_overhead values")
    args = parser.parse_args(argv)
    X, y = gn.datasets.make_circles(n_samples=4000, noise=0.1, factor=0.3, seed=0)
    steps = args.epochs * -(-len(X) // 32)
    # the budgeted rows first in each repeat, then the costly unbudgeted ones
    configs = [
        (int(every), budget)
        for budget in sorted(float(b) for b in args.budgets.split(","))
        for every in args.every.split(",")
    ]
    # runs with and without LivePlot in pairs, one right after the other: the load
    # of a shared machine drifts by tens of percent over a minute, much less
    # within a pair
    pairs: dict[tuple[int, float], list[tuple[Timed, Timed]]] = {c: [] for c in configs}
    last: list = []
    for _ in range(args.repeats):
        for every, budget in configs:
            plain = train(X, y, args.epochs, None)
            live = train(X, y, args.epochs, liveplot(X, y, every, budget), last)
            pairs[every, budget].append((plain, live))
    plains = [p for runs in pairs.values() for p, _ in runs]
    wall = statistics.median(p.wall for p in plains)
    cpu = statistics.median(p.cpu for p in plains)
    print(
        f"{steps} steps; without LivePlot (median of {len(plains)}): {wall:.3f} s"
        f" wall, {cpu:.3f} s CPU; overheads: the median of {args.repeats} pairs"
    )
    print(
        "every  max_overhead  draws  build s  draw s  share"
        "  wall overhead  CPU overhead"
    )
    for (every, budget), runs in pairs.items():
        lives = [live for _, live in runs]
        mid = sorted(lives, key=lambda t: t.wall)[len(lives) // 2]
        dw = statistics.median((b.wall - a.wall) / a.wall for a, b in runs)
        dc = statistics.median((b.cpu - a.cpu) / a.cpu for a, b in runs)
        print(
            f"{every:5d}  {budget:12g}  {mid.draws:5d}  {mid.build_seconds:7.3f}"
            f"  {mid.draw_seconds:6.3f}  {mid.share:5.1%}  {dw:+13.1%}  {dc:+12.1%}"
        )
    plain, first = pairs[configs[0]][0]  # the process's first LivePlot: no caches
    print(
        f"first LivePlot of the process (every={configs[0][0]}): build"
        f" {first.build_seconds:.3f} s, {first.draws} drawing(s)"
        f" {first.draw_seconds:.3f} s; {(first.wall - plain.wall) / plain.wall:+.1%}"
        f" wall, {(first.cpu - plain.cpu) / plain.cpu:+.1%} CPU"
    )
    print(costs(*last))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
