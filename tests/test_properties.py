"""Properties over random inputs: gradients stay right, bad input fails as documented.

Random architectures, batch sizes and dtypes must keep the gradient check passing;
random malformed inputs must raise ValueError or TypeError with a message, never a
deeper exception, a crash, or a silent NaN.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save as st_save

import glassnet as gn

FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ACTIVATIONS = [gn.Tanh, gn.Sigmoid, lambda: gn.LeakyReLU(0.1), gn.Identity]
OUTPUTS = {
    "bce": (gn.Sigmoid, gn.BinaryCrossEntropy),
    "ce": (gn.Softmax, gn.CrossEntropy),
    "mse": (gn.Identity, gn.MSE),
}


@st.composite
def networks(draw):
    """A random MLP, its loss, a batch and targets that fit it."""
    n_in = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3))
    kind = draw(st.sampled_from(sorted(OUTPUTS)))
    n_out = 1 if kind == "bce" else draw(st.integers(2 if kind == "ce" else 1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    layers: list[gn.Layer] = []
    sizes = [n_in, *widths, n_out]
    for i in range(len(sizes) - 1):
        layers.append(
            gn.Dense(
                sizes[i], sizes[i + 1], rng=rng, init="xavier", bias=draw(st.booleans())
            )
        )
        if i < len(sizes) - 2:
            layers.append(draw(st.sampled_from(ACTIVATIONS))())
    act, loss_cls = OUTPUTS[kind]
    layers.append(act())
    m = draw(st.integers(1, 6))
    X = rng.normal(size=(m, n_in))
    if kind == "bce":
        Y = rng.integers(0, 2, size=m)
    elif kind == "ce":
        Y = rng.integers(0, n_out, size=m)
    else:
        Y = rng.normal(size=(m, n_out))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return gn.Sequential(layers).astype(dtype), loss_cls(), X, Y


@FAST
@given(networks())
def test_random_networks_pass_the_gradient_check(case):
    model, loss, X, Y = case
    dtype_before = model.dtype
    errors = gn.check_gradients(model, loss, X, Y)
    assert all(err < 1e-6 for err in errors.values())
    assert model.dtype == dtype_before  # the check worked on a copy


@FAST
@given(networks(), st.integers(1, 7))
def test_random_networks_train_to_finite_weights(case, batch_size):
    model, loss, X, Y = case
    history = model.fit(
        X,
        Y,
        loss=loss,
        optimizer=gn.Adam(0.01),
        epochs=2,
        batch_size=batch_size,
        seed=0,
        verbose=0,
    )
    assert np.isfinite(history.history["loss"]).all()
    assert all(np.isfinite(W).all() for _, W, _ in model.parameters())


# ---- malformed inputs --------------------------------------------------------------
bad_arrays = st.one_of(
    st.just(np.array(["a", "b"])),
    st.just(np.array([{"x": 1}], dtype=object)),
    st.just(np.zeros((0, 3))),
    st.just(np.zeros((2, 3, 4))),
    st.just(np.zeros(5)),
    st.integers(1, 6).map(lambda n: np.zeros((3, n + 3))),
    st.just(np.array([[np.nan, 1.0, 2.0]])),
    st.just(np.array([[np.inf, 1.0, 2.0]])),
)


def small_model():
    return gn.Sequential(
        [gn.Dense(3, 4, rng=0), gn.ReLU(), gn.Dense(4, 2, rng=1), gn.Softmax()]
    )


@FAST
@given(bad_arrays)
def test_fit_rejects_malformed_inputs_with_a_message(X):
    with pytest.raises((ValueError, TypeError), match=r"\w+"):
        small_model().fit(
            X,
            np.zeros(len(X), dtype=np.int64),
            loss=gn.CrossEntropy(),
            optimizer=gn.SGD(0.1),
            epochs=1,
            verbose=0,
        )


@FAST
@given(bad_arrays)
def test_predict_rejects_malformed_inputs_with_a_message(X):
    if X.dtype.kind == "f" and X.ndim == 2 and X.shape == (1, 3):
        return  # NaN/inf rows are valid numbers for predict: they propagate
    with pytest.raises((ValueError, TypeError), match=r"\w+"):
        small_model().predict(X)


bad_labels = st.one_of(
    st.just(np.array([0, 2, 1])),  # class 2 with 2 outputs
    st.just(np.array([-1, 0, 1])),
    st.just(np.array([0.5, 0.0, 1.0])),  # not integer ids
    st.just(np.array(["0", "1", "0"])),
    st.just(np.array([0, 1])),  # one too few
    st.just(np.zeros((3, 3))),  # one-hot of the wrong width
    st.just(np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])),  # rows not summing to 1
)


@FAST
@given(bad_labels)
def test_cross_entropy_rejects_bad_targets(Y):
    X = np.zeros((3, 3), dtype=np.float32)
    with pytest.raises((ValueError, TypeError), match=r"\w+"):
        small_model().fit(
            X, Y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=1, verbose=0
        )


@FAST
@given(st.sampled_from([-0.5, 1.5, np.nan, 2.0]))
def test_binary_cross_entropy_rejects_targets_outside_0_1(bad):
    model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    Y = np.array([0.0, bad])
    with pytest.raises(ValueError, match=r"\w+"):
        model.fit(
            np.zeros((2, 2)),
            Y,
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.SGD(0.1),
            epochs=1,
            verbose=0,
        )


bad_numbers = st.sampled_from([0, -1, -0.1, float("nan"), float("inf")])


@FAST
@given(bad_numbers)
def test_optimizers_reject_bad_learning_rates(lr):
    for cls in (gn.SGD, gn.Momentum, gn.RMSProp, gn.Adam):
        with pytest.raises(ValueError, match="lr"):
            cls(lr=lr)


@FAST
@given(st.sampled_from([0, -3, 1.5, "10", None, True]))
def test_fit_rejects_bad_epochs_and_batch_sizes(bad):
    X, y = np.zeros((4, 3)), np.zeros(4, dtype=np.int64)
    common = dict(loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), verbose=0)
    if bad is not None:
        with pytest.raises(ValueError, match="epochs"):
            small_model().fit(X, y, epochs=bad, **common)
        with pytest.raises(ValueError, match="batch_size"):
            small_model().fit(X, y, epochs=1, batch_size=bad, **common)


# ---- the model-file loader under fuzzing --------------------------------------------
def model_file(tmp_path, architecture, tensors, version="1"):
    meta = {
        "format": "glassnet",
        "format_version": version,
        "architecture": architecture,
        "dtype": "float32",
        "metadata": "null",
    }
    path = tmp_path / "m.safetensors"
    path.write_bytes(st_save(tensors, metadata=meta))
    return path


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "n_in", "n_out", "bias", "alpha", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
layer_types = st.sampled_from(["Dense", "ReLU", "Softmax", "LeakyReLU", "Conv", ""])


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(
        json_values.map(json.dumps),
        st.lists(
            st.fixed_dictionaries(
                {"type": layer_types},
                optional={
                    "n_in": st.integers(-2, 5),
                    "n_out": st.integers(-2, 5),
                    "bias": st.booleans(),
                    "alpha": st.floats(-1, 1),
                },
            ),
            max_size=4,
        ).map(json.dumps),
        st.text(max_size=30),
    ),
    st.dictionaries(
        st.sampled_from(["0.weight", "0.bias", "2.weight", "x"]),
        st.integers(0, 4).map(lambda n: np.ones((n, 2), np.float32)),
        max_size=3,
    ),
)
def test_fuzzed_model_files_load_or_fail_with_value_error(
    tmp_path_factory, arch, tensors
):
    path = model_file(tmp_path_factory.mktemp("fuzz"), arch, tensors)
    try:
        model = gn.io.load(path)
    except ValueError:
        return
    # whatever loads is a consistent model whose forward pass runs
    n_in = model.n_in
    if n_in is not None:
        assert np.isfinite(model.predict(np.zeros((1, n_in)))).all()


def test_a_newer_format_version_is_refused(tmp_path):
    path = model_file(tmp_path, json.dumps([{"type": "ReLU"}]), {}, version="2")
    with pytest.raises(ValueError, match="version 2"):
        gn.io.load(path)
