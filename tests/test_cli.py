"""The glassnet command: every subcommand's success and error paths, in-process and as
a subprocess; the demos' reference results (MNIST ones are slow)."""

from __future__ import annotations

import io as stdio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli_support import one_line_error, run
from glassnet import cli, demos
from glassnet import io as gio

REPO = Path(__file__).resolve().parents[1]


def number(text, label):
    """The percentage (or R²) after ``label`` in the report line starting with part."""
    return float(re.search(label, text).group(1))


# ---- demos on the toy problems: the reference results ----
def test_demo_circles_reaches_99_percent_in_under_10_seconds():
    start = time.perf_counter()
    status, out = run(["demo", "circles", "--quiet"])
    elapsed = time.perf_counter() - start
    assert status == 0
    assert "2 → 25 → 50 → 50 → 25 → 1" in out
    assert number(out, r"test .*accuracy ([\d.]+) %") >= 99.0
    assert elapsed < 10


@pytest.mark.parametrize("name", ["moons", "spirals"])
def test_demo_moons_and_spirals_reach_97_percent(name):
    status, out = run(["demo", name, "--quiet"])
    assert status == 0
    assert number(out, r"test .*accuracy ([\d.]+) %") >= 97.0


def test_demo_area_regression_reaches_r2_099_on_held_out_data():
    status, out = run(["demo", "area", "--quiet"])
    assert status == 0
    assert number(out, r"test .*R² ([\d.]+)") >= 0.99


def test_demo_xor_learns_the_problem():
    status, out = run(["demo", "xor", "--quiet", "--epochs", "60"])
    assert status == 0
    assert number(out, r"test .*accuracy ([\d.]+) %") >= 95.0


def test_demo_prints_configuration_progress_and_report(capsys):
    status, out = run(["demo", "moons", "--epochs", "2", "--n-samples", "200"])
    err = capsys.readouterr().err
    assert status == 0
    for word in (
        "demo moons",
        "data ",
        "network ",
        "training ",
        "train ",
        "test ",
        "time ",
    ):
        assert word in out
    assert "step" in err  # the tqdm progress bar with the live loss
    assert "loss=" in err


def test_demo_chain_prints_backprop_beside_numerical_gradients():
    status, out = run(["demo", "chain"])
    assert status == 0
    rows = [
        line.split() for line in out.splitlines() if re.match(r"\s+\d+\s+[+-]1", line)
    ]
    assert len(rows) >= 10
    for row in rows:
        grads = [float(v) for v in row[3:]]
        assert len(grads) == 6
        for bp, num in zip(grads[::2], grads[1::2], strict=True):
            assert abs(bp - num) < 1e-7
    assert "predict(+1) = sign(" in out
    assert re.search(r"predict\(\+1\) = sign\([^)]*\) = -1", out)
    assert re.search(r"predict\(−1\) = sign\([^)]*\) = \+1", out)


def test_demo_descent_reaches_the_origin_in_one_step():
    status, out = run(["demo", "descent"])
    assert status == 0
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("lr 0.5")))
    assert "( -5.0000,  -5.0000)" in lines[start + 1]
    assert "( +0.0000,  +0.0000)" in lines[start + 2]
    assert "     2  " not in lines[start + 3]  # stops: the gradient is zero


def test_experiments_describe_the_seed_networks():
    assert demos.EXPERIMENTS["circles"].sizes(2, 1) == [2, 25, 50, 50, 25, 1]
    two = demos.MNIST_PRESETS["twolayer"]
    assert (two.hidden, two.activation, two.init, two.optimizer, two.lr) == (
        [50],
        "sigmoid",
        "normal",
        "sgd",
        0.1,
    )
    assert two.batch_size == 100
    assert two.epochs * 600 >= 10_000


