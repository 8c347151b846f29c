"""Frames per second of `glassnet playground` (issue 13's targets), and control latency.

    python -m benchmarks.playground                 # 8 s per measurement
    python -m benchmarks.playground --seconds 3 --out /tmp/playground.md

One frame = one epoch of mini-batch steps (500 training points, batch 10: 50 steps)
+ losses and accuracy on train and test + the 100 × 100 output heatmap + a 20 × 20
heatmap for every neuron and input + θ and dθ, encoded as the JSON the page gets;
network 2-8-8-8-1, tanh. Measured three ways:

- session: the Session alone in this thread (no server);
- 1 tab / 5 tabs: a real uvicorn server in this process, with 1 or 5 WebSocket
  clients (the `websockets` package) each playing uncapped (``max_fps=None``), frames
  counted as they arrive; all in one process, so client work competes for the GIL;
- latency: while a tab plays, a weight is edited; the time until a frame shows it.

Wall-clock frames/s depend on what else the machine runs; CPU time per frame does
much less, so each row also gives it: the session's thread time per frame, the
tab workers' thread time per frame (each worker's CPU clock, read from outside so
any version of the server can be measured), and the whole process's CPU time per
frame (the event loop and the in-process clients included).

Targets: ≥ 20 frames/s for one tab, ≥ 8 for each of five, a change visible within
150 ms. (The server caps a tab at 30 frames/s by default; the page is drawn by the
browser on top of this.)
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import statistics
import threading
import time

import numpy as np

CONFIG = {
    "dataset": "circles",
    "n_samples": 1000,
    "train_ratio": 50,
    "layers": [8, 8, 8],
    "activation": "tanh",
    "batch_size": 10,
}


def bench_session(seconds: float) -> tuple[float, float]:
    """(frames/s, CPU seconds per frame) of a Session in this thread."""
    from glassnet.playground.server import limit_blas_threads
    from glassnet.playground.session import Session

    limit_blas_threads()
    s = Session(CONFIG)
    n, t0, cpu0 = 0, time.perf_counter(), time.thread_time()
    while time.perf_counter() - t0 < seconds:
        s.advance(s.frame_steps())
        json.dumps(s.frame(), allow_nan=False)
        n += 1
    return n / (time.perf_counter() - t0), (time.thread_time() - cpu0) / n


def _thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds a running thread has used (its POSIX per-thread clock)."""
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


class _Meter:
    """The CPU time and frames of the app's tab workers between start and stop."""

    def __init__(self, app) -> None:
        self.app = app

    def _read(self) -> dict[threading.Thread, tuple[float, int]]:
        return {
            w: (_thread_cpu(w), w.frames)
            for w in list(self.app.state.workers)
            if w.is_alive()
        }

    def start(self) -> None:
        self.cpu0, self.begin = time.process_time(), self._read()

    def stop(self) -> None:
        end = self._read()
        self.process_cpu = time.process_time() - self.cpu0
        both = self.begin.keys() & end.keys()
        self.worker_cpu = sum(end[w][0] - self.begin[w][0] for w in both)
        self.frames = sum(end[w][1] - self.begin[w][1] for w in both)


def _serve():
    import uvicorn

    from glassnet.playground.server import create_app

    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(max_fps=None)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.daemon = True
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, port, app


def _connect(port: int):
    """A WebSocket client of the page's origin (a context manager)."""
    from websockets.sync.client import connect

    return connect(
        f"ws://127.0.0.1:{port}/ws",
        origin=f"http://127.0.0.1:{port}",
        max_size=1 << 24,
    )


def _tab(
    port: int,
    seconds: float,
    out: list[float],
    start: threading.Barrier,
    end: threading.Barrier,
):
    with _connect(port) as ws:
        ws.send(json.dumps({"type": "config", "config": CONFIG}))
        start.wait()
        ws.send(json.dumps({"type": "play"}))
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            if json.loads(ws.recv())["type"] == "frame":
                n += 1
        out.append(n / (time.perf_counter() - t0))
        end.wait()  # the meter reads the workers while they still run


