"""Pictures from the command line: ``--plots DIR`` on demo and train, ``glassnet plot
KIND`` and ``glassnet explain``; the files they write and their error paths.

Kept fast with small data, few epochs, a low dpi and few animation frames; the full
demos' animation sizes and the MNIST figures are in slow tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from cli_support import one_line_error, run

# one small hidden layer: the figures of the reference networks take 3× longer to draw
FAST = [
    "--quiet",
    "--epochs",
    "2",
    "--n-samples",
    "120",
    "--dpi",
    "30",
    "--layers",
    "4",
]
MAX_GIF_BYTES = 5 * 1024 * 1024
CLASSIFIER_FIGURES = {
    "architecture.png",
    "computation.png",
    "history.png",
    "data.png",
    "decision_boundary.png",
    "confusion.png",
    "learning.gif",
    "layers.png",
}
REGRESSION_FIGURES = {
    "architecture.png",
    "computation.png",
    "history.png",
    "data.png",
    "predicted_vs_true.png",
    "layers.png",
}


def check_files(folder: Path, expected: set[str], printed: str) -> None:
    """Exactly the expected files, each listed in the output, non-empty and readable."""
    assert {p.name for p in folder.iterdir()} == expected
    for name in expected:
        path = folder / name
        assert str(path) in printed
        assert path.stat().st_size > 0
        with Image.open(path) as image:
            image.verify()  # a truncated or corrupt file fails here
    if "learning.gif" in expected:
        check_gif(folder / "learning.gif")
        with Image.open(folder / "learning.gif") as gif:
            assert gif.n_frames == 4  # --frames 4 (every run here makes ≥ 4 steps)


def check_gif(path: Path, min_frames: int = 2) -> None:
    assert path.stat().st_size < MAX_GIF_BYTES
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames >= min_frames


# ---- --plots on the demos and train ----
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("circles", CLASSIFIER_FIGURES),
        ("moons", CLASSIFIER_FIGURES),
        ("spirals", CLASSIFIER_FIGURES),
        ("xor", CLASSIFIER_FIGURES),
        ("area", REGRESSION_FIGURES),
    ],
)
def test_demo_plots_writes_every_figure_that_fits(tmp_path, name, expected):
    folder = tmp_path / name
    status, out = run(["demo", name, *FAST, "--frames", "4", "--plots", folder])
    assert status == 0
    assert f"figures   {len(expected)} files in {folder}" in out
    check_files(folder, expected, out)


def test_demo_plots_record_a_test_curve_for_the_history_figure():
    import io

    from glassnet import demos
    from glassnet.cli.experiments import run_experiment

    exp = demos.EXPERIMENTS["circles"].replace(epochs=3, n_samples=120, hidden=[4])
    run = run_experiment(exp, out=io.StringIO(), verbose=0, frames=4)
    logs = run.history.history
    assert len(logs["test_loss"]) == len(logs["test_accuracy"]) == 3
    assert logs["test_loss"][-1] == pytest.approx(run.test["loss"])
    # without figures nothing extra is measured
    quiet = run_experiment(exp, out=io.StringIO(), verbose=0, frames=0)
    assert "test_loss" not in quiet.history.history


def test_area_data_figure_uses_the_side_lengths_and_the_area_in_their_units():
    import io

    import numpy as np

    from glassnet import demos
    from glassnet.cli.experiments import run_experiment
    from glassnet.cli.figures import target_scatter

    exp = demos.EXPERIMENTS["area"].replace(epochs=1, n_samples=100, hidden=[4])
    run = run_experiment(exp, out=io.StringIO(), verbose=0)
    assert run.data.x_scale is not None  # the model sees standardized inputs
    fig = target_scatter(run)
    ax, bar = fig.axes
    (points,) = ax.collections
    ab = points.get_offsets()
    np.testing.assert_allclose(ab, run.data.x_scale.inverse(run.data.X_train))
    assert ab.min() > 0  # side lengths, not standardized units around 0
    np.testing.assert_allclose(points.get_array(), ab[:, 0] * ab[:, 1], rtol=1e-4)
    assert "area" in bar.get_ylabel()
    assert "a" in ax.get_xlabel()
    assert "b" in ax.get_ylabel()
    assert "class" not in " ".join(t.get_text() for t in ax.texts) + ax.get_title()


def test_demo_chain_plots_the_loss_and_the_network(tmp_path):
    status, out = run(["demo", "chain", "--dpi", "30", "--plots", tmp_path])
    assert status == 0
    check_files(tmp_path, {"history.png", "architecture.png", "computation.png"}, out)


def test_demo_descent_plots_each_learning_rate_and_its_animation(tmp_path):
    status, out = run(
        ["demo", "descent", "--dpi", "30", "--frames", "3", "--plots", tmp_path]
    )
    assert status == 0
    names = {
        f"descent_lr{lr}.{ext}"
        for lr in ("0.5", "0.1", "1.05")
        for ext in ["png", "gif"]
    }
    assert {p.name for p in tmp_path.iterdir()} == names
    for name in names:
        assert str(tmp_path / name) in out
        with Image.open(tmp_path / name) as image:
            image.verify()
    check_gif(tmp_path / "descent_lr0.1.gif", min_frames=3)


@pytest.mark.slow
def test_full_demo_animations_stay_under_5_mb(tmp_path):
    # spirals trains longest (300 epochs): the most recorded frames of any demo
    status, _ = run(["demo", "spirals", "--quiet", "--plots", tmp_path])
    assert status == 0
    check_gif(tmp_path / "learning.gif", min_frames=40)


@pytest.mark.slow
def test_demo_mnist_plots_digits_confusion_and_misclassified(tmp_path, mnist_dir):
    status, out = run(
        [
            "demo",
            "mnist",
            "--data-dir",
            mnist_dir,
            "--n-samples",
            "3000",
            "--epochs",
            "1",
            "--quiet",
            "--dpi",
            "40",
            "--plots",
            tmp_path,
        ]
    )
    assert status == 0
    expected = {
        "architecture.png",
        "computation.png",
        "history.png",
        "confusion.png",
        "misclassified.png",
        "digits.png",
        "layers.png",
    }
    check_files(tmp_path, expected, out)


# ---- glassnet plot KIND ----
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-6-5-1 circles model trained by ``glassnet train --save --plots``."""
    folder = tmp_path_factory.mktemp("train")
    path = folder / "circles.safetensors"
    argv = ["train", "--data", "circles", "--layers", "6,5", "--epochs", "3"]
    argv += ["--n-samples", "200", "--quiet", "--dpi", "30", "--frames", "4"]
    status, out = run([*argv, "--save", path, "--plots", folder / "figures"])
    assert status == 0
    return path, folder / "figures", out


