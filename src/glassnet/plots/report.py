"""Every figure that fits a finished training run, written into one folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from glassnet.layers import Sigmoid, Softmax
from glassnet.plots._common import predicted_classes, save
from glassnet.plots.boundary import (
    LearningRecorder,
    animate_learning,
    decision_boundary,
)
from glassnet.plots.curves import training_curves
from glassnet.plots.data import scatter_data
from glassnet.plots.evaluation import (
    confusion_figure,
    misclassified_digits,
    predicted_vs_true,
)
from glassnet.plots.network import architecture, computation_order
from glassnet.training import History

if TYPE_CHECKING:
    from glassnet.losses import Loss
    from glassnet.model import Sequential

__all__ = ["write_training_figures"]


def write_training_figures(
    directory: str | os.PathLike[str],
    model: Sequential,
    *,
    history: History | None = None,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    X_test: ArrayLike | None = None,
    y_test: ArrayLike | None = None,
    recorder: LearningRecorder | None = None,
    loss: Loss | None = None,
    dpi: float = 100,
) -> list[Path]:
    """Write the figures that the given inputs allow into ``directory``.

    Always: architecture.png, computation.png. With ``history``: history.png. With
    2-D training data (X, y): data.png and, for a classifier, decision_boundary.png
    (drawn over the test data when given, titled with the test accuracy).
    With ``recorder`` (a LearningRecorder used in fit): learning.gif. With test data:
    confusion.png (classifier; plus misclassified.png for image rows of 784 pixels)
    or predicted_vs_true.png (regression). A classifier is a model ending in Sigmoid
    or Softmax. ``loss``, the training loss, picks the output gradient that
    computation.png shows (see ``computation_order``).

    Returns:
        The paths written, in that order.

    >>> import tempfile
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    >>> history = model.fit([[0, 0], [1, 1]], [0, 1], loss=gn.BinaryCrossEntropy(),
    ...                     optimizer=gn.SGD(0.5), epochs=2, verbose=0)
    >>> paths = gn.plots.write_training_figures(tempfile.mkdtemp(), model,
    ...                                         history=history, dpi=30)
    >>> [path.name for path in paths]
    ['architecture.png', 'computation.png', 'history.png']
    """
    out = Path(directory)
    written: list[Path] = []

    def put(fig: Figure, name: str) -> None:
        written.append(save(fig, out / name, dpi=dpi))

    classifier = isinstance(model.layers[-1], (Sigmoid, Softmax))
    put(architecture(model), "architecture.png")
    put(computation_order(model, loss=loss), "computation.png")
    if history is not None:
        put(training_curves(history), "history.png")
    if X is not None and y is not None and np.shape(X)[1:] == (2,):
        Xp, yp = np.asarray(X), np.asarray(y)
        put(scatter_data(Xp, yp), "data.png")
        if classifier:  # on the test set when there is one: what the report measures
            if X_test is not None and y_test is not None:
                fig = decision_boundary(model, X_test, y_test, points="test")
            else:
                fig = decision_boundary(model, Xp, yp)
            put(fig, "decision_boundary.png")
        if recorder is not None and recorder.frames:
            written.append(animate_learning(recorder, Xp, yp, out / "learning.gif"))
    if X_test is not None and y_test is not None:
        Y_hat = model.predict(X_test)
        if classifier:
            pred = predicted_classes(Y_hat)
            put(confusion_figure(y_test, pred), "confusion.png")
            if np.shape(X_test)[1:] == (784,):
                put(misclassified_digits(X_test, y_test, pred), "misclassified.png")
        else:
            put(predicted_vs_true(y_test, Y_hat), "predicted_vs_true.png")
    return written
