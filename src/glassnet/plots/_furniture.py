"""Axes furniture from plain artists, placed once: ticks, axis labels, titles, keys.

matplotlib's Axis measures every tick label at each drawing to find where its
axis label goes, and a Legend packs its entries in offset boxes at each drawing.
LivePlot's panels have fixed frames, so here every position is worked out once,
in points from a side or corner of the axes, and every text is a ``Label``
(pixels rendered once a process). Sizes are matplotlib's defaults.
"""

from __future__ import annotations

import weakref
from typing import Any

from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT, MarkerStyle
from matplotlib.patches import Rectangle
from matplotlib.transforms import Affine2D, ScaledTranslation, TransformedPatchPath

from glassnet.plots._label import Label, sprite

__all__ = ["BACK", "Key", "NumberedTitle", "Ticks", "add", "text_width", "title"]

BACK = -1.0  # the zorder of what lies outside the data area: below everything
_KEY_FONT = 7.0  # points, as matplotlib's "x-small"

_CLIPS: weakref.WeakKeyDictionary[Any, TransformedPatchPath] = (
    weakref.WeakKeyDictionary()
)


def add(ax: Any, artist: Any) -> Any:
    """Add ``artist`` to ``ax``, clipped by the axes' one shared clip path.

    (``ax.text`` and ``add_artist`` make a clip path for each artist, a good part
    of the time building a figure takes.) Returns the artist.
    """
    clip = _CLIPS.get(ax)
    if clip is None:
        clip = _CLIPS[ax] = TransformedPatchPath(ax.patch)
    artist.set_clip_path(clip)
    return ax.add_artist(artist)


def shifted(ax: Any, base: Any, dx: float, dy: float) -> Any:
    """``base`` followed by a shift of (dx, dy) points."""
    fig = ax.get_figure()
    return base + ScaledTranslation(dx / 72, dy / 72, fig.dpi_scale_trans)


def points_from(ax: Any, x: float, y: float) -> Any:
    """The transform of coordinates in points from the axes point (x, y)."""
    fig = ax.get_figure()
    return (
        Affine2D().scale(1 / 72)
        + fig.dpi_scale_trans
        + ScaledTranslation(x, y, ax.transAxes)
    )


def text_width(ax: Any, text: str, size: float) -> float:
    """The width of a line of plain text (its ink) in points at the axes' dpi."""
    dpi = float(ax.get_figure().dpi)
    pixels = sprite(text, size, "black", "left", "baseline", 0.0, dpi)[0]
    return pixels.shape[1] * 72 / dpi


def title(ax: Any, text: str) -> Label:
    """A title where matplotlib puts one: 12 points, 6 points above the axes."""
    at = shifted(ax, ax.transAxes, 0, 6)
    label = Label(0.5, 1.0, text, transform=at, size=12, ha="center", zorder=BACK)
    return add(ax, label)


class NumberedTitle:
    """A title that ends in a changing number: "Decision boundary (accuracy 97.3%)".

    The words are background, placed once as if the number were ``widest``; the
    number is a Label of its own after them, so a new number redraws a few
    glyphs (and each number's pixels are rendered once a process).
    """

    SIZE, SPACE = 12.0, 0.32  # points; a space is 0.32 em wide

    def __init__(self, ax: Any, words: str, widest: str) -> None:
        self.words = words
        w_words = text_width(ax, words, self.SIZE)
        space = self.SPACE * self.SIZE
        left = -(w_words + space + text_width(ax, widest, self.SIZE)) / 2
        at = points_from(ax, 0.5, 1.0)  # in points from the middle of the top
        add(ax, Label(left + w_words, 6.0, words, transform=at, size=self.SIZE,
                      ha="right", zorder=BACK))  # fmt: skip
        self.number = add(ax, Label(left + w_words + space, 6.0, "", transform=at,
                                    size=self.SIZE, zorder=3.0))  # fmt: skip

    def set_number(self, number: str) -> None:
        """Show ``number`` after the words."""
        self.number.set_text(number)

    def get_text(self) -> str:
        """The whole title."""
        return f"{self.words} {self.number.get_text()}".rstrip()


