"""The model file a training command writes: the scaling inside the model.

A run trains on standardized data (``--standardize``, the default of ``area`` and of a
CSV file). The file it saves holds the model *with* that scaling: a ``Standardize``
layer with the training part's mean and std in front and, for a standardized
regression target, an ``Unstandardize`` at the end. So ``gn.load(path).predict(X)``
takes X in the data's own units and returns the targets' units, exactly as
``glassnet predict`` does — no scaler is kept beside the model (issue 15: before,
the CLI applied scales from the metadata that Python knew nothing of).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from glassnet import io
from glassnet.cli.experiments import Run
from glassnet.layers import Standardize, Unstandardize
from glassnet.model import Sequential

__all__ = ["model_in_data_units", "save_trained"]


def model_in_data_units(run: Run) -> Sequential:
    """``run.model`` between the layers that undo the run's scaling of its data.

    The layers are shared with ``run.model`` (its parameters are laid out again the
    next time it is used, as for any layer put into another model).
    """
    model, data = run.model, run.data
    layers = list(model.layers)
    if data.x_scale is not None:
        s = data.x_scale
        layers.insert(0, Standardize(s.mean, s.std, dtype=model.dtype))
    if data.y_scale is not None:  # y (m,) was scaled as a scalar: one output
        s = data.y_scale
        mean, std = np.atleast_1d(s.mean), np.atleast_1d(s.std)
        layers.append(Unstandardize(mean, std, dtype=model.dtype))
    if len(layers) == len(model.layers):
        return model
    return Sequential(layers)  # the CLI trains MLPs: the first layer fixes (n_in,)


def save_trained(run: Run, path: str) -> None:
    """Save the run's model in the data's units, with what ``evaluate`` and
    ``predict`` need: the experiment, the number of classes, the test numbers, and
    for a CSV file its feature names, target name and class labels (``predict``
    prints the labels, not their ids).
    """  # noqa: D205 — the summary needs both lines
    meta: dict[str, Any] = {
        "experiment": asdict(run.experiment),
        "classes": run.data.classes,
        "test": run.test,
    }
    if run.data.features is not None:
        meta["features"] = list(run.data.features)
        meta["target"] = run.data.target
    if run.data.labels is not None:
        meta["labels"] = list(run.data.labels)
    io.save(model_in_data_units(run), path, metadata=meta)
