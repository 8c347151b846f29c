"""``glassnet gradcheck``: backpropagation against central differences."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet import demos
from glassnet.cli.errors import UsageError
from glassnet.cli.network import LOSSES, build_model, parse_widths
from glassnet.gradcheck import GradientCheckError, check_gradients, format_report
from glassnet.layers import Dense

__all__ = ["cmd_gradcheck"]

Array = NDArray[Any]
# the output activation that fits each loss when --output is not given
DEFAULT_OUTPUT = {"bce": "sigmoid", "ce": "softmax", "mse": "identity"}


def cmd_gradcheck(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet gradcheck: backprop against central differences on a random batch."""
    exp = demos.Experiment(
        "random",
        activation=args.activation,
        output=args.output or DEFAULT_OUTPUT.get(args.loss, "identity"),
        loss=args.loss,
        init=args.init,
        alpha=args.alpha,
        seed=args.seed,
    )
    if args.loss not in LOSSES:
        raise UsageError(
            f"unknown loss {args.loss!r}; expected one of: {', '.join(LOSSES)}."
        )
    n_out = args.n_out or (3 if args.loss == "ce" else 1)
    exp = exp.replace(hidden=parse_widths(args.layers))
    model = build_model(exp, args.n_in, n_out).astype(np.float64)
    rng = np.random.default_rng(args.seed)
    # Random biases keep every ReLU input away from its kink at 0, where the central
    # difference straddles two slopes (a zero bias after an all-zero row sits on it).
    for layer in model.layers:
        if isinstance(layer, Dense) and layer.b is not None:
            layer.b[...] = rng.uniform(-0.5, 0.5, size=layer.b.shape)
    X = rng.normal(size=(args.batch_size, args.n_in))
    if args.loss == "ce":
        Y: Array = rng.integers(0, n_out, size=args.batch_size)
    elif args.loss == "bce":
        Y = rng.integers(0, 2, size=(args.batch_size, n_out)).astype(np.float64)
    else:
        Y = rng.normal(size=(args.batch_size, n_out))
    loss = LOSSES[args.loss]()
    print(f"model     {model!r}, float64", file=out)
    print(
        f"batch     {args.batch_size} random samples (seed {args.seed}); "
        f"loss {type(loss).__name__}; central differences, ε = {args.eps:g}",
        file=out,
    )
    try:
        errors = check_gradients(model, loss, X, Y, eps=args.eps, tol=args.tol)
    except GradientCheckError as exc:
        print(str(exc), file=out)
        return 1
    print(format_report(errors, args.tol, model.seed_names()), file=out)
    print(
        f"all {len(errors)} parameters agree (largest error "
        f"{max(errors.values()):.1e}).",
        file=out,
    )
    return 0
