"""Data for the command: the rows that ``predict`` is given, read safely.

``read_inputs`` reads a .npy or .csv file of inputs, refusing (in one line that says
where) anything that is not a table of finite numbers. The data sets by name, their
split and scaling (``load_data``) are in ``glassnet.cli.data_sets``, and the data a
saved model is measured on (``model_and_data``) in ``glassnet.cli.model_data``; both
are re-exported here, the one place the commands take their data from.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.cli.data_sets import (
    DATASETS,
    Data,
    check_dataset,
    load_data,
    split_and_scale,
    targets_for,
)
from glassnet.cli.errors import UsageError
from glassnet.cli.model_data import model_and_data, scales
from glassnet.cli.paths import regular_file

__all__ = [
    "DATASETS",
    "MAX_INPUT_BYTES",
    "Data",
    "check_dataset",
    "load_data",
    "model_and_data",
    "read_inputs",
    "scales",
    "split_and_scale",
    "targets_for",
]

Array = NDArray[Any]


def _csv_problem(path: Path) -> str | None:
    """Where a CSV file stops being a table of finite numbers (lines, columns from 1).

    Only called once NumPy has refused the file (or found NaN in it), to say exactly
    which value is wrong; None when this line-by-line reading finds nothing.
    """
    width = None
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            fields = line.split("#", 1)[0].strip()
            if not fields:  # blank lines and comments, as np.loadtxt skips them
                continue
            values = fields.split(",")
            for column, text in enumerate(values, start=1):
                try:
                    value = float(text)
                except ValueError:
                    return f"line {number}, column {column} is {text.strip()!r}"
                if not math.isfinite(value):
                    return f"line {number}, column {column} is {text.strip()}"
            if width is not None and len(values) != width:
                return (
                    f"line {number} has {len(values)} value(s) but the lines before "
                    f"it have {width}"
                )
            width = len(values)
    return "the file holds no rows" if width is None else None


# The most bytes predict reads (a CSV of this size needs several times as much memory).
MAX_INPUT_BYTES = 256 * 2**20
_NPY_MAGIC = b"\x93NUMPY"


def _read_npy(p: Path, size: int) -> Array:
    """A numeric .npy array, its header checked against the file's size before reading.

    The header (read with ``numpy.lib.format``, never pickled) declares dtype and
    shape; a shape that needs more or fewer bytes than the file holds is refused
    before anything is allocated.
    """
    from numpy.lib import format as npformat

    with p.open("rb") as f:
        try:
            version = npformat.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = npformat.read_array_header_2_0(f)
            else:
                raise ValueError(f"format version {version} is not read here")
        except Exception as exc:  # numpy's header parser raises
            # ValueError, SyntaxError, EOFError and tokenize.TokenError on junk
            raise UsageError(
                f"{p}: not a readable .npy file ({exc}); save it with numpy.save."
            ) from None
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biuf":
            raise UsageError(
                f"{p}: expected a .npy array of numbers; got dtype {dtype}. Save the "
                "inputs as floats (x.astype(float))."
            )
        count = math.prod(shape)
        needed = f.tell() + count * dtype.itemsize
        if needed != size:
            what = "truncated" if size < needed else "has trailing bytes"
            raise UsageError(
                f"{p}: {what}: its header says shape {shape} of {dtype}, which needs "
                f"{needed} bytes; the file has {size}."
            )
        if len(shape) not in (1, 2):
            raise UsageError(
                f"{p}: expected a table (m, n_in) or one sample (n_in,); got shape "
                f"{shape}."
            )
        flat = np.fromfile(f, dtype=dtype, count=count)
    return flat.reshape(shape, order="F" if fortran else "C")


def read_inputs(path: str) -> Array:
    """A 2-D array of finite numbers from a .npy (never pickled) or .csv/.txt file.

    The file must be a regular file of at most MAX_INPUT_BYTES; a .npy file's header
    is checked against its size before its numbers are read.

    Raises:
        UsageError: no such file, not a regular file, empty or too large, not
            numbers, not a table, or a NaN or infinite value; the message says which
            line (or row) and column.
    """
    p = regular_file(path, "input file")
    size = p.stat().st_size
    if size == 0:
        raise UsageError(
            f"{path}: the input file is empty; expected comma-separated numbers, one "
            "sample per line, or a .npy array."
        )
    if size > MAX_INPUT_BYTES:
        raise UsageError(
            f"{path}: {size} bytes is more than predict reads at once "
            f"({MAX_INPUT_BYTES // 2**20} MiB); split it into smaller files."
        )
    with p.open("rb") as f:
        head = f.read(len(_NPY_MAGIC))
    npy = p.suffix.lower() == ".npy"
    if head.startswith(b"PK"):
        raise UsageError(
            f"{path}: a zip archive (a .npz file?); predict reads one table: a .npy "
            "array (numpy.save) or a .csv file."
        )
    if npy != head.startswith(_NPY_MAGIC):
        raise UsageError(
            f"{path}: named .npy but not a NumPy .npy file; give a .npy array "
            "written by numpy.save, or a .csv file named .csv."
            if npy
            else f"{path}: a NumPy .npy file under another name; name it "
            f"{p.with_suffix('.npy').name}."
        )
    csv = not npy
    if not csv:
        X = _read_npy(p, size).astype(np.float64)
    else:
        try:
            with warnings.catch_warnings():  # an empty file: reported below instead
                warnings.simplefilter("ignore", UserWarning)
                X = np.loadtxt(p, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError as exc:  # UnicodeDecodeError too: a binary file
            where = _csv_problem(p) or str(exc).rstrip(".")
            raise UsageError(
                f"{path}: expected comma-separated numbers, one sample per line "
                f"(no header); {where}."
            ) from None
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise UsageError(
            f"{path}: expected a table (m, n_in) with m ≥ 1 and n_in ≥ 1; got "
            f"{X.shape}."
        )
    if not np.all(np.isfinite(X)):
        row, column = (int(i) + 1 for i in np.argwhere(~np.isfinite(X))[0])
        cell = f"row {row}, column {column}"
        value = X[row - 1, column - 1]
        where = (
            _csv_problem(p) or f"{cell} is {value}"
            if csv
            else f"{cell} (counting from 1) is {value}"
        )
        raise UsageError(f"{path}: inputs must be finite numbers; {where}.")
    return X
