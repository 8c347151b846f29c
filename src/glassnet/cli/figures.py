"""The figures of a finished run (``--plots DIR``), and of the chain and descent demos.

matplotlib is imported (through ``glassnet.plots``) only when a figure is drawn.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet import demos
from glassnet.cli.data import targets_for
from glassnet.cli.experiments import Run
from glassnet.cli.network import LOSSES
from glassnet.losses import MSE
from glassnet.training import History

__all__ = [
    "ANIMATION_DPI",
    "REGRESSION_NAMES",
    "area_bands",
    "print_written",
    "regression_scatter",
    "target_scatter",
    "write_chain_figures",
    "write_descent_figures",
    "write_figures",
]

ANIMATION_DPI = 90  # animations at most this resolution: readable, a demo's GIF ~2 MB


def area_bands(y: NDArray[Any]) -> NDArray[np.int64]:
    """Quartile (0–3) of each regression target: colours for a scatter of the area."""
    edges = np.quantile(np.asarray(y, dtype=np.float64), [0.25, 0.5, 0.75])
    return np.searchsorted(edges, np.asarray(y, dtype=np.float64)).astype(np.int64)


# names of the inputs and the target of the 2-D regressions, for data.png
REGRESSION_NAMES = {"area": (("length a", "width b"), "area a·b")}


def regression_scatter(name: str, X: Any, t: Any, title: str = "") -> Any:
    """A 2-D regression data set ``name`` in its own units, coloured by its target.

    ``X`` and ``t`` must already be unstandardized; the axes and the colour bar are
    named from ``REGRESSION_NAMES`` (for area: length a, width b, area a·b).
    """
    from glassnet import plots

    names, target = REGRESSION_NAMES.get(name, (("$x_1$", "$x_2$"), "target"))
    return plots.scatter_target(
        X, t, axis_labels=names, target=target, title=title or name
    )


def target_scatter(run: Run) -> Any:
    """The training points of a 2-D regression in their own units, by target value."""
    data = run.data
    X = np.asarray(data.X_train, dtype=np.float64)
    t = np.asarray(data.y_train, dtype=np.float64).reshape(-1)
    if data.x_scale is not None:  # the model saw standardized units; people don't
        X = data.x_scale.inverse(X)
    if data.y_scale is not None:
        t = np.asarray(data.y_scale.inverse(t), dtype=np.float64).reshape(-1)
    name = run.experiment.data
    return regression_scatter(name, X, t, title=f"{name}: training data")


def _animations(write: Any, directory: Path, name: str, written: list[Path]) -> None:
    """``write(path)`` for name.gif, and for name.mp4 too when ffmpeg is installed."""
    written.append(write(directory / f"{name}.gif"))
    if shutil.which("ffmpeg"):
        written.append(write(directory / f"{name}.mp4"))


def write_figures(
    run: Run, directory: str | Path, *, dpi: float = 100, frames: int = 40
) -> list[Path]:
    """Every figure that fits a finished run, written into ``directory``.

    ``plots.write_training_figures`` (architecture, computation order, loss and
    accuracy curves, data, decision boundary, confusion matrix, misclassified
    digits), then: the learning animation (learning.gif, from ``run.recorder``), the
    layer histograms on 256 training samples (layers.png), sample digits for MNIST
    (digits.png), and for a regression the data coloured by their target (data.png,
    in their own units) and predicted against true values in the targets' units.

    Returns:
        The paths written.
    """
    from glassnet import plots

    out, data, model = Path(directory), run.data, run.model
    two_d = data.X_train.shape[1] == 2
    classifier = data.classes > 0
    written = plots.write_training_figures(
        out,
        model,
        history=run.history,
        X=data.X_train if two_d and classifier else None,
        y=data.y_train if two_d and classifier else None,
        X_test=data.X_test if classifier else None,
        y_test=data.y_test if classifier else None,
        loss=LOSSES[run.experiment.loss](),
        dpi=dpi,
    )

    def put(fig: Any, name: str) -> None:
        written.append(plots.save(fig, out / name, dpi=dpi))

    if run.recorder is not None and run.recorder.frames:
        rec, X, y = run.recorder, data.X_train, data.y_train
        anim_dpi = min(dpi, ANIMATION_DPI)
        _animations(
            lambda path: plots.animate_learning(
                rec, X, y, path, dpi=anim_dpi, max_frames=frames
            ),
            out,
            "learning",
            written,
        )
    if not classifier:
        if two_d:
            put(target_scatter(run), "data.png")
        p = model.predict(data.X_test)[:, 0].astype(np.float64)
        t = np.asarray(data.y_test, dtype=np.float64)
        if data.y_scale is not None:
            p, t = data.y_scale.inverse(p), data.y_scale.inverse(t)
        put(plots.predicted_vs_true(t, p), "predicted_vs_true.png")
    if data.X_train.shape[1] == 784:
        put(
            plots.digit_grid(data.X_train[:25], data.y_train[:25], title="MNIST"),
            "digits.png",
        )
    _, to_targets = targets_for(run.experiment, data)
    batch = slice(0, 256)
    put(
        plots.layer_histograms(
            model,
            data.X_train[batch],
            to_targets(data.y_train[batch]),
            LOSSES[run.experiment.loss](),
        ),
        "layers.png",
    )
    return written


def write_chain_figures(
    result: dict[str, Any], directory: str | Path, *, dpi: float = 100
) -> list[Path]:
    """Seed D's figures: the loss of every update and per epoch, and the network."""
    from glassnet import plots

    out = Path(directory)
    step_loss = [float(v) for v in result["step_loss"]]
    per_epoch = np.asarray(step_loss).reshape(-1, 2).mean(axis=1)  # two samples
    history = History({"loss": per_epoch.tolist()}, step_loss, len(per_epoch))
    model = demos.chain_model([result["w1"], result["w2"], result["w3"]])
    figures = {
        "history.png": plots.training_curves(history, title="Seed D: the chain"),
        "architecture.png": plots.architecture(model),
        "computation.png": plots.computation_order(model, m=1, loss=MSE()),
    }
    return [plots.save(fig, out / name, dpi=dpi) for name, fig in figures.items()]


def write_descent_figures(
    directory: str | Path, *, dpi: float = 100, frames: int = 40
) -> list[Path]:
    """Seed B's figures: the descent path for each learning rate of the demo.

    On the contour map and the surface (descent_lr*.png) and as an animation
    (descent_lr*.gif).
    """
    from glassnet import plots

    out, written = Path(directory), []
    for lr, steps in demos.DESCENT_RUNS:
        path = plots.descent_path("bowl", (-5.0, -5.0), lr, steps)
        name = f"descent_lr{lr:g}"
        fig = plots.descent_figure("bowl", path, resolution=100)
        written.append(plots.save(fig, out / f"{name}.png", dpi=dpi))
        _animations(
            lambda target, path=path: plots.animate_descent(
                "bowl",
                path,
                target,
                dpi=min(dpi, ANIMATION_DPI),
                max_frames=frames,
            ),
            out,
            name,
            written,
        )
    return written


def print_written(paths: Sequence[Path], directory: str, out: TextIO) -> None:
    """List the files written into ``directory`` with their sizes."""
    print(f"figures   {len(paths)} files in {directory}:", file=out)
    for path in paths:
        print(f"          {path}  ({path.stat().st_size / 1024:.0f} KB)", file=out)
