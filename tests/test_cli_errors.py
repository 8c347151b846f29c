"""The command under hostile input (issue 10): one line on stderr, exit status 2.

Every case below crashed with a traceback, hung, allocated without bound, or wrote
a file non-atomically before: sizes declared in small files (.npy headers, IDX
dimensions, gzip bombs, --layers, --dpi, --frames, --n-samples, a 400-digit number),
nested or misspelt architecture files, FIFOs, folders and devices given as files,
descents that leave the finite numbers, and outputs that cannot be written.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from cli_support import one_line_error, run
from glassnet import cli
from glassnet.cli import data as cli_data
from glassnet.cli import paths as cli_paths
from glassnet.cli.errors import UsageError
from glassnet.datasets import mnist


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A small xor classifier (2 inputs, 1 sigmoid output) saved by the command."""
    path = tmp_path_factory.mktemp("model") / "xor.safetensors"
    status, _ = run(
        [
            "train",
            "--data",
            "xor",
            "--n-samples",
            "100",
            "--layers",
            "4",
            "--epochs",
            "1",
            "--quiet",
            "--save",
            path,
        ]
    )
    assert status == 0
    return path


def printable(line: str) -> bool:
    """No control characters or undecodable bytes in a message."""
    return all(c.isprintable() and c != "\ufffd" for c in line)


# ---- predict --output is written atomically ----
def test_predict_output_is_written_through_the_atomic_writer(tmp_path, model_file):
    points = tmp_path / "x.csv"
    points.write_text("0.5,0.5\n-0.5,0.5\n")
    for name in ("p.csv", "p.npy"):
        target = tmp_path / name
        status, out = run(
            ["predict", model_file, "--input", points, "--output", target]
        )
        assert status == 0
        assert "wrote 2 predictions" in out
        values = (
            np.load(target) if name.endswith(".npy") else np.loadtxt(target, ndmin=1)
        )
        assert values.shape[0] == 2
        assert set(values.ravel().tolist()) <= {0, 1}


@pytest.mark.parametrize("name", ["p.csv", "p.npy"])
def test_a_failed_write_keeps_the_existing_output(
    capsys, tmp_path, monkeypatch, model_file, name
):
    points = tmp_path / "x.csv"
    points.write_text("0.5,0.5\n")
    target = tmp_path / name
    target.write_bytes(b"the previous predictions\n")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)  # the disk fills while writing
    status, _ = run(["predict", model_file, "--input", points, "--output", target])
    one_line_error(capsys, status, "No space left on device")
    assert target.read_bytes() == b"the previous predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "x.csv"])


def test_predict_output_into_a_missing_folder_fails_before_reading(
    capsys, tmp_path, model_file
):
    status, _ = run(
        [
            "predict",
            model_file,
            "--input",
            tmp_path / "absent.csv",
            "--output",
            tmp_path / "no" / "p.csv",
        ]
    )
    one_line_error(capsys, status, r"--output .*folder .*no does not exist")


# ---- --debug anywhere ----
def test_debug_after_the_subcommand_is_accepted():
    status, out = run(["gradcheck", "--layers", "3", "--debug"])
    assert status == 0
    assert "agree" in out


def test_debug_after_the_subcommand_shows_the_real_error(tmp_path):
    with pytest.raises(UsageError, match="no such model file"):
        cli.main(["evaluate", str(tmp_path / "absent.safetensors"), "--debug"])


