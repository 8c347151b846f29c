"""Networks and optimizers from the command line's names and files.

The names every command accepts (activations, initializers, losses, optimizers), the
MLP an experiment describes, a seed-A style architecture file, and a saved model.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from glassnet import demos, init, io
from glassnet.cli.errors import UsageError, count
from glassnet.cli.paths import regular_file
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
    "check_size",
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
# Bounds on what a command line or a small file may ask to allocate: far above any
# network trained on NumPy here (MNIST's best preset has 0.54 M parameters).
MAX_PARAMETERS = 100_000_000
MAX_LAYERS = 1000
MAX_ARCH_BYTES = 2**20
# the keys of one layer in an architecture file
ARCH_KEYS = ("input_dim", "output_dim", "activation", "alpha")


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
            f"the architecture maps {count(sizes[0], 'input')} to "
            f"{count(sizes[-1], 'output')}, but the {exp.data} data need "
            f"{count(n_in, 'input')} and {count(n_out, 'output')} with loss "
            f"{exp.loss}."
        )
    check_size(sizes)
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


def check_size(sizes: list[int]) -> None:
    """Refuse a network whose layer widths ``sizes`` would not fit in memory.

    >>> check_size([2, 10**6, 10**6, 1])
    Traceback (most recent call last):
    ...
    glassnet.cli.errors.UsageError: a 2 → 1000000 → 1000000 → 1 network has 1000005000001 parameters; at most 100000000 fit here. Use smaller --layers widths.
    """  # noqa: E501 — the doctest's message is one line
    if len(sizes) - 1 > MAX_LAYERS:
        raise UsageError(
            f"{len(sizes) - 1} layers are more than {MAX_LAYERS}; use fewer --layers."
        )
    n = sum(a * b + b for a, b in itertools.pairwise(sizes))
    if n > MAX_PARAMETERS:
        shown = " → ".join(map(str, sizes)) if len(sizes) <= 8 else "the"
        raise UsageError(
            f"a {shown} network has {n} parameters; at most {MAX_PARAMETERS} fit "
            "here. Use smaller --layers widths."
        )


def _check_layer(path: str, i: int, spec: Any) -> None:
    """One layer of an architecture file: known keys, positive integer dimensions."""
    if not isinstance(spec, dict):
        raise UsageError(
            f"{path}: layer {i} must be a table of {', '.join(ARCH_KEYS)}; got "
            f"{type(spec).__name__}."
        )
    unknown = [k for k in spec if k not in ARCH_KEYS]
    if unknown:
        raise UsageError(
            f"{path}: layer {i} has the unknown key {str(unknown[0])!r}; the keys of a "
            f"layer are {', '.join(ARCH_KEYS)}."
        )
    for key in ("input_dim", "output_dim"):
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            shown = "missing" if key not in spec else f"{value!r}"
            raise UsageError(
                f"{path}: layer {i}'s {key} must be a positive integer such as 25; "
                f"got {shown[:40]}."
            )
    activation = spec.get("activation", "identity")
    if not isinstance(activation, str):
        raise UsageError(
            f"{path}: layer {i}'s activation must be a name "
            f"({', '.join(ACTIVATIONS)}); got {activation!r:.40}."
        )
    try:
        make_activation(activation)
    except UsageError as exc:
        raise UsageError(f"{path}: layer {i}: {exc}") from None
    alpha = spec.get("alpha", 0.01)
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, (int, float))
        or not math.isfinite(alpha)
    ):
        raise UsageError(
            f"{path}: layer {i}'s alpha must be a finite number; got {alpha!r:.40}."
        )


def read_architecture(path: str) -> list[dict[str, Any]]:
    """A seed-A style layer list from a JSON or TOML file, checked layer by layer.

    JSON: a list ``[{"input_dim": 2, "output_dim": 25, "activation": "relu"}, ...]``
    (or ``{"layers": [...]}``). TOML: ``[[layers]]`` tables with the same keys. A
    layer's keys are ARCH_KEYS (``alpha``: the LeakyReLU slope; a layer without
    ``activation`` is linear); any other key, a dimension that is not a positive
    integer, or too deep a nesting is refused naming the layer.
    """
    p = regular_file(path, "architecture file")
    if p.stat().st_size > MAX_ARCH_BYTES:
        raise UsageError(
            f"{path}: {p.stat().st_size} bytes is too large for an architecture file "
            f"(at most {MAX_ARCH_BYTES})."
        )
    try:
        text = p.read_text(encoding="utf-8")
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
    except RecursionError:
        raise UsageError(
            f"{path}: nested too deeply to be an architecture file (a list of layers)."
        ) from None
    if isinstance(data, dict):
        unknown = [k for k in data if k != "layers"]
        if unknown:
            raise UsageError(
                f"{path}: unknown key {str(unknown[0])!r}; an architecture file holds "
                'only a list of layers (JSON: a list or {"layers": [...]}; TOML: '
                "[[layers]] tables)."
            )
        data = data.get("layers")
    if not isinstance(data, list) or not data:
        raise UsageError(
            f"{path}: expected a non-empty list of layers, each "
            '{"input_dim": …, "output_dim": …, "activation": …}.'
        )
    if len(data) > MAX_LAYERS:
        raise UsageError(f"{path}: {len(data)} layers; at most {MAX_LAYERS}.")
    for i, spec in enumerate(data):
        _check_layer(path, i, spec)
        if i and spec["input_dim"] != data[i - 1]["output_dim"]:
            raise UsageError(
                f"{path}: layer {i} has input_dim {spec['input_dim']} but layer "
                f"{i - 1} outputs {data[i - 1]['output_dim']}."
            )
    check_size([data[0]["input_dim"], *(spec["output_dim"] for spec in data)])
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
    """Hidden widths from --layers text such as "25,50,50,25" (each ≥ 1, none empty).

    An empty text means no hidden layer.

    >>> parse_widths("25,50"), parse_widths("")
    ([25, 50], [])
    """
    if not text.strip():  # no hidden layer: a linear or logistic model
        return []
    parts = [s.strip() for s in text.split(",")]
    shown = text if len(text) <= 60 else text[:60] + "…"
    if len(parts) > MAX_LAYERS:
        raise UsageError(f"--layers gives {len(parts)} widths; at most {MAX_LAYERS}.")
    if any(not s.isdecimal() or len(s) > 9 for s in parts):
        raise UsageError(
            f"--layers expects hidden widths like 25,50,50,25 (integers ≥ 1, "
            f"separated by single commas); got {shown!r}."
        )
    hidden = [int(s) for s in parts]
    if any(h < 1 for h in hidden):
        raise UsageError(f"--layers widths must be ≥ 1; got {shown!r}.")
    return hidden


def _is_checkpoint(p: Path) -> bool:
    """Whether ``p`` is a safetensors file whose metadata says glassnet checkpoint."""
    try:
        with p.open("rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if not 2 <= n <= MAX_ARCH_BYTES * 100:
                return False
            header = json.loads(f.read(n))
        info = json.loads(header["__metadata__"]["glassnet"])
        return bool(info.get("format") == "glassnet-checkpoint")
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return False


def load_model(path: str) -> tuple[Sequential, dict[str, Any]]:
    """A model saved by glassnet and its metadata ({} when it has none).

    Raises:
        UsageError: no such file, not a regular file, or a training checkpoint (not a
            model file): the message says what to do with it.
        ValueError: the file is not a valid model file (from ``io.load``).
    """
    p = regular_file(path, "model file")
    if _is_checkpoint(p):
        raise UsageError(
            f"{path} is a glassnet training checkpoint, not a model file: go on "
            f"training from it with `glassnet train ... --checkpoint {path} "
            "--resume`, or use the model file that --save wrote."
        )
    try:
        model = io.load(path)
        meta = io.read_metadata(path)
    except RecursionError:
        raise UsageError(f"{path}: its header is nested too deeply.") from None
    return model, meta if isinstance(meta, dict) else {}