def bench_tabs(port: int, tabs: int, seconds: float, app) -> tuple[list[float], _Meter]:
    """Each tab's frames/s, and the CPU its workers and the process used."""
    deadline = time.perf_counter() + 10
    while app.state.workers and time.perf_counter() < deadline:
        time.sleep(0.05)  # the last measurement's workers are still ending
    rates: list[float] = []
    meter = _Meter(app)
    # the tabs and this thread meet after connecting and after measuring
    start = threading.Barrier(tabs + 1)
    end = threading.Barrier(tabs + 1)
    threads = [
        threading.Thread(target=_tab, args=(port, seconds, rates, start, end))
        for _ in range(tabs)
    ]
    for t in threads:
        t.start()
    start.wait()
    while len(app.state.workers) < tabs and time.perf_counter() < deadline + 10:
        time.sleep(0.01)  # a client is connected just before its worker starts
    meter.start()
    end.wait()
    meter.stop()
    for t in threads:
        t.join()
    return rates, meter


def _cpu(meter: _Meter) -> str:
    frames = max(meter.frames, 1)
    return (
        f"{1000 * meter.worker_cpu / frames:.1f} ms worker, "
        f"{1000 * meter.process_cpu / frames:.1f} ms process"
    )


def bench_latency(port: int, trials: int) -> list[float]:
    with _connect(port) as ws:
        ws.send(json.dumps({"type": "config", "config": CONFIG}))
        ws.send(json.dumps({"type": "play"}))
        return [_edit_latency(ws, 1.0 + k / 8) for k in range(trials)]


def _edit_latency(ws, value: float) -> float:
    """Seconds from editing W[0, 0] of layer 1 to a frame showing the new value."""
    for _ in range(3):
        ws.recv()
    t0 = time.perf_counter()
    msg = {"type": "parameter", "layer": 1, "row": 0, "col": 0, "value": value}
    ws.send(json.dumps(msg))
    while time.perf_counter() - t0 < 5:
        frame = json.loads(ws.recv())
        if frame["type"] != "frame":
            continue
        theta = np.frombuffer(base64.b64decode(frame["theta"]), "<f4")
        # the frame after an edit trains on from the new value: it shows it moved
        # by at most that frame's few steps
        if abs(theta[0] - value) < 0.05:
            return time.perf_counter() - t0
    return float("inf")  # never shown: reported as inf


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.playground")
    p.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    p.add_argument("--tabs", type=int, default=5)
    p.add_argument("--edits", type=int, default=10, help="latency trials")
    p.add_argument("--out", help="also write the table to this Markdown file")
    args = p.parse_args(argv)
    fps, cpu = bench_session(args.seconds)
    rows = [("session alone", f"{fps:.1f} frames/s", f"{1000 * cpu:.1f} ms thread")]
    server, thread, port, app = _serve()
    try:
        one, meter = bench_tabs(port, 1, args.seconds, app)
        rows.append(("1 tab through the server", f"{one[0]:.1f} frames/s", _cpu(meter)))
        many, meter = bench_tabs(port, args.tabs, args.seconds, app)
        rows.append(
            (
                f"{args.tabs} tabs at once, each",
                f"min {min(many):.1f}, median {statistics.median(many):.1f} frames/s",
                _cpu(meter),
            )
        )
        lat = bench_latency(port, args.edits)
        rows.append(
            (
                "weight edit → frame showing it",
                f"median {1000 * statistics.median(lat):.0f} ms, "
                f"max {1000 * max(lat):.0f} ms",
                "",
            )
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    head = "| measurement (2-8-8-8-1, 500 points) | result | CPU per frame |\n"
    table = (
        head + "|---|---|---|\n" + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    )
    print(table, end="")
    if args.out:
        from glassnet._files import atomic_write_bytes

        atomic_write_bytes(args.out, table.encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
