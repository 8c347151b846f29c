r"""Your own data: a CSV file read into X and y, with text class labels mapped to ids.

The standard library's ``csv`` module splits the lines (quotes, delimiters) and NumPy
converts the columns; no pandas. Every feature cell must be a finite number; the
target column may hold numbers (regression) or any text (class labels). Class labels
become ids 0..k−1 in sorted order (numbers by value, text alphabetically), and the
result keeps the mapping both ways: ``classes[id]`` is the label.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "fruit.csv"
>>> _ = path.write_text("weight,colour_index,kind\n150,0.9,apple\n120,0.2,pear\n"
...                     "170,0.8,apple\n")
>>> data = load_csv(path, target="kind")
>>> data.X
array([[150. ,   0.9],
       [120. ,   0.2],
       [170. ,   0.8]], dtype=float32)
>>> data.y, data.classes
(array([0, 1, 0]), ('apple', 'pear'))
>>> data.decode([1, 0]).tolist(), data.encode(["pear"]).tolist()
(['pear', 'apple'], [1])
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["CSVData", "load_csv"]

Array = NDArray[Any]


class CSVData(NamedTuple):
    r"""What ``load_csv`` read: the arrays, the column names and the class mapping.

    Attributes:
        X: features, shape (m, n), one row per data line.
        y: targets, shape (m,): int64 class ids when the target is categorical,
            else floats.
        feature_names: the names of X's columns (the header, or "column i").
        target_name: the target column's name.
        classes: the class labels in id order (``classes[id]`` is the label), or None
            for a numeric target.

    >>> import pathlib, tempfile
    >>> import glassnet as gn
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "iris.csv"
    >>> _ = path.write_text("length,width,species\n5.1,3.5,setosa\n6.3,3.3,virginica\n")
    >>> data = gn.datasets.load_csv(path, target="species")
    >>> data.feature_names, data.target_name, data.classes
    (('length', 'width'), 'species', ('setosa', 'virginica'))
    >>> X, y, *_ = data                         # a NamedTuple: it unpacks
    >>> X.shape, data.decode(y).tolist()
    ((2, 2), ['setosa', 'virginica'])
    """

    X: Array
    y: Array
    feature_names: tuple[str, ...]
    target_name: str
    classes: tuple[str, ...] | None

    def decode(self, ids: ArrayLike) -> Array:
        """Class labels for class ids (e.g. a model's ``argmax`` predictions)."""
        if self.classes is None:
            raise ValueError(
                f"target {self.target_name!r} is numeric: it has no class labels."
            )
        ids = np.asarray(ids)
        k = len(self.classes)
        if ids.dtype.kind not in "iu" or (
            ids.size and (ids.min() < 0 or ids.max() >= k)
        ):
            raise ValueError(
                f"decode expected integer class ids in [0, {k}); got {ids!r}."
            )
        labels: Array = np.asarray(self.classes)[ids]
        return labels

    def encode(self, labels: Sequence[str] | ArrayLike) -> Array:
        """Class ids for class labels, as the file wrote them (e.g. ``"setosa"``)."""
        if self.classes is None:
            raise ValueError(
                f"target {self.target_name!r} is numeric: it has no class labels."
            )
        index = {label: i for i, label in enumerate(self.classes)}
        text = [str(label) for label in np.asarray(labels).ravel()]
        unknown = sorted({t for t in text if t not in index})
        if unknown:
            raise ValueError(
                f"unknown class labels {unknown}; the file's classes are "
                f"{list(self.classes)}."
            )
        return np.array([index[t] for t in text], dtype=np.int64)


def _number(cell: str) -> float | None:
    """The finite float a cell holds, or None."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _column(
    spec: str | int, names: list[str], has_header: bool, path: Path, what: str
) -> int:
    """The index of a column given by header name or by (possibly negative) index."""
    n = len(names)
    if isinstance(spec, str):
        if not has_header:
            raise ValueError(
                f"{path}: {what} {spec!r} is a column name, but the file has no header "
                f"row; give the column's index (0 to {n - 1}) instead."
            )
        if spec not in names:
            raise ValueError(
                f"{path}: no column named {spec!r} for the {what}; the header has "
                f"{names}."
            )
        return names.index(spec)
    if isinstance(spec, int) and not isinstance(spec, bool):
        if not -n <= spec < n:
            raise ValueError(
                f"{path}: {what} column index {spec} is out of range for {n} columns "
                f"(0 to {n - 1}, or negative from the end)."
            )
        return spec % n
    raise TypeError(
        f"{what} must be a column name (str) or index (int); got {type(spec).__name__}."
    )


class _Table(NamedTuple):
    """The file's cells once read: column names and the data rows, all one width."""

    path: Path
    names: list[str]
    rows: list[list[str]]
    lines: list[int]  # the file line on which each row ends, for messages
    has_header: bool


def _read_rows(path: Path, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The file's non-blank rows, cells stripped, and the line each row ends on."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines carry no data
            rows.append([cell.strip() for cell in row])
            lines.append(reader.line_num)
    return rows, lines


def _table(path: Path, delimiter: str, header: bool | None) -> _Table:
    """The file split into its header (given, guessed or made up) and data rows."""
    rows, lines = _read_rows(path, delimiter)
    if not rows:
        raise ValueError(f"{path}: the file has no rows.")
    if header is None:
        header = all(_number(cell) is None for cell in rows[0])
    width = len(rows[0])
    if header:
        names = rows[0]
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise ValueError(f"{path}: the file has a header row but no data rows.")
    else:
        names = [f"column {j}" for j in range(width)]
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise ValueError(
                f"{path}, line {line}: {len(row)} fields, but the "
                f"{'header' if header else 'first row'} has {width}. Check for a "
                f"missing or extra {delimiter!r} (or pass delimiter=)."
            )
    return _Table(path, names, rows, lines, header)


def _columns(
    table: _Table, target: str | int, features: Sequence[str | int] | None
) -> tuple[int, list[int]]:
    """The target's column index and the feature columns' indices, in X's order."""
    path, names, has_header = table.path, table.names, table.has_header
    t = _column(target, names, has_header, path, "target")
    if features is None:
        cols = [j for j in range(len(names)) if j != t]
    else:
        cols = [_column(c, names, has_header, path, "feature") for c in features]
        if t in cols:
            raise ValueError(
                f"{path}: column {names[t]!r} is both the target and a feature."
            )
    if not cols:
        raise ValueError(f"{path}: no feature columns besides the target.")
    return t, cols


def _features(table: _Table, cols: list[int], dtype: np.dtype[Any]) -> Array:
    """X: the feature columns as numbers, or an error naming the first bad cell."""
    X = np.empty((len(table.rows), len(cols)), dtype=dtype)
    for k, j in enumerate(cols):  # by column: errors name the first bad feature first
        for i, row in enumerate(table.rows):
            value = _number(row[j])
            if value is None:
                shown = "an empty cell" if not row[j] else repr(row[j])
                raise ValueError(
                    f"{table.path}, line {table.lines[i]}, column "
                    f"{table.names[j]!r} (index {j}): {shown} is not a finite "
                    "number. Features must be numbers; fill in missing values, or "
                    "leave the column out with features=[...]."
                )
            X[i, k] = value
    return X


def _targets(
    table: _Table, t: int, categorical: bool | None, dtype: np.dtype[Any]
) -> tuple[Array, tuple[str, ...] | None]:
    """The targets y and their class labels (None when numeric), from column t."""
    cells = [row[t] for row in table.rows]
    numbers = [_number(cell) for cell in cells]
    numeric = all(v is not None for v in numbers)
    if categorical is None:
        categorical = not numeric
    if categorical:
        return _class_ids(table, t, cells, numeric)
    if not numeric:
        i = next(i for i, v in enumerate(numbers) if v is None)
        raise ValueError(
            f"{table.path}, line {table.lines[i]}, target column {table.names[t]!r} "
            f"(index {t}): {cells[i]!r} is not a finite number, and "
            "categorical=False. Pass categorical=None to read text labels as classes."
        )
    y: Array = np.array(numbers, dtype=dtype)
    return y, None


def _class_ids(
    table: _Table, t: int, cells: list[str], numeric: bool
) -> tuple[Array, tuple[str, ...]]:
    """Class ids 0..k−1 for the labels in sorted order, and the labels in id order."""
    empty = [i for i, cell in enumerate(cells) if not cell]
    if empty:
        raise ValueError(
            f"{table.path}, line {table.lines[empty[0]]}, target column "
            f"{table.names[t]!r} (index {t}): an empty class label."
        )
    distinct = set(cells)
    if numeric:  # numeric labels in numeric order: "2" before "10"
        order = sorted(distinct, key=lambda c: (float(c), c))
    else:
        order = sorted(distinct)
    index = {label: i for i, label in enumerate(order)}
    return np.array([index[c] for c in cells], dtype=np.int64), tuple(order)


def load_csv(
    path: str | os.PathLike[str],
    target: str | int,
    *,
    features: Sequence[str | int] | None = None,
    header: bool | None = None,
    delimiter: str = ",",
    categorical: bool | None = None,
    dtype: DTypeLike = np.float32,
) -> CSVData:
    r"""Read a CSV file into features X and a target y.

    Args:
        path: the CSV file (UTF-8; a byte-order mark is ignored).
        target: the target column, by header name or by index (negative counts from
            the end: -1 is the last column).
        features: the feature columns (names or indices), in that order; default:
            every column but the target.
        header: whether the first row holds column names. None (default) decides
            from the file: the first row is a header when none of its cells is a
            number.
        delimiter: the field separator (";" or "\t" for other dialects).
        categorical: whether the target holds class labels. None (default): when
            any target cell is not a number. True maps numeric labels (e.g. 0/1) to
            ids as well; False requires numbers.
        dtype: the floating dtype of X (and of a numeric y); float32 by default.

    Returns:
        A ``CSVData`` (X, y, feature_names, target_name, classes).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, a row with the wrong number of fields, a missing
            or non-numeric feature value (naming its line and column), an unknown
            column, or a target that ``categorical=False`` cannot read as numbers.

    >>> import pathlib, tempfile
    >>> import glassnet as gn
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "area.csv"
    >>> _ = path.write_text("2,3,6\n4,5,20\n")   # all numbers: no header row
    >>> data = gn.datasets.load_csv(path, target=-1)
    >>> data.feature_names, data.y.tolist(), data.classes    # a numeric target
    (('column 0', 'column 1'), [6.0, 20.0], None)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CSV file.")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character; got {delimiter!r}.")
    table = _table(path, delimiter, header)
    t, cols = _columns(table, target, features)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"load_csv's dtype must be a floating type; got {dtype}.")
    X = _features(table, cols, dtype)
    y, classes = _targets(table, t, categorical, dtype)
    return CSVData(
        X=X,
        y=y,
        feature_names=tuple(table.names[j] for j in cols),
        target_name=table.names[t],
        classes=classes,
    )
