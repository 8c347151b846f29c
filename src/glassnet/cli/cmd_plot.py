"""``glassnet plot KIND`` (one figure) and ``glassnet explain`` (a network's shapes)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet import demos
from glassnet.cli.data import DATASETS, check_dataset, load_data, model_and_data
from glassnet.cli.errors import UsageError, count
from glassnet.cli.figures import regression_scatter
from glassnet.cli.network import build_model, load_model, parse_widths
from glassnet.descent import DescentError
from glassnet.model import Sequential

if TYPE_CHECKING:
    from glassnet.plots.surfaces import Function2D

__all__ = ["cmd_explain", "cmd_plot"]

Array = NDArray[Any]

STILL_SUFFIXES = (".png", ".svg", ".pdf")
ANIMATION_SUFFIXES = (".gif", ".mp4")


def _out_path(given: str | None, default: str, animation: bool) -> Path:
    """The output file: ``given`` or ``default``, with a suffix that fits the figure."""
    path = Path(given or default)
    suffix = path.suffix.lower()
    allowed = ANIMATION_SUFFIXES if animation else STILL_SUFFIXES
    if suffix not in allowed:
        what = "an animation" if animation else "a still figure"
        raise UsageError(
            f"--out {path}: {what} is written as {', '.join(allowed)}; got "
            f"{suffix or 'no suffix'}."
            + ("" if animation else " Only `plot descent --animate` writes a .gif.")
        )
    return path


def _model_from_args(args: argparse.Namespace) -> Sequential:
    """A model file (``args.model``) or an MLP from --layers/--activation/--output."""
    if args.model:
        if args.layers:
            raise UsageError("give either a model file or --layers, not both.")
        return load_model(args.model)[0]
    exp = demos.Experiment(
        "explain",
        hidden=parse_widths(args.layers or "25,50,50,25"),
        activation=args.activation,
        output=args.output,
        init="he",
        alpha=args.alpha,
    )
    return build_model(exp, args.n_in, args.n_out)


def cmd_plot(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet plot KIND: one figure (or animation) into --out."""
    from glassnet import plots  # matplotlib is loaded before any check, for every kind

    kind = args.kind
    written: Path
    if kind == "descent":
        written = _plot_descent(args, out)
    elif kind == "activations":
        written = _plot_activations(args)
    elif kind == "data":
        written = _plot_data(args)
    elif kind == "architecture":
        path = _out_path(args.out, "architecture.png", False)
        fig = plots.architecture(_model_from_args(args))
        written = plots.save(fig, path, dpi=args.dpi)
    else:  # boundary, confusion: a saved model on its data
        written = _plot_model(args)
    print(f"wrote     {written}  ({written.stat().st_size / 1024:.0f} KB)", file=out)
    return 0


def _plot_descent(args: argparse.Namespace, out: TextIO) -> Path:
    """``plot descent``: gradient descent on f(x, y) as a figure or an animation."""
    from glassnet import plots

    fn = plots.function_2d(args.function)
    # an --out of .gif or .mp4 asks for the animation as --animate does
    animate = args.animate or (
        args.out is not None and Path(args.out).suffix.lower() in ANIMATION_SUFFIXES
    )
    stem = f"descent_{fn.name}" if fn.name in plots.FUNCTIONS else "descent"
    path = _out_path(args.out, stem + (".gif" if animate else ".png"), animate)
    trail = _descent_trail(fn, args)
    written: Path
    if animate:
        written = plots.animate_descent(
            fn, trail, path, dpi=min(args.dpi, 100), max_frames=args.frames
        )
    else:
        written = plots.save(plots.descent_figure(fn, trail), path, dpi=args.dpi)
    f_end = fn(trail[-1])
    print(
        f"descent   f = {fn.formula}: {count(len(trail) - 1, 'step')} from "
        f"({trail[0, 0]:g}, {trail[0, 1]:g}) to ({trail[-1, 0]:.4g}, "
        f"{trail[-1, 1]:.4g}), f = {f_end:.4g}",
        file=out,
    )
    return written


