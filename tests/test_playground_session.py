"""The playground's run logic, without a server: data, training, frames, exports."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.playground import config as cfg
from glassnet.playground.data import FEATURES, features, make_dataset
from glassnet.playground.engine import build_model, penalize, penalty
from glassnet.playground.export import model_bytes, script_text
from glassnet.playground.frames import MAIN_SIZE, NEURON_SIZE
from glassnet.playground.session import Session
from glassnet.playground.upload import MAX_UPLOAD_CHARS, parse_points

SRC = Path(__file__).resolve().parents[1] / "src"


def theta(s: Session) -> np.ndarray:
    return np.concatenate([W.ravel() for _, W, _ in s.model.parameters()])


@pytest.mark.parametrize("name", ["circles", "xor", "gauss", "spiral", "moons"])
def test_classification_sets_lie_in_the_domain_with_both_classes(name):
    X, y = make_dataset(name, 200, noise=20, seed=3)
    assert X.shape == (200, 2)
    assert X.dtype == np.float32
    assert np.abs(X).max() <= 6.0
    assert set(y.tolist()) == {0, 1}


@pytest.mark.parametrize("name", ["plane", "multigauss"])
def test_regression_sets_have_targets_in_minus_one_one(name):
    _X, y = make_dataset(name, 300, noise=0, seed=1)
    assert y.dtype == np.float32
    assert -1 <= y.min() < 0 < y.max() <= 1


def test_spiral_and_gauss_make_as_many_classes_as_asked():
    for name in ("spiral", "gauss"):
        _, y = make_dataset(name, 120, noise=0, seed=0, classes=4)
        assert sorted(set(y.tolist())) == [0, 1, 2, 3]


def test_features_compute_each_formula():
    X = np.array([[2.0, -1.0]], np.float32)
    row = features(X, list(FEATURES))[0]
    np.testing.assert_allclose(
        row, [2, -1, 4, 1, -2, np.sin(2.0), np.sin(-1.0)], rtol=1e-6
    )


def test_config_rejects_bad_fields_and_values_with_their_name():
    with pytest.raises(ValueError, match="unknown config field 'speed'"):
        cfg.merge(cfg.DEFAULTS, {"speed": 2})
    with pytest.raises(ValueError, match="learning_rate must be a number above 0"):
        cfg.merge(cfg.DEFAULTS, {"learning_rate": -1})
    with pytest.raises(ValueError, match="layers must be"):
        cfg.merge(cfg.DEFAULTS, {"layers": [64, 64, 64]})  # over MAX_NEURONS
    with pytest.raises(ValueError, match="features must be"):
        cfg.merge(cfg.DEFAULTS, {"features": []})
    with pytest.raises(ValueError, match="activation must be one of"):
        cfg.merge(cfg.DEFAULTS, {"activation": True})


def test_the_documented_limits_allow_deep_and_wide_networks():
    c = cfg.merge(cfg.DEFAULTS, {"layers": [16] * 10})
    assert c["layers"] == [16] * 10
    cfg.merge(cfg.DEFAULTS, {"layers": [64, 64, 32]})


def test_same_seed_replays_the_same_run_bit_for_bit():
    a, b = Session({"layers": [6, 4]}), Session({"layers": [6, 4]})
    a.advance(70)
    b.advance(30)
    b.advance(40)
    np.testing.assert_array_equal(theta(a), theta(b))
    c = Session({"layers": [6, 4], "seed": 1})
    c.advance(70)
    assert not np.array_equal(theta(a), theta(c))


def test_reset_returns_to_the_initial_weights():
    s = Session()
    start = theta(s).copy()
    s.advance(20)
    assert not np.array_equal(start, theta(s))
    s.new_run()
    np.testing.assert_array_equal(start, theta(s))
    assert s.step == 0
    assert s.epoch == 0


def test_a_frame_is_one_epoch_of_batches():
    s = Session({"n_samples": 200, "train_ratio": 50, "batch_size": 10})
    assert s.frame_steps() == 10  # 100 training points, 10 per batch
    s.advance(s.frame_steps())
    assert s.epoch == 1  # the epoch is counted when its last batch is done
    s.advance(1)
    assert s.epoch == 1


def test_circles_learns_to_high_test_accuracy():
    s = Session({"layers": [8, 8], "optimizer": "adam", "learning_rate": 0.03})
    for _ in range(40):
        s.advance(s.frame_steps())
    assert s.losses()["test_accuracy"] >= 0.95


def test_three_class_spiral_uses_softmax_and_a_confusion_matrix():
    s = Session({"dataset": "spiral", "classes": 3, "layers": [8]})
    assert s.task == "multiclass"
    assert type(s.model.layers[-1]).__name__ == "Softmax"
    out = s.frame()
    cm = np.array(out["confusion"])
    assert cm.shape == (3, 3)
    assert cm.sum() == len(s.y_test)
    assert len(base64.b64decode(out["classes"])) == MAIN_SIZE**2


def test_regression_reports_no_accuracy():
    s = Session({"dataset": "plane", "layers": [3]})
    s.advance(10)
    out = s.losses()
    assert s.task == "regression"
    assert out["test_accuracy"] is None
    assert out["test_loss"] > 0


def test_frame_has_a_heatmap_for_the_output_every_neuron_and_input():
    s = Session({"layers": [8, 8, 8], "features": ["x1", "x2", "x1x2"]})
    f = s.frame()
    assert len(base64.b64decode(f["heatmap"])) == MAIN_SIZE**2
    assert len(base64.b64decode(f["neurons"])) == 24 * NEURON_SIZE**2
    assert len(base64.b64decode(f["inputs"])) == 3 * NEURON_SIZE**2
    n = sum(W.size for _, W, _ in s.model.parameters())
    got = np.frombuffer(base64.b64decode(f["theta"]), "<f4")
    assert got.size == n
    np.testing.assert_array_equal(got, theta(s))
    assert len(f["grad_norms"]) == 4


def test_tanh_neuron_heatmap_is_its_activation_on_the_grid():
    s = Session({"layers": [2]})
    f = s.frame()
    maps = np.frombuffer(base64.b64decode(f["neurons"]), np.uint8).reshape(2, 20, 20)
    # top-left pixel: centre (-5.7, 5.7); first neuron a = tanh(W[0] · x + b[0])
    d = s.model.layers[0]
    a = np.tanh(d.W[0] @ np.array([-5.7, 5.7]) + d.b[0])
    assert abs(int(maps[0, 0, 0]) - round((a + 1) * 127.5)) <= 1


def test_live_changes_keep_the_weights_and_are_logged():
    s = Session()
    s.advance(5)
    before = theta(s).copy()
    assert s.apply({"learning_rate": 0.3, "regularization": "l2"}) == "live"
    np.testing.assert_array_equal(before, theta(s))
    assert s.optimizer.lr == 0.3
    assert [e[1] for e in s.events] == ["learning_rate", "regularization"]
    assert s.apply({"layers": [3]}) == "run"
    assert s.step == 0
    assert s.apply({"dataset": "xor"}) == "data"


def test_a_rejected_change_keeps_the_old_config():
    s = Session()
    with pytest.raises(ValueError, match="upload a CSV"):
        s.apply({"dataset": "custom"})
    assert s.config["dataset"] == "circles"


def test_l1_penalty_adds_lambda_sign_w_to_weight_gradients_only():
    model, loss = build_model("tanh", [3], n_in=2, n_out=1, task="binary", seed=0)
    X = np.ones((4, 2), np.float32)
    Y = np.ones((4, 1), np.float32)
    model.loss_and_gradients(X, Y, loss)
    before = {n: dW.copy() for n, _, dW in model.parameters()}
    penalize(model, "l1", 0.1)
    for name, W, dW in model.parameters():
        extra = 0.1 * np.sign(W) if name.endswith(".W") else 0
        np.testing.assert_allclose(dW, before[name] + extra, rtol=1e-6)
    W_all = [layer.W for layer in model.layers if isinstance(layer, gn.Dense)]
    assert penalty(model, "l1", 0.1) == pytest.approx(
        0.1 * sum(float(np.abs(W).sum()) for W in W_all)
    )
    assert penalty(model, "l2", 0.1) == pytest.approx(
        0.05 * sum(float((W.astype(float) ** 2).sum()) for W in W_all)
    )


def test_penalty_gradient_matches_central_differences_of_the_penalty():
    model, _ = build_model("tanh", [3], n_in=2, n_out=1, task="binary", seed=2)
    model.astype(np.float64)
    for _, _, dW in model.parameters():
        dW[...] = 0
    penalize(model, "l2", 0.3)
    W = model.layers[0].W
    num = gn.numerical_gradient(lambda _: penalty(model, "l2", 0.3), W)
    np.testing.assert_allclose(model.layers[0].dW, num, rtol=1e-6, atol=1e-9)


def test_gradcheck_reports_a_small_error_for_backprop():
    s = Session({"layers": [4, 4]})
    s.advance(3)
    r = s.gradcheck()
    assert r is not None
    assert r["max_error"] < 1e-6
    assert r["samples"] == 8


def test_step_sample_shows_every_layer_and_moves_the_weights():
    s = Session({"layers": [3, 2]})
    before = theta(s).copy()
    out = s.step_sample("train", 4)
    assert len(out["layers"]) == 3
    top = out["layers"][-1]
    # dZ at the output is ŷ − y for one sample, and dW = dZ.T @ A_prev
    y_hat, y = top["A"][0], float(s.Y_train[4, 0])
    assert top["dZ"][0] == pytest.approx(y_hat - y, rel=1e-5)
    prev_A = np.array(out["layers"][-2]["A"])
    np.testing.assert_allclose(top["dW"], [top["dZ"][0] * prev_A], rtol=1e-5)
    assert not np.array_equal(before, theta(s))
    assert s.events[-1] == [0, "sample", "train", 4]
    with pytest.raises(ValueError, match="index must be"):
        s.step_sample("test", 10**6)


def test_set_parameter_edits_one_weight_or_bias():
    s = Session()
    s.set_parameter(1, 0, 1, 0.75)
    s.set_parameter(2, 1, None, -0.5)
    assert s.model.layers[0].W[0, 1] == np.float32(0.75)
    assert s.model.layers[2].b[1] == np.float32(-0.5)
    with pytest.raises(ValueError, match="has W of shape"):
        s.set_parameter(1, 9, 0, 1.0)
    with pytest.raises(ValueError, match="layer must be"):
        s.set_parameter(7, 0, 0, 1.0)


def test_added_points_join_the_training_set_and_survive_a_reset():
    s = Session()
    n = len(s.y_train)
    s.add_point(1.0, 1.0, 1)
    assert len(s.y_train) == n + 1
    assert len(s.X_train) == n + 1
    s.new_run()
    assert len(s.y_train) == n + 1
    assert s.initial_added == [(1.0, 1.0, 1)]
    with pytest.raises(ValueError, match="label must be a class"):
        s.add_point(0.0, 0.0, 5)


def test_upload_parses_csv_and_rejects_bad_rows():
    X, y = parse_points("a,b,c\n0,0,0\n1,1,1\n2,2,2\n9,-12,1\n")
    assert np.abs(X).max() == pytest.approx(6.0)  # scaled to fit the domain
    assert y.tolist() == [0, 1, 2, 1]
    with pytest.raises(ValueError, match="row 3"):
        parse_points("0,0,0\n1,1,1\nx,1,0\n1,2,1\n")
    with pytest.raises(ValueError, match="three finite numbers"):
        parse_points("0,0,0\n1,1,1\n1,nan,0\n1,2,1\n")
    with pytest.raises(ValueError, match="at most"):
        parse_points("0,0,0\n" * (MAX_UPLOAD_CHARS // 6 + 1))
    with pytest.raises(ValueError, match="more than 2000 points"):
        parse_points("0,0,1\n" * 2001)
    s = Session()
    s.upload("0,0,0\n1,1,1\n-1,2,0\n2,-1,1\n3,3,0\n-3,-3,1\n")
    assert s.config["dataset"] == "custom"
    assert len(s.y_train) + len(s.y_test) == 6


def test_exported_model_loads_with_the_same_predictions(tmp_path):
    s = Session({"layers": [5]})
    s.advance(30)
    path = tmp_path / "m.safetensors"
    path.write_bytes(model_bytes(s))
    loaded = gn.io.load(path)
    np.testing.assert_array_equal(loaded.forward(s.X_test), s.model.forward(s.X_test))
    assert gn.io.read_metadata(path)["playground"]["layers"] == [5]


def run_script(text: str, tmp_path: Path) -> dict[str, float | None]:
    path = tmp_path / "replay.py"
    path.write_text(text)
    # the environment as it is (OPENBLAS_CORETYPE included): the replay is the same
    # bits only with the same BLAS kernels
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines():
        name, _, value = line.rpartition(" ")
        out[name] = None if value == "None" else float(value)
    return out


@pytest.mark.parametrize(
    "start",
    [
        {"layers": [5, 3], "optimizer": "adam", "learning_rate": 0.01},
        {"dataset": "spiral", "classes": 3, "layers": [6], "activation": "relu"},
        {"dataset": "multigauss", "layers": [4], "activation": "sigmoid"},
    ],
)
def test_exported_script_replays_the_run_to_the_same_loss(start, tmp_path):
    s = Session(start)
    s.advance(23)
    s.apply({"learning_rate": 0.05, "regularization": "l1", "reg_rate": 0.001})
    s.advance(11)
    s.set_parameter(1, 0, 1, 0.5)
    s.set_parameter(2, 0, None, -0.25)
    s.add_point(1.0, 2.0, 0.5 if s.task == "regression" else 1)
    s.step_sample("train", 3)
    s.step_sample("test", 2)
    s.apply({"optimizer": "momentum", "batch_size": 7})
    s.advance(40)
    s.apply({"regularization": "l2", "reg_rate": 0.01})
    s.advance(3)
    got = run_script(script_text(s), tmp_path)
    want = s.losses()
    assert got["train loss"] == want["train_loss"]  # the same bits
    assert got["test loss"] == want["test_loss"]


def test_exported_script_of_uploaded_points_holds_them(tmp_path):
    s = Session({"layers": [3]})
    s.upload("0,0,0\n1,1,1\n-1,2,0\n2,-1,1\n3,3,0\n-3,-3,1\n1,-2,0\n-2,1,1\n")
    s.advance(12)
    got = run_script(script_text(s), tmp_path)
    assert got["train loss"] == s.losses()["train_loss"]


def test_a_split_without_test_or_training_points_is_refused():
    s = Session({"train_ratio": 10})
    with pytest.raises(ValueError, match="at least one"):
        s.upload("0,0,0\n1,1,1\n-1,2,0\n2,-1,1\n")  # 10 % of 4 points: none to train
    assert s.config["dataset"] == "circles"
    assert s.custom is None


@pytest.mark.parametrize(
    "start",
    [
        {"dataset": "spiral", "classes": 3, "layers": [4]},
        {"dataset": "plane", "layers": [3], "activation": "relu"},
    ],
)
def test_gradcheck_covers_softmax_and_regression_models(start):
    s = Session(start)
    s.advance(2)
    r = s.gradcheck()
    assert r is not None
    assert r["max_error"] < 1e-5
