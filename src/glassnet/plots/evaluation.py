"""How well a trained model does.

Confusion matrix and misclassified digits for classifiers; predicted against true
values for regression.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from glassnet.plots._common import class_ids, new_figure
from glassnet.plots.data import digit_grid

__all__ = [
    "confusion_figure",
    "confusion_matrix",
    "misclassified_digits",
    "predicted_vs_true",
]


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
) -> NDArray[np.int64]:
    """Counts C[i, j] of samples of true class i predicted as class j; (k, k).

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 0, 2])
    array([[1, 0, 0],
           [1, 1, 0],
           [0, 0, 1]])
    """
    t, p = class_ids(y_true, "y_true"), class_ids(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(
            f"confusion_matrix needs one prediction per sample; got {t.shape[0]} true "
            f"labels and {p.shape[0]} predictions."
        )
    if t.size and min(t.min(), p.min()) < 0:
        raise ValueError("confusion_matrix needs class ids ≥ 0; got a negative one.")
    k = int(max(t.max(initial=0), p.max(initial=0))) + 1
    k = k if n_classes is None else max(int(n_classes), k)
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def confusion_figure(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    class_names: Sequence[str] | None = None,
    title: str = "Confusion matrix",
) -> Figure:
    """The confusion matrix as an image with a count in every cell.

    Rows are true classes, columns predicted; the diagonal holds the correct ones.
    Colours show the fraction of each true class (rows sum to 1).

    Returns:
        A Figure with the matrix axes and its colour bar.

    >>> import glassnet as gn
    >>> fig = gn.plots.confusion_figure([0, 1, 1, 2], [0, 1, 0, 2])
    >>> len(fig.axes), fig.axes[0].get_title()
    (2, 'Confusion matrix (accuracy 75.00%)')
    >>> [text.get_text() for text in fig.axes[0].texts][3:6]  # true class 1's row
    ['1', '1', '0']
    """
    C = confusion_matrix(y_true, y_pred)
    k = C.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else list(class_names)
    rows = C.sum(axis=1, keepdims=True)
    frac = np.divide(C, rows, out=np.zeros(C.shape), where=rows > 0)
    size = 2.2 + 0.45 * k
    fig = new_figure(size + 0.8, size)
    ax = fig.add_subplot()
    image = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    for i in range(k):
        for j in range(k):
            color = "white" if frac[i, j] > 0.5 else "black"
            ax.text(
                j,
                i,
                str(C[i, j]),
                ha="center",
                va="center",
                color=color,
                fontsize=8 if k > 6 else 10,
            )
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    acc = np.trace(C) / max(C.sum(), 1)
    ax.set(
        title=f"{title} (accuracy {acc:.2%})",
        xlabel="predicted class",
        ylabel="true class",
    )
    return fig


def misclassified_digits(
    images: ArrayLike, y_true: ArrayLike, y_pred: ArrayLike, *, n: int = 25
) -> Figure:
    """The first ``n`` wrongly classified images, each with predicted and true label.

    Returns:
        A Figure with one axes per digit shown (a single note when none is wrong).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> images = np.zeros((4, 3, 3))  # four tiny 3×3 images
    >>> fig = gn.plots.misclassified_digits(images, [0, 1, 1, 2], [0, 1, 2, 2])
    >>> fig.get_suptitle(), len(fig.axes), fig.axes[0].get_title()
    ('Misclassified: 1 of 4 (25.00%)', 1, 'pred 2 / true 1')
    """
    t, p = class_ids(y_true, "y_true"), class_ids(y_pred, "y_pred")
    wrong = np.flatnonzero(t != p)
    if wrong.size == 0:
        fig = new_figure(4, 1.5)
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            f"all {t.size} images are classified correctly",
            ha="center",
            va="center",
        )
        return fig
    images = np.asarray(images)
    return digit_grid(
        images[wrong],
        t[wrong],
        predicted=p[wrong],
        n=n,
        title=f"Misclassified: {wrong.size} of {t.size} ({wrong.size / t.size:.2%})",
    )


def predicted_vs_true(
    y_true: ArrayLike, y_pred: ArrayLike, *, title: str = "Predicted against true"
) -> Figure:
    """Regression: each prediction against its target, with the line ŷ = y.

    Several outputs are drawn in different colours. R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)²
    is in the title.

    Returns:
        A Figure with one axes.

    >>> import glassnet as gn
    >>> fig = gn.plots.predicted_vs_true([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
    >>> fig.axes[0].get_title()  # R² = 1 − 0.06 / 2
    'Predicted against true (R² = 0.9700)'
    """
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    t = t.reshape(t.shape[0], -1) if t.ndim else t
    p = p.reshape(p.shape[0], -1) if p.ndim else p
    if t.shape != p.shape or t.size == 0:
        raise ValueError(
            f"predicted_vs_true needs y_true and y_pred of the same shape; got "
            f"{np.shape(y_true)} and {np.shape(y_pred)}."
        )
    ss_res = float(((p - t) ** 2).sum())
    ss_tot = float(((t - t.mean(axis=0)) ** 2).sum())
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    fig = new_figure(4.6, 4.4)
    ax = fig.add_subplot()
    for j in range(t.shape[1]):
        ax.scatter(
            t[:, j],
            p[:, j],
            s=10,
            alpha=0.7,
            label=f"output {j}" if t.shape[1] > 1 else "samples",
        )
    lo = float(min(t.min(), p.min()))
    hi = float(max(t.max(), p.max()))
    ax.plot([lo, hi], [lo, hi], "k--", linewidth=1, label="ŷ = y")
    ax.set(title=f"{title} (R² = {r2:.4f})", xlabel="true y", ylabel="predicted ŷ")
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig
