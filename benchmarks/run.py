"""Run every contender on every model, interleaved, and write JSON and Markdown.

Interleaving: each round trains every contender for one epoch, in an order rotated
from round to round, so a slow phase of the machine hits all of them alike. Ratios
are taken within a round (paired) and summarised by their median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn
from benchmarks import data
from benchmarks.contenders import (
    GlassnetContender,
    MatmulLimit,
    SklearnContender,
    Spec,
    TorchContender,
    TorchMatmulLimit,
    glassnet_model,
    glassnet_optimizer,
    timed,
)

MODELS = {
    "mnist-small": Spec("mnist-small", (784, 50, 10), "sigmoid", 100, 0.1),
    "mnist-large": Spec("mnist-large", (784, 512, 256, 10), "relu", 128, 0.1),
    "tiny": Spec("tiny", (2, 8, 8, 1), "tanh", 32, 0.1),
    "circles": Spec("circles", (2, 25, 50, 50, 25, 1), "relu", 64, 0.1),
}
# The "best" MNIST run: trained until the test accuracy reaches 98 %.
BEST = Spec("best", (784, 512, 256, 10), "relu", 128, 1e-3, optimizer="adam")
TOY_SAMPLES = 6400  # 200 steps of 32, 100 of 64 per epoch


def blas_threads() -> tuple[int, list[dict[str, Any]]]:
    """NumPy's BLAS thread count and threadpoolctl's description of the pools."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1, []
    info = threadpool_info()
    blas = [p for p in info if p.get("user_api") == "blas" and "numpy" in p["filepath"]]
    threads = blas[0]["num_threads"] if blas else os.cpu_count() or 1
    keep = ("user_api", "internal_api", "version", "num_threads", "architecture")
    return threads, [{k: p.get(k) for k in keep} for p in (blas or info)]


