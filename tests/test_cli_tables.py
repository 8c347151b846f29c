"""``glassnet train --data my.csv --target COLUMN``: the model owns its scaling.

The saved model holds the Standardize layer learnt on the training part (and an
Unstandardize for a regression target), so ``gn.load(path).predict(X_raw)`` in Python
and ``glassnet predict`` in a separate process print the same numbers in the data's
own units; a classifier prints the labels the file wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from cli_support import one_line_error, run
from glassnet import io as gio

REPO = Path(__file__).resolve().parents[1]
FAST = ["--epochs", "40", "--quiet"]


def glassnet(*argv) -> subprocess.CompletedProcess[str]:
    """``python -m glassnet argv`` in a new process, on this checkout's code."""
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, argv)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        timeout=300,
        check=False,
    )


@pytest.fixture
def houses(tmp_path) -> Path:
    """A CSV file: two features in large units, a text class, a price far from 0."""
    rng = np.random.default_rng(0)
    width, height = rng.uniform(100, 200, 300), rng.uniform(1, 3, 300)
    price = 3 * width + 50 * height + rng.normal(0, 2, 300)
    kind = np.where(width / 50 + height > 5, "big", "small")
    lines = ["width,height,kind,price"] + [
        f"{w:.2f},{h:.3f},{k},{p:.2f}"
        for w, h, k, p in zip(width, height, kind, price, strict=True)
    ]
    path = tmp_path / "houses.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def rows(path: Path) -> np.ndarray:
    """The (width, height) columns of the file, as numbers."""
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1))


def test_regression_python_and_a_cli_process_agree_in_the_data_units(tmp_path, houses):
    model_path = tmp_path / "price.safetensors"
    argv = ["--target", "price", "--features", "width,height", *FAST]
    status, out = run(["train", "--data", houses, *argv, "--save", model_path])
    assert status == 0
    assert "target 'price', a numeric target (regression)" in out
    model = gn.load(model_path)
    assert isinstance(model.layers[0], gn.Standardize)
    assert isinstance(model.layers[-1], gn.Unstandardize)
    X = rows(houses)[:20]
    raw = tmp_path / "raw.csv"
    np.savetxt(raw, X, delimiter=",")
    done = glassnet("predict", model_path, "--input", raw)
    assert done.returncode == 0, done.stderr
    cli = np.array([float(v) for v in done.stdout.split()])
    python = model.predict(X)[:, 0]
    np.testing.assert_allclose(cli, python, rtol=1e-5)  # printed with 6 digits
    truth = 3 * X[:, 0] + 50 * X[:, 1]  # prices of about 400 to 750
    assert np.abs(python - truth).max() < 25
    meta = gio.read_metadata(model_path)
    assert "x_scale" not in meta  # the scaling lives in the model, not beside it
    assert meta["features"] == ["width", "height"]
    assert meta["target"] == "price"


def test_classifier_prints_the_files_labels_in_python_and_the_cli(tmp_path, houses):
    model_path = tmp_path / "kind.safetensors"
    argv = ["--target", "kind", "--features", "width,height", *FAST]
    status, out = run(["train", "--data", houses, *argv, "--save", model_path])
    assert status == 0
    assert "2 classes (big, small)" in out
    meta = gio.read_metadata(model_path)
    assert meta["labels"] == ["big", "small"]
    done = glassnet("predict", model_path, "--input", houses)  # its header: by name
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split()
    X = rows(houses)
    ids = (gn.load(model_path).predict(X)[:, 0] >= 0.5).astype(int)
    assert printed == [meta["labels"][i] for i in ids]
    expected = np.where(X[:, 0] / 50 + X[:, 1] > 5, "big", "small")
    assert np.mean(np.array(printed) == expected) > 0.9


def test_the_area_model_predicts_the_same_in_python_and_the_cli(tmp_path):
    # the bug of issue 15: Python predicted 4.94 where the CLI said 6.13
    model_path = tmp_path / "area.safetensors"
    assert run(["train", "--data", "area", *FAST, "--save", model_path])[0] == 0
    X = np.array([[2.0, 3.0], [5.0, 5.0], [8.0, 1.5]])
    raw = tmp_path / "tables.csv"
    np.savetxt(raw, X, delimiter=",")
    done = glassnet("predict", model_path, "--input", raw)
    assert done.returncode == 0, done.stderr
    cli = np.array([float(v) for v in done.stdout.split()])
    python = gn.load(model_path).predict(X)[:, 0]
    np.testing.assert_allclose(cli, python, rtol=1e-5)
    np.testing.assert_allclose(python, [6, 25, 12], rtol=0.1)


