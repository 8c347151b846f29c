"""The benchmark's profiler: it times the very calls fit makes, and changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from benchmarks import profile, run
from benchmarks.contenders import GlassnetContender, MatmulLimit, Spec, TorchMatmulLimit


def _tiny():
    spec = run.MODELS["tiny"]
    X, y, _, _ = run.load(spec, quick=True)
    return spec, X[:640], y[:640]


def test_profiled_fit_times_every_phase_and_trains_the_same_weights():
    spec, X, y = _tiny()
    plain, profiled = GlassnetContender(spec, X, y), GlassnetContender(spec, X, y)
    clock = profile._Clock()
    profile._instrument(profiled, clock)
    plain.epoch(3)
    profiled.epoch(3)
    for (_, W, _), (_, W_ref, _) in zip(
        profiled.model.parameters(), plain.model.parameters(), strict=True
    ):
        np.testing.assert_array_equal(W, W_ref)
    steps = 640 // spec.batch_size
    layers = profiled.model.layers
    expected = {f"backward {i} {layers[i]!r}" for i in range(len(layers) - 1)}
    expected |= {f"forward {i} {layers[i]!r}" for i in range(len(layers) - 1)}
    expected |= {"loss forward BinaryCrossEntropy()", "update SGD(lr=0.1)"}
    expected |= {"loss backward BinaryCrossEntropy()"}
    assert set(clock.calls) == expected
    assert clock.calls["update SGD(lr=0.1)"] == steps
    assert clock.calls["backward 0 Dense(2 → 8)"] == steps
    assert all(seconds > 0 for seconds in clock.seconds.values())


def test_profile_command_writes_a_table_in_step_order(tmp_path):
    argv = ["--models", "tiny", "--epochs", "1", "--out", str(tmp_path)]
    assert profile.main(argv) == 0
    text = (tmp_path / "profile.md").read_text()
    rows = [line.split(" | ")[0][2:] for line in text.splitlines() if line[:2] == "| "]
    phases = rows[1:]  # after the header row
    assert phases[0] == "gather batch"
    assert phases[1] == "forward 0 Dense(2 → 8)"
    assert phases.index("loss forward BinaryCrossEntropy()") < phases.index(
        "backward 4 Dense(8 → 1)"
    )
    assert phases[-2:] == ["update SGD(lr=0.1)", "fit's own loop (the rest)"]


def test_pytorch_matmul_limit_computes_the_numpy_limits_products():
    pytest.importorskip("torch")
    spec = run.MODELS["circles"]
    X, y, _, _ = run.load(spec, quick=True)
    X, y = X[: 3 * spec.batch_size], y[: 3 * spec.batch_size]
    numpy_limit, torch_limit = MatmulLimit(spec, X, y), TorchMatmulLimit(spec, X, y, 1)
    numpy_limit.epoch(0)
    torch_limit.epoch(0)
    assert torch_limit.name != numpy_limit.name
    # dA[0] is never written: the first layer passes no gradient back
    for results, written in (
        ("A", slice(None)),
        ("dW", slice(None)),
        ("dA", slice(1, None)),
    ):
        ours = getattr(numpy_limit, results)[written]
        theirs = getattr(torch_limit, results)[written]
        assert len(ours) == len(theirs) > 0
        for a, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(t.numpy(), a, rtol=1e-4, atol=1e-6)
    # and the products compared are not all zero (zeros would agree trivially)
    assert all(np.abs(dW).sum() > 0 for dW in numpy_limit.dW)


def test_benchmark_command_runs_a_model_and_writes_its_tables(tmp_path):
    argv = ["--models", "tiny", "--epochs", "1", "--busy-rounds", "1"]
    assert run.main([*argv, "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    tiny = result["models"]["tiny"]
    contenders = tiny["contenders"]
    assert {"glassnet", "matmul limit"} <= set(contenders)
    assert contenders["glassnet"]["test_accuracy"] > 0.9
    for name, c in contenders.items():
        assert c["epoch_s_min"] <= c["epoch_s_median"] <= c["epoch_s_max"], name
        assert c["glassnet_over_this"] > 0
    assert tiny["memory"]["peak_MB"] >= tiny["memory"]["data_MB"]
    skipped = {"pytorch", "sklearn"} - set(contenders)
    assert len(tiny["notes"]) == len(skipped)  # a note for each contender left out
    table = (tmp_path / "results.md").read_text()
    assert "| 2-8-8-1 tanh, sgd, batch 32 | glassnet |" in table
    busy = result["busy"]["tiny"]  # the busy-core row is part of the one run
    settings = ("idle", "busy, BLAS threads", "busy, one thread", "busy, auto")
    assert min(busy[k] for k in settings) > 0
    busy_table = table.split("With one core kept busy")[1]
    assert busy_table.count("| 2-8-8-1 tanh, sgd, batch 32 |") == 1


def test_busy_benchmark_prints_a_row_per_model(capsys):
    from benchmarks import busy

    assert busy.main(["--rounds", "1", "--models", "tiny"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "2-8-8-1" in line]
    assert len(rows) == 1
    cells = [float(cell) for cell in rows[0].split("|")[2:8]]
    idle, fixed, one, auto, over_idle, over_one = cells
    assert min(idle, fixed, one, auto) > 0
    # the ratios are of the unrounded times; the table shows them to 3 decimals
    half = 0.0005
    for ratio, base in ((over_idle, idle), (over_one, one)):
        assert (auto - half) / (base + half) - 0.005 <= ratio
        assert ratio <= (auto + half) / (base - half) + 0.005


def test_cnn_and_lstm_step_benchmarks_print_a_row_per_contender(capsys):
    from benchmarks import cnn, recurrent

    cnn.main(["--rounds", "1", "--steps", "1", "--batch", "4", "--threads", "1"])
    recurrent.main(["--rounds", "1", "--steps", "1", "--threads", "1"])
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if "(" in line}
    assert "1 thread(s) each" in out
    for name in ("glassnet", "products"):
        assert float(rows[name].split()[1]) > 0, rows[name]


@pytest.mark.slow  # loads MNIST and trains 8 steps under tracemalloc
def test_cnn_epoch_memory_counts_the_data_and_gives_the_issues_budget(mnist_dir):
    from benchmarks import cnn

    mem = cnn.epoch_memory(batch=32, subset=256, data_dir=str(mnist_dir))
    assert mem["data_MB"] == (256 * 784 * 4 + 256 * 8) / 1e6  # float32 images, labels
    assert mem["activations_MB"] == 32 * 4 * 44308 / 1e6  # demo cnn's shape chain
    parts = ("data_MB", "params_MB", "optimizer_state_MB", "activations_MB")
    assert mem["budget_MB"] == pytest.approx(2 * sum(mem[k] for k in parts))
    assert mem["optimizer_state_MB"] == 2 * mem["params_MB"]  # Adam's m and v
    # the layers' buffers (the columns of im2col among them) are traced
    assert mem["peak_MB"] > mem["data_MB"] + mem["activations_MB"]


def test_peak_memory_counts_each_state_vector_of_an_adam_model():
    """Adam keeps two state vectors the size of θ; the memory row counts both."""
    spec = Spec("adam-toy", (2, 8, 1), "tanh", 16, 0.01, optimizer="adam")
    X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    mem = run.peak_memory(spec, X, y)
    n_params = 2 * 8 + 8 + 8 * 1 + 1
    assert mem["optimizer_state_MB"] == pytest.approx(2 * n_params * 4 / 1e6)
    assert mem["peak_MB"] > 0