# ---- predict --input: sizes declared in the file, names, kinds ----
def npy_header(shape, descr="<f8") -> bytes:
    """A version 1.0 .npy header declaring ``shape``, padded as numpy.save pads it."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def _write(path: Path, kind: str) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "huge shape":  # 16 TB declared in a 100-byte file
        path.write_bytes(npy_header((10**12, 2)) + b"\0" * 16)
    elif kind == "trailing":
        path.write_bytes(npy_header((1, 2)) + b"\0" * 24)
    elif kind == "objects":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif kind == "structured":
        np.save(path, np.zeros(2, dtype=[("a", "f8"), ("b", "f8")]))
    elif kind == "complex":
        np.save(path, np.zeros((2, 2), dtype=complex))
    elif kind == "3-D":
        np.save(path, np.zeros((2, 2, 2)))
    elif kind == "no columns":
        np.save(path, np.zeros((5, 0)))
    elif kind == "bad header":
        path.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 'xx'}\n" + b"\0" * 8)
    elif kind == "npz":
        np.savez(path.with_suffix(".tmp.npz"), x=np.zeros((2, 2)))
        path.with_suffix(".tmp.npz").rename(path)
    elif kind == "text":
        path.write_text("1,2\n3,4\n")
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "escape":
        path.write_bytes(b"1,\x1b[31mred\x1b[0m\n")


NPY_CASES = [
    ("x.npy", "empty", "the input file is empty"),
    ("x.csv", "empty", "the input file is empty"),
    ("x.npy", "huge shape", r"truncated: its header says shape \(1000000000000, 2\)"),
    ("x.npy", "trailing", "has trailing bytes"),
    ("x.npy", "objects", "expected a .npy array of numbers; got dtype object"),
    ("x.npy", "structured", "expected a .npy array of numbers"),
    ("x.npy", "complex", "got dtype complex128"),
    ("x.npy", "3-D", r"got shape \(2, 2, 2\)"),
    ("x.npy", "no columns", r"n_in ≥ 1; got \(5, 0\)"),
    ("x.npy", "bad header", "not a readable .npy file"),
    ("x.npz", "npz", "a zip archive"),
    ("x.npy", "npz", "a zip archive"),
    ("x.npy", "text", "named .npy but not a NumPy .npy file"),
    ("x.csv", "binary", "expected comma-separated numbers"),
    ("x.csv", "escape", "expected comma-separated numbers"),
]


@pytest.mark.parametrize(("name", "kind", "pattern"), NPY_CASES)
def test_bad_input_files_are_one_line(
    capsys, tmp_path, model_file, name, kind, pattern
):
    path = tmp_path / name
    _write(path, kind)
    tracemalloc.start()
    try:
        status, _ = run(["predict", model_file, "--input", path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    line = one_line_error(capsys, status, pattern)
    assert printable(line), line
    assert peak < 50 * 2**20  # nothing of the declared size was allocated


def test_a_npy_file_under_a_csv_name_says_to_rename_it(capsys, tmp_path, model_file):
    path = tmp_path / "x.csv"
    np.save(tmp_path / "x.npy", np.zeros((2, 2)))
    (tmp_path / "x.npy").rename(path)
    status, _ = run(["predict", model_file, "--input", path])
    one_line_error(
        capsys, status, "a NumPy .npy file under another name; name it x.npy"
    )


def test_a_fortran_ordered_npy_is_read_in_its_order(tmp_path, model_file):
    X = np.asfortranarray([[0.5, -0.5], [0.25, 0.75], [-1.0, 1.0]])
    np.save(tmp_path / "f.npy", X)
    np.testing.assert_array_equal(cli_data.read_inputs(str(tmp_path / "f.npy")), X)
    status, out = run(["predict", model_file, "--input", tmp_path / "f.npy"])
    assert status == 0
    assert len(out.split()) == 3


def test_an_input_larger_than_the_limit_is_refused_unread(
    capsys, tmp_path, monkeypatch, model_file
):
    monkeypatch.setattr(cli_data, "MAX_INPUT_BYTES", 100)
    path = tmp_path / "x.csv"
    path.write_text("1,2\n" * 50)
    status, _ = run(["predict", model_file, "--input", path])
    one_line_error(capsys, status, "200 bytes is more than predict reads at once")


# ---- FIFOs, folders, devices given as files: refused, never read ----
def special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.safetensors"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    return path


SPECIAL_KINDS = ["fifo", "folder", "dev-zero"]


@pytest.mark.parametrize("kind", SPECIAL_KINDS)
@pytest.mark.parametrize(
    "argv",
    [
        ["predict", "{f}", "--input", "{good}"],
        ["predict", "{model}", "--input", "{f}"],
        ["evaluate", "{f}"],
        ["explain", "{f}"],
        ["plot", "architecture", "--model", "{f}"],
        ["train", "--data", "xor", "--arch", "{f}", "--quiet"],
        ["train", "--data", "xor", "--checkpoint", "{f}", "--resume", "--quiet"],
    ],
    ids=["model", "input", "evaluate", "explain", "plot", "arch", "resume"],
)
def test_a_special_file_is_not_a_regular_file(capsys, tmp_path, model_file, kind, argv):
    f = special(tmp_path, kind)
    good = tmp_path / "good.csv"
    good.write_text("0,0\n")
    argv = [a.format(f=f, good=good, model=model_file) for a in argv]
    if argv[0] == "train" and "--checkpoint" in argv and kind == "folder":
        pattern = "is a folder; give a file name in it"  # --checkpoint's own check
    else:
        pattern = "is not a regular file"
    status, _ = run(argv)
    one_line_error(capsys, status, pattern)


def test_a_fifo_among_the_mnist_files_is_not_read(capsys, tmp_path):
    for base in mnist.MNIST_FILES.values():
        os.mkfifo(tmp_path / base)
    status, _ = run(["demo", "mnist", "--data-dir", tmp_path, "--quiet"])
    one_line_error(capsys, status, "not a regular file")


# ---- IDX files: dimensions against the bytes present, gzip bombs ----
def idx(shape, body: bytes = b"") -> bytes:
    return (
        bytes([0, 0, 8, len(shape)])
        + b"".join(struct.pack(">I", d) for d in shape)
        + body
    )


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (idx((60000, 28, 28), b"\0" * 100), "truncated: the header says shape"),
        (idx((2**32 - 1,) * 3), r"declares shape .* at most 1073741824"),
        (idx((2, 2), b"\0" * 5), "has trailing bytes"),
    ],
    ids=["truncated", "huge", "trailing"],
)
@pytest.mark.parametrize("gz", [False, True])
def test_idx_dimensions_are_checked_before_reading(tmp_path, data, pattern, gz):
    path = tmp_path / ("f.idx.gz" if gz else "f.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError, match=pattern):
        mnist.read_idx(path)


def test_a_gzip_bomb_is_decompressed_no_further_than_its_header_declares(tmp_path):
    # 10 images declared, 200 MB of zeros behind them: compressed to ~200 KB
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(idx((10, 28, 28)))
        block = b"\0" * 2**20
        for _ in range(200):
            f.write(block)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="has trailing bytes"):
            mnist.read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_a_gzip_bomb_in_the_mnist_folder_is_one_line(capsys, tmp_path):
    for base in mnist.MNIST_FILES.values():
        (tmp_path / f"{base}.gz").write_bytes(gzip.compress(idx((10**5, 10**5, 10**5))))
    status, _ = run(["demo", "mnist", "--data-dir", tmp_path, "--quiet"])
    one_line_error(capsys, status, "declares shape")


# ---- sizes on the command line ----
SIZE_CASES = [
    (["train", "--data", "xor", "--n-samples", "10000000000"], "--n-samples: expected"),
    (["train", "--data", "xor", "--layers", "100000,100000,100000"], "parameters"),
    (["explain", "--layers", "5", "--n-in", "1000000000"], "parameters"),
    (["gradcheck", "--n-in", "1000000000"], "parameters"),
    (["gradcheck", "--batch-size", "1000000000"], "--batch-size: expected an integer"),
    (["train", "--data", "xor", "--layers", "25,,50"], "separated by single commas"),
    (["train", "--data", "xor", "--layers", "25,50,"], "separated by single commas"),
    (["train", "--data", "xor", "--layers", "1e3"], "separated by single commas"),
    (
        ["plot", "activations", "--dpi", "1e9"],
        r"--dpi: expected a number in \(0, 1000\]",
    ),
    (["demo", "circles", "--dpi", "100000"], "--dpi: expected a number in"),
    (["demo", "circles", "--frames", "10000000"], "--frames: expected an integer from"),
    (["plot", "descent", "--animate", "--frames", "10000000"], "--frames"),
    (["plot", "descent", "--steps", "10000000000"], "--steps: expected an integer"),
    (["plot", "descent", "--function", "x + " + "9" * 400], r"below 1e300.*400 digits"),
    (["plot", "descent", "--function", "x * 1e999"], "below 1e300"),
    (
        ["train", "--data", "xor", "--epochs", "9" * 5000],
        r"--epochs: expected an integer",
    ),
]


@pytest.mark.parametrize(("argv", "pattern"), SIZE_CASES)
def test_declared_sizes_are_bounded_before_allocating(capsys, tmp_path, argv, pattern):
    status, _ = run([*argv, "--quiet"] if argv[0] in ("train", "demo") else argv)
    line = one_line_error(capsys, status, pattern)
    assert len(line) < 400  # a 5000-digit value is not echoed whole


def test_generators_bound_n_samples():
    from glassnet import datasets

    with pytest.raises(ValueError, match="n_samples ≤ 10000000"):
        datasets.make_moons(n_samples=10**12)


# ---- architecture files ----
ARCH_CASES = [
    ('[{"input_dim": 2, "output_dim": 1, "activaton": "sigmoid"}]', "activaton"),
    (
        '[{"input_dim": "2", "output_dim": 1}]',
        r"input_dim must be a positive integer.*'2'",
    ),
    ('[{"input_dim": 2.7, "output_dim": 1}]', r"input_dim .* got 2.7"),
    ('[{"input_dim": true, "output_dim": 1}]', "input_dim must be a positive integer"),
    ('[{"output_dim": 1}]', "input_dim must be a positive integer .*missing"),
    (
        '[{"input_dim": 2, "output_dim": 1, "activation": 5}]',
        "activation must be a name",
    ),
    (
        '[{"input_dim": 2, "output_dim": 1, "activation": "swish"}]',
        "unknown activation",
    ),
    ('[{"input_dim": 2, "output_dim": 1, "alpha": "x"}]', "alpha must be a finite"),
    ('{"layers": [], "seed": 1}', "unknown key 'seed'"),
    ("[" * 100_000, "nested too deeply"),
    (
        '[{"input_dim": 2, "output_dim": 100000000}, {"input_dim": 100000000, '
        '"output_dim": 1}]',
        "parameters",
    ),
    ("[3]", "layer 0 must be a table"),
]


@pytest.mark.parametrize(("text", "pattern"), ARCH_CASES)
def test_architecture_files_are_checked_key_by_key(capsys, tmp_path, text, pattern):
    path = tmp_path / "net.json"
    path.write_text(text)
    status, _ = run(["train", "--data", "xor", "--arch", path, "--quiet"])
    line = one_line_error(capsys, status, pattern)
    if "activaton" in text:  # names the valid keys too
        assert "input_dim, output_dim, activation, alpha" in line


def test_a_nested_toml_architecture_is_one_line(capsys, tmp_path):
    path = tmp_path / "net.toml"
    path.write_text("layers = " + "[" * 100_000)
    status, _ = run(["train", "--data", "xor", "--arch", path, "--quiet"])
    one_line_error(capsys, status, "nested too deeply")


# ---- descents that leave the finite numbers or stall ----
@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["--function", "x**2 + y**2", "--start", "1e20,1e20"], "stalled .*--start"),
        (["--function", "bowl", "--lr", "1.5", "--steps", "5000"], "diverged .*--lr"),
        (["--function", "x**2 + y**2", "--lr", "1.5", "--steps", "5000"], "diverged"),
    ],
)
def test_a_descent_that_fails_is_reported_not_drawn(capsys, tmp_path, argv, pattern):
    out = tmp_path / "d.png"
    status, stdout = run(["plot", "descent", *argv, "--out", out])
    one_line_error(capsys, status, pattern)
    assert not out.exists()
    assert "descent " not in stdout


# ---- outputs that cannot be written fail before training ----
@pytest.mark.parametrize("option", ["--save", "--checkpoint"])
def test_an_output_into_a_missing_folder_fails_before_training(
    capsys, tmp_path, option
):
    status, out = run(
        ["train", "--data", "xor", "--quiet", option, tmp_path / "no" / "f.st"]
    )
    one_line_error(capsys, status, rf"{option} .*folder .*no does not exist")
    assert out == ""  # not a line of the run was printed


@pytest.mark.parametrize("option", ["--save", "--checkpoint", "--plots"])
def test_an_output_into_an_unwritable_folder_fails_before_training(
    capsys, tmp_path, monkeypatch, option
):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    # root may write anywhere, so the folder's permission is simulated
    monkeypatch.setattr(
        cli_paths.os,
        "access",
        lambda p, mode: False if Path(p) == locked else real_access(p, mode),
    )
    target = locked / "f.st" if option != "--plots" else locked / "figures"
    status, out = run(["train", "--data", "xor", "--quiet", option, target])
    one_line_error(capsys, status, "is not writable")
    assert out == ""


def test_save_onto_a_folder_fails_before_training(capsys, tmp_path):
    status, out = run(["train", "--data", "xor", "--quiet", "--save", tmp_path])
    one_line_error(capsys, status, "is a folder")
    assert out == ""


# ---- the message itself ----
def test_messages_carry_no_binary_bytes():
    line = cli.one_line("bad byte \x1b[2J\x00 and \ufffd")
    assert printable(line)
    assert "\\x1b" in line
    assert "\\x00" in line


def test_a_checkpoint_given_as_a_model_says_what_it_is(capsys, tmp_path):
    ckpt = tmp_path / "run.ckpt"
    status, _ = run(
        [
            "train",
            "--data",
            "xor",
            "--n-samples",
            "100",
            "--epochs",
            "1",
            "--quiet",
            "--checkpoint",
            ckpt,
        ]
    )
    assert status == 0
    capsys.readouterr()
    for argv in (["evaluate", ckpt], ["predict", ckpt, "--input", ckpt]):
        status, _ = run(argv)
        line = one_line_error(
            capsys, status, r"is a glassnet training checkpoint, not a model file"
        )
        assert "--resume" in line
        assert "--save" in line
        assert "another program" not in line


def test_a_valid_architecture_file_passes_the_checks(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(
        json.dumps(
            [
                {"input_dim": 2, "output_dim": 25, "activation": "relu"},
                {"input_dim": 25, "output_dim": 1, "activation": "sigmoid"},
            ]
        )
    )
    from glassnet.cli.network import read_architecture

    assert [spec["output_dim"] for spec in read_architecture(str(path))] == [25, 1]


def test_plots_into_a_new_nested_folder_is_allowed(tmp_path):
    figures = tmp_path / "new" / "figures"
    argv = ["train", "--data", "xor", "--n-samples", "100", "--epochs", "1"]
    status, _ = run([*argv, "--quiet", "--plots", figures, "--dpi", "20"])
    assert status == 0
    assert (figures / "history.png").is_file()


def test_plots_under_a_file_fails_before_training(capsys, tmp_path):
    (tmp_path / "f").write_text("")
    status, out = run(
        ["train", "--data", "xor", "--quiet", "--plots", tmp_path / "f" / "figs"]
    )
    one_line_error(capsys, status, "is a file, not a folder")
    assert out == ""
