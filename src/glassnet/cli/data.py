"""Data for the command: the data sets by name, their split and scaling, input files.

``load_data`` generates (or reads, for MNIST) the data of an experiment and splits and
standardizes it the way training saw it; ``model_and_data`` does the same for a saved
model, from its metadata; ``read_inputs`` reads the rows that ``predict`` is given.
"""

from __future__ import annotations

import argparse
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet import datasets, demos
from glassnet.cli.errors import UsageError, count
from glassnet.cli.network import LOSSES, load_model
from glassnet.cli.paths import regular_file
from glassnet.layers import Dense
from glassnet.model import Sequential

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
DATASETS = ("circles", "moons", "spirals", "xor", "area", "mnist")


def check_dataset(name: str) -> str:
    """``name`` when it is one of DATASETS; else a UsageError that lists them."""
    if name not in DATASETS:
        raise UsageError(
            f"unknown data set {name!r}; expected one of: {', '.join(DATASETS)}."
        )
    return name


@dataclass
class Data:
    """A train/test split, as the model sees it, plus how it was scaled."""

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    classes: int  # 0 for regression
    description: str
    x_scale: datasets.Standardizer | None = None
    y_scale: datasets.Standardizer | None = None
    # a CSV file's column names and class labels (None for the built-in data)
    features: tuple[str, ...] | None = None
    target: str | None = None
    labels: tuple[str, ...] | None = None


def load_data(exp: demos.Experiment, data_dir: str | None = None) -> Data:
    """Generate or read ``exp.data``, split it, and scale it as ``exp`` says."""
    name = check_dataset(exp.data)
    if name == "mnist":
        (X_tr, y_tr), (X_te, y_te) = datasets.load_mnist(data_dir)
        if exp.n_samples is not None:
            X_tr, y_tr = X_tr[: exp.n_samples], y_tr[: exp.n_samples]
        where = datasets.mnist_dir(data_dir)
        desc = f"MNIST from {where}: {len(X_tr)} training, {len(X_te)} test images"
        return Data(X_tr, y_tr, X_te, y_te, 10, desc)
    n, noise, seed = exp.n_samples, exp.noise, exp.seed
    kwargs: dict[str, Any] = {"n_samples": n, "noise": noise}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if name == "circles":
        kwargs["factor"] = 0.3
    kwargs["seed"] = seed
    maker = getattr(datasets, f"make_{name}")
    try:
        X, y = maker(**kwargs)
    except (ValueError, TypeError) as exc:  # said in the options' terms
        message = str(exc).replace(f"make_{name}'s", f"the {name} data's")
        message = message.replace(f"make_{name}", f"the {name} data")
        message = message.replace("n_samples", "--n-samples").replace(
            "noise", "--noise"
        )
        raise UsageError(message) from None
    classes = 0 if name == "area" else int(y.max()) + 1
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return split_and_scale(X, y, classes, exp, f"make_{name}({args})", "--n-samples")


def split_and_scale(
    X: Array,
    y: Array,
    classes: int,
    exp: demos.Experiment,
    description: str,
    more: str = "rows",
) -> Data:
    """Split X, y as ``exp`` says (stratified for classes) and standardize if asked.

    The statistics are those of the training part only; a regression's targets are
    standardized too. ``more`` names what to give more of when a part is empty.
    """
    try:
        X_tr, X_te, y_tr, y_te = datasets.train_test_split(
            X, y, test_size=exp.test_size, seed=exp.seed, stratify=classes > 0
        )
    except ValueError:
        raise UsageError(
            f"--test-size {exp.test_size:g} of {len(X)} samples leaves the training "
            "or the test part empty (or a class without samples); give more "
            f"{more} or another --test-size."
        ) from None
    desc = (
        f"{description}; {exp.test_size:.0%} held out → {len(X_tr)} train, "
        f"{len(X_te)} test"
    )
    data = Data(X_tr, y_tr, X_te, y_te, classes, desc)
    if exp.standardize:
        data.x_scale = datasets.Standardizer.fit(X_tr)
        data.X_train = data.x_scale.transform(X_tr)
        data.X_test = data.x_scale.transform(X_te)
        data.description += "; inputs standardized"
        if classes == 0:
            data.y_scale = datasets.Standardizer.fit(y_tr)
            data.y_train = data.y_scale.transform(y_tr)
            data.y_test = data.y_scale.transform(y_te)
            data.description += " and targets"
    return data


