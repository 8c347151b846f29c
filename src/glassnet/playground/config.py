"""A playground run's settings: their defaults, their limits, and their validation.

A config is a plain dict of JSON values (it travels to the page, into the URL and
into the exported script). ``merge(config, changes)`` returns a new, validated
config or raises ValueError naming the field, what it accepts and what it got.

Limits keep one frame fast (every neuron gets a heatmap each frame) and are the
documented ones: at most ``MAX_LAYERS`` hidden layers, ``MAX_WIDTH`` neurons per
layer and ``MAX_NEURONS`` hidden neurons in all; at most ``MAX_POINTS`` points.

>>> merge(DEFAULTS, {"learning_rate": 0.1})["learning_rate"]
0.1
>>> merge(DEFAULTS, {"layers": [4, 0]})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: layers must be a list of at most 10 widths, each from 1 to 64 ...
"""

from __future__ import annotations

import math
from typing import Any

from glassnet.playground.data import CLASSIFICATION, FEATURES, REGRESSION

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "DEFAULTS",
    "LIVE",
    "MAX_LAYERS",
    "MAX_NEURONS",
    "MAX_POINTS",
    "MAX_WIDTH",
    "OPTIMIZERS",
    "merge",
]

MAX_LAYERS = 10
MAX_WIDTH = 64
MAX_NEURONS = 160
MAX_POINTS = 2000
DATASETS = (*CLASSIFICATION, *REGRESSION, "custom")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
REGULARIZATIONS = ("none", "l1", "l2")

DEFAULTS: dict[str, Any] = {
    "dataset": "circles",
    "classes": 2,  # gauss and spiral only
    "noise": 0,  # percent, as TensorFlow Playground's slider
    "train_ratio": 50,  # percent of the points used for training
    "n_samples": 500,
    "data_seed": 0,  # the points; "regenerate" draws new ones
    "seed": 0,  # initial weights and batch order: same seed, same run
    "features": ["x1", "x2"],
    "layers": [4, 2],
    "activation": "tanh",
    "optimizer": "sgd",
    "learning_rate": 0.03,
    "batch_size": 10,
    "regularization": "none",
    "reg_rate": 0.0,
}
# Fields changed while training goes on; any other change starts the run anew.
LIVE = ("learning_rate", "batch_size", "regularization", "reg_rate", "optimizer")


def _choice(options: tuple[str, ...]) -> Any:
    def check(v: Any) -> bool:
        return isinstance(v, str) and v in options

    check.expects = "one of " + ", ".join(options)  # type: ignore[attr-defined]
    return check


def _integer(low: int, high: int) -> Any:
    def check(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high

    check.expects = f"an integer from {low} to {high}"  # type: ignore[attr-defined]
    return check


def _number(low: float, high: float, *, open_low: bool = False) -> Any:
    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        return math.isfinite(v) and (low < v if open_low else low <= v) and v <= high

    side = "above" if open_low else "from"
    check.expects = f"a number {side} {low:g} to {high:g}"  # type: ignore[attr-defined]
    return check


def _features(v: Any) -> bool:
    return (
        isinstance(v, list)
        and 0 < len(v) == len(set(v))
        and all(isinstance(n, str) and n in FEATURES for n in v)
    )


_features.expects = (  # type: ignore[attr-defined]
    "a non-empty list of distinct names from " + ", ".join(FEATURES)
)


def _layers(v: Any) -> bool:
    return (
        isinstance(v, list)
        and len(v) <= MAX_LAYERS
        and all(_integer(1, MAX_WIDTH)(n) for n in v)
        and sum(v) <= MAX_NEURONS
    )


_layers.expects = (  # type: ignore[attr-defined]
    f"a list of at most {MAX_LAYERS} widths, each from 1 to {MAX_WIDTH} "
    f"(at most {MAX_NEURONS} neurons in all)"
)

CHECKS: dict[str, Any] = {
    "dataset": _choice(DATASETS),
    "classes": _integer(2, 8),
    "noise": _number(0, 50),
    "train_ratio": _integer(10, 90),
    "n_samples": _integer(20, MAX_POINTS),
    "data_seed": _integer(0, 2**31 - 1),
    "seed": _integer(0, 2**31 - 1),
    "features": _features,
    "layers": _layers,
    "activation": _choice(ACTIVATIONS),
    "optimizer": _choice(OPTIMIZERS),
    "learning_rate": _number(0, 10, open_low=True),
    "batch_size": _integer(1, MAX_POINTS),
    "regularization": _choice(REGULARIZATIONS),
    "reg_rate": _number(0, 10),
}


def merge(config: dict[str, Any], changes: Any) -> dict[str, Any]:
    """A new config: ``config`` with ``changes`` (a dict of fields) applied and checked.

    Raises:
        ValueError: ``changes`` is not a dict, names an unknown field, or gives a
            value outside its field's range.
    """
    if not isinstance(changes, dict):
        raise ValueError(f"config must be an object of fields; got {changes!r:.80}.")
    out = dict(config)
    for key, value in changes.items():
        check = CHECKS.get(key)
        if check is None:
            raise ValueError(
                f"unknown config field {key!r:.40}; expected one of: "
                f"{', '.join(CHECKS)}."
            )
        if not check(value):
            raise ValueError(f"{key} must be {check.expects}; got {value!r:.80}.")
        out[key] = list(value) if isinstance(value, list) else value
    return out
