"""The figure LivePlot shows: fixed frames, a static background, blitted redraws.

A full matplotlib drawing of the three panels costs tenths of a second, nearly
all of it Python-level text layout and rendering (tick labels, titles, legends),
and most of it does not change while a model trains. So the figure is drawn in
two layers:

- the *background*: the axes' patches and everything outside the data area —
  ticks, tick labels, axis labels, the titles that do not change — drawn by
  matplotlib the first time and again only when a frame changes, and kept as
  pixels (``canvas.copy_from_bbox``);
- the *foreground*: every other artist of each axes (the curves, the regions
  image, the points, the boundary line, the keys, the spines, the title with the
  accuracy), drawn over a copy of the background with ``draw_artist``.

The background is at zorder −1 (``_furniture.BACK``), below everything else, so
stacking the foreground on it in zorder is exactly matplotlib's order for a full
drawing: a blitted drawing has the pixels of a full redraw (the tests check it).

The frames are fixed so that the background rarely changes: the step axis spans
the whole fit from its start (``begin`` gets the steps planned), the loss axis
runs over whole decades of the losses so far (a new frame when the loss leaves
them, a few times in a fit), accuracy runs from 0 to 1 and the boundary's axes
cover the grid. Texts are ``Label``s (rendered once a process, then pixels),
with unicode for 10⁻³ and x₁ instead of mathtext; ticks, axis labels and keys
are placed once (``_furniture``). The PNG is encoded from the canvas's pixels.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
from contourpy import LineType, contour_generator
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from glassnet.plots._common import class_color
from glassnet.plots._furniture import BACK, Key, NumberedTitle, Ticks, add, title
from glassnet.plots.boundary import DecisionGrid, region_colors

Array = NDArray[Any]

# where the panels sit, as fractions of the figure (fixed: no layout engine)
_LEFT, _RIGHT, _BOTTOM, _TOP, _GAP = 0.07, 0.98, 0.17, 0.88, 0.32
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_ROUND = [1, 2, 5, 10]  # tick steps: 1, 2 or 5 times a power of ten


def power_of_ten(e: int) -> str:
    """The tick label of 10^e in plain unicode: 10⁻³, 10⁰, 10²."""
    return "10" + str(e).translate(_SUPERSCRIPT)


def tick_label(v: float, log: bool = False) -> str:
    """A plain tick label: 10⁻² on a log axis, else the shortest of %g."""
    if log:
        return power_of_ten(round(math.log10(v)))
    return f"{v:g}".replace("-", "−")


def round_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick positions within [lo, hi]."""
    values = MaxNLocator(nbins=n, steps=_ROUND).tick_values(lo, hi)
    return [float(v) for v in values if lo - 1e-9 <= v <= hi + 1e-9]


