"""Your own data on the command line: ``--data my.csv --target label``.

``read_table`` reads the CSV file (``datasets.load_csv``: header names or indices,
text labels mapped to ids, errors naming line and column); ``table_experiment``
gives it reference settings that fit the task (classification when the target holds
class labels, regression otherwise); ``table_data`` splits and scales it as
``load_data`` does a built-in data set. ``read_feature_rows`` reads the inputs of
``predict`` from a CSV file with a header, by the saved model's feature names.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet import datasets, demos
from glassnet.cli.data import DATASETS, MAX_INPUT_BYTES, Data, split_and_scale
from glassnet.cli.errors import UsageError, count
from glassnet.cli.paths import regular_file

__all__ = [
    "has_header",
    "is_table",
    "read_feature_rows",
    "read_table",
    "table_data",
    "table_experiment",
]

Array = NDArray[Any]


def is_table(name: str) -> bool:
    """Whether ``--data name`` is a file rather than one of the built-in DATASETS.

    A built-in name wins; anything else is a file (it must exist), so a typo of a
    built-in name that is no file gets the list of both kinds.
    """
    if name in DATASETS:
        return False
    if Path(name).exists() or Path(name).suffix.lower() in (".csv", ".txt", ".tsv"):
        return True
    raise UsageError(
        f"unknown data set {name!r}; expected one of: {', '.join(DATASETS)}, or a "
        "CSV file with --target COLUMN."
    )


def read_table(
    path: str,
    target: str | None,
    categorical: bool | None,
    features: str | list[str] | None = None,
) -> datasets.CSVData:
    """The CSV file ``path`` with ``target`` (a header name, or else an index).

    ``features`` ("a,b,c" as --features gives it, or a list: names or indices)
    chooses the input columns; by default every column but the target.

    Raises:
        UsageError: no --target, not a regular file, too large, or anything
            ``load_csv`` refuses (unknown column, naming the columns there are; a
            non-numeric feature, naming its line and column).
    """
    if target is None:
        raise UsageError(
            f"--data {path} is a CSV file: say which column to predict with --target "
            "COLUMN (its header name, or its index from 0)."
        )
    p = regular_file(path, "CSV file")
    size = p.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise UsageError(
            f"{path}: {size} bytes is more than glassnet reads at once "
            f"({MAX_INPUT_BYTES // 2**20} MiB)."
        )
    delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
    columns = None
    if isinstance(features, list):
        columns = features
    elif features is not None:
        columns = [c.strip() for c in features.split(",") if c.strip()]
        if not columns:
            raise UsageError(f"--features {features!r} names no column.")
    try:
        return _load(p, target, columns, categorical, delimiter)
    except UnicodeDecodeError:
        raise UsageError(
            f"{path}: not a UTF-8 text file; expected a CSV file."
        ) from None
    except (ValueError, TypeError) as exc:  # in the options' terms
        message = str(exc).replace("features=[...]", "--features COLUMN,COLUMN,…")
        message = message.replace("categorical=None", "no --no-categorical")
        message = message.replace("categorical=False", "--no-categorical")
        raise UsageError(message) from None


def _load(
    p: Path,
    target: str,
    columns: list[str] | None,
    categorical: bool | None,
    delimiter: str,
) -> datasets.CSVData:
    """``load_csv`` with each column given by header name or, failing that, index.

    A file without a header (or without a column of that name) takes "2" as the
    index 2, so both spellings work on every file.
    """
    names = [target, *(columns or [])]
    specs: list[str | int] = list(names)
    for _ in range(2):
        try:
            return datasets.load_csv(
                p,
                specs[0],
                features=None if columns is None else specs[1:],
                categorical=categorical,
                delimiter=delimiter,
            )
        except ValueError as exc:  # a header without that name: an index, then?
            text = str(exc)
            if "no column named" not in text and "no header row" not in text:
                raise
            as_index = [int(n) if n.lstrip("-").isdigit() else n for n in names]
            if as_index == specs:
                raise
            specs = as_index
    raise AssertionError("unreachable")  # pragma: no cover


def table_experiment(table: datasets.CSVData, path: str) -> demos.Experiment:
    """Reference settings for a CSV file: an MLP 32-32 that fits its task.

    Two classes: a sigmoid output with binary cross-entropy; more: softmax with
    cross-entropy; a numeric target: an identity output with MSE. Inputs (and a
    numeric target) are standardized with the training part's statistics.
    """
    k = 0 if table.classes is None else len(table.classes)
    output, loss = (
        ("identity", "mse") if k == 0 else ("sigmoid", "bce") if k == 2 else
        ("softmax", "ce")
    )  # fmt: skip
    task = "regression" if k == 0 else f"{k} classes"
    return demos.Experiment(
        path,
        f"{Path(path).name}: {table.target_name!r} from "
        f"{count(len(table.feature_names), 'feature')} ({task})",
        hidden=[32, 32],
        output=output,
        loss=loss,
        epochs=100,
        batch_size=32,
        standardize=True,
    )


def table_data(table: datasets.CSVData, exp: demos.Experiment, path: str) -> Data:
    """The CSV file's rows split and scaled as ``exp`` says (like ``load_data``)."""
    k = 0 if table.classes is None else len(table.classes)
    if k == 1:
        label = table.classes[0] if table.classes else ""
        raise UsageError(
            f"{path}: the target {table.target_name!r} holds one class only "
            f"({label!r}); a classifier needs two or more."
        )
    what = (
        "a numeric target (regression)"
        if k == 0
        else f"{k} classes ({', '.join(table.classes or ())})"
    )
    desc = (
        f"{path}: {count(len(table.X), 'row')}, "
        f"{count(len(table.feature_names), 'feature')}; target "
        f"{table.target_name!r}, {what}"
    )
    data = split_and_scale(table.X, table.y, k, exp, desc)
    data.features = table.feature_names
    data.target = table.target_name
    data.labels = table.classes
    return data


