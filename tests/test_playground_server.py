"""The playground server through Starlette's TestClient: pages, origins, protocol."""

from __future__ import annotations

import base64
import json
import threading
import time

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the [playground] extra is not installed")
pytest.importorskip("httpx2", reason="the [browser] test extra is not installed")

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import glassnet as gn
from glassnet.playground.protocol import MAX_MESSAGE, ProtocolError, parse
from glassnet.playground.server import STATIC, Worker, create_app

ORIGIN = {"origin": "http://testserver"}


@pytest.fixture
def app():
    return create_app(allowed_hosts=("testserver",), max_fps=None)


@pytest.fixture
def client(app):
    return TestClient(app)


def receive(ws, kind, until=lambda msg: True, limit=200):
    """The next message of type ``kind`` for which ``until`` holds, skipping others."""
    for _ in range(limit):
        msg = json.loads(ws.receive_text())
        if msg["type"] == kind and until(msg):
            return msg
    raise AssertionError(f"no such {kind} message in {limit}")


def send(ws, **msg):
    ws.send_text(json.dumps(msg))


def test_page_and_static_files_are_served_with_a_strict_policy(client):
    r = client.get("/")
    assert r.status_code == 200
    assert 'data-testid="boundary"' in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../server.py").status_code == 404


def test_page_refers_to_nothing_outside_the_server():
    for path in STATIC.iterdir():
        text = path.read_text().replace("http://www.w3.org/2000/svg", "")  # a name
        assert "http://" not in text, path.name
        assert "https://" not in text, path.name


def test_other_hosts_are_refused(app):
    client = TestClient(app, base_url="http://evil.example")
    assert client.get("/").status_code == 400


@pytest.mark.parametrize(
    "headers",
    [{}, {"origin": "http://evil.example"}, {"origin": "http://testserver.evil"}],
)
def test_websocket_refuses_other_origins(client, headers):
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/ws", headers=headers),
    ):
        pass
    assert info.value.code == 1008


def test_websocket_greets_with_data_then_a_frame(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        data = receive(ws, "data")
        assert data["config"]["dataset"] == "circles"
        assert data["sizes"] == [2, 4, 2, 1]
        frame = receive(ws, "frame")
        assert frame["step"] == 0
        assert frame["train_loss"] > 0


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"type": "fly"}',
        '{"type": "play", "now": true}',
        '{"type": "sample", "set": "train", "index": "3"}',
        '{"type": "point", "x1": 100, "x2": 0, "label": 1}',
        '{"type": "parameter", "layer": 1, "row": 0, "col": 0, "value": 1e99}',
        '{"type": "config", "config": {"learning_rate": "fast"}}',
        '{"type": "config", "config": {"layers": [1000]}}',
        '{"type": "sample", "set": "train", "index": 99999}',
        '{"type": "parameter", "layer": 9, "row": 0, "col": 0, "value": 1}',
        '{"type": "upload", "csv": "1,2"}',
    ],
)
def test_malformed_messages_get_an_error_frame_and_the_socket_lives(client, text):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        ws.send_text(text)
        err = receive(ws, "error")
        assert err["message"]
        send(ws, type="step")
        receive(ws, "frame", until=lambda f: f["step"] > 0)