def machine() -> dict[str, Any]:
    """CPU, cores and library versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    threads, pools = blas_threads()
    out: dict[str, Any] = {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": pools,
        "blas_threads": threads,
        # set on some machines for old OpenBLAS builds; it picks slower kernels
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for package in ("torch", "sklearn"):
        try:
            out[package] = __import__(package).__version__
        except ImportError:
            out[package] = None
    return out


def load(spec: Spec, quick: bool) -> tuple[np.ndarray, ...]:
    """X_train, y_train, X_test, y_test for ``spec``."""
    if spec.sizes[0] == 784:
        (X, y), (Xt, yt) = data.load_mnist()
        if quick:
            X, y = X[:12000], y[:12000]
        return X, y, Xt, yt
    X, y = data.circles(TOY_SAMPLES, seed=1)
    Xt, yt = data.circles(2000, seed=2)
    return X, y, Xt, yt


def contenders(spec: Spec, X: np.ndarray, y: np.ndarray, notes: list[str]) -> list[Any]:
    """Every contender that can run ``spec`` here; a note for each one skipped."""
    out: list[Any] = [GlassnetContender(spec, X, y)]
    try:
        threads = blas_threads()[0]
        out += [
            TorchContender(spec, X, y, threads),
            TorchMatmulLimit(spec, X, y, threads),
        ]
    except ImportError:
        notes.append(
            f"{spec.name}: PyTorch and its matmul limit skipped "
            "(not installed; pip install .[torch])"
        )
    if spec.optimizer == "sgd":
        try:
            out.append(SklearnContender(spec, X, y))
        except ImportError:
            notes.append(f"{spec.name}: scikit-learn skipped (pip install .[bench])")
    out.append(MatmulLimit(spec, X, y))
    return out


def peak_memory(spec: Spec, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Peak memory of one glassnet epoch (tracemalloc), against data + params + state.

    tracemalloc sees NumPy's allocations. The data set exists before tracing starts;
    everything fit allocates (model, optimizer state, batches, temporaries) is traced.
    """
    tracemalloc.start()
    model, opt = glassnet_model(spec), glassnet_optimizer(spec)
    loss = gn.CrossEntropy() if spec.sizes[-1] > 1 else gn.BinaryCrossEntropy()
    model.fit(
        X,
        y,
        loss=loss,
        optimizer=opt,
        epochs=1,
        batch_size=spec.batch_size,
        seed=0,
        verbose=0,
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    params = sum(W.nbytes for _, W, _ in model.parameters())
    state = sum(a.nbytes for a in opt.state.values())  # one vector per slot
    data_bytes = X.nbytes + y.nbytes
    budget = data_bytes + params + state
    return {
        "data_MB": data_bytes / 1e6,
        "params_MB": params / 1e6,
        "optimizer_state_MB": state / 1e6,
        "peak_MB": (data_bytes + peak) / 1e6,
        "ratio": (data_bytes + peak) / budget,
    }


def bench_model(spec: Spec, epochs: int, warmup: int, quick: bool) -> dict[str, Any]:
    """Interleaved rounds of one epoch per contender; times, ratios, accuracies."""
    X, y, Xt, yt = load(spec, quick)
    notes: list[str] = []
    runners = contenders(spec, X, y, notes)
    times: dict[str, list[float]] = {c.name: [] for c in runners}
    for r in range(warmup + epochs):
        k = r % len(runners)
        for c in runners[k:] + runners[:k]:
            t = timed(lambda c=c, r=r: c.epoch(seed=r))
            if r >= warmup:
                times[c.name].append(t)
        print(
            f"  {spec.name} round {r + 1}/{warmup + epochs}: "
            + ", ".join(f"{n} {v[-1]:.3f}s" for n, v in times.items() if v),
            file=sys.stderr,
            flush=True,
        )
    m, steps = X.shape[0], -(-X.shape[0] // spec.batch_size)
    glass = np.array(times["glassnet"])
    results = {}
    for c in runners:
        t = np.array(times[c.name])
        results[c.name] = {
            "epoch_s_median": float(np.median(t)),
            "epoch_s_min": float(t.min()),
            "epoch_s_max": float(t.max()),
            "step_us_median": float(np.median(t)) / steps * 1e6,
            "samples_per_s": m / float(np.median(t)),
            "glassnet_over_this": float(np.median(glass / t)),
            "test_accuracy": c.accuracy(Xt, yt),
        }
    return {
        "spec": {**spec.__dict__, "title": spec.title},
        "samples": m,
        "steps_per_epoch": steps,
        "epochs_timed": epochs,
        "epochs_trained": warmup + epochs,
        "contenders": results,
        "memory": peak_memory(spec, X, y),
        "notes": notes,
    }


def best_run(max_epochs: int, quick: bool) -> dict[str, Any]:
    """Wall time for glassnet to reach 98 % MNIST test accuracy (BEST settings)."""
    X, y, Xt, yt = load(BEST, quick)
    model, opt, loss = glassnet_model(BEST), glassnet_optimizer(BEST), gn.CrossEntropy()
    start, accs = time.perf_counter(), []
    for epoch in range(max_epochs):
        model.fit(
            X,
            y,
            loss=loss,
            optimizer=opt,
            epochs=1,
            batch_size=BEST.batch_size,
            seed=epoch,
            verbose=0,
        )
        accs.append(model.evaluate(Xt, yt, loss=loss)["accuracy"])
        print(
            f"  best epoch {epoch + 1}: test accuracy {accs[-1]:.4f}", file=sys.stderr
        )
        if accs[-1] >= 0.98:
            break
    return {
        "spec": {**BEST.__dict__, "title": BEST.title},
        "wall_s": time.perf_counter() - start,
        "epochs": len(accs),
        "test_accuracy": accs,
        "reached_98": accs[-1] >= 0.98,
    }


def fmt_time(r: dict[str, float]) -> str:
    return f"{r['epoch_s_median']:.3f} ({r['epoch_s_min']:.3f}–{r['epoch_s_max']:.3f})"


def markdown(result: dict[str, Any]) -> str:
    """The tables of a result."""
    mach = result["machine"]
    blas = ", ".join(
        f"{p.get('internal_api')} {p.get('version')} "
        f"({p.get('architecture')}, {p.get('num_threads')} threads)"
        for p in mach["blas"]
    )
    forced = mach.get("openblas_coretype")
    if forced:
        blas += f" (kernels set by OPENBLAS_CORETYPE={forced})"
    lines = [
        f"Machine: {mach['cpu']}, {mach['cores']} cores; Python {mach['python']}, "
        f"NumPy {mach['numpy']} with {blas}; torch {mach['torch']}; "
        f"scikit-learn {mach['sklearn']}. {mach['date']}.",
        f"Command: `{result['command']}`",
        "",
        "Time per epoch in seconds, median (min–max) of the timed epochs; ratio = "
        "glassnet's time / the contender's, per interleaved round, median "
        "(< 1: glassnet is faster).",
        "",
        "| model | contender | s/epoch | µs/step | samples/s | glassnet ÷ it | "
        "test acc. |",
        "|---|---|---|---|---|---|---|",
    ]
    for res in result["models"].values():
        for name, r in res["contenders"].items():
            acc = "—" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
            ratio = "" if name == "glassnet" else f"{r['glassnet_over_this']:.2f}"
            lines.append(
                f"| {res['spec']['title']} | {name} | {fmt_time(r)} | "
                f"{r['step_us_median']:.0f} | {r['samples_per_s']:,.0f} | "
                f"{ratio} | {acc} |"
            )
    lines += [
        "",
        "Peak memory of a glassnet epoch (tracemalloc; data set counted):",
        "",
        "| model | data MB | params MB | optimizer state MB | peak MB | "
        "peak ÷ (data + params + state) |",
        "|---|---|---|---|---|---|",
    ]
    for res in result["models"].values():
        mem = res["memory"]
        lines.append(
            f"| {res['spec']['title']} | {mem['data_MB']:.1f} | "
            f"{mem['params_MB']:.2f} | {mem['optimizer_state_MB']:.2f} | "
            f"{mem['peak_MB']:.1f} | {mem['ratio']:.3f} |"
        )
    if result.get("best"):
        b = result["best"]
        lines += [
            "",
            f"MNIST to 98 %: {b['spec']['title']} (lr {b['spec']['lr']}): "
            f"test accuracy {b['test_accuracy'][-1]:.4f} after {b['epochs']} "
            f"epochs in {b['wall_s']:.1f} s wall "
            f"({'reached' if b['reached_98'] else 'NOT reached'}).",
        ]
    if result.get("busy"):
        from benchmarks.busy import TABLE_HEAD, table_row

        lines += [
            "",
            "With one core kept busy by another process (`benchmarks.busy`): "
            "glassnet's epochs, median s; issue 11's target is auto ÷ idle ≤ 1.5.",
            "",
            *TABLE_HEAD,
            *(table_row(r) for r in result["busy"].values()),
        ]
    notes = [n for res in result["models"].values() for n in res["notes"]]
    lines += [""] + [f"- {n}" for n in notes] if notes else []
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write text to path via a temporary file in the same folder, fsync, replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="glassnet's training speed against PyTorch, scikit-learn and "
        "the matmul-only limit, interleaved in one process.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run: 12 000 MNIST samples, 2 timed epochs",
    )
    parser.add_argument(
        "--models",
        default=",".join([*MODELS, "best"]),
        help="comma-separated, from: " + ", ".join([*MODELS, "best"]),
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="timed epochs per contender (default 5, --quick 2)",
    )
    parser.add_argument(
        "--busy-rounds",
        type=int,
        default=3,
        help="epochs per setting of the busy-core rows (benchmarks.busy); 0 skips them",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS and n != "best"]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {[*MODELS, 'best']}")
    epochs = args.epochs or (2 if args.quick else 5)
    result: dict[str, Any] = {
        "machine": machine(),
        "command": "python -m benchmarks "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "models": {},
    }
    for name in names:
        if name == "best":
            continue
        spec = MODELS[name]
        toy = spec.sizes[0] != 784
        print(f"{spec.title}", file=sys.stderr)
        result["models"][name] = bench_model(
            spec, epochs * (3 if toy else 1), warmup=1, quick=args.quick
        )
    if "best" in names:
        print(f"{BEST.title}, until 98 %", file=sys.stderr)
        result["best"] = best_run(3 if args.quick else 15, args.quick)
    if args.busy_rounds > 0:
        from benchmarks.busy import in_own_process  # busy imports this module

        print("one core busy (benchmarks.busy, its own process)", file=sys.stderr)
        models = [n for n in names if n != "best"]
        result["busy"] = in_own_process(models, args.busy_rounds, args.quick)
    result["max_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    text = markdown(result)
    write_atomic(args.out / "results.json", json.dumps(result, indent=2) + "\n")
    write_atomic(args.out / "results.md", text)
    print(text)
    print(f"written to {args.out}/results.json and results.md", file=sys.stderr)
    return 0