# ---- train, evaluate, predict ----
def test_train_saves_a_model_that_evaluate_and_predict_reuse(tmp_path):
    model_path = tmp_path / "m.safetensors"
    status, out = run(
        [
            "train",
            "--data",
            "circles",
            "--layers",
            "8,8",
            "--epochs",
            "20",
            "--lr",
            "0.02",
            "--batch-size",
            "32",
            "--seed",
            "1",
            "--test-size",
            "0.25",
            "--validation",
            "0.1",
            "--init",
            "xavier",
            "--quiet",
            "--save",
            model_path,
        ]
    )
    assert status == 0
    assert "2 → 8 → 8 → 1" in out
    assert "xavier init" in out
    assert model_path.exists()
    trained = number(out, r"test .*accuracy ([\d.]+) %")
    status, out = run(["evaluate", model_path])
    assert status == 0
    assert number(out, r"test .*accuracy ([\d.]+) %") == trained  # same split again
    points = tmp_path / "points.csv"
    points.write_text("0,0\n1,0\n0.1,-0.2\n-1,0\n")
    status, out = run(["predict", model_path, "--input", points])
    assert status == 0
    assert out.split() == ["1", "0", "1", "0"]  # inner ring is class 1
    status, out = run(["predict", model_path, "--input", points, "--proba"])
    probs = [float(v) for v in out.split()]
    assert all(0 <= p <= 1 for p in probs)
    np.save(tmp_path / "points.npy", np.loadtxt(points, delimiter=","))
    result = tmp_path / "labels.csv"
    status, _ = run(
        ["predict", model_path, "--input", tmp_path / "points.npy", "--output", result]
    )
    assert status == 0
    assert result.read_text().split() == ["1", "0", "1", "0"]


def test_train_and_predict_regression_in_the_targets_units(tmp_path):
    model_path = tmp_path / "area.safetensors"
    status, out = run(
        ["train", "--data", "area", "--epochs", "60", "--quiet", "--save", model_path]
    )
    assert status == 0
    meta = gio.read_metadata(model_path)
    assert meta["experiment"]["data"] == "area"
    assert "x_scale" not in meta  # the model holds its scaling (issue 15)
    layers = gio.load(model_path).layers
    assert type(layers[0]).__name__ == "Standardize"
    assert type(layers[-1]).__name__ == "Unstandardize"
    points = tmp_path / "tables.csv"
    points.write_text("2,3\n5,5\n8,1.5\n")
    status, out = run(["predict", model_path, "--input", points])
    assert status == 0
    np.testing.assert_allclose([float(v) for v in out.split()], [6, 25, 12], rtol=0.1)


def test_train_softmax_model_on_spirals_predicts_classes(tmp_path):
    model_path = tmp_path / "s.safetensors"
    status, _ = run(
        [
            "train",
            "--data",
            "spirals",
            "--epochs",
            "3",
            "--quiet",
            "--save",
            model_path,
            "--n-samples",
            "90",
        ]
    )
    assert status == 0
    X = np.zeros((2, 2))
    np.save(tmp_path / "x.npy", X)
    status, out = run(["predict", model_path, "--input", tmp_path / "x.npy"])
    assert status == 0
    assert all(v in {"0", "1", "2"} for v in out.split())


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_train_reads_a_seed_a_architecture_file(tmp_path, suffix):
    layers = [
        {"input_dim": 2, "output_dim": 6, "activation": "leaky_relu", "alpha": 0.1},
        {"input_dim": 6, "output_dim": 1, "activation": "sigmoid"},
    ]
    path = tmp_path / f"arch{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(layers))
    else:
        path.write_text(
            "".join(
                "[[layers]]\n"
                + "".join(f"{k} = {json.dumps(v)}\n" for k, v in spec.items())
                for spec in layers
            )
        )
    status, out = run(
        ["train", "--data", "moons", "--arch", path, "--epochs", "2", "--quiet"]
    )
    assert status == 0
    assert "2 → 6 → 1" in out
    assert "LeakyReLU(alpha=0.1)" in out


def test_gradcheck_prints_the_per_parameter_table():
    status, out = run(
        ["gradcheck", "--layers", "4,3", "--activation", "relu", "--loss", "ce"]
    )
    assert status == 0
    seeds = ("W[1]", "b[1]", "W[2]", "b[2]", "W[3]", "b[3]")  # the seeds' numbering
    for name, seed in zip(
        ("0.W", "0.b", "2.W", "2.b", "4.W", "4.b"), seeds, strict=True
    ):
        row = rf"^{re.escape(name)}\s+{re.escape(seed)}\s+\S+e-\d+\s+yes$"
        assert re.search(row, out, re.M)
    assert "float64" in out


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_gradcheck_passes_for_each_loss(loss):
    status, out = run(["gradcheck", "--loss", loss, "--activation", "sigmoid"])
    assert status == 0
    assert "agree" in out