def test_evaluate_measures_a_csv_model_on_its_own_split(tmp_path, houses):
    model_path = tmp_path / "kind.safetensors"
    argv = ["--target", "kind", "--features", "width,height", *FAST]
    status, out = run(["train", "--data", houses, *argv, "--save", model_path])
    assert status == 0
    test_line = next(line for line in out.splitlines() if line.startswith("test"))
    status, evaluated = run(["evaluate", model_path])
    assert status == 0
    assert test_line in evaluated.splitlines()


def test_a_target_by_index_and_a_headerless_file(tmp_path):
    path = tmp_path / "plain.csv"
    X = np.random.default_rng(1).uniform(-1, 1, size=(80, 2))
    path.write_text("".join(f"{a:.4f},{b:.4f},{a + b:.4f}\n" for a, b in X))
    status, out = run(["train", "--data", path, "--target", "2", *FAST])
    assert status == 0
    assert "target 'column 2'" in out


def test_numeric_labels_become_classes_with_categorical(tmp_path):
    path = tmp_path / "bits.csv"
    X = np.random.default_rng(2).uniform(-1, 1, size=(80, 2))
    path.write_text("a,b,y\n" + "".join(f"{a},{b},{int(a > 0)}\n" for a, b in X))
    status, out = run(["train", "--data", path, "--target", "y", *FAST])
    assert "a numeric target (regression)" in out
    status, out = run(
        ["train", "--data", path, "--target", "y", "--categorical", *FAST]
    )
    assert status == 0
    assert "2 classes (0, 1)" in out


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["--target", "nope"], r"no column named 'nope'.*\['width', 'height', "),
        (["--target", "price"], r"line 2, column 'kind' \(index 2\).*--features"),
        ([], r"--target COLUMN"),
        (["--target", "price", "--features", "width,area"], r"no column named 'area'"),
        (["--target", "price", "--n-samples", "10"], r"--n-samples applies to gen"),
        (["--target", "kind", "--no-categorical"], r"'big' is not a finite number"),
    ],
)
def test_bad_csv_options_are_one_line_naming_the_column(capsys, houses, argv, pattern):
    status, _ = run(["train", "--data", houses, *argv])
    one_line_error(capsys, status, pattern)


def test_csv_options_on_a_built_in_data_set_are_refused(capsys):
    status, _ = run(["train", "--data", "circles", "--target", "y"])
    one_line_error(capsys, status, r"--target applies to a CSV file")
    status, _ = run(["train", "--data", "circels"])
    one_line_error(capsys, status, r"unknown data set 'circels'.*or a CSV file")


def test_a_single_class_and_a_missing_file_are_refused(capsys, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("a,y\n1,x\n2,x\n3,x\n")
    status, _ = run(["train", "--data", path, "--target", "y"])
    one_line_error(capsys, status, r"one class only \('x'\)")
    status, _ = run(["train", "--data", tmp_path / "gone.csv", "--target", "y"])
    one_line_error(capsys, status, r"gone.csv: no such CSV file")


def test_predict_names_a_feature_column_the_input_lacks(capsys, tmp_path, houses):
    model_path = tmp_path / "p.safetensors"
    argv = ["--target", "price", "--features", "width,height", "--epochs", "1"]
    assert (
        run(["train", "--data", houses, *argv, "--quiet", "--save", model_path])[0] == 0
    )
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("width,depth\n1,2\n")
    status, _ = run(["predict", model_path, "--input", bad])
    one_line_error(capsys, status, r"no column 'height'.*\['width', 'depth'\]")
    bad.write_text("width,height\n1,x\n")
    status, _ = run(["predict", model_path, "--input", bad])
    one_line_error(capsys, status, r"line 2, column 'height': 'x' is not a finite")


def test_the_readme_csv_commands_run_as_printed(tmp_path, monkeypatch):
    import re
    import shlex

    pytest.importorskip("onnx")  # its last command exports to ONNX
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"\n## Ecosystem.*?\n(?=## )", readme, flags=re.S).group(0)
    [block] = re.findall(r"```bash\n(glassnet train --data points.csv.*?)```", section,
                         flags=re.S)  # fmt: skip
    monkeypatch.chdir(tmp_path)
    X, y = gn.datasets.make_moons(n_samples=300, noise=0.1, seed=0)  # as its Python
    Path("points.csv").write_text(
        "x1,x2,kind\n"
        + "".join(
            f"{a:.3f},{b:.3f},{'ab'[c]}\n" for (a, b), c in zip(X, y, strict=True)
        )
    )
    outputs = []
    for line in block.strip().splitlines():
        argv = shlex.split(line.split("#")[0])
        assert argv[0] == "glassnet"
        status, out = run(argv[1:])
        assert status == 0, line
        outputs.append(out)
    predicted = outputs[1].split()
    assert set(predicted) == {"a", "b"}
    assert np.mean(np.array(predicted) == np.array(["a", "b"])[y]) > 0.9
    assert Path("points.onnx").is_file()
