"""``glassnet evaluate`` and ``glassnet predict``: a saved model on data."""

from __future__ import annotations

import argparse
import io as stdio
from typing import TextIO

import numpy as np

from glassnet._files import atomic_write_bytes
from glassnet.cli.data import model_and_data, read_inputs, scales, targets_for
from glassnet.cli.errors import UsageError, count
from glassnet.cli.experiments import format_result, metrics
from glassnet.cli.network import LOSSES, load_model
from glassnet.cli.paths import check_writable, regular_file
from glassnet.cli.tables import has_header, read_feature_rows
from glassnet.layers import Sigmoid, Softmax

__all__ = ["cmd_evaluate", "cmd_predict"]


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet evaluate MODEL --data NAME."""
    model, exp, data = model_and_data(args)
    _, to_targets = targets_for(exp, data)
    loss = LOSSES[exp.loss]()
    print(f"model     {args.model}: {model!r}", file=out)
    print(f"data      {data.description}", file=out)
    for part, X, y in (
        ("train", data.X_train, data.y_train),
        ("test", data.X_test, data.y_test),
    ):
        result = metrics(model, X, y, data, loss, to_targets(y))
        print(f"{part.ljust(9)} {format_result(result)}", file=out)
    return 0


def cmd_predict(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet predict MODEL --input FILE."""
    if args.output:
        check_writable(args.output, "--output")
    model, meta = load_model(args.model)
    features = meta.get("features")
    source = regular_file(args.input, "input file")
    if features and source.suffix.lower() != ".npy" and has_header(source):
        X = read_feature_rows(source, list(features))  # by name: any column order
    else:
        X = read_inputs(args.input)
    if X.shape[1] != model.n_in:
        raise UsageError(
            f"{args.input} has {count(X.shape[1], 'column')}; {args.model} expects "
            f"{count(model.n_in or 0, 'input feature')}."
        )
    x_scale, y_scale = scales(meta)
    if x_scale is not None:
        X = x_scale.transform(X)
    Y_hat = model.predict(X).astype(np.float64)
    last = model.layers[-1]
    if args.proba or not isinstance(last, (Sigmoid, Softmax)):
        if y_scale is not None:
            Y_hat = y_scale.inverse(Y_hat)
        result = Y_hat
        fmt = "%.6g"
    elif Y_hat.shape[1] == 1:
        result = (Y_hat >= 0.5).astype(np.int64)
        fmt = "%d"
    else:
        result = Y_hat.argmax(axis=1).reshape(-1, 1)
        fmt = "%d"
    labels = meta.get("labels")
    if fmt == "%d" and labels:  # a CSV file's classes: print them as it wrote them
        result = np.asarray(labels, dtype=str)[result]
        fmt = "%s"
    if args.output:
        # built in memory, then written atomically: a failed write (a full disk)
        # leaves an existing output as it was
        buffer = stdio.BytesIO()
        if args.output.lower().endswith(".npy"):
            np.save(buffer, result, allow_pickle=False)
        else:
            np.savetxt(buffer, result, fmt=fmt, delimiter=",")
        atomic_write_bytes(args.output, buffer.getvalue())
        print(f"wrote {count(len(result), 'prediction')} to {args.output}", file=out)
    else:
        np.savetxt(out, result, fmt=fmt, delimiter=",")
    return 0
