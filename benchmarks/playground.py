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


def bench_session(seconds: float) -> float:
    from glassnet.playground.server import limit_blas_threads
    from glassnet.playground.session import Session

    limit_blas_threads()
    s = Session(CONFIG)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        s.advance(s.frame_steps())
        json.dumps(s.frame(), allow_nan=False)
        n += 1
    return n / (time.perf_counter() - t0)


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
    return server, thread, port


def _connect(port: int):
    """A WebSocket client of the page's origin (a context manager)."""
    from websockets.sync.client import connect

    return connect(
        f"ws://127.0.0.1:{port}/ws",
        origin=f"http://127.0.0.1:{port}",
        max_size=1 << 24,
    )


def _tab(port: int, seconds: float, out: list[float], start: threading.Barrier):
    with _connect(port) as ws:
        ws.send(json.dumps({"type": "config", "config": CONFIG}))
        start.wait()
        ws.send(json.dumps({"type": "play"}))
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            if json.loads(ws.recv())["type"] == "frame":
                n += 1
        out.append(n / (time.perf_counter() - t0))


def bench_tabs(port: int, tabs: int, seconds: float) -> list[float]:
    rates: list[float] = []
    start = threading.Barrier(tabs)
    threads = [
        threading.Thread(target=_tab, args=(port, seconds, rates, start))
        for _ in range(tabs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rates


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
    rows = [("session alone", f"{bench_session(args.seconds):.1f} frames/s")]
    server, thread, port = _serve()
    try:
        one = bench_tabs(port, 1, args.seconds)
        rows.append(("1 tab through the server", f"{one[0]:.1f} frames/s"))
        many = bench_tabs(port, args.tabs, args.seconds)
        rows.append(
            (
                f"{args.tabs} tabs at once, each",
                f"min {min(many):.1f}, median {statistics.median(many):.1f} frames/s",
            )
        )
        lat = bench_latency(port, args.edits)
        rows.append(
            (
                "weight edit → frame showing it",
                f"median {1000 * statistics.median(lat):.0f} ms, "
                f"max {1000 * max(lat):.0f} ms",
            )
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    table = "| measurement (2-8-8-8-1, 500 points) | result |\n|---|---|\n" + "".join(
        f"| {a} | {b} |\n" for a, b in rows
    )
    print(table, end="")
    if args.out:
        from glassnet._files import atomic_write_bytes

        atomic_write_bytes(args.out, table.encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
