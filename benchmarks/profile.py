"""Where the time of a training step goes: every phase of glassnet's ``fit``, timed.

``python -m benchmarks.profile`` trains each model with ``fit`` while a clock wraps
each piece that ``fit`` calls per step: the gather of a shuffled batch, each layer's
forward and backward, the loss's forward and backward, and the optimizer's update.
The rest of a step's time is ``fit``'s own loop (progress, running loss and accuracy,
checks). The wrapped pieces are the very methods that ``fit`` calls, replaced on the
instances only, so the profile follows the code as it is.

Timing a call costs a little itself: that cost is measured first (an empty function
through the same wrapper) and taken off the loop's share, and the unwrapped ``fit``
runs too, interleaved, for comparison. Write the result with ``--out DIR``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run
from benchmarks.contenders import GlassnetContender, Spec
from glassnet.run import Run

Timings = dict[str, float]


class _Clock:
    """Seconds and call counts per phase, and the wrappers that collect them."""

    def __init__(self) -> None:
        self.seconds: Timings = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.enabled = True

    def wrap(self, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.perf_counter
        seconds, calls = self.seconds, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            result = fn(*args, **kwargs)
            seconds[key] += clock() - start
            calls[key] += 1
            return result

        return timed

    def wrap_batches(self, batches: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        """``Run.batches`` with each ``next`` timed as "gather batch"."""
        clock = time.perf_counter
        seconds, calls = self.seconds, self.calls

        def timed_batches(*args: Any, **kwargs: Any) -> Iterator[Any]:
            inner = batches(*args, **kwargs)
            while True:
                start = clock()
                try:
                    item = next(inner)
                except StopIteration:
                    return
                seconds["gather batch"] += clock() - start
                calls["gather batch"] += 1
                yield item

        return timed_batches


def _instrument(contender: GlassnetContender, clock: _Clock) -> None:
    """Wrap the per-step methods of the contender's layers, loss and optimizer."""
    for i, layer in enumerate(contender.model.layers):
        for phase in ("forward", "backward"):
            key = f"{phase} {i} {layer!r}"
            setattr(layer, phase, clock.wrap(key, getattr(layer, phase)))
    loss = contender.loss
    for name in ("forward_logits", "backward_logits", "forward", "backward"):
        phase = "backward" if "backward" in name else "forward"
        key = f"loss {phase} {loss!r}"
        setattr(loss, name, clock.wrap(key, getattr(loss, name)))
    opt = contender.optimizer
    opt.step = clock.wrap("update " + repr(opt), opt.step)  # type: ignore[method-assign]


def _wrapper_cost(clock_samples: int = 20000) -> float:
    """Seconds that one wrapped call adds, from an empty function called as fit does.

    Like a layer's forward, the probe takes an array and a keyword.
    """

    def empty(A: Any, out: Any = None) -> Any:
        return out

    probe = _Clock()
    fn = probe.wrap("probe", empty)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(clock_samples):
            fn(None, out=None)
        wrapped = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(clock_samples):
            empty(None, out=None)
        best = min(best, (wrapped - (time.perf_counter() - start)) / clock_samples)
    return max(best, 0.0)


def _order(key: str) -> tuple[int, int]:
    """Phases in the order of a step: gather, forwards, loss, backwards, update."""
    words = key.split()
    if words[0] in ("forward", "backward") and words[1].isdigit():
        i = int(words[1])
        return (1, i) if words[0] == "forward" else (4, -i)
    rank = {"gather": 0, "loss": 2 if words[1] == "forward" else 3, "update": 5}
    return (rank.get(words[0], 6), 0)


