"""The playground end to end: a real headless Chromium drives the page.

Needs playwright-python (the [browser] extra) and Debian's Chromium at
/usr/bin/chromium (apt-get install chromium); skips with a message otherwise.
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the [playground] extra is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the [playground] extra is missing")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (the [browser] extra)"
)

import glassnet as gn  # noqa: E402
from glassnet._files import atomic_write_bytes  # noqa: E402
from glassnet.playground.data import features, make_dataset  # noqa: E402
from glassnet.playground.server import create_app  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Chromium not found at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO = Path(__file__).resolve().parents[1]
# The README's screenshot is this test's: GLASSNET_UPDATE_FIGURES=1 writes it there;
# otherwise it goes to the test's own folder, so that a test run leaves the tree as
# it found it.
FIGURE = REPO / "docs" / "figures" / "playground.png"


@pytest.fixture(scope="module")
def served():
    """(the page's URL, the app) of a real server in this process."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app()
    config = uvicorn.Config(app, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", app
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def url(served):
    return served[0]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # a blocked resource or a policy violation shows as a console error
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    yield pg
    context.close()
    assert not errors, errors


def number(pg, testid: str) -> float:
    text = pg.get_by_test_id(testid).text_content() or ""
    try:
        return float(text)
    except ValueError:
        return float("nan")


def wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_play_circles_edit_the_run_and_export_a_script_that_replays_it(
    page, url, tmp_path
):
    pg = page
    pg.goto(url)
    pg.get_by_test_id("neuron-2-2").wait_for()  # the default 2-4-2-1 network
    assert pg.get_by_test_id("dataset").input_value() == "circles"
    pg.get_by_test_id("play").click()
    wait_for(lambda: number(pg, "test-accuracy") >= 0.95, what="95 % on circles")
    assert number(pg, "epoch") > 0
    # the figure of the README: the learnt boundary and one sample's numbers
    pg.get_by_test_id("step-sample").click()
    view = pg.get_by_test_id("sample-view")
    wait_for(lambda: "layer 3" in (view.text_content() or ""), what="sample view")
    update = os.environ.get("GLASSNET_UPDATE_FIGURES")
    figure = FIGURE if update else tmp_path / "playground.png"
    atomic_write_bytes(figure, pg.screenshot(full_page=True))
    assert figure.stat().st_size > 10_000  # a page, not an empty image

    # a new hidden layer: a new run of the deeper network, still playing
    pg.get_by_test_id("add-layer").click()
    pg.get_by_test_id("neuron-3-2").wait_for()
    wait_for(lambda: number(pg, "epoch") >= 3, what="the new run to train")

    # the learning rate changes while it trains: the run goes on, not anew
    before = number(pg, "epoch")
    pg.get_by_test_id("learning-rate").select_option("0.1")
    assert "learning_rate=0.1" in pg.url
    wait_for(lambda: number(pg, "epoch") >= before + 3, what="training after lr")
    pg.get_by_test_id("play").click()  # pause

    # one sample: Z, A, dZ, dW of every layer (4 Dense layers)
    pg.get_by_test_id("step-sample").click()
    wait_for(lambda: "layer 4" in (view.text_content() or ""), what="sample view")
    for name in ("Z  =", "A  =", "dZ =", "dW[1,:]"):
        assert name in view.text_content()
    epoch = number(pg, "epoch")
    pg.get_by_test_id("step").click()  # one epoch, after which nothing moves
    wait_for(lambda: number(pg, "epoch") == epoch + 1, what="one step")
    time.sleep(0.3)
    page_test_loss = number(pg, "test-loss")
    assert "relative error" in pg.get_by_test_id("gradcheck").text_content()

    with pg.expect_download() as info:
        pg.get_by_test_id("export-model").click()
    model_path = tmp_path / "model.safetensors"
    info.value.save_as(model_path)
    with pg.expect_download() as info:
        pg.get_by_test_id("export-script").click()
    script = tmp_path / "replay.py"
    info.value.save_as(script)

    # the environment as it is (OPENBLAS_CORETYPE included): the replay is the same
    # bits only with the same BLAS kernels
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    replayed = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
    script_test_loss = float(replayed["test loss"])
    assert abs(script_test_loss - page_test_loss) <= 5e-4  # the page shows 3 places

    # the exported model is the one the script rebuilt: the same test loss, exactly
    model = gn.io.load(model_path)
    config = gn.io.read_metadata(model_path)["playground"]
    assert config["layers"] == [4, 2, 2]
    assert config["learning_rate"] == 0.1
    X, y = make_dataset("circles", config["n_samples"], config["noise"], 0)
    _, X_test, _, y_test = gn.datasets.train_test_split(
        X, y, test_size=1 - config["train_ratio"] / 100, seed=config["data_seed"]
    )
    T = y_test.astype(np.float32).reshape(-1, 1)
    loss = gn.BinaryCrossEntropy().forward(
        model.forward(features(X_test, ["x1", "x2"])), T
    )
    assert loss == script_test_loss


def test_the_url_holds_the_setup(page, url):
    pg = page
    pg.goto(url + '#dataset="spiral"&classes=3&layers=[5]&activation="relu"')
    pg.get_by_test_id("neuron-1-5").wait_for()
    assert pg.get_by_test_id("dataset").input_value() == "spiral"
    assert pg.get_by_test_id("activation").input_value() == "relu"
    assert pg.get_by_test_id("neuron-2-1").count() == 0
    pg.get_by_test_id("step").click()
    wait_for(lambda: number(pg, "epoch") >= 1, what="a step")
    assert pg.locator("#confusion tr").count() == 4  # a header and 3 classes


def test_a_page_from_another_origin_cannot_open_the_socket(browser, url):
    pg = browser.new_page()  # its console shows the refused socket: not an error
    pg.goto("about:blank")
    ws_url = url.replace("http", "ws") + "ws"
    outcome = pg.evaluate(
        """(u) => new Promise((done) => {
            const ws = new WebSocket(u);
            ws.onopen = () => done("open");
            ws.onclose = () => done("refused");
        })""",
        ws_url,
    )
    pg.close()
    assert outcome == "refused"


def test_hover_and_edit_a_weight_click_a_point_upload_points(page, url):
    pg = page
    pg.goto(url)
    link = pg.get_by_test_id("link-1-1-1")
    link.wait_for(state="attached")
    wait_for(lambda: number(pg, "train-loss") > 0, what="the first frame")
    link.dispatch_event("mousemove")
    tip = pg.locator("#tip")
    assert "W[1][1,1] =" in tip.text_content()
    assert "dL/dW" in tip.text_content()

    link.dispatch_event("click")  # opens the editor
    pg.get_by_test_id("edit-value").fill("1.5")
    pg.get_by_test_id("edit-value").press("Enter")

    def shows_edit():
        link.dispatch_event("mousemove")
        return "W[1][1,1] = 1.50" in (tip.text_content() or "")

    wait_for(shows_edit, what="the edited weight")

    n = pg.evaluate("st.train.length")
    pg.get_by_test_id("boundary").click(position={"x": 200, "y": 200})
    wait_for(lambda: pg.evaluate("st.train.length") == n + 1, what="a clicked point")
    x1, x2, label = pg.evaluate("st.train[st.train.length - 1]")
    assert abs(x1) < 0.1  # the centre of the map is (0, 0), to a pixel
    assert abs(x2) < 0.1
    assert label == 0

    rows = "".join(
        f"{x},{y},{int(x * y > 0)}\n" for x in (-3, -1, 1, 3) for y in (-2, 2)
    )
    pg.get_by_test_id("upload").set_input_files(
        {"name": "mine.csv", "mimeType": "text/csv", "buffer": rows.encode()}
    )
    wait_for(
        lambda: pg.get_by_test_id("dataset").input_value() == "custom",
        what="the uploaded data",
    )
    assert pg.evaluate("st.train.length + st.test.length") == 8


def test_closing_a_playing_tab_stops_its_training_thread(browser, served):
    url, app = served
    before = set(app.state.workers)
    pg = browser.new_page()
    pg.goto(url)
    pg.get_by_test_id("play").click()
    wait_for(lambda: number(pg, "epoch") >= 2, what="training")
    (worker,) = set(app.state.workers) - before
    assert worker.is_alive()
    pg.close()  # the tab goes away mid-training, as when its window is closed
    wait_for(lambda: not worker.is_alive(), timeout=10, what="the thread to end")
    assert worker not in app.state.workers


def test_the_gradient_norm_axis_is_labelled_at_powers_of_ten(page, url):
    pg = page
    pg.goto(url)
    labels = pg.evaluate("[-3, -2, -1, 0, 1, 2, 3].map(powerLabel)")
    assert labels == ["1e-3", "0.01", "0.1", "1", "10", "100", "1e3"]
