"""Inside a convolutional network: its first kernels, and one image's feature maps.

``conv_kernels`` draws each output channel's kernel of a Conv2D as a small image (on
MNIST they become stroke and edge detectors); ``feature_maps`` passes one image
through the layers and draws what each convolution, activation and pooling makes of
it, until the network flattens it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.layers import Conv2D
from glassnet.model import Sequential
from glassnet.plots._common import new_figure, save

__all__ = ["conv_kernels", "feature_maps", "write_conv_figures"]

Array = NDArray[Any]


def _first_conv(model: Sequential | Conv2D, what: str) -> Conv2D:
    if isinstance(model, Conv2D):
        return model
    for layer in getattr(model, "layers", ()):
        if isinstance(layer, Conv2D):
            return layer
    raise ValueError(
        f"{what} draws the kernels of a Conv2D; got {model!r}, which has none. "
        "Pass a Conv2D layer or a Sequential that contains one."
    )


def conv_kernels(
    model: Sequential | Conv2D, *, columns: int = 8, title: str = ""
) -> Figure:
    """The kernels of the first Conv2D: one panel per output channel.

    Each panel is W[k, 0] (kh, kw) of output channel k — for a first layer on
    grey images the whole kernel; with several input channels, the one for input
    channel 0 (the title says so). One colour scale, symmetric around 0, serves all
    panels (red positive, blue negative), so their strengths compare.

    Args:
        model: a Sequential (its first Conv2D is drawn) or a Conv2D.
        columns: panels per row.
        title: the figure's title (default: the layer and its kernel shape).

    Returns:
        A Figure with c_out image axes and a colour bar.
    """
    conv = _first_conv(model, "conv_kernels")
    W = np.asarray(conv.params["W"], dtype=np.float64)
    c_out, c_in = W.shape[0], W.shape[1]
    cols = max(1, min(int(columns), c_out))
    rows = math.ceil(c_out / cols)
    fig = new_figure(1.1 * cols + 0.9, 1.1 * rows + 0.7)
    limit = float(np.abs(W[:, 0]).max()) or 1.0
    image = None
    for k in range(c_out):
        ax = fig.add_subplot(rows, cols, k + 1)
        image = ax.imshow(W[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{k}", fontsize="small")
    channel = "" if c_in == 1 else " (input channel 0)"
    fig.suptitle(title or f"{conv!r}: kernels W[k]{channel}, one per output channel")
    assert image is not None  # at least one panel was drawn
    fig.colorbar(image, ax=fig.axes, shrink=0.8, label="weight")
    return fig


def feature_maps(
    model: Sequential, image: ArrayLike, *, channels: int = 8, title: str = ""
) -> Figure:
    """One image through the network: a row for the input and for each image layer.

    The image is passed through ``model.layers`` one at a time in inference mode;
    every output that is still an image (C, H, W) gets a row showing its first
    ``channels`` channels. The rows stop where the output becomes a vector
    (Flatten). Each row has its own colour scale (grey, dark = low).

    Args:
        model: a Sequential that starts with image layers (Conv2D, pooling, ...).
        image: one image (C, H, W), or (H, W) for one channel.
        channels: the most channels drawn per row.
        title: the figure's title.

    Returns:
        A Figure with one row of axes per drawn stage.
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(
            f"feature_maps draws one image (C, H, W) or (H, W); got shape {x.shape}. "
            "For a batch, pass one of its images: X[0]."
        )
    _first_conv(model, "feature_maps")  # a clear error for a network without one
    A = x[None].astype(model.dtype)
    stages: list[tuple[str, Array]] = [("input", A[0])]
    for layer in model.layers:
        A = layer.forward(A, training=False)
        if A.ndim != 4:
            break
        stages.append((type(layer).__name__, A[0]))  # the repr is too long a label
    cols = max(1, min(int(channels), max(s.shape[0] for _, s in stages)))
    fig = new_figure(1.05 * cols + 0.4, 1.15 * len(stages) + 0.5)
    grid = fig.add_gridspec(len(stages), cols)
    for r, (name, maps) in enumerate(stages):
        low, high = float(maps.min()), float(maps.max())
        for c in range(min(cols, maps.shape[0])):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(maps[c], cmap="gray", vmin=low, vmax=high or 1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                C, H, W = maps.shape
                ax.set_ylabel(f"{name}\n({C}, {H}, {W})", fontsize="x-small")
    fig.suptitle(
        title or f"One image through the network (first {cols} channels per row)"
    )
    return fig


def write_conv_figures(
    model: Sequential,
    image: ArrayLike,
    folder: str | os.PathLike[str],
    *,
    dpi: float = 100,
) -> list[Path]:
    """Write ``kernels.png`` and ``feature_maps.png`` of ``model`` into ``folder``.

    Args:
        model: a trained Sequential with a Conv2D.
        image: the image whose feature maps are drawn, (C, H, W) or (H, W).
        folder: where the files go (created if missing).
        dpi: their resolution.

    Returns:
        The paths written.
    """
    folder = Path(folder)
    return [
        save(conv_kernels(model), folder / "kernels.png", dpi=dpi),
        save(feature_maps(model, image), folder / "feature_maps.png", dpi=dpi),
    ]