def read_feature_rows(path: Path, features: list[str]) -> Array:
    """The columns ``features`` (by header name) of a CSV file with a header row.

    Other columns (the target, an id) are ignored, so the training file itself can
    be given to ``predict``.

    Raises:
        UsageError: a feature missing from the header (naming the columns there
            are), a row of another length, or a cell that is not a finite number
            (naming its line and column).
    """
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise UsageError(
            f"{path}: more than predict reads at once ({MAX_INPUT_BYTES // 2**20} "
            "MiB); split it into smaller files."
        )
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [cell.strip() for cell in next(reader, [])]
        missing = [name for name in features if name not in header]
        if missing:
            raise UsageError(
                f"{path}: no column {', '.join(map(repr, missing))} in the header; "
                f"the model reads {features}, the file has {header}."
            )
        columns = [header.index(name) for name in features]
        rows: list[list[float]] = []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise UsageError(
                    f"{path}, line {line}: {len(row)} fields, but the header has "
                    f"{len(header)}."
                )
            values = []
            for j in columns:
                try:
                    value = float(row[j])
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):
                    raise UsageError(
                        f"{path}, line {line}, column {header[j]!r}: {row[j].strip()!r}"
                        " is not a finite number."
                    )
                values.append(value)
            rows.append(values)
    if not rows:
        raise UsageError(f"{path}: a header but no rows to predict.")
    return np.array(rows, dtype=np.float64)


def has_header(path: Path) -> bool:
    """Whether the first non-blank line of a CSV file holds no number at all.

    Reads at most its first 64 KiB (a binary file or a huge line is left to the
    reader that refuses it).
    """
    with path.open("rb") as f:
        head = f.read(2**16).decode("utf-8-sig", errors="replace")
    for row in csv.reader(head.splitlines()):
        cells = [cell.strip() for cell in row if cell.strip()]
        if cells:
            return "\ufffd" not in head and all(_not_number(c) for c in cells)
    return False


def _not_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return True
    return False
