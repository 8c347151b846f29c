"""ONNX export: onnxruntime gives glassnet's predictions, per layer and per model."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import glassnet as gn  # noqa: E402
from glassnet.layers import Layer  # noqa: E402
from glassnet.onnx import export_onnx, to_onnx  # noqa: E402


def run_onnx(path, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})[0]


def random_inputs(m: int, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 2, size=(m, n)).astype(np.float32)


ACTIVATIONS = {
    "ReLU": gn.ReLU,
    "LeakyReLU": lambda: gn.LeakyReLU(0.2),
    "Sigmoid": gn.Sigmoid,
    "Tanh": gn.Tanh,
    "Softmax": gn.Softmax,
    "Identity": gn.Identity,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_each_activation_alone_matches(tmp_path, name) -> None:
    model = gn.Sequential([ACTIVATIONS[name]()])
    path = tmp_path / f"{name}.onnx"
    export_onnx(model, path)
    X = random_inputs(64, 7)
    np.testing.assert_allclose(
        run_onnx(path, X), model.predict(X), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("bias", [True, False])
def test_dense_alone_matches(tmp_path, bias) -> None:
    model = gn.Sequential([gn.Dense(5, 3, bias=bias, rng=0)])
    if bias:
        model.layers[0].b[...] = np.random.default_rng(1).normal(size=3)
    path = tmp_path / "dense.onnx"
    export_onnx(model, path)
    X = random_inputs(33, 5)
    np.testing.assert_allclose(
        run_onnx(path, X), model.predict(X), rtol=1e-5, atol=1e-5
    )
    names = [t.name for t in onnx.load(path).graph.initializer]
    assert names == (["0.weight", "0.bias"] if bias else ["0.weight"])


def test_leaky_relu_alpha_travels(tmp_path) -> None:
    path = tmp_path / "leaky.onnx"
    export_onnx(gn.Sequential([gn.LeakyReLU(0.3)]), path)
    X = np.array([[-2.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(run_onnx(path, X), [[-0.6, 1.0]], rtol=1e-6)


def deep_model(activation, out, seed=0) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(6, 16, rng=seed),
            activation(),
            gn.Dense(16, 8, rng=seed + 1),
            activation(),
            gn.Dense(8, 3, rng=seed + 2),
            out(),
        ]
    )


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity"])
@pytest.mark.parametrize("out", [gn.Softmax, gn.Sigmoid, gn.Identity])
def test_whole_models_match_on_random_inputs(tmp_path, name, out) -> None:
    model = deep_model(ACTIVATIONS[name], out)
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    X = random_inputs(257, 6, seed=3)
    np.testing.assert_allclose(
        run_onnx(path, X), model.predict(X), rtol=1e-5, atol=1e-5
    )


def test_a_trained_model_matches_and_batch_size_is_free(tmp_path) -> None:
    X, y = gn.datasets.make_circles(n_samples=200, noise=0.05, factor=0.5, seed=0)
    model = gn.Sequential(
        [gn.Dense(2, 16, rng=0), gn.Tanh(), gn.Dense(16, 2, rng=1), gn.Softmax()]
    )
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.Adam(0.02),
        epochs=50,
        verbose=0,
        seed=0,
    )
    path = tmp_path / "circles.onnx"
    export_onnx(model, path)
    for m in (1, 7, 200):
        np.testing.assert_allclose(
            run_onnx(path, X[:m]), model.predict(X[:m]), rtol=1e-5, atol=1e-5
        )


def test_float64_models_export_as_float32_or_float64(tmp_path) -> None:
    model = deep_model(gn.Tanh, gn.Softmax).astype(np.float64)
    X = random_inputs(20, 6).astype(np.float64)
    export_onnx(model, tmp_path / "f32.onnx")
    np.testing.assert_allclose(
        run_onnx(tmp_path / "f32.onnx", X.astype(np.float32)),
        model.predict(X),
        rtol=1e-5,
        atol=1e-5,
    )
    export_onnx(model, tmp_path / "f64.onnx", dtype=np.float64)
    np.testing.assert_allclose(
        run_onnx(tmp_path / "f64.onnx", X), model.predict(X), rtol=1e-12, atol=1e-12
    )


def test_graph_reads_like_the_layers() -> None:
    model = gn.Sequential(
        [gn.Dense(2, 4, rng=0), gn.ReLU(), gn.Dense(4, 1, rng=1), gn.Sigmoid()]
    )
    proto = to_onnx(model)
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu", "Gemm", "Sigmoid"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"
    assert dims[1].dim_value == 2
    assert proto.graph.output[0].type.tensor_type.shape.dim[1].dim_value == 1
    assert proto.producer_name == "glassnet"


class Doubler(Layer):
    def forward(self, X):
        return 2 * X


def test_unknown_layer_type_raises_a_clear_type_error(tmp_path) -> None:
    model = gn.Sequential([gn.Dense(2, 2, rng=0), Doubler()])
    with pytest.raises(TypeError, match=r"layer 1, .*type Doubler.*knows the layers"):
        export_onnx(model, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_a_subclass_of_a_known_layer_is_not_exported_as_its_parent(tmp_path) -> None:
    class Clipped(gn.ReLU):
        def forward(self, Z):
            return np.minimum(super().forward(Z), 1)

    with pytest.raises(TypeError, match="type Clipped"):
        to_onnx(gn.Sequential([Clipped()]))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="expected a glassnet Sequential"):
        to_onnx([gn.Dense(2, 2)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float32 or float64"):
        to_onnx(gn.Sequential([gn.ReLU()]), dtype=np.int32)


def test_export_writes_atomically_and_replaces(tmp_path, monkeypatch) -> None:
    import glassnet.onnx as gonnx

    calls = []
    real = gonnx.atomic_write_bytes
    monkeypatch.setattr(
        gonnx, "atomic_write_bytes", lambda p, data: (calls.append(p), real(p, data))
    )
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    export_onnx(gn.Sequential([gn.ReLU()]), path)
    assert calls == [path]
    onnx.checker.check_model(onnx.load(path))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_io_export_onnx_writes_the_same_file(tmp_path, dtype) -> None:
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.Tanh(), gn.Dense(4, 2, rng=1)])
    gn.io.export_onnx(model, tmp_path / "io.onnx", dtype=dtype)
    export_onnx(model, tmp_path / "onnx.onnx", dtype=dtype)
    assert (tmp_path / "io.onnx").read_bytes() == (tmp_path / "onnx.onnx").read_bytes()
    X = random_inputs(5, 3).astype(dtype)
    Y = run_onnx(tmp_path / "io.onnx", X)
    assert Y.dtype == dtype
    np.testing.assert_allclose(Y, model.predict(X), rtol=1e-5, atol=1e-6)


# ------------------------------------------------ frozen standardization (issue 15)
def test_standardize_and_unstandardize_export_as_sub_div_and_mul_add(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(40, 12, size=(64, 3)).astype(np.float32)
    y = rng.normal(-5, 30, size=(64, 2))
    model = gn.Sequential(
        [gn.Standardize.fit(X), gn.Dense(3, 8, rng=0), gn.ReLU(),
         gn.Dense(8, 2, rng=1), gn.Unstandardize.fit(y)]
    )  # fmt: skip
    path = tmp_path / "scaled.onnx"
    export_onnx(model, path)
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert ops == ["Sub", "Div", "Gemm", "Relu", "Gemm", "Mul", "Add"]
    X_new = random_inputs(50, 3, seed=4) * 10 + 40
    np.testing.assert_allclose(
        run_onnx(path, X_new), model.predict(X_new), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("kind", [gn.Standardize, gn.Unstandardize])
def test_each_frozen_standardization_alone_matches(tmp_path, kind):
    rng = np.random.default_rng(5)
    model = gn.Sequential([kind(rng.normal(size=7), rng.uniform(0.1, 9, size=7))])
    export_onnx(model, tmp_path / "s.onnx")
    X = random_inputs(20, 7)
    np.testing.assert_allclose(
        run_onnx(tmp_path / "s.onnx", X), model.predict(X), rtol=1e-5, atol=1e-5
    )
    names = {t.name for t in onnx.load(tmp_path / "s.onnx").graph.initializer}
    assert names == {"0.mean", "0.std"}