def test_gradcheck_exits_1_when_the_tolerance_is_impossible():
    status, out = run(["gradcheck", "--tol", "1e-30"])
    assert status == 1
    assert "NO" in out


# ---- errors: one line, exit status 2 ----
@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["train", "--data", "nope"], "unknown data set 'nope'"),
        (["train"], "--data"),
        (["train", "--data", "circles", "--lr", "-1"], "--lr"),
        (["train", "--data", "circles", "--layers", "4,x"], "--layers"),
        (["train", "--data", "circles", "--epochs", "0"], "--epochs"),
        (["train", "--data", "circles", "--test-size", "1.5"], "--test-size"),
        (["train", "--data", "spirals", "--loss", "bce"], "two classes"),
        (["train", "--data", "area", "--loss", "ce"], "regression"),
        (["train", "--data", "circles", "--arch", "missing.json"], "missing.json"),
        (["demo", "nope"], "invalid choice"),
        (["demo", "circles", "--preset", "best"], "mnist demo only"),
        (["evaluate", "absent.safetensors"], "no such model file"),
        (["predict", "absent.safetensors", "--input", "x.csv"], "no such model"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_gives_one_line_and_status_2(capsys, argv, pattern):
    status, _ = run(argv)
    one_line_error(capsys, status, pattern)


def test_bad_files_give_one_line_and_status_2(capsys, tmp_path):
    model_path = tmp_path / "m.safetensors"
    assert (
        run(
            ["train", "--data", "xor", "--epochs", "1", "--quiet", "--save", model_path]
        )[0]
        == 0
    )
    capsys.readouterr()
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("x,y\n1,2\n")
    one_line_error(
        capsys,
        run(["predict", model_path, "--input", bad_csv])[0],
        "bad.csv: expected comma-separated numbers",
    )
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3\n")
    one_line_error(
        capsys, run(["predict", model_path, "--input", wide])[0], "3 columns"
    )
    objects = tmp_path / "obj.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    one_line_error(
        capsys, run(["predict", model_path, "--input", objects])[0], "obj.npy"
    )
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"junk")
    one_line_error(capsys, run(["evaluate", junk])[0], "not a safetensors file")
    one_line_error(
        capsys,
        run(["evaluate", model_path, "--data", "spirals"])[0],
        "maps 2 inputs to 1 output;",
    )
    bad_arch = tmp_path / "bad.json"
    bad_arch.write_text(
        '[{"input_dim": 2, "output_dim": 3}, {"input_dim": 4, "output_dim": 1}]'
    )
    one_line_error(
        capsys,
        run(["train", "--data", "xor", "--arch", bad_arch])[0],
        "layer 1 has input_dim 4",
    )
    bad_arch.write_text("{not json")
    one_line_error(
        capsys, run(["train", "--data", "xor", "--arch", bad_arch])[0], "not valid json"
    )


def test_missing_mnist_says_which_files_to_put_where(capsys, tmp_path):
    status, _ = run(["demo", "mnist", "--data-dir", tmp_path])
    one_line_error(capsys, status, r"MNIST files missing in .*train-images-idx3-ubyte")


def test_debug_shows_the_traceback():
    with pytest.raises(ValueError, match="unknown data set"):
        cli.main(["--debug", "train", "--data", "nope"], out=stdio.StringIO())


def test_help_of_every_command_is_complete_with_an_example():
    status, out = run(["--help"])
    assert status == 0
    for command in ("demo", "train", "evaluate", "predict", "gradcheck"):
        assert command in out
    for command in (
        "demo",
        "train",
        "evaluate",
        "predict",
        "gradcheck",
        "plot",
        "explain",
    ):
        buffer = stdio.StringIO()
        sys_stdout, sys.stdout = sys.stdout, buffer
        try:
            assert cli.main([command, "--help"]) == 0
        finally:
            sys.stdout = sys_stdout
        text = buffer.getvalue()
        assert "example" in text
        assert f"glassnet {command}" in text


# ---- as a real command ----
def subprocess_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src")
    return env


def test_python_m_glassnet_runs_a_demo():
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "demo", "xor", "--epochs", "3", "--quiet"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test " in result.stdout


def test_python_m_glassnet_reports_errors_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "--data", "nope"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown data set" in result.stderr


