"""2 processes × 1 BLAS thread against 1 process × 2 threads, on MNIST 784-512-256-10.

    python -m benchmarks.distributed                  # 20 000 samples, 3 timed epochs
    python -m benchmarks.distributed --samples 60000 --epochs 2 --out /tmp/dist.json

The driver starts two jobs, one after the other, alternating for ``--rounds``:

- ``one``: one process with OPENBLAS_NUM_THREADS=2 (and OMP_NUM_THREADS=2), a plain
  ``model.fit`` — the BLAS library parallelises each matrix product;
- ``two``: ``mpiexec -n 2`` with one BLAS thread each, ``model.fit(comm=...)`` — each
  process computes half of every batch, one all-reduce of dθ per step;
- ``single`` (with ``--single``, for reference): one process, one BLAS thread.

Both train the same network (ReLU hidden, softmax + cross-entropy, SGD 0.1, batch
128, float32, seed 0) for one warm-up epoch and ``--epochs`` timed ones, and report
seconds per epoch and samples per second. The two-process job also times every
all-reduce of a step (the wait for the slower process included: that is what the
step pays) and, after training, an all-reduce of a θ-sized buffer alone (the pure
communication). The machine's load average is printed before and after: this
benchmark is only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn

SIZES = (784, 512, 256, 10)


def network() -> gn.Sequential:
    """MNIST 784-512-256-10 with ReLU hidden layers, softmax output (seeded)."""
    layers: list[gn.Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(SIZES)):
        layers.append(gn.Dense(n_in, n_out, rng=i))
        layers.append(gn.ReLU() if i < len(SIZES) - 2 else gn.Softmax())
    return gn.Sequential(layers)


def worker(samples: int, epochs: int, distributed: bool) -> dict[str, Any]:
    """Train and time in this process (one of the job's processes)."""
    (X, y), _ = gn.datasets.load_mnist()
    X, y = X[:samples], y[:samples]
    comm = None
    timer: dict[str, float] = {"seconds": 0.0, "calls": 0}
    if distributed:
        from mpi4py import MPI

        from glassnet import distributed as dist

        comm = MPI.COMM_WORLD
        plain_sum = dist.Waiter.sum

        def timed_sum(self: Any, buffer: Any, what: str = "all-reduce") -> None:
            start = time.perf_counter()
            plain_sum(self, buffer, what)
            timer["seconds"] += time.perf_counter() - start
            timer["calls"] += 1

        dist.Waiter.sum = timed_sum  # type: ignore[method-assign]
    model = network()
    optimizer = gn.SGD(0.1)
    fit = {"loss": gn.CrossEntropy(), "optimizer": optimizer, "batch_size": 128}
    model.fit(X, y, epochs=1, seed=0, verbose=0, comm=comm, **fit)  # warm-up
    timer.update(seconds=0.0, calls=0)
    start = time.perf_counter()
    model.fit(X, y, epochs=epochs, seed=1, verbose=0, comm=comm, **fit)
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {
        "epoch_s": seconds / epochs,
        "samples_per_s": samples * epochs / seconds,
        "parameters": int(model.theta.size),
    }
    if comm is not None:
        steps = timer["calls"]
        result["allreduce_ms_per_step"] = 1e3 * timer["seconds"] / steps
        result["step_ms"] = 1e3 * seconds / steps
        buffer = np.zeros(model.theta.size + 3, dtype=np.float32)
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(200):
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        result["pure_allreduce_ms"] = 1e3 * (time.perf_counter() - start) / 200
        result["rank"] = comm.Get_rank()
    return result


def job(kind: str, samples: int, epochs: int) -> dict[str, Any]:
    """One timed job in fresh processes: process 0's result."""
    threads = "2" if kind == "one" else "1"  # "two" and "single": one thread each
    env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    worker = "two" if kind == "two" else "one"
    command = [sys.executable, "-m", "benchmarks.distributed", "--worker", worker]
    command += ["--samples", str(samples), "--epochs", str(epochs)]
    if kind == "two":
        mpiexec = shutil.which("mpiexec")
        if mpiexec is None:
            raise SystemExit("mpiexec not found: pip install 'glassnet[mpi]'")
        command = [mpiexec, "-n", "2", *command]
    out = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=3600
    ).stdout
    return json.loads(next(x for x in out.splitlines() if x.startswith("{")))


def main(argv: list[str] | None = None) -> None:
    """The driver (or, with --worker, one process of a job)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", type=Path)
    p.add_argument(
        "--single", action="store_true", help="also 1 process × 1 thread, for reference"
    )
    p.add_argument("--worker", choices=["one", "two"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        result = worker(args.samples, args.epochs, args.worker == "two")
        if result.get("rank", 0) == 0:  # one line: the launcher mixes the outputs
            print(json.dumps(result), flush=True)
        return
    load_before = os.getloadavg()
    kinds = ("one", "two", "single") if args.single else ("one", "two")
    rounds = []
    for _ in range(args.rounds):  # alternate, so a slow phase hits both
        rounds.append({k: job(k, args.samples, args.epochs) for k in kinds})
    load_after = os.getloadavg()
    report = {
        "samples": args.samples,
        "epochs": args.epochs,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "rounds": rounds,
    }
    print(f"MNIST 784-512-256-10, SGD, batch 128, float32, {args.samples} samples")
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    for i, r in enumerate(rounds):
        one, two = r["one"], r["two"]
        print(
            f"round {i + 1}: 1 process × 2 threads {one['epoch_s']:.2f} s/epoch "
            f"({one['samples_per_s']:.0f} samples/s); 2 processes × 1 thread "
            f"{two['epoch_s']:.2f} s/epoch ({two['samples_per_s']:.0f} samples/s); "
            f"all-reduce {two['allreduce_ms_per_step']:.2f} of "
            f"{two['step_ms']:.2f} ms a step "
            f"({100 * two['allreduce_ms_per_step'] / two['step_ms']:.0f} %), "
            f"alone {two['pure_allreduce_ms']:.3f} ms"
        )
        if "single" in r:
            single = r["single"]
            print(
                f"         1 process × 1 thread {single['epoch_s']:.2f} s/epoch "
                f"({single['samples_per_s']:.0f} samples/s)"
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