def loss_frame(lo: float, hi: float) -> tuple[str, float, float, tuple[float, ...]]:
    """The loss axis for losses in [lo, hi]: (scale, bottom, top, ticks).

    Positive losses: a log axis over whole decades, 10^⌊log₁₀ lo⌋ to
    10^⌈log₁₀ hi⌉ (at least one), a tick on every decade, or on every second,
    third, ... decade when there would be more than five. Otherwise a linear axis
    from the first to the last of about five round ticks around [lo, hi]. No
    finite loss yet: 0.1 to 10.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "log", 0.1, 10.0, (0.1, 1.0, 10.0)
    if lo > 0:
        bottom, top = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        top = max(top, bottom + 1)
        stride = -(-(top - bottom) // 5)
        ticks = tuple(10.0**e for e in range(top, bottom - 1, -stride))[::-1]
        return "log", 10.0**bottom, 10.0**top, ticks
    values = MaxNLocator(nbins=5, steps=_ROUND).tick_values(lo, max(hi, lo + 1e-9))
    return "linear", float(values[0]), float(values[-1]), tuple(map(float, values))


def envelope(values: Array, span: int, buckets: int) -> tuple[Array, Array]:
    """The curve of ``values`` at steps 1, 2, ... as the picture can show it.

    Steps 0 … ``span`` fall into ``buckets`` equal columns (a pixel wide, say);
    each column keeps its first value, its smallest, its largest and its last, in
    that order — every value lies between the smallest and the largest drawn in
    its column, so the line has the extent of the full one at a small part of
    its cost (drawing 18 750 jagged steps takes Agg tens of milliseconds). Fewer
    than four values a column: all of them. NaNs are left out of the extremes.

    Returns:
        (steps, values) to draw.
    """
    steps = np.arange(1, values.size + 1, dtype=np.float64)
    if values.size <= 4 * buckets:
        return steps, values
    edges = np.linspace(0, max(span, values.size), buckets + 1)[1:-1]
    starts = np.unique(np.concatenate([[0], np.searchsorted(steps, edges)]))
    starts = starts[starts < values.size]
    ends = np.append(starts[1:], values.size) - 1
    with np.errstate(invalid="ignore"):  # a column of NaNs stays NaN
        low = np.fmin.reduceat(values, starts)
        high = np.fmax.reduceat(values, starts)
    middle = (steps[starts] + steps[ends]) / 2
    x = np.column_stack([steps[starts], middle, middle, steps[ends]]).ravel()
    y = np.column_stack([values[starts], low, high, values[ends]]).ravel()
    return x, y


def panel_rects(n: int) -> list[tuple[float, float, float, float]]:
    """(left, bottom, width, height) of n panels side by side, as subplots_adjust."""
    width = (_RIGHT - _LEFT) / (n + (n - 1) * _GAP)
    return [
        (_LEFT + i * width * (1 + _GAP), _BOTTOM, width, _TOP - _BOTTOM)
        for i in range(n)
    ]


def curve(ax: Any, **style: Any) -> Line2D:
    """An empty line on ``ax`` in this style (Line2D's keyword arguments)."""
    return add(ax, Line2D([], [], **style))


class LiveFigure:
    """The live view: the loss and accuracy curves and, for 2-D data, the boundary.

    ``begin`` starts a fit, ``update`` puts the records and the model's grid into
    the artists (and the frames), ``png`` renders and encodes the picture.

    Args:
        size: the figure's height in inches; each panel is as wide.
        points: (X, y, xs, ys) for the boundary panel: the points, their class
            ids, and the grid's coordinates; None for the curves only.
        dpi: pixels per inch of the picture.

    Attributes:
        figure, canvas: the matplotlib Figure and its Agg canvas.
        foreground: for each axes, the artists drawn at every drawing, in order.
        frame: (steps on the step axis, loss scale, bottom, top, loss ticks).
    """

    def __init__(
        self,
        size: float,
        points: tuple[Array, NDArray[np.int64], Array, Array] | None = None,
        dpi: float = 80,
    ) -> None:
        n = 2 if points is None else 3
        self.figure = fig = Figure(figsize=(size * n, size), dpi=dpi)
        self.canvas = FigureCanvasAgg(fig)
        rects = panel_rects(n)
        self.ax_loss = ax = fig.add_axes(rects[0])
        self.line_step = curve(ax, lw=0.8, alpha=0.6, color="C0")
        self.line_epoch = curve(ax, marker="o", ms=3, color="C1")
        self.line_val = curve(ax, marker="s", ls="--", ms=3, color="C2")
        title(ax, "Loss")
        self.loss_ticks = Ticks(ax, "x", "step"), Ticks(ax, "y", "loss")
        lines = [("step", self.line_step), ("epoch", self.line_epoch)]
        Key.of_lines(ax, [*lines, ("validation", self.line_val)], "upper right")
        self.ax_acc = ax = fig.add_axes(rects[1])
        self.acc_train = curve(ax, marker="o", ms=3, color="C0")
        self.acc_val = curve(ax, marker="s", ls="--", ms=3, color="C1")
        title(ax, "Accuracy")
        self.acc_ticks = Ticks(ax, "x", "step"), Ticks(ax, "y", "accuracy")
        ax.set_ylim(0, 1.02)
        ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        self.acc_ticks[1].set(ticks, [tick_label(t) for t in ticks])
        lines = [("training", self.acc_train), ("validation", self.acc_val)]
        Key.of_lines(ax, lines, "lower right")
        self.ax_boundary: Any = None
        if points is not None:
            self._boundary_panel(fig.add_axes(rects[2]), *points)
        # each axes' foreground: every artist above the background, in the order
        # matplotlib's own drawing stacks them (a stable sort by zorder)
        self.foreground = [
            sorted(
                (a for a in ax.get_children() if a is not ax.patch and a.zorder > BACK),
                key=lambda a: a.zorder,
            )
            for ax in fig.axes
        ]
        for artist in (a for layer in self.foreground for a in layer):
            artist.set_animated(True)  # left out of canvas.draw(): the background
        self.frame: tuple[Any, ...] = ()
        self.planned = 1
        self._background: Any = None
        self._background_frame: tuple[Any, ...] | None = None

    def _boundary_panel(
        self, ax: Any, X: Array, y: NDArray[np.int64], xs: Array, ys: Array
    ) -> None:
        self.ax_boundary = ax
        dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
        dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
        self.image = ax.imshow(
            np.ones((len(ys), len(xs), 3)),
            origin="lower",
            extent=(xs[0] - dx / 2, xs[-1] + dx / 2, ys[0] - dy / 2, ys[-1] + dy / 2),
            interpolation="bilinear",
        )
        # the points, a collection a class (Agg stamps a one-colour marker fast)
        for k in np.unique(y):
            ax.scatter(
                X[y == k, 0],
                X[y == k, 1],
                s=10,
                color=class_color(k),
                edgecolors="white",
                linewidths=0.4,
            )
        # the boundary: where the two largest outputs are equal (zorder of a contour)
        self.boundary_line = LineCollection([], colors="k", linewidths=1.2, zorder=2)
        ax.add_collection(self.boundary_line, autolim=False)
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(ys[0], ys[-1])
        ax.set_aspect("equal")
        self.title = NumberedTitle(ax, "Decision boundary (accuracy", "100.0%)")
        for ticks, lo, hi in (
            (Ticks(ax, "x", "x₁"), xs[0], xs[-1]),
            (Ticks(ax, "y", "x₂"), ys[0], ys[-1]),
        ):
            values = round_ticks(lo, hi)
            ticks.set(values, [tick_label(v) for v in values])
        dot = {"linestyle": "none", "marker": "o", "markersize": 3.2, "mec": "white"}
        entries = [
            (f"class {k}", {**dot, "color": class_color(k)}) for k in np.unique(y)
        ]
        Key(ax, entries, "upper right")

    # ---- a fit ------------------------------------------------------------------
    def begin(self, planned: int) -> None:
        """Start a fit of ``planned`` steps: the step axis spans them from now on."""
        self.planned = max(int(planned), 1)
        for line in (self.line_step, self.line_epoch, self.line_val):
            line.set_data([], [])
        for line in (self.acc_train, self.acc_val):
            line.set_data([], [])

    def frame_for(self, steps: int, lo: float, hi: float) -> tuple[Any, ...]:
        """The frames for ``steps`` steps and losses within [lo, hi].

        (steps on the axis, loss scale, bottom, top, loss ticks): the planned
        steps (doubled until they hold ``steps``) and ``loss_frame``'s axis.
        """
        span = self.planned
        while span < steps:
            span *= 2
        return (span, *loss_frame(lo, hi))

    def needs_background(self, steps: int, lo: float, hi: float) -> bool:
        """Whether showing this state redraws the background (a new frame)."""
        return (
            self._background is None
            or self.frame_for(steps, lo, hi) != self._background_frame
        )

    def update(
        self,
        step_losses: list[float],
        epoch_steps: list[int],
        epoch_logs: list[dict[str, float]],
        grid: DecisionGrid | None = None,
        accuracy: float | None = None,
    ) -> bool:
        """Put the records (and the model's grid) into the artists and the frames.

        Returns:
            Whether rendering this state redraws the background (a new frame).
        """
        losses = np.asarray(step_losses, dtype=np.float64)
        ep = np.asarray(epoch_steps)

        def column(name: str) -> Array:
            return np.array([lg.get(name, np.nan) for lg in epoch_logs], dtype=float)

        epoch_loss, val_loss = column("loss"), column("val_loss")
        self.line_epoch.set_data(ep, epoch_loss)
        self.line_val.set_data(ep, val_loss)
        self.acc_train.set_data(ep, column("accuracy"))
        self.acc_val.set_data(ep, column("val_accuracy"))
        every = np.concatenate([losses, epoch_loss, val_loss])
        every = every[np.isfinite(every)]
        lo, hi = (every.min(), every.max()) if every.size else (math.nan, math.nan)
        self._set_frame(self.frame_for(losses.size, float(lo), float(hi)))
        columns = int(self.ax_loss.bbox.width)  # a pixel each
        self.line_step.set_data(*envelope(losses, self.frame[0], columns))
        if grid is not None and self.ax_boundary is not None:
            self.image.set_data(region_colors(grid))
            self.boundary_line.set_segments(boundary_segments(grid))
            if accuracy is not None:
                self.title.set_number(f"{accuracy:.1%})")
        return self._background is None or self._background_frame != self.frame

    def _set_frame(self, frame: tuple[Any, ...]) -> None:
        if frame == self.frame:
            return
        self.frame = frame
        span, scale, bottom, top, loss_ticks = frame
        locator = MaxNLocator(nbins=4, steps=_ROUND, integer=True)
        steps = [float(t) for t in locator.tick_values(0, span) if 0 <= t <= span]
        for ax, ticks in (
            (self.ax_loss, self.loss_ticks),
            (self.ax_acc, self.acc_ticks),
        ):
            ax.set_xlim(-0.02 * span, 1.02 * span)
            ticks[0].set(steps, [f"{t:.0f}" for t in steps])
        self.ax_loss.set_yscale(scale)
        self.ax_loss.set_ylim(bottom, top)
        labels = [tick_label(t, scale == "log") for t in loss_ticks]
        self.loss_ticks[1].set(list(loss_ticks), labels)

    # ---- rendering --------------------------------------------------------------
    def render(self) -> None:
        """Draw the current state: the background if it is stale, the foreground."""
        if self._background is None or self._background_frame != self.frame:
            self.canvas.draw()  # animated artists (the foreground) are left out
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._background_frame = self.frame
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for layer in self.foreground:
            for artist in layer:
                artist.draw(renderer)

    def pixels(self) -> NDArray[np.uint8]:
        """The canvas as RGB pixels (height, width, 3), as last rendered."""
        return np.asarray(self.canvas.buffer_rgba())[..., :3]

    def png(self) -> bytes:
        """Render the current state and encode it as PNG."""
        self.render()
        return encode_png(self.pixels())


def encode_png(rgb: NDArray[np.uint8]) -> bytes:
    """A PNG file of an RGB image (height, width, 3): no row filter, zlib level 1.

    Filtering the rows (as Pillow does) makes the file a little smaller and costs
    more than the rest of the encoding: a redrawn figure is shown once.
    """
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0: none
    rows[:, 1:] = rgb.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    size = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", size + bytes([8, 2, 0, 0, 0]))  # 8-bit RGB, not interlaced
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


def boundary_segments(grid: DecisionGrid) -> list[Array]:
    """The boundary's polylines: where the two largest outputs are equal.

    One output: the line Ŷ = 0.5. k outputs: each predicted class's margin's zero
    line (``DecisionGrid.margins``). No line while the grid holds one class. The
    lines ``plots.decision_boundary`` draws: contourpy's mpl2014 algorithm, as
    matplotlib's ``contour`` uses.
    """
    if np.unique(grid.classes).size < 2:
        return []
    margins = grid.margins()
    if margins is None:
        fields, level = [np.asarray(grid.score, dtype=np.float64)], 0.5
    else:
        fields, level = [margins[c] for c in np.unique(grid.classes)], 0.0
    segments: list[Array] = []
    for z in fields:
        generator = contour_generator(
            grid.xs, grid.ys, z, name="mpl2014", line_type=LineType.SeparateCode
        )
        points, codes = generator.lines(level)  # type: ignore[misc]
        for xy, code in zip(points, codes, strict=True):  # split at each MOVETO
            starts = np.flatnonzero(np.asarray(code) == 1)
            segments += np.split(np.asarray(xy, dtype=np.float64), starts[1:])
    return segments
