"""Labels drawn from pixels: each distinct line of text is rendered once a process.

matplotlib (3.11's Agg) lays out and renders a text glyph by glyph in Python at
every drawing: about a millisecond a label, the most of what a figure of many
small labels costs. A ``Label`` draws the same pixels from a cache instead: the
first time a text (with its size, colour, alignment and rotation) is drawn at a
resolution, matplotlib renders it once onto a transparent scratch canvas, and
the cropped RGBA pixels are kept (``sprite``); every drawing after that composites
them with ``renderer.draw_image``, a few microseconds. The anchor is put on a
whole pixel, so a label may sit up to half a pixel from where matplotlib's own
``Text`` would put it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform
from numpy.typing import NDArray

__all__ = ["Label", "sprite"]


@functools.lru_cache(maxsize=4)
def _scratch_figure(dpi: float) -> Figure:
    return Figure(dpi=dpi)  # gives a scratch Text its dpi


@functools.lru_cache(maxsize=2048)
def sprite(
    text: str,
    size: float,
    color: str,
    ha: str,
    va: str,
    rotation: float,
    dpi: float,
) -> tuple[NDArray[np.uint8], int, int]:
    """The pixels of one line of text and where they go from its anchor.

    Returns:
        (pixels, dx, dy): RGBA rows from the bottom up, as ``draw_image`` takes
        them, and the offset in pixels of their lower left corner from the
        anchor (rounded to a whole pixel). An empty text has no pixels.
    """
    scale = size * dpi / 72
    long = 2 * int(scale * (len(text) + 2)) + 16  # the anchor in the middle
    short = 2 * int(3 * scale) + 16
    width, height = (long, short) if rotation % 180 == 0 else (short, long)
    renderer = RendererAgg(width, height, dpi)
    x0, y0 = width // 2, height // 2
    scratch = Text(
        x0,
        y0,
        text,
        fontsize=size,
        color=color,
        ha=ha,
        va=va,
        rotation=rotation,
        rotation_mode="anchor",
        transform=IdentityTransform(),
    )
    scratch.set_figure(_scratch_figure(dpi))
    scratch.draw(renderer)
    rgba = np.asarray(renderer.buffer_rgba())  # rows from the top down
    ink = rgba[..., 3] > 0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return np.zeros((0, 0, 4), dtype=np.uint8), 0, 0
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    pixels = np.ascontiguousarray(rgba[top:bottom, left:right][::-1])
    return pixels, int(left - x0), int((height - bottom) - y0)


class Label(Artist):
    """One line of plain text at (x, y) in ``transform``'s coordinates.

    Like ``matplotlib.text.Text`` for what LivePlot needs (size, colour,
    alignment, rotation about the anchor), drawn from ``sprite``'s pixels.
    """

    def __init__(
        self,
        x: float,
        y: float,
        text: str,
        *,
        transform: Any,
        size: float = 10.0,
        color: str = "black",
        ha: str = "left",
        va: str = "baseline",
        rotation: float = 0.0,
        zorder: float = 3.0,
    ) -> None:
        super().__init__()
        self.x, self.y, self.text = x, y, text
        self.size, self.color, self.ha, self.va = size, color, ha, va
        self.rotation = rotation
        self.set_transform(transform)
        self.set_zorder(zorder)

    def get_text(self) -> str:
        """The text shown."""
        return self.text

    def set_text(self, text: str) -> None:
        """Show ``text`` from the next drawing on."""
        self.text = text
        self.stale = True

    def set_position(self, xy: tuple[float, float]) -> None:
        """Move the anchor to ``xy`` (in the label's transform)."""
        self.x, self.y = xy
        self.stale = True

    def draw(self, renderer: Any) -> None:
        """Composite the text's pixels with their anchor at (x, y)."""
        if not self.get_visible() or not self.text:
            return
        pixels, dx, dy = sprite(
            self.text,
            self.size,
            self.color,
            self.ha,
            self.va,
            self.rotation,
            float(renderer.dpi),
        )
        if pixels.size:
            x, y = self.get_transform().transform((self.x, self.y))
            gc = renderer.new_gc()
            renderer.draw_image(gc, round(x) + dx, round(y) + dy, pixels)
            gc.restore()
        self.stale = False