@pytest.fixture(scope="module")
def circles_model(trained):
    return trained[0]


def test_train_plots_like_the_demo(trained):
    path, figures, out = trained
    assert path.exists()
    check_files(figures, CLASSIFIER_FIGURES, out)


@pytest.mark.parametrize(
    ("argv", "default"),
    [
        (["activations"], "activations.png"),
        (["activations", "--names", "sigmoid,relu"], "activations.png"),
        (["descent"], "descent_bowl.png"),
        (
            ["descent", "--function", "two_minima", "--steps", "20"],
            "descent_two_minima.png",
        ),
        (
            [
                "descent",
                "--function",
                "x**2 + 3*y**2",
                "--start",
                "2,1",
                "--lr",
                "0.1",
                "--steps",
                "6",
                "--animate",
                "--frames",
                "4",
            ],
            "descent.gif",
        ),
        (["data", "--data", "moons", "--n-samples", "100"], "data_moons.png"),
        (["data", "--data", "area", "--n-samples", "100"], "data_area.png"),
        (
            ["architecture", "--layers", "4,3", "--activation", "tanh"],
            "architecture.png",
        ),
    ],
)
def test_plot_kind_writes_its_default_file(tmp_path, monkeypatch, argv, default):
    monkeypatch.chdir(tmp_path)
    status, out = run(["plot", *argv, "--dpi", "30"])
    assert status == 0
    assert f"wrote     {default}" in out
    if default.endswith(".gif"):
        with Image.open(tmp_path / default) as gif:
            assert gif.n_frames == 4
    with Image.open(tmp_path / default) as image:
        image.verify()


@pytest.mark.parametrize(
    ("kind", "suffix", "magic"),
    [
        ("boundary", ".svg", b"<?xml"),
        ("confusion", ".pdf", b"%PDF"),
        ("architecture", ".png", b"\x89PNG"),
    ],
)
def test_plot_of_a_saved_model_writes_the_format_of_the_suffix(
    tmp_path, circles_model, kind, suffix, magic
):
    target = tmp_path / f"figure{suffix}"
    status, out = run(
        ["plot", kind, "--model", circles_model, "--out", target, "--dpi", "30"]
    )
    assert status == 0
    assert str(target) in out
    assert target.read_bytes().startswith(magic)