def profile_model(spec: Spec, epochs: int, quick: bool) -> dict[str, Any]:
    """Per-phase µs per step for ``spec``, and the unwrapped fit's µs per step."""
    X, y, _, _ = run.load(spec, quick)
    plain = GlassnetContender(spec, X, y)
    profiled = GlassnetContender(spec, X, y)
    clock = _Clock()
    _instrument(profiled, clock)
    original_batches = Run.batches
    steps = -(-X.shape[0] // spec.batch_size)
    plain_times, profiled_times = [], []
    try:
        for seed in range(epochs + 1):  # seed 0: the warm-up, not counted
            start = time.perf_counter()
            plain.epoch(seed)
            plain_time = time.perf_counter() - start
            if seed == 0:
                clock.seconds.clear()
                clock.calls.clear()
            Run.batches = clock.wrap_batches(original_batches)  # type: ignore[method-assign]
            start = time.perf_counter()
            profiled.epoch(seed)
            profiled_time = time.perf_counter() - start
            Run.batches = original_batches  # type: ignore[method-assign]
            if seed == 0:
                clock.seconds.clear()
                clock.calls.clear()
            else:
                plain_times.append(plain_time)
                profiled_times.append(profiled_time)
    finally:
        Run.batches = original_batches  # type: ignore[method-assign]
    n_steps = steps * epochs
    per_call = _wrapper_cost()
    wrapped_calls = sum(clock.calls.values())
    total = sum(profiled_times)
    phases = {
        k: clock.seconds[k] / n_steps * 1e6 for k in sorted(clock.seconds, key=_order)
    }
    rest = total - sum(clock.seconds.values()) - per_call * wrapped_calls
    phases["fit's own loop (the rest)"] = rest / n_steps * 1e6
    return {
        "model": spec.title,
        "steps": n_steps,
        "phases_us_per_step": phases,
        "profiled_us_per_step": total / n_steps * 1e6,
        "wrapper_cost_us": per_call * 1e6,
        "wrapped_calls_per_step": wrapped_calls / n_steps,
        "fit_us_per_step": float(np.median(plain_times)) / steps * 1e6,
    }


def markdown(results: list[dict[str, Any]]) -> str:
    """One table per model: phase, µs per step, share of the step."""
    lines = []
    for r in results:
        phases = r["phases_us_per_step"]
        step = sum(phases.values())
        lines += [
            f"### {r['model']}",
            "",
            f"{r['steps']} steps. Unwrapped `fit`: {r['fit_us_per_step']:.1f} µs/step "
            f"(median epoch); profiled: {step:.1f} µs/step once the clocks' own cost "
            f"({r['wrapper_cost_us']:.2f} µs × {r['wrapped_calls_per_step']:.0f} "
            "calls a step) is taken off.",
            "",
            "| phase | µs/step | share |",
            "|---|---|---|",
        ]
        for key, us in phases.items():
            lines.append(f"| {key} | {us:.1f} | {us / step:.0%} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Profile the chosen models and print (and optionally write) the tables."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile",
        description="Time every phase of glassnet's training step, inside fit.",
    )
    parser.add_argument(
        "--models",
        default=",".join(run.MODELS),
        help=f"comma-separated, from {', '.join(run.MODELS)} (default: all)",
    )
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per model")
    parser.add_argument(
        "--quick", action="store_true", help="12 000 MNIST samples instead of 60 000"
    )
    parser.add_argument("--out", type=Path, help="write profile.md into this folder")
    args = parser.parse_args(argv)
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in run.MODELS]
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a folder")
    if unknown or args.epochs < 1:
        parser.error(
            f"unknown model(s) {unknown}" if unknown else "--epochs must be ≥ 1"
        )
    results = []
    for name in names:
        print(f"profiling {name} ...", file=sys.stderr, flush=True)
        results.append(profile_model(run.MODELS[name], args.epochs, args.quick))
    info = run.machine()
    head = (
        f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']} ({info['blas_threads']} BLAS threads). "
        f"{info['date']}.\n"
        f"Command: `python -m benchmarks.profile {' '.join(argv or sys.argv[1:])}`\n\n"
    )
    text = head + markdown(results)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        run.write_atomic(args.out / "profile.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
