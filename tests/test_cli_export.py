"""``glassnet export MODEL --onnx out.onnx``: onnxruntime matches gn.load(MODEL)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import glassnet as gn
from cli_support import one_line_error, run

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def scaled_model(tmp_path):
    """A regression model trained by the CLI: Standardize ... Unstandardize."""
    path = tmp_path / "area.safetensors"
    argv = ["train", "--data", "area", "--epochs", "5", "--quiet", "--save", path]
    assert run(argv)[0] == 0
    return path


def test_onnxruntime_on_the_export_matches_gn_load_predict(tmp_path, scaled_model):
    out = tmp_path / "area.onnx"
    out.write_bytes(b"an older file")  # replaced, not appended to
    status, text = run(["export", scaled_model, "--onnx", out])
    assert status == 0
    assert f"wrote     {out}" in text
    model = gn.load(scaled_model)
    X = np.random.default_rng(0).uniform(1, 10, size=(64, 2)).astype(np.float32)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    Y = session.run(None, {"X": X})[0]
    np.testing.assert_allclose(Y, model.predict(X), rtol=1e-5, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "area.onnx",
        "area.safetensors",
    ]  # no temporary file left behind


def test_a_float64_export_matches_to_float64_precision(tmp_path, scaled_model):
    out = tmp_path / "area64.onnx"
    assert run(["export", scaled_model, "--onnx", out, "--dtype", "float64"])[0] == 0
    X = np.random.default_rng(1).uniform(1, 10, size=(8, 2))
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    Y = session.run(None, {"X": X})[0]
    assert Y.dtype == np.float64
    expected = gn.load(scaled_model).astype(np.float64).predict(X)
    np.testing.assert_allclose(Y, expected, rtol=1e-12, atol=1e-12)


def test_export_errors_are_one_line(capsys, tmp_path, scaled_model):
    status, _ = run(["export", tmp_path / "none.safetensors", "--onnx", "x.onnx"])
    one_line_error(capsys, status, r"no such model file")
    status, _ = run(["export", scaled_model, "--onnx", tmp_path / "no" / "x.onnx"])
    one_line_error(capsys, status, r"--onnx .*does not exist")
    status, _ = run(["export", scaled_model])
    one_line_error(capsys, status, r"required: --onnx")
    cnn = tmp_path / "cnn.safetensors"
    gn.save(
        gn.Sequential([gn.Conv2D(1, 2, 3), gn.Flatten()], input_shape=(1, 4, 4)), cnn
    )
    status, _ = run(["export", cnn, "--onnx", tmp_path / "cnn.onnx"])
    one_line_error(capsys, status, r"cnn.safetensors: .*cannot export layer 0")
    assert not (tmp_path / "cnn.onnx").exists()


def test_without_the_onnx_extra_export_says_how_to_install_it(
    capsys, tmp_path, scaled_model, monkeypatch
):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if onnx were not installed
    monkeypatch.delitem(sys.modules, "glassnet.onnx", raising=False)
    status, _ = run(["export", scaled_model, "--onnx", tmp_path / "x.onnx"])
    one_line_error(capsys, status, r"glassnet export needs the onnx package.*\[onnx\]")
