"""scikit-learn estimators: a glassnet multilayer perceptron behind ``fit``/``predict``.

``GlassnetClassifier`` and ``GlassnetRegressor`` follow scikit-learn's estimator
contract (and pass its ``check_estimator``), so they work in ``Pipeline``,
``GridSearchCV``, ``cross_val_score`` and ``clone``. The network they train is an
ordinary glassnet ``Sequential``, kept as ``model_``::

    Dense(n_features → h1), g, Dense(h1 → h2), g, ..., Dense(hk → n_out), [Softmax]

with g the chosen activation. The classifier ends in Softmax trained with
CrossEntropy on class ids (the fused gradient (Ŷ − T)/m), so ``model_.predict(X)``
is ``predict_proba(X)``; the regressor ends in the
last Dense, trained with MSE on standardized targets, and the scaling is folded into
that layer after training (W ← σ_y W, b ← σ_y b + μ_y, per output), so
``model_.predict(X)`` is already in the units of y.

Needs the optional extra: ``pip install "glassnet[sklearn]"``.

>>> import numpy as np
>>> from glassnet.sklearn import GlassnetClassifier
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10)
>>> y = np.array(["no", "yes", "yes", "no"] * 10)
>>> clf = GlassnetClassifier(hidden_layer_sizes=(8,), activation="tanh",
...                          learning_rate=0.05, epochs=300, random_state=0)
>>> clf.fit(X, y).predict(X[:4]).tolist()
['no', 'yes', 'yes', 'no']
>>> clf.predict_proba(X[:1]).shape, clf.classes_.tolist()
((1, 2), ['no', 'yes'])
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from glassnet.layers import Dense, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Softmax
from glassnet.layers import Tanh as TanhLayer
from glassnet.losses import MSE, CrossEntropy, Loss
from glassnet.model import Sequential
from glassnet.optimizers import SGD, Adam, Momentum, Optimizer, RMSProp

__all__ = ["GlassnetClassifier", "GlassnetRegressor"]

Array = NDArray[Any]

ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": TanhLayer,
    "sigmoid": Sigmoid,
    "identity": Identity,
}
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def _choice(value: Any, options: Sequence[str], name: str) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(o) for o in options)}; "
            f"got {value!r}."
        )
    return value


def _positive(value: Any, name: str, *, integer: bool, zero: bool = False) -> Any:
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < 0 or (value == 0 and not zero):
        expected = "an integer" if integer else "a finite number"
        raise ValueError(
            f"{name} must be {expected} {'≥ 0' if zero else '> 0'}; got {value!r}."
        )
    return value


class _GlassnetMLP(BaseEstimator):
    """The parameters and the network shared by the classifier and the regressor."""

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (32,),
        activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 0.01,
        epochs: int = 100,
        batch_size: int | None = 32,
        alpha: float = 0.0,
        dtype: str = "float64",
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.alpha = alpha
        self.dtype = dtype
        self.random_state = random_state

    # Parameters are checked in fit, never in __init__ or set_params (sklearn's rule).
    def _check_params(self) -> tuple[list[int], np.dtype[Any]]:
        sizes: Any = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            if isinstance(sizes, str):
                raise TypeError
            hidden = [
                _positive(h, "hidden_layer_sizes' entries", integer=True) for h in sizes
            ]
        except TypeError:
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers such as "
                f"(32, 16); got {self.hidden_layer_sizes!r}."
            ) from None
        _choice(self.activation, list(ACTIVATIONS), "activation")
        _choice(self.optimizer, list(OPTIMIZERS), "optimizer")
        _positive(self.learning_rate, "learning_rate", integer=False)
        _positive(self.epochs, "epochs", integer=True)
        if self.batch_size is not None:
            _positive(self.batch_size, "batch_size", integer=True)
        _positive(self.alpha, "alpha", integer=False, zero=True)
        _choice(self.dtype, ["float32", "float64"], "dtype")
        return [int(h) for h in hidden], np.dtype(self.dtype)

    def _build(self, n_in: int, n_out: int, rng: np.random.Generator) -> Sequential:
        hidden, dtype = self._check_params()
        sizes = [n_in, *hidden]
        layers: list[Layer] = []
        for a, b in itertools.pairwise(sizes):
            layers += [
                Dense(a, b, rng=rng, dtype=dtype),
                ACTIVATIONS[self.activation](),
            ]
        init = "xavier" if self.activation in ("tanh", "sigmoid") else "he"
        layers.append(Dense(sizes[-1], n_out, init=init, rng=rng, dtype=dtype))
        return Sequential(layers)

    def _new_optimizer(self) -> Optimizer:
        return OPTIMIZERS[self.optimizer](
            lr=float(self.learning_rate), weight_decay=float(self.alpha)
        )

    def _train(self, X: Array, T: Array, loss: Loss, epochs: int) -> None:
        self.model_.fit(
            X,
            T,
            loss=loss,
            optimizer=self._optimizer,
            epochs=epochs,
            batch_size=self.batch_size,
            seed=self._rng,
            verbose=0,
        )

    def _start(self, n_out: int) -> None:
        """A fresh network, optimizer and random stream for ``n_out`` outputs."""
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        self._rng = np.random.default_rng(seed)
        self.model_ = self._build(self.n_features_in_, n_out, self._rng)
        self._optimizer = self._new_optimizer()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class GlassnetClassifier(ClassifierMixin, _GlassnetMLP):
    """Multilayer-perceptron classifier: ReLU (or other) hidden layers, Softmax output.

    Labels may be of any type (strings, integers, ...): ``classes_`` holds them
    sorted, and the network learns class ids ``k`` with ``classes_[k]`` the label.
    Loss: L = −(1/m) Σᵢ log Ŷ[i, yᵢ] (CrossEntropy on Softmax), with the fused
    gradient dZ = (Ŷ − T)/m.

    Args:
        hidden_layer_sizes: neurons of each hidden layer, e.g. (32, 16).
        activation: hidden activation: "relu", "leaky_relu", "tanh", "sigmoid" or
            "identity".
        optimizer: "adam", "sgd", "momentum" or "rmsprop" (glassnet's optimizers).
        learning_rate: the optimizer's step size lr.
        epochs: passes over the data in ``fit``; ``partial_fit`` makes one.
        batch_size: rows per optimizer step; None is full-batch gradient descent.
        alpha: L2 strength, the optimizer's ``weight_decay`` (adds alpha·θ to dθ for
            every parameter, as PyTorch's weight_decay does).
        dtype: "float64" (default: predictions are identical whatever the batch) or
            "float32" (faster).
        random_state: seed (int) or RandomState for the initial weights and the
            shuffling; None draws fresh randomness at each fit.

    Attributes:
        classes_: the sorted class labels.
        model_: the trained glassnet ``Sequential``; ``model_.predict(X)`` gives
            ``predict_proba(X)``.
        n_features_in_: number of input features seen in ``fit``.

    >>> import glassnet as gn
    >>> from glassnet.sklearn import GlassnetClassifier
    >>> X, y = gn.datasets.make_moons(n_samples=200, noise=0.1, seed=0)
    >>> clf = GlassnetClassifier(hidden_layer_sizes=(16,), epochs=100, random_state=0)
    >>> clf.fit(X, y).model_
    Sequential([Dense(2 → 16), ReLU(), Dense(16 → 2), Softmax()])
    >>> clf.predict(X[:3]).tolist(), y[:3].tolist(), bool(clf.score(X, y) > 0.95)
    ([0, 1, 1], [0, 1, 1], True)
    """

    def fit(self, X: ArrayLike, y: ArrayLike) -> GlassnetClassifier:
        """Train a new network for ``epochs`` epochs on (X, y); returns self."""
        A, labels = self._validate(X, y, reset=True)
        self.classes_, ids = np.unique(labels, return_inverse=True)
        self._check_classes()
        self._start(len(self.classes_))
        self._train(A, ids, CrossEntropy(), int(self.epochs))
        return self

    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None
    ) -> GlassnetClassifier:
        """One epoch on (X, y), going on from the current weights and optimizer state.

        Args:
            X: inputs (m, n_features).
            y: labels, each one of ``classes``.
            classes: every label that will ever be seen; required on the first call
                (as for scikit-learn's incremental estimators), optional afterwards.

        Returns:
            self.
        """
        first = not hasattr(self, "model_")
        A, labels = self._validate(X, y, reset=first)
        if first:
            if classes is None:
                raise ValueError(
                    "partial_fit's first call needs classes=, the list of every label "
                    "(e.g. classes=np.unique(y_all)); the network's output size "
                    "depends on it."
                )
            self.classes_ = np.unique(classes)
            self._check_classes()
            self._start(len(self.classes_))
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"partial_fit got classes={np.unique(classes).tolist()}, but the "
                f"network was built for {self.classes_.tolist()}. Call fit to start "
                "afresh with new classes."
            )
        ids = np.searchsorted(self.classes_, labels)
        ids = np.minimum(ids, len(self.classes_) - 1)
        unknown = self.classes_[ids] != labels
        if unknown.any():
            raise ValueError(
                f"partial_fit got labels {np.unique(labels[unknown]).tolist()} that "
                f"are not among classes {self.classes_.tolist()}."
            )
        self._train(A, ids, CrossEntropy(), 1)
        return self

    def _validate(self, X: ArrayLike, y: ArrayLike, reset: bool) -> tuple[Array, Array]:
        A, labels = validate_data(self, X, y, dtype=np.float64, reset=reset)
        check_classification_targets(labels)
        return np.asarray(A), np.asarray(labels)

    def _check_classes(self) -> None:
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got only one "
                f"class, {self.classes_.tolist()}."
            )

    def predict_proba(self, X: ArrayLike) -> Array:
        """Class probabilities, shape (m, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        P: Array = self.model_.predict(X)
        return P

    def predict(self, X: ArrayLike) -> Array:
        """The most probable label for each row of X."""
        check_is_fitted(self)
        labels: Array = self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return labels

    def _build(self, n_in: int, n_out: int, rng: np.random.Generator) -> Sequential:
        model = super()._build(n_in, n_out, rng)
        return Sequential([*model.layers, Softmax()])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class GlassnetRegressor(RegressorMixin, _GlassnetMLP):
    """Multilayer-perceptron regressor: hidden layers, then a linear output layer.

    Trained with MSE, L = 1/(2m) Σ (ŷ − y)², on targets standardized per output,
    y' = (y − μ_y)/σ_y, so one learning rate suits targets of any scale. After
    training, the last layer absorbs the scaling: W ← σ_y·W and b ← σ_y·b + μ_y (row
    by row), so ``model_`` predicts in the units of y. y may be (m,) or (m, k).

    Args:
        hidden_layer_sizes: neurons of each hidden layer, e.g. (32, 16).
        activation: hidden activation: "relu", "leaky_relu", "tanh", "sigmoid" or
            "identity".
        optimizer: "adam", "sgd", "momentum" or "rmsprop".
        learning_rate: the optimizer's step size lr.
        epochs: passes over the data in ``fit``.
        batch_size: rows per optimizer step; None is full-batch gradient descent.
        alpha: L2 strength, the optimizer's ``weight_decay``.
        dtype: "float64" (default) or "float32".
        random_state: seed (int) or RandomState for weights and shuffling.

    Attributes:
        model_: the trained glassnet ``Sequential`` (outputs in the units of y).
        n_features_in_: number of input features seen in ``fit``.

    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 50).reshape(-1, 1)
    >>> reg = GlassnetRegressor(epochs=200, random_state=0).fit(X, 100 + 30 * X[:, 0])
    >>> bool(abs(reg.predict([[0.5]])[0] - 115) < 2)
    True
    """

    def fit(self, X: ArrayLike, y: ArrayLike) -> GlassnetRegressor:
        """Train a new network for ``epochs`` epochs on (X, y); returns self."""
        A, target = validate_data(
            self, X, y, dtype=np.float64, y_numeric=True, multi_output=True
        )
        y_arr = np.asarray(target)
        Y = y_arr.reshape(len(y_arr), -1).astype(np.float64)
        self._y_1d = y_arr.ndim == 1
        mean = Y.mean(axis=0)
        std = Y.std(axis=0)
        std[std == 0] = 1.0  # a constant target: nothing to scale
        self._start(Y.shape[1])
        self._train(np.asarray(A), (Y - mean) / std, MSE(), int(self.epochs))
        last = self.model_.layers[-1]
        # built by _build: a Dense with a bias
        assert isinstance(last, Dense)
        assert last.b is not None
        last.W *= std[:, None].astype(last.W.dtype)
        last.b *= std.astype(last.b.dtype)
        last.b += mean.astype(last.b.dtype)
        return self

    def predict(self, X: ArrayLike) -> Array:
        """Ŷ for X: shape (m,) when y was 1-D in fit, (m, k) otherwise."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        Y: Array = self.model_.predict(X)
        return Y.ravel() if self._y_1d else Y

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