def test_oversized_and_binary_messages_get_an_error_frame(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        ws.send_text('{"type": "upload", "csv": "' + "0" * MAX_MESSAGE + '"}')
        assert "too large" in receive(ws, "error")["message"]
        ws.send_bytes(b"\x00\x01")
        assert "binary" in receive(ws, "error")["message"]


def test_parse_checks_types_exactly():
    assert parse('{"type": "export", "what": "script"}')["what"] == "script"
    with pytest.raises(ProtocolError, match="must be an integer"):
        parse('{"type": "sample", "set": "test", "index": true}')
    with pytest.raises(ProtocolError, match="needs the fields"):
        parse('{"type": "step", "extra": 1}')


def test_play_streams_frames_and_pause_stops_them(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        send(ws, type="play")
        steps = [receive(ws, "frame")["step"] for _ in range(5)]
        assert steps == sorted(steps)
        assert steps[-1] > steps[0]
        send(ws, type="pause")
        send(ws, type="gradcheck")
        receive(ws, "gradcheck")  # after the pause took effect
        send(ws, type="export", what="script")
        a = receive(ws, "export")
        send(ws, type="export", what="script")
        b = receive(ws, "export")
        assert a["text"] == b["text"]  # paused: no step between the two


def test_learning_rate_change_while_playing_is_logged_in_the_script(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        send(ws, type="play")
        receive(ws, "frame")
        send(ws, type="config", config={"learning_rate": 0.3})
        receive(ws, "frame")
        send(ws, type="pause")
        send(ws, type="export", what="script")
        text = receive(ws, "export")["text"]
        assert "'learning_rate', 0.3]" in text


def test_config_change_sends_new_data_and_network(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        send(
            ws,
            type="config",
            config={"dataset": "spiral", "classes": 3, "layers": [8, 8, 8]},
        )
        data = receive(ws, "data")
        assert data["task"] == "multiclass"
        assert data["sizes"] == [2, 8, 8, 8, 3]


def test_export_model_is_a_loadable_safetensors_file(client, tmp_path):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        send(ws, type="export", what="model")
        msg = receive(ws, "export")
    path = tmp_path / msg["filename"]
    path.write_bytes(base64.b64decode(msg["base64"]))
    assert len(gn.io.load(path).layers) == 6


def test_sample_and_point_and_parameter_messages_work(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        send(ws, type="sample", set="train", index=0)
        sample = receive(ws, "sample")
        assert [len(layer["Z"]) for layer in sample["layers"]] == [4, 2, 1]
        send(ws, type="point", x1=1.0, x2=-1.0, label=1)
        assert [1.0, -1.0, 1.0] in receive(ws, "data")["train"]
        send(ws, type="parameter", layer=1, row=0, col=0, value=2.5)

        def first_weight(frame):
            return np.frombuffer(base64.b64decode(frame["theta"]), "<f4")[0]

        receive(ws, "frame", until=lambda f: first_weight(f) == 2.5)


def test_a_closed_tab_stops_its_training_thread(app, client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        receive(ws, "frame")
        send(ws, type="play")
        receive(ws, "frame")
        (worker,) = app.state.workers
        assert worker.is_alive()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert not app.state.workers


def test_five_tabs_train_at_once(app, client):
    sockets = [client.websocket_connect("/ws", headers=ORIGIN) for _ in range(5)]
    opened = [s.__enter__() for s in sockets]
    try:
        for ws in opened:
            receive(ws, "frame")
            send(ws, type="play")
        t0 = time.perf_counter()
        for ws in opened:
            for _ in range(3):
                receive(ws, "frame")
        assert len(app.state.workers) == 5
        assert time.perf_counter() - t0 < 30
    finally:
        for s in sockets:
            s.__exit__(None, None, None)


def test_deeply_nested_json_is_an_error_not_a_crash():
    with pytest.raises(ProtocolError, match="not JSON"):
        parse("[" * 100_000 + "]" * 100_000)


def _worker_frames(commands, n, delay=0.0, then=None, **kwargs):
    """The first n frames of a Worker given commands; each takes ``delay`` to send.

    ``then`` is a command sent after each frame (none when None).
    """
    frames: list[dict] = []
    done = threading.Event()

    def post(text, frame):
        if frame and not done.is_set():
            frames.append(json.loads(text))
            time.sleep(delay)  # a slow socket, or cores shared with other tabs
            if len(frames) == n:
                done.set()
            elif then is not None:
                worker.commands.put(then)
            worker.frame_sent()

    worker = Worker(post, max_fps=None, **kwargs)
    for cmd in commands:
        worker.commands.put(cmd)
    worker.start()
    try:
        assert done.wait(30), f"only {len(frames)} frames"
    finally:
        worker.stop()
        worker.join(5)
    return frames


def test_live_gradient_checks_take_a_small_share_of_the_cpu_not_of_wall_time():
    # frames slow in wall time (0.05 s each) but cheap in CPU: a check costs as
    # much CPU as ~6 frames (418 passes on 8 samples against 50 on 10 and the
    # heatmaps) and is due after 20 times its CPU time, ~120 frames; counted in wall
    # time (20 × 30–80 ms) it would come every 12–32 frames
    config = {"layers": [8, 8, 8], "n_samples": 1000}
    commands = [{"type": "config", "config": config}, {"type": "play"}]
    frames = _worker_frames(commands, 40, delay=0.05, gradcheck_every=0.0)
    checked = [i for i, f in enumerate(frames) if "gradcheck" in f]
    assert checked == [0]
    assert frames[0]["gradcheck"]["max_error"] < 1e-4


def test_gradient_checks_come_with_every_step_while_paused():
    frames = _worker_frames([], 4, then={"type": "step"}, gradcheck_every=0.0)
    steps = [f["step"] for f in frames]
    assert steps[0] == 0
    assert steps == sorted(set(steps))  # a frame after each step
    assert all("gradcheck" in f for f in frames)
