r"""Reading uploaded points: a CSV text of rows x1,x2,label, checked and capped.

Labels that are all whole numbers 0 to 7 make a classification problem; any other
numbers make a regression problem (targets clipped to [−1, 1]). Points outside
[−6, 6]² are scaled down together to fit, keeping their shape.

>>> X, y = parse_points("x1,x2,label\n1,2,0\n-1,0.5,1\n0,0,0\n3,3,1\n")
>>> X[:2].tolist(), y.tolist()
([[1.0, 2.0], [-1.0, 0.5]], [0, 1, 0, 1])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.playground.config import MAX_POINTS
from glassnet.playground.data import DOMAIN

__all__ = ["MAX_UPLOAD_CHARS", "parse_points"]

Array = NDArray[Any]
MAX_UPLOAD_CHARS = 200_000


def parse_points(text: str) -> tuple[Array, Array]:
    """Points X (m, 2) float32 and labels (int64) or targets (float32) y from CSV text.

    Raises:
        ValueError: the text is too long, has too many or too few rows, or a row is
            not three finite numbers; the message names the row.
    """
    if not isinstance(text, str):
        raise ValueError(f"the upload must be CSV text; got {type(text).__name__}.")
    if len(text) > MAX_UPLOAD_CHARS:
        raise ValueError(
            f"the upload has {len(text)} characters; at most {MAX_UPLOAD_CHARS} are "
            "accepted."
        )
    rows: list[list[float]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            if not rows and n == 1:  # a header
                continue
            raise ValueError(
                f"row {n} of the upload is not numbers: {line!r:.60}."
            ) from None
        if len(values) != 3 or not all(math.isfinite(v) for v in values):
            raise ValueError(
                f"row {n} of the upload must be three finite numbers x1,x2,label; "
                f"got {line!r:.60}."
            )
        rows.append(values)
        if len(rows) > MAX_POINTS:
            raise ValueError(f"the upload has more than {MAX_POINTS} points.")
    if len(rows) < 4:
        raise ValueError(f"the upload needs at least 4 points; got {len(rows)}.")
    data = np.array(rows)
    X, labels = data[:, :2], data[:, 2]
    top = np.abs(X).max()
    if top > DOMAIN:
        X = X * (DOMAIN / top)
    if np.all(labels == np.rint(labels)) and labels.min() >= 0 and labels.max() <= 7:
        if len(np.unique(labels)) < 2:
            raise ValueError("the upload's labels must name at least 2 classes.")
        return X.astype(np.float32), labels.astype(np.int64)
    return X.astype(np.float32), np.clip(labels, -1, 1).astype(np.float32)
