"""Data-parallel fit over MPI: ``mpiexec -n 2`` jobs on this machine (loopback only).

Each job is ``tests/distributed_job.py`` under ``mpiexec -n 2``, bounded in time;
the MPI tests skip when mpi4py or mpiexec is missing (``pip install glassnet[mpi]``).
The sharding of batches and of validation needs no MPI and always runs.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from fresh_python import run_fresh
from glassnet.distributed import explain_step
from glassnet.run import Shard

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import distributed_job  # noqa: E402

MPIEXEC = shutil.which("mpiexec")


def _has_mpi4py() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


needs_mpi = pytest.mark.skipif(
    MPIEXEC is None or not _has_mpi4py(),
    reason="needs mpi4py and mpiexec: pip install 'glassnet[mpi]'",
)


def job(
    *args: str,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    processes: int = 2,
):
    """Run ``mpiexec -n processes python3 distributed_job.py args``: (result, s)."""
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE)]),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        **(env or {}),
    }
    script = str(HERE / "distributed_job.py")
    command = [MPIEXEC, "-n", str(processes), sys.executable, script]
    start = time.monotonic()
    result = bounded([*command, *args], environ, timeout)
    return result, time.monotonic() - start


def bounded(command: list[str], env: dict[str, str], timeout: float):
    """Run ``command`` in its own process group; kill the whole group past timeout.

    mpiexec's processes are its children: killing mpiexec alone could leave them.
    """
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def one_process(dtype: str, epochs: int = 3):
    """The same fit in this process, with the same global batch."""
    model, X, y, validation = distributed_job.problem(dtype)
    history = model.fit(
        X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(0.01), epochs=epochs,
        batch_size=32, seed=3, validation_data=validation, verbose=0,
    )  # fmt: skip
    return model.theta, history


def outputs(out: Path, rank: int):
    theta = np.load(out / f"theta{rank}.npy", allow_pickle=False)
    path = out / f"history{rank}.json"
    record = json.loads(path.read_text()) if path.exists() else None
    return theta, record


# ---- the shard of a batch, without MPI ---------------------------------------------
@pytest.mark.parametrize("count", [1, 2, 3, 5])
@pytest.mark.parametrize("k", [5, 7, 32, 33])
def test_shards_cut_a_batch_into_contiguous_parts_of_near_equal_size(count, k):
    parts = [Shard(i, count).rows(k) for i in range(count)]
    assert parts[0][0] == 0
    assert parts[-1][1] == k
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
    sizes = [hi - lo for lo, hi in parts]
    assert max(sizes) - min(sizes) <= 1


def _run_with_shard(shard: Shard, shuffle: bool):
    model, X, y, _ = distributed_job.problem("float64")
    run = gn.training.start(
        model, X, y, gn.CrossEntropy(), gn.SGD(0.1), 1, 32, shuffle, 3
    )
    run.shard = shard
    run.begin_epoch()
    return run, [Yb.copy() for _, Yb in run.batches()]


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_shards_of_every_batch_together_are_that_batch(shuffle):
    whole, batches = _run_with_shard(Shard(0, 1), shuffle)
    parts = [_run_with_shard(Shard(i, 3), shuffle)[1] for i in range(3)]
    assert len(batches) == whole.steps_per_epoch == 7
    for b, batch in enumerate(batches):
        np.testing.assert_array_equal(np.concatenate([p[b] for p in parts]), batch)


def test_sharded_validation_is_the_sample_weighted_mean_over_the_processes():
    # three "processes" in one: total() adds the sums the three evaluations return
    model, X, y, (Xv, yv) = distributed_job.problem("float64")
    run = gn.training.start(model, X, y, gn.CrossEntropy(), gn.SGD(0.1), 1, 32, 1, 3)
    sums = []
    for i in range(3):
        run.shard = Shard(i, 3, total=lambda v: (sums.append(v.copy()), v)[1])
        run.evaluate(Xv, yv)
    run.shard = Shard(0, 3, total=lambda v: np.sum(sums, axis=0))
    split = run.evaluate(Xv, yv)
    run.shard = None
    whole = run.evaluate(Xv, yv)
    assert split["loss"] == pytest.approx(whole["loss"], rel=1e-12)
    assert split["accuracy"] == pytest.approx(whole["accuracy"], rel=1e-12)


# ---- two processes ------------------------------------------------------------------
@needs_mpi
@pytest.mark.parametrize(("dtype", "tol"), [("float64", 1e-12), ("float32", 1e-5)])
def test_two_processes_end_bit_identical_and_equal_to_one_process(tmp_path, dtype, tol):
    result, _ = job("train", dtype, str(tmp_path))
    assert result.returncode == 0, result.stderr
    theta0, record0 = outputs(tmp_path, 0)
    theta1, record1 = outputs(tmp_path, 1)
    assert theta0.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(theta0, theta1)  # bit-identical
    assert record0 == record1
    theta, history = one_process(dtype)
    scale = np.abs(theta).max()
    assert np.abs(theta0 - theta).max() <= tol * scale
    assert not np.array_equal(theta, distributed_job.problem(dtype)[0].theta)
    for key, values in history.history.items():  # loss, accuracy, val_*: exact means
        np.testing.assert_allclose(record0["history"][key], values, rtol=tol)
    np.testing.assert_allclose(record0["step_loss"], history.step_loss, rtol=tol)


@needs_mpi
def test_three_processes_split_batches_unevenly_and_still_equal_one_process(tmp_path):
    # 32 rows as 11 + 11 + 10, the last batch of 11 as 4 + 4 + 3: weights m_k/B
    result, _ = job("train", "float64", str(tmp_path), processes=3)
    assert result.returncode == 0, result.stderr
    thetas = [outputs(tmp_path, r)[0] for r in range(3)]
    for other in thetas[1:]:
        np.testing.assert_array_equal(thetas[0], other)
    theta, _ = one_process("float64")
    assert np.abs(thetas[0] - theta).max() <= 1e-12 * np.abs(theta).max()


@needs_mpi
def test_ctrl_c_on_one_process_stops_both_after_one_step_and_the_resume_is_exact(
    tmp_path,
):
    result, _ = job("interrupt", "float64", str(tmp_path), "4")
    assert result.returncode == 0, result.stderr
    notes = [(tmp_path / f"interrupted{r}.txt").read_text() for r in (0, 1)]
    # SIGINT reached process 0 after step 5; the next all-reduce told process 1
    assert all("interrupted after step 6" in note for note in notes)
    assert "checkpoint saved" in notes[0]
    assert "checkpoint" not in notes[1]  # only process 0 writes it
    np.testing.assert_array_equal(*(outputs(tmp_path, r)[0] for r in (0, 1)))
    result, _ = job("resume", "float64", str(tmp_path), "4")
    assert result.returncode == 0, result.stderr
    theta0, record0 = outputs(tmp_path, 0)
    np.testing.assert_array_equal(theta0, outputs(tmp_path, 1)[0])
    theta, history = one_process("float64", epochs=4)
    assert np.abs(theta0 - theta).max() <= 1e-12 * np.abs(theta).max()
    assert len(record0["step_loss"]) == len(history.step_loss) == 28


@needs_mpi
def test_an_exception_on_one_process_ends_the_job_with_one_message(tmp_path):
    result, seconds = job("raise", "float64", str(tmp_path), timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "glassnet:" in line]
    assert lines == [
        "glassnet: process 1 of 2 failed: ValueError: a deliberate failure in the "
        "test's callback; stopping all 2 processes."
    ]
    assert seconds < 30


@needs_mpi
def test_a_killed_process_ends_the_job_within_seconds(tmp_path):
    result, seconds = job("kill", "float64", str(tmp_path), timeout=60)
    assert result.returncode != 0
    assert "Killed" in result.stdout + result.stderr  # the launcher's message
    assert seconds < 30
    assert not (tmp_path / "theta0.npy").exists()  # process 0 did not go on alone


@needs_mpi
def test_a_process_that_stops_answering_ends_the_job_after_the_timeout(tmp_path):
    env = {"GLASSNET_MPI_TIMEOUT": "3"}
    result, seconds = job("hang", "float64", str(tmp_path), timeout=60, env=env)
    assert result.returncode == 1
    assert (
        "glassnet: process 0 of 2 failed: DistributedError: no answer from the other "
        "processes for 3 s in the all-reduce of dθ at step 4" in result.stderr
    )
    assert seconds < 30


@needs_mpi
def test_the_cli_trains_on_two_processes_and_only_process_0_reports_and_saves(
    tmp_path,
):
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE.parent / "src"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    args = [
        "train", "--data", "circles", "--epochs", "3", "--batch-size", "32",
        "--seed", "1", "--quiet", "--save", str(tmp_path / "model.safetensors"),
    ]  # fmt: skip
    command = [MPIEXEC, "-n", "2", sys.executable, "-m", "glassnet"]
    two = bounded([*command, *args, "--distributed"], env, 120)
    assert two.returncode == 0, two.stderr
    one = subprocess.run(
        [sys.executable, "-m", "glassnet", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert two.stdout.count("train     loss") == 1  # process 0 only
    line = next(x for x in two.stdout.splitlines() if x.startswith("train "))
    assert line in one.stdout.splitlines()  # the same result as one process
    assert (tmp_path / "model.safetensors").exists()


@needs_mpi
def test_a_batch_smaller_than_the_number_of_processes_is_refused(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    args = ["train", "--data", "circles", "--epochs", "1", "--batch-size", "1"]
    command = [MPIEXEC, "-n", "2", sys.executable, "-m", "glassnet", *args]
    result = bounded([*command, "--distributed", "--quiet"], env, 120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "glassnet:" in line]
    assert len(lines) == 1  # both processes fail alike: process 0 says it once
    assert (
        "distributed fit over 2 processes needs at least 2 rows in every batch"
        in lines[0]
    )


@needs_mpi
def test_the_cli_reports_missing_data_once_and_ends_every_process(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    args = ["train", "--data", "mnist", "--data-dir", str(tmp_path / "none")]
    command = [MPIEXEC, "-n", "2", sys.executable, "-m", "glassnet", *args]
    result = bounded([*command, "--distributed", "--quiet"], env, 60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "glassnet:" in line]
    assert len(lines) == 1
    assert lines[0].startswith("glassnet: process 0 of 2 failed: FileNotFoundError")


def test_explain_step_sums_the_weighted_shard_gradients_into_the_batch_gradient():
    model, X, y, _ = distributed_job.problem("float64")
    theta = model.theta.copy()
    text = explain_step(model, X[:37], y[:37], loss=gn.CrossEntropy(), processes=3)
    assert "rows [0, 13), m_0 = 13" in text
    assert "rows [25, 37), m_2 = 12" in text
    gap = float(text.split("max |dθ − g| = ")[1].split()[0])
    assert gap < 1e-15
    np.testing.assert_array_equal(model.theta, theta)  # the model is left as it was
    with pytest.raises(ValueError, match="processes ≤ the batch's 37 rows"):
        explain_step(model, X[:37], y[:37], loss=gn.CrossEntropy(), processes=38)


def test_gn_distributed_is_loaded_on_first_use_without_importing_mpi4py():
    run_fresh(
        "import sys",
        "import glassnet as gn",
        "assert 'glassnet.distributed' not in sys.modules",
        "fit = gn.distributed.fit  # as gn.plots: no import statement needed",
        "assert fit is sys.modules['glassnet.distributed'].fit",
        "assert 'mpi4py' not in sys.modules",
    )
