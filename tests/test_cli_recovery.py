"""The command under bad input, divergence and interruption: Ctrl-C and --resume,
--clip-norm, a diverging learning rate, invalid values and files, a closed pipe.

Every failure must be one line on stderr with exit status 2 (130 for Ctrl-C), and no
model file may be overwritten by a run that did not finish.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli_support import one_line_error, run
from glassnet import io as gio
from glassnet.model import Sequential

REPO = Path(__file__).resolve().parents[1]
# 160 training samples in batches of 4: 40 steps an epoch, 4000 in all; the epochs'
# checkpoints (each written and fsync'ed) keep the run going for a second or more, so
# SIGINT arrives mid-training. The lr decay checks that resuming restores the lr too.
TRAIN = [
    "train",
    "--data",
    "circles",
    "--n-samples",
    "200",
    "--layers",
    "8",
    "--batch-size",
    "4",
    "--epochs",
    "100",
    "--lr-decay",
    "0.99",
    "--seed",
    "3",
    "--quiet",
]


def env():
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def same_weights(path_a: Path, path_b: Path) -> bool:
    a, b = gio.load(path_a), gio.load(path_b)
    pa, pb = a.parameters(), b.parameters()
    return len(pa) == len(pb) and all(
        np.array_equal(Wa, Wb) for (_, Wa, _), (_, Wb, _) in zip(pa, pb, strict=True)
    )


# ---- Ctrl-C, then --resume ----
def test_ctrl_c_stops_with_130_and_resume_ends_bit_identical(tmp_path):
    ckpt, resumed, reference = (
        tmp_path / "run.ckpt",
        tmp_path / "resumed.safetensors",
        tmp_path / "reference.safetensors",
    )
    command = [sys.executable, "-m", "glassnet", *TRAIN, "--checkpoint", str(ckpt)]
    command += ["--checkpoint-every", "100"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        deadline = time.monotonic() + 60
        while not ckpt.exists():  # written inside fit: training has started
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no checkpoint after 60 s"
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert re.fullmatch(
        r"glassnet: interrupted after step \d+ \(epoch \d+\); checkpoint saved to "
        + re.escape(str(ckpt))
        + r"; resume with the same command plus --resume",
        lines[0],
    ), lines[0]
    step = int(re.search(r"step (\d+)", lines[0]).group(1))
    assert 0 < step < 4000

    done = subprocess.run(
        [*command, "--resume", "--save", str(resumed)],
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"resume    from {ckpt}, after step {step}" in done.stdout
    assert "(100 epochs, 4000 steps)" in done.stdout

    status, _ = run([*TRAIN, "--save", reference])  # never interrupted, no checkpoint
    assert status == 0
    assert same_weights(resumed, reference)


def test_resume_of_a_finished_run_gives_its_model_again(tmp_path):
    ckpt = tmp_path / "c.ckpt"
    argv = ["train", "--data", "xor", "--n-samples", "100", "--epochs", "3"]
    argv += ["--quiet", "--checkpoint", ckpt]
    assert run([*argv, "--save", tmp_path / "a.safetensors"])[0] == 0
    status, out = run([*argv, "--resume", "--save", tmp_path / "b.safetensors"])
    assert status == 0
    assert "resume    from" in out
    assert same_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")


def test_resume_without_a_checkpoint_file_starts_afresh(tmp_path):
    ckpt = tmp_path / "new.ckpt"
    argv = ["train", "--data", "xor", "--n-samples", "100", "--epochs", "2"]
    status, out = run([*argv, "--quiet", "--checkpoint", ckpt, "--resume"])
    assert status == 0
    assert "does not exist yet: starting afresh" in out
    assert ckpt.exists()


def test_resume_from_another_network_is_one_line(capsys, tmp_path):
    ckpt = tmp_path / "c.ckpt"
    argv = ["train", "--data", "xor", "--n-samples", "100", "--epochs", "1", "--quiet"]
    assert run([*argv, "--layers", "4", "--checkpoint", ckpt])[0] == 0
    capsys.readouterr()
    status, _ = run([*argv, "--layers", "5", "--checkpoint", ckpt, "--resume"])
    one_line_error(capsys, status, r"c\.ckpt.*shape")


def test_interrupt_without_checkpoint_is_one_line_and_130(capsys, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt("training interrupted after step 7 (epoch 2)")

    monkeypatch.setattr(Sequential, "fit", interrupted)
    status, _ = run(["demo", "xor", "--quiet"])
    line = one_line_error(capsys, status, "interrupted", code=130)
    assert line == "glassnet: interrupted after step 7 (epoch 2)"


# ---- divergence and clipping ----
def test_a_diverging_run_is_one_line_and_keeps_the_saved_model(capsys, tmp_path):
    saved = tmp_path / "m.safetensors"
    argv = ["train", "--data", "area", "--epochs", "3", "--quiet", "--save", saved]
    assert run(argv)[0] == 0
    before = saved.read_bytes()
    capsys.readouterr()
    status, out = run([*argv, "--lr", "1e6"])
    line = one_line_error(capsys, status, r"training diverged")
    assert "learning rate" in line
    assert "--lr 1e+06" in line
    assert f"{saved} was not written" in line
    assert saved.read_bytes() == before
    assert "saved" not in out


def test_clip_norm_is_applied_and_reported(tmp_path):
    argv = ["train", "--data", "area", "--epochs", "3", "--quiet", "--clip-norm"]
    status, out = run([*argv, "0.5"])
    assert status == 0
    assert "gradients clipped to norm 0.5" in out
    status, other = run(argv[:-1])
    assert status == 0
    assert "clipped" not in other
    test_loss = re.compile(r"test +loss ([\d.]+)")
    assert test_loss.search(out).group(1) != test_loss.search(other).group(1)


# ---- invalid values: one line naming the option, status 2 ----
@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (["--lr", "0"], r"--lr: expected a number > 0"),
        (["--lr", "-0.1"], r"--lr: expected a number > 0"),
        (["--lr", "nan"], r"--lr: expected a number > 0; got nan"),
        (["--lr", "inf"], r"--lr: expected a number > 0; got inf"),
        (["--epochs", "0"], r"--epochs: expected an integer ≥ 1"),
        (["--epochs", "inf"], r"--epochs: expected an integer"),
        (["--epochs", "2.5"], r"--epochs: expected an integer"),
        (["--batch-size", "-4"], r"--batch-size: expected an integer ≥ 1"),
        (["--batch-size", "nan"], r"--batch-size: expected an integer"),
        (["--clip-norm", "0"], r"--clip-norm: expected a number > 0"),
        (["--clip-norm", "nan"], r"--clip-norm: expected a number > 0"),
        (["--clip-norm=-inf"], r"--clip-norm: expected a number > 0; got -inf"),
        (["--checkpoint-every", "0"], r"--checkpoint-every: expected an integer ≥ 1"),
        (["--alpha", "nan"], r"--alpha: expected a finite number"),
        (["--noise", "inf"], r"--noise: expected a finite number"),
        (["--activation", "swish"], r"invalid choice: 'swish' \(choose from 'relu'"),
        (["--loss", "hinge"], r"invalid choice: 'hinge' \(choose from 'bce', 'ce'"),
        (["--optimizer", "lbfgs"], r"invalid choice: 'lbfgs' \(choose from 'sgd'"),
        (["--init", "orthogonal"], r"invalid choice: 'orthogonal' \(choose from"),
        (["--resume"], r"--resume needs --checkpoint FILE"),
        (["--checkpoint-every", "5"], r"--checkpoint-every needs --checkpoint FILE"),
        (["--checkpoint", "no/such/dir/c.ckpt"], r"folder no/such/dir does not exist"),
        (["--checkpoint", "m.st", "--save", "m.st"], r"must be different files"),
    ],
)
def test_invalid_training_values_are_one_line(capsys, extra, pattern):
    status, _ = run(["train", "--data", "circles", "--epochs", "1", *extra])
    one_line_error(capsys, status, pattern)


def test_unknown_data_set_lists_the_valid_ones(capsys):
    status, _ = run(["train", "--data", "iris"])
    one_line_error(
        capsys, status, "unknown data set 'iris'; expected one of: circles, moons"
    )


def test_checkpoint_options_do_not_apply_to_the_narrated_demos(capsys, tmp_path):
    status, _ = run(["demo", "chain", "--checkpoint", tmp_path / "c"])
    one_line_error(capsys, status, "apply to the training demos")


# ---- predict and evaluate on bad files ----
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "xor.safetensors"
    argv = ["train", "--data", "xor", "--n-samples", "100", "--epochs", "1"]
    assert run([*argv, "--quiet", "--save", path])[0] == 0
    return path


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("1,2\n3,abc\n", r"line 2, column 2 is 'abc'"),
        ("x,y\n1,2\n", r"expected comma-separated numbers.*line 1, column 1 is 'x'"),
        ("1,2\n\n# a comment\n3,nan\n", r"finite numbers; line 4, column 2 is nan"),
        ("1,inf\n", r"finite numbers; line 1, column 2 is inf"),
        ("1,2\n3\n", r"line 2 has 1 value\(s\) but the lines before it have 2"),
        ("1,,2\n", r"line 1, column 2 is ''"),
        ("1,2,3\n", r"has 3 columns; .* expects 2 input features"),
    ],
)
def test_predict_names_the_bad_line_and_column(
    capsys, tmp_path, model_file, text, pattern
):
    path = tmp_path / "in.csv"
    path.write_text(text)
    status, _ = run(["predict", model_file, "--input", path])
    one_line_error(capsys, status, pattern)


def test_predict_names_the_non_finite_cell_of_a_npy_file(capsys, tmp_path, model_file):
    path = tmp_path / "in.npy"
    np.save(path, np.array([[0.0, 1.0], [2.0, np.nan]]))
    status, _ = run(["predict", model_file, "--input", path])
    one_line_error(capsys, status, r"row 2, column 2 \(counting from 1\) is nan")


def test_evaluate_on_data_of_another_width_is_one_line(capsys, model_file):
    status, _ = run(["evaluate", model_file, "--data", "spirals"])
    one_line_error(capsys, status, r"maps 2 inputs to 1 output;.*need 2 inputs and 3")


# ---- a closed pipe ----
def test_a_closed_pipe_ends_quietly(tmp_path, model_file):
    rows = tmp_path / "rows.npy"
    np.save(rows, np.zeros((100_000, 2)))  # ~200 KB of output: more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "predict", model_file, "--input", rows],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 141, err
    assert err == ""
