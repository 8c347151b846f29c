"""Networks and optimizers from the command line's names and files.

The names every command accepts (activations, initializers, losses, optimizers), the
MLP an experiment describes, a seed-A style architecture file, and a saved model.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from glassnet import demos, init, io
from glassnet.cli.errors import UsageError
from glassnet.layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from glassnet.losses import MSE, BinaryCrossEntropy, CrossEntropy
from glassnet.model import Sequential
from glassnet.optimizers import SGD, Adam, Momentum, Optimizer, RMSProp

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "build_model",
    "load_model",
    "make_activation",
    "make_optimizer",
    "parse_widths",
    "read_architecture",
]

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "identity")
LOSSES = {"bce": BinaryCrossEntropy, "ce": CrossEntropy, "mse": MSE}
OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}
INITS = ("he", "xavier", "normal", "uniform", "zeros")


def make_activation(name: str, alpha: float = 0.01) -> Layer:
    """The activation layer called ``name`` (see ACTIVATIONS; "linear"/"none" too)."""
    key = name.lower().replace("-", "_")
    table: dict[str, type[Layer]] = {
        "relu": ReLU,
        "sigmoid": Sigmoid,
        "tanh": Tanh,
        "softmax": Softmax,
        "identity": Identity,
        "linear": Identity,
        "none": Identity,
    }
    if key in ("leaky_relu", "leakyrelu"):
        return LeakyReLU(alpha)
    if key not in table:
        raise UsageError(
            f"unknown activation {name!r}; expected one of: {', '.join(ACTIVATIONS)}."
        )
    return table[key]()


def build_model(exp: demos.Experiment, n_in: int, n_out: int) -> Sequential:
    """The MLP of ``exp`` for data with n_in features and n_out outputs.

    Dense layers are drawn in order from one Generator seeded with ``exp.seed``.
    """
    rng = np.random.default_rng(exp.seed)
    weights = init.get(exp.init) if exp.init in INITS else None
    if weights is None:
        raise UsageError(
            f"unknown --init {exp.init!r}; expected one of: {', '.join(INITS)}."
        )
    if exp.architecture is not None:
        specs = exp.architecture
    else:
        sizes = exp.sizes(n_in, n_out)
        specs = [
            {
                "input_dim": a,
                "output_dim": b,
                "activation": exp.activation if i < len(sizes) - 2 else exp.output,
            }
            for i, (a, b) in enumerate(itertools.pairwise(sizes))
        ]
    sizes = exp.sizes(n_in, n_out)
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise UsageError(
            f"the architecture maps {sizes[0]} inputs to {sizes[-1]} outputs, but the "
            f"{exp.data} data need {n_in} inputs and {n_out} outputs with loss "
            f"{exp.loss}."
        )
    layers: list[Layer] = []
    for spec in specs:
        layers.append(
            Dense(
                int(spec["input_dim"]), int(spec["output_dim"]), init=weights, rng=rng
            )
        )
        alpha = float(spec.get("alpha", exp.alpha))
        layers.append(make_activation(str(spec.get("activation", "identity")), alpha))
    return Sequential(layers)


def read_architecture(path: str) -> list[dict[str, Any]]:
    """A seed-A style layer list from a JSON or TOML file, checked layer by layer.

    JSON: a list ``[{"input_dim": 2, "output_dim": 25, "activation": "relu"}, ...]``
    (or ``{"layers": [...]}``). TOML: ``[[layers]]`` tables with the same keys.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such architecture file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path}: cannot read the architecture file ({exc})."
        ) from None
    try:
        if p.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                raise UsageError(
                    f"{path}: TOML needs Python ≥ 3.11 (tomllib); use a .json file."
                ) from None
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise UsageError(f"{path}: not valid {p.suffix[1:] or 'JSON'}: {exc}") from None
    if isinstance(data, dict):
        data = data.get("layers")
    if not isinstance(data, list) or not data:
        raise UsageError(
            f"{path}: expected a non-empty list of layers, each "
            '{"input_dim": …, "output_dim": …, "activation": …}.'
        )
    for i, spec in enumerate(data):
        ok = isinstance(spec, dict) and all(
            isinstance(spec.get(k), int)
            and not isinstance(spec.get(k), bool)
            and spec[k] > 0
            for k in ("input_dim", "output_dim")
        )
        if not ok:
            raise UsageError(
                f"{path}: layer {i} must have positive integers input_dim and "
                f"output_dim; got {spec!r}."
            )
        make_activation(str(spec.get("activation", "identity")))
        if i and spec["input_dim"] != data[i - 1]["output_dim"]:
            raise UsageError(
                f"{path}: layer {i} has input_dim {spec['input_dim']} but layer "
                f"{i - 1} outputs {data[i - 1]['output_dim']}."
            )
    return data


def make_optimizer(exp: demos.Experiment) -> Optimizer:
    """The optimizer of ``exp`` with its learning rate."""
    if exp.optimizer not in OPTIMIZERS:
        raise UsageError(
            f"unknown optimizer {exp.optimizer!r}; expected one of: "
            f"{', '.join(OPTIMIZERS)}."
        )
    return OPTIMIZERS[exp.optimizer](lr=exp.lr)  # type: ignore[no-any-return]


def parse_widths(text: str) -> list[int]:
    """Hidden widths from --layers text such as "25,50,50,25"."""
    try:
        hidden = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UsageError(
            f"--layers expects hidden widths like 25,50,50,25; got {text!r}."
        ) from None
    if any(h < 1 for h in hidden):
        raise UsageError(f"--layers widths must be ≥ 1; got {text!r}.")
    return hidden


def load_model(path: str) -> tuple[Sequential, dict[str, Any]]:
    """A model saved by glassnet and its metadata ({} when it has none)."""
    model = io.load(path)
    meta = io.read_metadata(path)
    return model, meta if isinstance(meta, dict) else {}
