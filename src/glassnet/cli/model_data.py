"""A saved model and the data it is measured on, split and scaled as in its training.

``model_and_data`` reads the model file and, from its metadata, remakes the data set
(or re-reads the CSV file) with the seed and split it was trained with, so that
``evaluate`` and ``predict`` see the test part that training held out.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from glassnet import datasets, demos
from glassnet.cli.data_sets import Data, check_dataset, load_data, targets_for
from glassnet.cli.errors import UsageError, count
from glassnet.cli.network import load_model
from glassnet.layers import Dense
from glassnet.model import Sequential

__all__ = ["model_and_data", "scales"]


def scales(meta: dict[str, Any]) -> tuple[Any, Any]:
    """The input and target Standardizers saved in a model's metadata (or None)."""

    def get(key: str) -> datasets.Standardizer | None:
        s = meta.get(key)
        return None if s is None else datasets.Standardizer(s["mean"], s["std"])

    return get("x_scale"), get("y_scale")


def model_and_data(
    args: argparse.Namespace,
) -> tuple[Sequential, demos.Experiment, Data]:
    """The model file ``args.model`` and the data it is measured on, scaled as saved.

    By default the data set, seed and split it was trained with (from its metadata);
    ``args.data``, ``args.seed``, ``args.n_samples`` and ``args.test_size`` override.
    """
    model, meta = load_model(args.model)
    saved = meta.get("experiment") or {}
    known = set(demos.Experiment.__dataclass_fields__)
    base = (
        demos.Experiment(**{k: v for k, v in saved.items() if k in known})
        if saved
        else None
    )
    name = args.data or (base.data if base else None)
    if name is None:
        raise UsageError(f"{args.model} does not say its data set; pass --data NAME.")
    # here, not at the top: tables builds on cli.data, which re-exports this module
    from glassnet.cli.tables import is_table

    if is_table(name):
        exp, data = _table_of_model(args, name, base, meta)
    else:
        exp, data = _data_of_model(args, name, base, meta)
    n_out, _ = targets_for(exp, data)
    n_in = model.n_in
    last = next(la for la in reversed(model.layers) if isinstance(la, Dense))
    if n_in != data.X_test.shape[1] or last.n_out != n_out:
        raise UsageError(
            f"{args.model} maps {count(n_in or 0, 'input')} to "
            f"{count(last.n_out, 'output')}; the {name} data with loss {exp.loss} "
            f"need {count(data.X_test.shape[1], 'input')} and "
            f"{count(n_out, 'output')}."
        )
    return model, exp, data


def _data_of_model(
    args: argparse.Namespace,
    name: str,
    base: demos.Experiment | None,
    meta: dict[str, Any],
) -> tuple[demos.Experiment, Data]:
    """A built-in data set for a saved model, scaled as a file before issue 15 says.

    A model saved since then holds its own Standardize (and Unstandardize): its
    metadata has no scales, and it takes the data in their own units.
    """
    check_dataset(name)
    if base is None or base.data != name:
        base = demos.EXPERIMENTS[name].replace(standardize=False)
    exp = base.replace(
        seed=args.seed, n_samples=args.n_samples, test_size=args.test_size
    )
    exp = exp.replace(standardize=False)
    data = load_data(exp, args.data_dir)
    x_scale, y_scale = scales(meta) if base.data == name else (None, None)
    if x_scale is not None:
        data.X_train, data.X_test = (
            x_scale.transform(data.X_train),
            x_scale.transform(data.X_test),
        )
    if y_scale is not None:
        data.y_scale = y_scale
        data.y_train, data.y_test = (
            y_scale.transform(data.y_train),
            y_scale.transform(data.y_test),
        )
    return exp, data


def _table_of_model(
    args: argparse.Namespace,
    path: str,
    base: demos.Experiment | None,
    meta: dict[str, Any],
) -> tuple[demos.Experiment, Data]:
    """A CSV file for a saved model: split as in training, in its own units.

    The target is the one the model was trained on (``--target`` overrides); class
    labels get the ids they had in training, from the model's metadata.
    """
    from glassnet.cli.tables import read_table, table_data, table_experiment

    if getattr(args, "n_samples", None) is not None:
        raise UsageError("--n-samples applies to generated data, not to a CSV file.")
    target = getattr(args, "target", None) or meta.get("target")
    labels = meta.get("labels")
    features = meta.get("features")
    table = read_table(
        path,
        target,
        None if labels is None else True,
        None if features is None else list(features),
    )
    if labels is not None and table.classes is not None:
        unknown = sorted(set(table.classes) - set(labels))
        if unknown:
            raise UsageError(
                f"{path}: class labels {unknown} were not in the training data; the "
                f"model knows {labels}."
            )
        ids = np.array([labels.index(c) for c in table.classes], dtype=np.int64)
        table = table._replace(y=ids[table.y], classes=tuple(labels))
    if base is None or base.data != path:
        base = table_experiment(table, path)
    exp = base.replace(seed=args.seed, test_size=args.test_size, standardize=False)
    return exp, table_data(table, exp, path)