def targets_for(exp: demos.Experiment, data: Data) -> tuple[int, Any]:
    """The number of outputs and a function mapping labels to the loss's targets."""
    if exp.loss not in LOSSES:
        raise UsageError(
            f"unknown loss {exp.loss!r}; expected one of: {', '.join(LOSSES)}."
        )
    k = data.classes
    if k == 0:
        if exp.loss != "mse":
            raise UsageError(
                f"the {exp.data} data are a regression: use --loss mse, not {exp.loss}."
            )
        return 1, lambda y: y
    if exp.loss == "bce":
        if k != 2:
            raise UsageError(
                f"--loss bce needs two classes; {exp.data} has {k}: use --loss ce "
                "with --output softmax."
            )
        return 1, lambda y: y
    if exp.loss == "ce":
        return k, lambda y: y
    if k == 2:  # mse on two classes: one output regressed onto 0/1
        return 1, lambda y: y.astype(np.float32)
    return k, lambda y: datasets.one_hot(y, k)


def scales(meta: dict[str, Any]) -> tuple[Any, Any]:
    """The input and target Standardizers saved in a model's metadata (or None)."""

    def get(key: str) -> datasets.Standardizer | None:
        s = meta.get(key)
        return None if s is None else datasets.Standardizer(s["mean"], s["std"])

    return get("x_scale"), get("y_scale")


def model_and_data(
    args: argparse.Namespace,
) -> tuple[Sequential, demos.Experiment, Data]:
    """The model file ``args.model`` and the data it is measured on, scaled as saved.

    By default the data set, seed and split it was trained with (from its metadata);
    ``args.data``, ``args.seed``, ``args.n_samples`` and ``args.test_size`` override.
    """
    model, meta = load_model(args.model)
    saved = meta.get("experiment") or {}
    known = {f for f in demos.Experiment.__dataclass_fields__}
    base = (
        demos.Experiment(**{k: v for k, v in saved.items() if k in known})
        if (saved)
        else None
    )
    name = args.data or (base.data if base else None)
    if name is None:
        raise UsageError(f"{args.model} does not say its data set; pass --data NAME.")
    from glassnet.cli.tables import is_table  # tables builds on this module

    if is_table(name):
        exp, data = _table_of_model(args, name, base, meta)
    else:
        exp, data = _data_of_model(args, name, base, meta)
    n_out, _ = targets_for(exp, data)
    n_in = model.n_in
    last = next(la for la in reversed(model.layers) if isinstance(la, Dense))
    if n_in != data.X_test.shape[1] or last.n_out != n_out:
        raise UsageError(
            f"{args.model} maps {count(n_in or 0, 'input')} to "
            f"{count(last.n_out, 'output')}; the {name} data with loss {exp.loss} "
            f"need {count(data.X_test.shape[1], 'input')} and "
            f"{count(n_out, 'output')}."
        )
    return model, exp, data


def _data_of_model(
    args: argparse.Namespace,
    name: str,
    base: demos.Experiment | None,
    meta: dict[str, Any],
) -> tuple[demos.Experiment, Data]:
    """A built-in data set for a saved model, scaled as a file before issue 15 says.

    A model saved since then holds its own Standardize (and Unstandardize): its
    metadata has no scales, and it takes the data in their own units.
    """
    check_dataset(name)
    if base is None or base.data != name:
        base = demos.EXPERIMENTS[name].replace(standardize=False)
    exp = base.replace(
        seed=args.seed, n_samples=args.n_samples, test_size=args.test_size
    )
    exp = exp.replace(standardize=False)
    data = load_data(exp, args.data_dir)
    x_scale, y_scale = scales(meta) if base.data == name else (None, None)
    if x_scale is not None:
        data.X_train, data.X_test = (
            x_scale.transform(data.X_train),
            x_scale.transform(data.X_test),
        )
    if y_scale is not None:
        data.y_scale = y_scale
        data.y_train, data.y_test = (
            y_scale.transform(data.y_train),
            y_scale.transform(data.y_test),
        )
    return exp, data


def _table_of_model(
    args: argparse.Namespace,
    path: str,
    base: demos.Experiment | None,
    meta: dict[str, Any],
) -> tuple[demos.Experiment, Data]:
    """A CSV file for a saved model: split as in training, in its own units.

    The target is the one the model was trained on (``--target`` overrides); class
    labels get the ids they had in training, from the model's metadata.
    """
    from glassnet.cli.tables import read_table, table_data, table_experiment

    if getattr(args, "n_samples", None) is not None:
        raise UsageError("--n-samples applies to generated data, not to a CSV file.")
    target = getattr(args, "target", None) or meta.get("target")
    labels = meta.get("labels")
    features = meta.get("features")
    table = read_table(
        path,
        target,
        None if labels is None else True,
        None if features is None else list(features),
    )
    if labels is not None and table.classes is not None:
        unknown = sorted(set(table.classes) - set(labels))
        if unknown:
            raise UsageError(
                f"{path}: class labels {unknown} were not in the training data; the "
                f"model knows {labels}."
            )
        ids = np.array([labels.index(c) for c in table.classes], dtype=np.int64)
        table = table._replace(y=ids[table.y], classes=tuple(labels))
    if base is None or base.data != path:
        base = table_experiment(table, path)
    exp = base.replace(seed=args.seed, test_size=args.test_size, standardize=False)
    return exp, table_data(table, exp, path)


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