# ---- MNIST (slow; skipped without the files) ----
@pytest.mark.slow
def test_demo_mnist_twolayer_reaches_94_percent(mnist_dir):
    status, out = run(["demo", "mnist", "--quiet", "--data-dir", mnist_dir])
    assert status == 0
    assert number(out, r"test .*accuracy ([\d.]+) %") >= 94.0


@pytest.mark.slow
def test_demo_mnist_best_reaches_98_percent(mnist_dir):
    # Its wall time (target ≤ 60 s on 2 cores) is measured by the benchmark, not here:
    # a timed unit test fails whenever the machine is busy.
    status, out = run(
        ["demo", "mnist", "--preset", "best", "--quiet", "--data-dir", mnist_dir]
    )
    assert status == 0
    assert number(out, r"test .*accuracy ([\d.]+) %") >= 98.0


# ---- issue 14: the command line as a new user meets it ----
@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["--data", "circles", "--loss", "ce"], r"--loss ce needs .*--output softmax"),
        (
            ["--data", "circles", "--output", "softmax"],
            r"--output softmax on one output",
        ),
        (["--data", "circles", "--output", "relu"], r"--loss bce .*--output sigmoid"),
        (
            ["--data", "spirals", "--output", "sigmoid"],
            r"--output softmax, not sigmoid",
        ),
        (["--data", "area", "--output", "sigmoid"], r"--output identity"),
        (["--data", "area", "--output", "tanh"], r"--output identity"),
        (["--data", "area", "--output", "relu"], r"standardized targets"),
    ],
)
def test_nonsense_combinations_are_refused_before_training(capsys, argv, pattern):
    status, out = run(["train", *argv, "--epochs", "1", "--quiet"])
    one_line_error(capsys, status, pattern)
    assert out == ""  # refused before the configuration or any step


def test_a_softmax_last_layer_in_an_arch_file_on_one_output_names_the_file(
    capsys, tmp_path
):
    path = tmp_path / "net.json"
    path.write_text(
        '[{"input_dim": 2, "output_dim": 4, "activation": "relu"},'
        ' {"input_dim": 4, "output_dim": 1, "activation": "softmax"}]'
    )
    status, _ = run(["train", "--data", "xor", "--arch", path, "--quiet"])
    one_line_error(capsys, status, "the last layer's activation in --arch softmax")


def test_sensible_combinations_still_train():
    for argv in (
        ["--data", "circles", "--loss", "ce", "--output", "softmax"],
        ["--data", "circles", "--loss", "mse", "--output", "sigmoid"],
        ["--data", "area", "--output", "leaky_relu"],
    ):
        status, out = run(["train", *argv, "--epochs", "1", "--quiet"])
        assert status == 0, argv
        assert "test " in out


def test_demo_chain_honours_epochs_lr_and_save(tmp_path):
    target = tmp_path / "chain.safetensors"
    status, out = run(
        ["demo", "chain", "--epochs", "10", "--lr", "0.5", "--save", target]
    )
    assert status == 0
    assert "lr 0.5, 10 epochs" in out
    assert "after 10 epochs" in out
    model = gio.load(target)
    w = [float(W[0, 0]) for _, W, _ in model.parameters()]
    result = demos.chain(stdio.StringIO(), epochs=10, lr=0.5)
    assert w == [result["w1"], result["w2"], result["w3"]]
    assert f"saved     {target}" in out


def test_demo_descent_honours_lr():
    status, out = run(["demo", "descent", "--lr", "0.3"])
    assert status == 0
    assert "lr 0.3: step" in out
    assert "lr 0.5: step" not in out  # the demo's own runs are replaced
    # each step multiplies (−5, −5) by 1 − 2·0.3 = 0.4
    assert re.search(r"\n +1  \( *-2\.0000, +-2\.0000\)", out)
    assert "converges" in out


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["demo", "chain", "--seed", "3"], r"demo chain .*--seed does not apply"),
        (["demo", "chain", "--layers", "3"], r"--layers does not apply"),
        (["demo", "chain", "--epochs", "100000"], r"--epochs at most 10000"),
        (["demo", "descent", "--epochs", "3"], r"--epochs does not apply"),
        (["demo", "descent", "--save", "x.st"], r"--save does not apply"),
        (["demo", "descent", "--lr", "0.3", "--plots", "p"], r"plot descent --lr 0.3"),
        (["demo", "chain", "--save", "/no/such/dir/c.st"], r"does not exist"),
        (["demo", "descent", "--lr", "1e300"], r"demo descent --lr 1e\+300: .*finite"),
    ],
)
def test_demo_options_a_narrated_demo_cannot_honour_are_refused(capsys, argv, pattern):
    status, out = run(argv)
    one_line_error(capsys, status, pattern)
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["plot", "activations", "--names", "sigmoid,swish"], r"--names .*'swish'"),
        (["plot", "activations", "--names", "sigmoid,,relu"], r"--names .*got ''"),
        (["train", "--data", "circles", "--n-samples", "1"], r"--n-samples"),
        (["train", "--data", "circles", "--noise", "-1"], r"--noise"),
        (["train", "--data", "xor", "--n-samples", "3"], r"--test-size"),
    ],
)
def test_errors_name_commands_and_options_not_functions(capsys, argv, pattern):
    status, _ = run(argv)
    line = one_line_error(capsys, status, pattern)
    assert not re.search(r"\b(make_\w+|activation_functions|train_test_split)", line)