class Ticks:
    """The tick marks, tick labels and axis label of one side of an axes.

    Args:
        ax: the axes; its own Axis on that side is hidden.
        side: "x" (below the axes) or "y" (left of them).
        label: the axis label.
    """

    LENGTH, PAD, SIZE, LABEL_PAD = 3.5, 3.5, 10.0, 4.0  # points

    def __init__(self, ax: Any, side: str, label: str) -> None:
        self.ax, self.x = ax, side == "x"
        getattr(ax, f"{side}axis").set_visible(False)
        # x ticks: x in data, y in axes coordinates; y ticks the other way round
        along = ax.get_xaxis_transform() if self.x else ax.get_yaxis_transform()
        gap = self.LENGTH + self.PAD
        self.at = shifted(ax, along, *((0, -gap) if self.x else (-gap, 0)))
        self.marks = add(
            ax,
            Line2D(
                [],
                [],
                linestyle="none",
                marker=MarkerStyle(TICKDOWN if self.x else TICKLEFT),
                markersize=self.LENGTH,
                markeredgewidth=0.8,
                color="black",
                transform=along,
                clip_on=False,
                zorder=BACK,
            ),
        )
        self.label = add(
            ax,
            Label(
                0.5 if self.x else 0.0,
                0.0 if self.x else 0.5,
                label,
                transform=ax.transAxes,
                size=self.SIZE,
                ha="center",
                va="top" if self.x else "bottom",
                rotation=0 if self.x else 90,
                zorder=BACK,
            ),
        )
        self.texts: list[Label] = []

    def set(self, values: list[float], labels: list[str]) -> None:
        """Put the ticks at ``values`` (data coordinates) with these labels."""
        ax = self.ax
        for text in self.texts:
            text.remove()
        zeros = [0.0] * len(values)
        self.marks.set_data((values, zeros) if self.x else (zeros, values))
        self.texts = [
            add(
                ax,
                Label(
                    *((v, 0.0) if self.x else (0.0, v)),
                    text,
                    transform=self.at,
                    size=self.SIZE,
                    ha="center" if self.x else "right",
                    va="top" if self.x else "center_baseline",
                    zorder=BACK,
                ),
            )
            for v, text in zip(values, labels, strict=True)
        ]
        # the axis label clear of the tick labels: below their line (a line of
        # text is 1.16 × its size high), or left of the widest of them
        if self.x:
            room = 1.16 * self.SIZE
        else:
            room = max((text_width(ax, s, self.SIZE) for s in labels), default=0.0)
        gap = self.LENGTH + self.PAD + room + self.LABEL_PAD
        shift = (0, -gap) if self.x else (-gap, 0)
        self.label.set_transform(shifted(ax, ax.transAxes, *shift))


class Key:
    """A legend of a few plain artists in a corner of an axes, laid out once.

    Each entry is a short sample of its line (colour, style, marker) beside its
    label, on a white box, as matplotlib's legend draws it at "x-small".

    Args:
        ax: the axes.
        entries: (label, Line2D keyword arguments of the sample) for each row.
        loc: "upper right" or "lower right".
    """

    def __init__(self, ax: Any, entries: list[tuple[str, dict[str, Any]]], loc: str):
        widest = max(text_width(ax, label, _KEY_FONT) for label, _ in entries)
        pad, row, sample, gap = 3.0, 9.5, 14.0, 3.0
        width = 2 * pad + sample + gap + widest
        height = 2 * pad + row * len(entries)
        upper = loc == "upper right"
        # in points from the corner: the box's lower left, then each row's middle
        at = points_from(ax, 1.0, 1.0 if upper else 0.0)
        x0, y0 = -4.0 - width, (-4.0 - height) if upper else 4.0
        box = Rectangle(
            (x0, y0),
            width,
            height,
            transform=at,
            facecolor="white",
            edgecolor="#cccccc",
            linewidth=0.8,
            alpha=0.8,
            zorder=5,
        )
        self.artists: list[Any] = [add(ax, box)]
        x = x0 + pad
        for i, (label, style) in enumerate(entries):
            y = y0 + height - pad - (i + 0.5) * row
            line = Line2D(
                [x, x + sample / 2, x + sample],
                [y, y, y],
                transform=at,
                markevery=[1],
                zorder=5.1,
                **style,
            )
            text = Label(
                x + sample + gap,
                y,
                label,
                transform=at,
                size=_KEY_FONT,
                va="center_baseline",
                zorder=5.1,
            )
            self.artists += [add(ax, line), add(ax, text)]

    @staticmethod
    def of_lines(ax: Any, lines: list[tuple[str, Line2D]], loc: str) -> Key:
        """A key whose samples copy the style of these lines."""
        entries = [
            (label, {
                "color": line.get_color(),
                "linestyle": line.get_linestyle(),
                "linewidth": line.get_linewidth(),
                "marker": line.get_marker(),
                "markersize": line.get_markersize(),
                "alpha": line.get_alpha(),
            })
            for label, line in lines
        ]  # fmt: skip
        return Key(ax, entries, loc)
