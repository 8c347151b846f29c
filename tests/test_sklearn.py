"""The scikit-learn estimators: scikit-learn's own checks, and the tools around them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from glassnet import Dense, Sequential, Softmax  # noqa: E402
from glassnet.datasets import make_circles, make_moons  # noqa: E402
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"

# Few epochs keep the ~50 checks per estimator fast; the checks' own quality bars
# (accuracy > 0.83 on blobs, R² > 0.5 on a regression problem) still hold.
FAST = {"epochs": 30, "hidden_layer_sizes": (16,)}

# scikit-learn runs check_array_api_input only when SCIPY_ARRAY_API=1 was set before
# SciPy was imported; setting it here would change SciPy for the whole test session,
# so that one check runs in a fresh interpreter instead of being skipped.
ARRAY_API_SCRIPT = """
import sys
from sklearn.utils.estimator_checks import check_array_api_input
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor
cls = {"GlassnetClassifier": GlassnetClassifier, "GlassnetRegressor": GlassnetRegressor}
name = sys.argv[1]
check_array_api_input(name, cls[name](epochs=30, hidden_layer_sizes=(16,)),
                      array_namespace="numpy")
print("passed")
"""


@parametrize_with_checks([GlassnetClassifier(**FAST), GlassnetRegressor(**FAST)])
def test_passes_scikit_learn_check_estimator(estimator, check) -> None:
    func = getattr(check, "func", check)
    if func.__name__ == "check_array_api_input" and not os.environ.get(
        "SCIPY_ARRAY_API"
    ):
        pytest.importorskip("array_api_compat")
        env = {**os.environ, "SCIPY_ARRAY_API": "1", "PYTHONPATH": str(SRC)}
        name = type(estimator).__name__
        done = subprocess.run(
            [sys.executable, "-c", ARRAY_API_SCRIPT, name],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "passed" in done.stdout
        return
    check(estimator)


def circles(n: int = 300, seed: int = 0):
    return make_circles(n_samples=n, noise=0.05, factor=0.5, seed=seed)


def test_classifier_takes_string_labels_and_returns_them() -> None:
    X, y = circles()
    labels = np.where(y == 1, "inner", "outer")
    clf = GlassnetClassifier(epochs=60, random_state=0).fit(X, labels)
    assert clf.classes_.tolist() == ["inner", "outer"]
    predicted = clf.predict(X)
    assert predicted.dtype.kind == "U"
    assert np.mean(predicted == labels) > 0.97


def test_model_is_the_trained_sequential_and_gives_predict_proba() -> None:
    X, y = make_moons(n_samples=200, noise=0.1, seed=1)
    clf = GlassnetClassifier(hidden_layer_sizes=(8, 8), epochs=20, random_state=0)
    clf.fit(X, y)
    assert isinstance(clf.model_, Sequential)
    assert isinstance(clf.model_.layers[-1], Softmax)
    dense = [layer for layer in clf.model_.layers if isinstance(layer, Dense)]
    assert [(d.n_in, d.n_out) for d in dense] == [(2, 8), (8, 8), (8, 2)]
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(P, clf.model_.predict(X))


def test_same_random_state_gives_identical_predictions() -> None:
    X, y = circles(100)
    a = GlassnetClassifier(epochs=5, random_state=3).fit(X, y).predict_proba(X)
    b = GlassnetClassifier(epochs=5, random_state=3).fit(X, y).predict_proba(X)
    c = GlassnetClassifier(epochs=5, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_partial_fit_learns_epoch_by_epoch_and_needs_classes_first() -> None:
    X, y = circles()
    labels = np.array(["a", "b"])[y]
    clf = GlassnetClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes="):
        clf.partial_fit(X, labels)
    clf.partial_fit(X[:150], labels[:150], classes=["b", "a"])
    first = clf.score(X, labels)
    for _ in range(40):
        clf.partial_fit(X, labels)
    assert clf.classes_.tolist() == ["a", "b"]
    assert clf.score(X, labels) > max(first, 0.97)
    with pytest.raises(ValueError, match=r"not among classes \['a', 'b'\]"):
        clf.partial_fit(X[:2], np.array(["a", "c"]))
    with pytest.raises(ValueError, match="built for"):
        clf.partial_fit(X[:2], labels[:2], classes=["a", "b", "c"])


def test_partial_fit_keeps_the_weights_between_calls() -> None:
    X, y = circles(100)
    clf = GlassnetClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    model = clf.model_
    W = model.layers[0].W.copy()
    clf.partial_fit(X, y)
    assert clf.model_ is model
    assert not np.array_equal(W, model.layers[0].W)


def test_pipeline_with_grid_search_picks_from_the_grid() -> None:
    X, y = circles(200)
    pipe = make_pipeline(StandardScaler(), GlassnetClassifier(random_state=0))
    grid = GridSearchCV(
        pipe,
        {
            "glassnetclassifier__hidden_layer_sizes": [(4,), (16,)],
            "glassnetclassifier__epochs": [40],
        },
        cv=3,
    )
    grid.fit(X, y)
    assert grid.best_params_["glassnetclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    assert grid.best_score_ > 0.9
    assert grid.score(X, y) > 0.95


def test_cross_val_score_and_clone() -> None:
    X, y = circles(200)
    clf = GlassnetClassifier(epochs=40, random_state=0)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9
    fitted = clf.fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_")


def test_regressor_model_predicts_in_the_units_of_y() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = 1000.0 + 200.0 * X[:, 0] - 50.0 * X[:, 1] ** 2
    reg = GlassnetRegressor(epochs=100, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.98
    # the target scaling was folded into the last layer: model_ alone gives ŷ
    np.testing.assert_allclose(reg.model_.predict(X)[:, 0], reg.predict(X))
    assert abs(reg.predict(X).mean() - y.mean()) < 5


def test_regressor_multi_output_keeps_the_2d_shape() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    Y = np.stack([X @ [1.0, 2.0, 3.0], 10 * X[:, 0]], axis=1)
    reg = GlassnetRegressor(hidden_layer_sizes=(), epochs=100, random_state=0)
    reg.fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.99


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"activation": "swish"}, "activation must be one of"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes' entries must be"),
        ({"hidden_layer_sizes": "big"}, "hidden_layer_sizes must be a sequence"),
        ({"learning_rate": -1.0}, "learning_rate must be a finite number > 0"),
        ({"epochs": 2.5}, "epochs must be an integer > 0"),
        ({"batch_size": 0}, "batch_size must be an integer > 0"),
        ({"alpha": -0.1}, r"alpha must be a finite number ≥ 0"),
        ({"dtype": "int8"}, "dtype must be one of"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, message) -> None:
    X, y = circles(20)
    clf = GlassnetClassifier(**params)  # accepted here: scikit-learn checks in fit
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_one_class_is_refused_clearly() -> None:
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="at least 2 classes"):
        GlassnetClassifier().fit(X, ["x"] * 4)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "momentum", "rmsprop"])
def test_every_activation_and_optimizer_learns_moons(activation, optimizer) -> None:
    X, y = make_moons(n_samples=200, noise=0.05, seed=0)
    lr = {"adam": 0.01, "rmsprop": 0.01, "sgd": 0.3, "momentum": 0.05}[optimizer]
    clf = GlassnetClassifier(
        hidden_layer_sizes=(16, 16),
        activation=activation,
        optimizer=optimizer,
        learning_rate=lr,
        epochs=80,
        random_state=0,
    )
    # a straight line scores about 0.86 on these moons; chance is 0.5
    assert clf.fit(X, y).score(X, y) > 0.88