def test_plot_descent_reports_the_path(tmp_path):
    status, out = run(
        [
            "plot",
            "descent",
            "--start",
            "-5,-5",
            "--lr",
            "0.5",
            "--out",
            tmp_path / "bowl.png",
            "--dpi",
            "30",
        ]
    )
    assert status == 0
    # seed B: lr 0.5 lands on the minimum in one step, where the gradient is zero
    assert "1 step from (-5, -5) to (0, 0), f = 0" in out


# ---- glassnet explain ----
def table_rows(text: str) -> dict[int, list[str]]:
    """The dimension table's rows, by l: [n, W, b, Z, A, dW, db]."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\s+(\d+)\s+(\d+)\s+(.*)$", line)
        if match and "=" not in line:
            cells = re.findall(r"\([^)]*\)|—", match.group(3))
            rows[int(match.group(1))] = [match.group(2), *cells]
    return rows


def test_explain_prints_the_dimension_table_of_the_layers():
    status, out = run(["explain", "--layers", "25,50,50,25", "--batch-size", "64"])
    assert status == 0
    rows = table_rows(out)
    sizes = [2, 25, 50, 50, 25, 1]
    assert sorted(rows) == list(range(len(sizes)))
    assert rows[0] == ["2", "—", "—", "—", "(64, 2)", "—", "—"]
    for layer in range(1, len(sizes)):
        n, prev = sizes[layer], sizes[layer - 1]
        assert rows[layer] == [
            str(n),
            f"({n}, {prev})",
            f"({n},)",
            f"(64, {n})",
            f"(64, {n})",
            f"({n}, {prev})",
            f"({n},)",
        ]
    assert "Z[1] = A[0] @ W[1].T + b[1]" in out


def test_explain_reads_a_model_file_and_writes_latex(circles_model):
    status, out = run(["explain", circles_model])
    assert status == 0
    rows = table_rows(out)
    assert rows[1][1] == "(6, 2)"  # W[1]: 6 × 2 for the 2-6-5-1 model
    assert rows[3][1] == "(1, 5)"
    status, out = run(["explain", circles_model, "--latex"])
    assert status == 0
    assert r"\begin{tabular}" in out
    assert r"$6 \times 2$" in out


# ---- errors: one line, exit status 2 ----
@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["plot", "frob"], "invalid choice: 'frob'"),
        (["plot", "descent", "--function", "__import__('os')"], "__import__"),
        (["plot", "descent", "--function", "x +* y"], "expression"),
        (["plot", "descent", "--lr", "5", "--steps", "2000"], "not finite.*smaller lr"),
        (["plot", "descent", "--start", "1"], "--start"),
        (["plot", "descent", "--out", "f.txt"], "f.txt"),
        (["plot", "activations", "--out", "a.gif"], r"\.png, \.svg, \.pdf"),
        (["plot", "activations", "--names", "swish"], "swish"),
        (["plot", "data"], "--data"),
        (["plot", "data", "--data", "nope"], "unknown data set 'nope'"),
        (["plot", "boundary"], "--model"),
        (["plot", "boundary", "--model", "absent.safetensors"], "no such model file"),
        (["plot", "architecture", "--layers", "4,x"], "--layers"),
        (["explain", "absent.safetensors"], "no such model file"),
        (["explain", "--layers", "0"], "--layers"),
    ],
)
def test_bad_plot_or_explain_input_gives_one_line_and_status_2(
    capsys, tmp_path, monkeypatch, argv, pattern
):
    monkeypatch.chdir(tmp_path)
    status, _ = run(argv)
    one_line_error(capsys, status, pattern)
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_explain_refuses_a_model_and_layers_together(capsys, circles_model):
    status, _ = run(["explain", circles_model, "--layers", "3"])
    one_line_error(capsys, status, "either a model file or --layers")


def test_plot_boundary_refuses_a_regression_model(capsys, tmp_path):
    path = tmp_path / "area.safetensors"
    assert run(["train", "--data", "area", *FAST, "--save", path])[0] == 0
    capsys.readouterr()
    status, _ = run(["plot", "boundary", "--model", path])
    one_line_error(capsys, status, "needs a classifier")