def _descent_trail(fn: Function2D, args: argparse.Namespace) -> Array:
    """The points descent visits on ``fn``, or a UsageError if it stalls or diverges."""
    from glassnet import plots

    lr = args.lr or fn.lr
    try:
        with np.errstate(all="ignore"):  # divergence is reported just below
            trail = plots.descent_path(fn, args.start, args.lr, args.steps)
    except DescentError as exc:
        stalled = exc.kind == "stalled"
        advice = (
            "the numerical gradient is 0 where f still falls: start nearer the "
            "minimum with --start"
            if stalled
            else f"the path is not finite; try a smaller lr (--lr below {lr:g})"
        )
        raise UsageError(
            f"plot descent: gradient descent on {fn.formula} "
            f"{'stalled' if stalled else 'diverged'} (--lr {lr:g}): {advice}."
        ) from None
    if not np.all(np.isfinite(trail)):
        raise UsageError(
            f"plot descent: gradient descent on {fn.formula} diverged (--lr "
            f"{lr:g}): the path is not finite; try a smaller lr (--lr)."
        )
    return trail


def _plot_activations(args: argparse.Namespace) -> Path:
    """``plot activations``: g(z) and g'(z) of the functions in --names."""
    from glassnet import plots
    from glassnet.plots.curves import ACTIVATIONS as DRAWN

    names = [n.strip() for n in args.names.split(",")]
    unknown = [n for n in names if n not in DRAWN]
    if unknown:
        raise UsageError(
            f"--names {args.names}: plot activations draws {', '.join(DRAWN)}; "
            f"got {unknown[0]!r:.40}."
        )
    path = _out_path(args.out, "activations.png", False)
    return plots.save(plots.activation_functions(names), path, dpi=args.dpi)


def _plot_data(args: argparse.Namespace) -> Path:
    """``plot data``: a data set's points, digits, or inputs against the target."""
    from glassnet import plots

    if args.data is None:
        raise UsageError(f"plot data needs --data NAME ({', '.join(DATASETS)}).")
    check_dataset(args.data)
    path = _out_path(args.out, f"data_{args.data}.png", False)
    exp = demos.EXPERIMENTS[args.data].replace(
        n_samples=args.n_samples, noise=args.noise, seed=args.seed
    )
    exp = exp.replace(standardize=False)
    data = load_data(exp, args.data_dir)
    if args.data == "mnist":
        fig = plots.digit_grid(data.X_train, data.y_train, title="MNIST")
    else:
        X = np.concatenate([data.X_train, data.X_test])
        y = np.concatenate([data.y_train, data.y_test])
        if data.classes:
            fig = plots.scatter_data(X, y, title=args.data)
        else:  # a regression: its inputs and target in their own units
            fig = regression_scatter(args.data, X, y)
    return plots.save(fig, path, dpi=args.dpi)


def _plot_model(args: argparse.Namespace) -> Path:
    """``plot boundary`` or ``plot confusion``: a saved classifier on its test data."""
    from glassnet import plots

    kind = args.kind
    if not args.model:
        raise UsageError(f"plot {kind} needs --model MODEL.safetensors.")
    model, exp, data = model_and_data(args)
    if not data.classes:
        raise UsageError(
            f"plot {kind} needs a classifier; {args.model} is a regression on "
            f"{exp.data}."
        )
    if kind == "boundary" and model.n_in != 2:
        raise UsageError(
            "plot boundary draws the decision regions of a model of points in "
            f"the plane (2 inputs); {args.model} has "
            f"{count(model.n_in or 0, 'input')}. Try `glassnet plot confusion "
            f"--model {args.model}`."
        )
    path = _out_path(args.out, f"{kind}.png", False)
    if kind == "boundary":
        fig = plots.decision_boundary(model, data.X_test, data.y_test, points="test")
    else:
        Y_hat = model.predict(data.X_test)
        pred = (
            Y_hat.argmax(axis=1) if Y_hat.shape[1] > 1 else (Y_hat[:, 0] >= 0.5)
        ).astype(np.int64)
        fig = plots.confusion_figure(data.y_test, pred, title="Test set")
    return plots.save(fig, path, dpi=args.dpi)


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet explain: a model's dimension table and equations."""
    model = _model_from_args(args)
    print(model.explain(args.batch_size, latex=args.latex), file=out)
    return 0
