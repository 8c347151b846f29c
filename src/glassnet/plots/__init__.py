"""Figures and animations of data, networks and learning (the seeds' figures).

Every function returns a ``matplotlib.figure.Figure`` built with the object API (no
pyplot, no GUI backend, nothing shown); ``save(fig, path)`` writes it atomically.
Animations are written straight to a .gif (or .mp4 with ffmpeg) and return the path.
Class colours are the same in every figure.

Seed A's figures: 1 ``scatter_data`` (``scatter_target`` for a regression); 2
``architecture``; 3 ``LearningRecorder`` + ``animate_learning`` (``decision_boundary``
for the final state); 6 ``activation_functions``; 7 ``training_curves`` (with
``HeldOutCurve`` for a test curve); 8 ``descent_figure`` / ``animate_descent``; 9
``computation_order``. Also ``digit_grid``, ``confusion_figure``,
``misclassified_digits``, ``predicted_vs_true``, ``layer_histograms`` and
``write_training_figures`` (all of them for one run).
"""

from __future__ import annotations

from glassnet.plots._common import CLASS_COLORS, class_color, save
from glassnet.plots.boundary import (
    DecisionGrid,
    LearningRecorder,
    animate_learning,
    decision_boundary,
    decision_grid,
    grid_axes,
    learning_figure,
    predict_grid,
    region_colors,
    spaced_by_change,
)
from glassnet.plots.curves import (
    HeldOutCurve,
    activation_functions,
    training_curves,
)
from glassnet.plots.data import digit_grid, scatter_data, scatter_target
from glassnet.plots.evaluation import (
    confusion_figure,
    confusion_matrix,
    misclassified_digits,
    predicted_vs_true,
)
from glassnet.plots.expression import parse_expression
from glassnet.plots.inside import layer_histograms, layer_statistics
from glassnet.plots.network import architecture, computation_order
from glassnet.plots.report import write_training_figures
from glassnet.plots.surfaces import (
    FUNCTIONS,
    Function2D,
    animate_descent,
    descent_figure,
    descent_path,
    function_2d,
    soft_clip,
)

__all__ = [
    "CLASS_COLORS",
    "FUNCTIONS",
    "DecisionGrid",
    "Function2D",
    "HeldOutCurve",
    "LearningRecorder",
    "activation_functions",
    "animate_descent",
    "animate_learning",
    "architecture",
    "class_color",
    "computation_order",
    "confusion_figure",
    "confusion_matrix",
    "decision_boundary",
    "decision_grid",
    "descent_figure",
    "descent_path",
    "digit_grid",
    "function_2d",
    "grid_axes",
    "layer_histograms",
    "layer_statistics",
    "learning_figure",
    "misclassified_digits",
    "parse_expression",
    "predict_grid",
    "predicted_vs_true",
    "region_colors",
    "save",
    "scatter_data",
    "scatter_target",
    "soft_clip",
    "spaced_by_change",
    "training_curves",
    "write_training_figures",
]
