"""Speed with one core kept busy by another program: ``python -m benchmarks.busy``.

For each benchmark model, glassnet trains epochs in four settings, interleaved in
one process: the machine as it is ("idle", with ``threads="auto"``, so the ratio
shows what the load costs the same setting), and with a second process spinning on
one core ("busy"): with BLAS's own thread count (``threads=None``), with one thread
(``threads=1``) and with ``threads="auto"`` (``glassnet.threads.AdaptiveThreads``).
It prints the median time per epoch of each, auto ÷ idle (issue 11's target is
≤ 1.5) and auto ÷ one thread (how close auto comes to the free core's floor).
Each model gets a warm-up epoch per setting (not counted), and each epoch a fresh
seed. A benchmark, not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.contenders import GlassnetContender
from benchmarks.run import MODELS, load


def spinner() -> subprocess.Popen[bytes]:
    """Another program that keeps one core busy until it is stopped."""
    return subprocess.Popen([sys.executable, "-c", "while True:\n    pass"])


def epoch_seconds(contender: GlassnetContender, seed: int) -> float:
    start = time.perf_counter()
    contender.epoch(seed)
    return time.perf_counter() - start


def bench(name: str, rounds: int, quick: bool) -> dict[str, Any]:
    spec = MODELS[name]
    X, y, _, _ = load(spec, quick)
    idle = GlassnetContender(spec, X, y, threads="auto")
    fixed = GlassnetContender(spec, X, y, threads=None)
    one = GlassnetContender(spec, X, y, threads=1)
    auto = GlassnetContender(spec, X, y, threads="auto")
    times: dict[str, list[float]] = {
        "idle": [],
        "busy, BLAS threads": [],
        "busy, one thread": [],
        "busy, auto": [],
    }
    for seed in range(rounds + 1):  # round 0: warm-up
        t_idle = epoch_seconds(idle, seed)
        busy = spinner()
        try:
            time.sleep(0.2)  # let the spinner take its core
            t_fixed = epoch_seconds(fixed, seed)
            t_one = epoch_seconds(one, seed)
            t_auto = epoch_seconds(auto, seed)
        finally:
            busy.kill()
            busy.wait()
        if seed:
            times["idle"].append(t_idle)
            times["busy, BLAS threads"].append(t_fixed)
            times["busy, one thread"].append(t_one)
            times["busy, auto"].append(t_auto)
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {"model": spec.title, **medians}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="epochs per setting")
    parser.add_argument("--quick", action="store_true", help="12 000 MNIST samples")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, rounds {args.rounds}")
    print("\n".join(TABLE_HEAD))
    rows = {}
    for name in args.models.split(","):
        rows[name] = bench(name, args.rounds, args.quick)
        print(table_row(rows[name]), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


def in_own_process(names: list[str], rounds: int, quick: bool) -> dict[str, Any]:
    """``bench`` for each model in a fresh Python process, as ``python -m benchmarks``
    runs it.

    After PyTorch had trained in a process, glassnet's one-thread epochs there with a
    core busy took 2–3 × as long as in a fresh one in two of three tries (0.43
    against 0.17 s, 784-50-10, 2026-12-02; cause not found), so the busy rows are
    timed where no other contender ran.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "busy.json"
        argv = ["--rounds", str(rounds), "--models", ",".join(names)]
        argv += ["--json", str(out), *(["--quick"] * quick)]
        subprocess.run(
            [sys.executable, "-m", "benchmarks.busy", *argv],
            cwd=Path(__file__).resolve().parents[1],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        rows: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return rows


# The table, here and in ``python -m benchmarks`` (which runs ``bench`` too).
TABLE_HEAD = [
    "| model | idle, auto: s/epoch | busy, BLAS threads | busy, one thread | "
    "busy, auto | auto ÷ idle | auto ÷ one thread |",
    "|---|---|---|---|---|---|---|",
]


def table_row(r: dict[str, Any]) -> str:
    """One model's row: the four medians and the ratios of the unrounded times.

    "auto ÷ one thread" compares auto with the best it could do alone on the free
    core: one BLAS thread can never meet the busy core, so its time is the floor of
    a choice between one and two threads.
    """
    auto = r["busy, auto"]
    return (
        f"| {r['model']} | {r['idle']:.3f} | {r['busy, BLAS threads']:.3f} | "
        f"{r['busy, one thread']:.3f} | {auto:.3f} | {auto / r['idle']:.2f} | "
        f"{auto / r['busy, one thread']:.2f} |"
    )


if __name__ == "__main__":
    sys.exit(main())
