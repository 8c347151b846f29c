"""What every figure shares: class colours, a new Figure, label handling, atomic saves.

Figures are made with the object API (``matplotlib.figure.Figure``), never pyplot:
no global state, no GUI backend, safe in threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

Array = NDArray[Any]

# One colour per class, the same in every figure (matplotlib's tab10 order).
CLASS_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

# One colour per activation, shared by the activation and architecture figures.
ACTIVATION_COLORS = {
    "sigmoid": "#9467bd",
    "tanh": "#2ca02c",
    "relu": "#1f77b4",
    "leaky_relu": "#ff7f0e",
    "softmax": "#d62728",
    "identity": "#7f7f7f",
}


def class_color(k: int) -> str:
    """The colour of class ``k`` (cycles after ten classes).

    >>> import glassnet as gn
    >>> gn.plots.class_color(1)
    '#ff7f0e'
    >>> gn.plots.class_color(11) == gn.plots.class_color(1)  # ten colours, then again
    True
    """
    return CLASS_COLORS[int(k) % len(CLASS_COLORS)]


def new_figure(width: float, height: float, dpi: float = 100) -> Figure:
    """A Figure of ``width`` × ``height`` inches with constrained layout, no pyplot."""
    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def class_ids(y: ArrayLike, what: str = "y") -> NDArray[np.int64]:
    """Class ids (m,) from ids, 0/1 floats, a (m, 1) column, or one-hot rows (m, k)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1).astype(np.int64)
    y = y.reshape(-1)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold class ids; got an array of dtype {y.dtype}.")
    if y.dtype.kind == "f":
        if y.size and y.min() >= 0 and y.max() <= 1:
            return (y >= 0.5).astype(np.int64)
        return np.rint(y).astype(np.int64)
    return y.astype(np.int64)


def predicted_classes(Y_hat: Array) -> NDArray[np.int64]:
    """Class ids from model outputs, by the rule ``glassnet.accuracy`` uses.

    One output: Ŷ ≥ 0.5 is class 1. Several outputs: the argmax of each row.
    """
    Y_hat = np.asarray(Y_hat)
    if Y_hat.ndim == 1 or Y_hat.shape[1] == 1:
        return (Y_hat.reshape(-1) >= 0.5).astype(np.int64)
    return Y_hat.argmax(axis=1).astype(np.int64)


def check_points(X: ArrayLike, what: str) -> Array:
    """X as a float array of shape (m, 2), or a ValueError that says why not."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"{what} draws points in the plane: expected X of shape (m, 2) with "
            f"m ≥ 1; got {X.shape}. For other data use a different figure "
            "(digit_grid for images)."
        )
    return X


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[Path], None]
) -> Path:
    """Call ``write(tmp)`` for a temporary file beside ``path``, then move it there.

    The temporary file keeps the suffix (writers pick their format from it), is
    flushed to disk, and replaces ``path`` in one step: a reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def save(fig: Figure, path: str | os.PathLike[str], dpi: float | None = None) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix: .png, .svg, .pdf), atomically.

    Returns:
        The path written.

    >>> import tempfile
    >>> from pathlib import Path
    >>> import glassnet as gn
    >>> fig = gn.plots.scatter_data([[0, 0], [1, 1]], [0, 1])
    >>> path = gn.plots.save(fig, Path(tempfile.mkdtemp()) / "data.png", dpi=30)
    >>> path.name, path.exists()
    ('data.png', True)
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(
            f"save needs a file name with a suffix such as .png or .svg; got {path}."
        )
    return write_atomically(
        path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi or fig.dpi)
    )


def scatter_classes(ax: Any, X: Array, y: NDArray[np.int64], size: float = 14) -> None:
    """Draw the points of each class in its colour, with a legend entry per class."""
    for k in np.unique(y):
        pts = X[y == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            color=class_color(k),
            edgecolors="white",
            linewidths=0.4,
            label=f"class {k}",
        )


def write_animation(
    fig: Figure,
    draw_frame: Callable[[int], None],
    n_frames: int,
    path: str | os.PathLike[str],
    *,
    fps: float = 8,
    dpi: float = 80,
    hold: float = 0.0,
) -> Path:
    """Render ``n_frames`` frames of ``fig`` into a GIF (or an MP4 when ffmpeg exists).

    ``draw_frame(i)`` updates the figure's artists for frame i. In a GIF the last
    frame stays ``hold`` seconds when that is longer than one frame (the end state is
    what a reader wants to look at before the loop starts again). The layout is fixed
    after a first draw so that frames do not jitter when titles change. GIF frames
    are drawn once each on an Agg canvas and joined by Pillow (which matplotlib
    depends on): twice as fast as ``PillowWriter``, whose savefig draws twice.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(
            f"an animation is written as .gif or .mp4; got {path.name!r}. "
            "Use a .gif file name."
        )
    if n_frames < 1:
        raise ValueError(f"an animation needs at least one frame; got {n_frames}.")
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    draw_frame(n_frames - 1)  # lay out with the widest content, then freeze
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    if suffix == ".mp4":
        from matplotlib import animation

        if not animation.writers.is_available("ffmpeg"):
            raise ValueError(
                f"writing {path.name} needs ffmpeg, which was not found on PATH. "
                "Save a .gif instead (no extra program needed)."
            )
        writer = animation.FFMpegWriter(fps=round(fps))

        def write_mp4(tmp: Path) -> None:
            with writer.saving(fig, str(tmp), dpi):
                for i in range(n_frames):
                    draw_frame(i)
                    writer.grab_frame()

        return write_atomically(path, write_mp4)

    frames = []
    for i in range(n_frames):
        draw_frame(i)
        canvas.draw()
        frames.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]))

    durations = [round(1000 / fps)] * n_frames
    durations[-1] = max(durations[-1], round(1000 * hold))

    def write_gif(tmp: Path) -> None:
        frames[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations if n_frames > 1 else durations[0],
            loop=0,
        )

    return write_atomically(path, write_gif)
