"""Decision boundaries, and the learning process as an animation (seed A, figure 3).

The two live in their own modules: the decision grid and the boundary figure in
``glassnet.plots.decision``, the ``LearningRecorder`` and the animation it feeds in
``glassnet.plots.learning``. This module gathers them under the name the figures go
by, so ``from glassnet.plots.boundary import ...`` finds every one of them.
"""

from __future__ import annotations

from glassnet.plots.decision import (
    DecisionGrid,
    decision_boundary,
    decision_grid,
    grid_axes,
    predict_grid,
    region_colors,
)
from glassnet.plots.decision import (
    grid_points as grid_points,  # public, though not in __all__
)
from glassnet.plots.learning import (
    Frame as Frame,  # a recorded frame; tests build them by hand
)
from glassnet.plots.learning import (
    LearningRecorder,
    animate_learning,
    learning_figure,
    spaced_by_change,
)

__all__ = [
    "DecisionGrid",
    "LearningRecorder",
    "animate_learning",
    "decision_boundary",
    "decision_grid",
    "grid_axes",
    "learning_figure",
    "predict_grid",
    "region_colors",
    "spaced_by_change",
]
