"""The data sets by name: generated (or read, for MNIST), split and scaled.

``load_data`` makes the data of an experiment and ``split_and_scale`` splits and
standardizes it the way training sees it (a CSV file's rows too, through
``glassnet.cli.tables``); ``targets_for`` says how many outputs the experiment's loss
needs and what it compares them with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet import datasets, demos
from glassnet.cli.errors import UsageError
from glassnet.cli.network import LOSSES

__all__ = [
    "DATASETS",
    "Data",
    "check_dataset",
    "load_data",
    "split_and_scale",
    "targets_for",
]

Array = NDArray[Any]
DATASETS = ("circles", "moons", "spirals", "xor", "area", "mnist")


def check_dataset(name: str) -> str:
    """``name`` when it is one of DATASETS; else a UsageError that lists them."""
    if name not in DATASETS:
        raise UsageError(
            f"unknown data set {name!r}; expected one of: {', '.join(DATASETS)}."
        )
    return name


@dataclass
class Data:
    """A train/test split, as the model sees it, plus how it was scaled."""

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    classes: int  # 0 for regression
    description: str
    x_scale: datasets.Standardizer | None = None
    y_scale: datasets.Standardizer | None = None
    # a CSV file's column names and class labels (None for the built-in data)
    features: tuple[str, ...] | None = None
    target: str | None = None
    labels: tuple[str, ...] | None = None


def load_data(exp: demos.Experiment, data_dir: str | None = None) -> Data:
    """Generate or read ``exp.data``, split it, and scale it as ``exp`` says."""
    name = check_dataset(exp.data)
    if name == "mnist":
        (X_tr, y_tr), (X_te, y_te) = datasets.load_mnist(data_dir)
        if exp.n_samples is not None:
            X_tr, y_tr = X_tr[: exp.n_samples], y_tr[: exp.n_samples]
        where = datasets.mnist_dir(data_dir)
        desc = f"MNIST from {where}: {len(X_tr)} training, {len(X_te)} test images"
        return Data(X_tr, y_tr, X_te, y_te, 10, desc)
    n, noise, seed = exp.n_samples, exp.noise, exp.seed
    kwargs: dict[str, Any] = {"n_samples": n, "noise": noise}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if name == "circles":
        kwargs["factor"] = 0.3
    kwargs["seed"] = seed
    maker = getattr(datasets, f"make_{name}")
    try:
        X, y = maker(**kwargs)
    except (ValueError, TypeError) as exc:  # said in the options' terms
        message = str(exc).replace(f"make_{name}'s", f"the {name} data's")
        message = message.replace(f"make_{name}", f"the {name} data")
        message = message.replace("n_samples", "--n-samples").replace(
            "noise", "--noise"
        )
        raise UsageError(message) from None
    classes = 0 if name == "area" else int(y.max()) + 1
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return split_and_scale(X, y, classes, exp, f"make_{name}({args})", "--n-samples")


def split_and_scale(
    X: Array,
    y: Array,
    classes: int,
    exp: demos.Experiment,
    description: str,
    more: str = "rows",
) -> Data:
    """Split X, y as ``exp`` says (stratified for classes) and standardize if asked.

    The statistics are those of the training part only; a regression's targets are
    standardized too. ``more`` names what to give more of when a part is empty.
    """
    try:
        X_tr, X_te, y_tr, y_te = datasets.train_test_split(
            X, y, test_size=exp.test_size, seed=exp.seed, stratify=classes > 0
        )
    except ValueError:
        raise UsageError(
            f"--test-size {exp.test_size:g} of {len(X)} samples leaves the training "
            "or the test part empty (or a class without samples); give more "
            f"{more} or another --test-size."
        ) from None
    desc = (
        f"{description}; {exp.test_size:.0%} held out → {len(X_tr)} train, "
        f"{len(X_te)} test"
    )
    data = Data(X_tr, y_tr, X_te, y_te, classes, desc)
    if exp.standardize:
        data.x_scale = datasets.Standardizer.fit(X_tr)
        data.X_train = data.x_scale.transform(X_tr)
        data.X_test = data.x_scale.transform(X_te)
        data.description += "; inputs standardized"
        if classes == 0:
            data.y_scale = datasets.Standardizer.fit(y_tr)
            data.y_train = data.y_scale.transform(y_tr)
            data.y_test = data.y_scale.transform(y_te)
            data.description += " and targets"
    return data


def targets_for(exp: demos.Experiment, data: Data) -> tuple[int, Any]:
    """The number of outputs and a function mapping labels to the loss's targets."""
    if exp.loss not in LOSSES:
        raise UsageError(
            f"unknown loss {exp.loss!r}; expected one of: {', '.join(LOSSES)}."
        )
    k = data.classes
    if k == 0:
        if exp.loss != "mse":
            raise UsageError(
                f"the {exp.data} data are a regression: use --loss mse, not {exp.loss}."
            )
        return 1, lambda y: y
    if exp.loss == "bce":
        if k != 2:
            raise UsageError(
                f"--loss bce needs two classes; {exp.data} has {k}: use --loss ce "
                "with --output softmax."
            )
        return 1, lambda y: y
    if exp.loss == "ce":
        return k, lambda y: y
    if k == 2:  # mse on two classes: one output regressed onto 0/1
        return 1, lambda y: y.astype(np.float32)
    return k, lambda y: datasets.one_hot(y, k)