def test_plot_boundary_on_a_model_of_other_inputs_suggests_a_command(
    capsys, tmp_path, monkeypatch
):
    # a 3-input model saved with its data set's name: boundary needs 2 inputs
    from glassnet.model import Sequential

    cmd_plot = sys.modules["glassnet.cli.cmd_plot"]  # the module, not the function

    model = Sequential([gn_dense(3, 1), gn_sigmoid()])
    monkeypatch.setattr(
        cmd_plot, "model_and_data", lambda args: (model, None, _Classes())
    )
    status, _ = run(["plot", "boundary", "--model", tmp_path / "m.safetensors"])
    line = one_line_error(
        capsys, status, r"plot boundary draws .*2 inputs.*has 3 inputs"
    )
    assert "glassnet plot confusion --model" in line
    assert "digit_grid" not in line


class _Classes:
    classes = 10


def gn_dense(n_in, n_out):
    from glassnet.layers import Dense

    return Dense(n_in, n_out, rng=np.random.default_rng(0))


def gn_sigmoid():
    from glassnet.layers import Sigmoid

    return Sigmoid()


def test_gradcheck_takes_batch_size_and_the_old_batch_still_works():
    for flag in ("--batch-size", "--batch"):
        status, out = run(["gradcheck", "--layers", "3", flag, "5"])
        assert status == 0
        assert "batch     5 random samples" in out
    status, help_text = run(["gradcheck", "--help"])
    assert "--batch-size" in help_text
    assert "--batch " not in help_text


def test_validation_results_are_in_the_final_report():
    argv = ["train", "--data", "moons", "--epochs", "3", "--validation", "0.25"]
    status, out = run([*argv, "--quiet", "--n-samples", "200"])
    assert status == 0
    lines = out.splitlines()
    parts = {"train", "valid", "test"}
    names = [line.split()[0] for line in lines if line.split()[0] in parts]
    assert names == ["train", "valid", "test"]
    assert re.search(r"valid     loss [\d.]+  accuracy [\d.]+ %", out)


def test_the_training_time_excludes_recording_the_animation(tmp_path, monkeypatch):
    from glassnet import plots

    real = plots.LearningRecorder._record

    def slow(self, *args):
        time.sleep(0.05)
        real(self, *args)

    monkeypatch.setattr(plots.LearningRecorder, "_record", slow)
    argv = ["train", "--data", "circles", "--n-samples", "100", "--epochs", "2"]
    status, out = run([*argv, "--quiet", "--plots", tmp_path, "--frames", "10"])
    assert status == 0
    match = re.search(r"time +([\d.]+) s training .*; ([\d.]+) s recording", out)
    assert match, out
    training, drawing = float(match.group(1)), float(match.group(2))
    assert drawing >= 0.25  # ≥ 5 frames of 0.05 s: before training and 4+ steps
    assert training < drawing


def test_singular_counts_read_as_english():
    status, out = run(["train", "--data", "xor", "--epochs", "1", "--quiet"])
    assert status == 0
    assert "1 epoch," in out
    assert "(1 epoch, " in out
    assert "1 epochs" not in out


def test_empty_layers_means_no_hidden_layer():
    status, out = run(["train", "--data", "xor", "--layers", "", "--epochs", "1"])
    assert status == 0
    assert "network   2 → 1  (Sigmoid()" in out
