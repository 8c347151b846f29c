"""One training run from the command line: build, train, measure, report, save.

``run_experiment`` turns a ``demos.Experiment`` into a trained model and its numbers
(a ``Run``), printing the configuration before and ``report`` the results after;
``save_run`` writes the model with what ``evaluate`` and ``predict`` need to reuse it.
The callbacks a run gives ``fit`` (lr decay, the --plots records) are in
``run_callbacks``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet import datasets, demos, io
from glassnet.checkpoint import load_checkpoint
from glassnet.cli.data import Data, load_data, targets_for
from glassnet.cli.errors import UsageError, count
from glassnet.cli.network import (
    LOSSES,
    build_model,
    make_optimizer,
    parse_widths,
    read_architecture,
)
from glassnet.cli.run_callbacks import training_callbacks
from glassnet.layers import Dense
from glassnet.losses import Loss
from glassnet.model import Sequential
from glassnet.optimizers import Optimizer
from glassnet.run import History

__all__ = [
    "Run",
    "check_combination",
    "describe",
    "experiment_from_args",
    "format_result",
    "metrics",
    "report",
    "run_experiment",
    "save_run",
]

Array = NDArray[Any]


def metrics(
    model: Sequential, X: Array, y: Array, data: Data, loss: Loss, T: Array
) -> dict[str, float]:
    """Loss, and accuracy (classes) or R² in the targets' own units (regression)."""
    result = {"loss": model.evaluate(X, T, loss=loss)["loss"]}
    Y_hat = model.predict(X)
    if data.classes:
        pred = Y_hat.argmax(axis=1) if Y_hat.shape[1] > 1 else (Y_hat[:, 0] >= 0.5)
        result["accuracy"] = float(np.mean(pred == y))
    else:
        p = Y_hat[:, 0].astype(np.float64)
        t = y.astype(np.float64)
        if data.y_scale is not None:
            p, t = data.y_scale.inverse(p), data.y_scale.inverse(t)
        result["r2"] = float(1 - np.sum((p - t) ** 2) / np.sum((t - t.mean()) ** 2))
    return result


@dataclass
class Run:
    """What one training run produced: the hook for reports, figures and files."""

    experiment: demos.Experiment
    model: Sequential
    data: Data
    history: History
    seconds: float
    train: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    recorder: Any = None  # a plots.LearningRecorder when the run was recorded
    validation: dict[str, float] = field(default_factory=dict)  # with --validation
    drawing: float = 0.0  # seconds of ``seconds`` spent recording pictures


def describe(exp: demos.Experiment, data: Data, model: Sequential, out: TextIO) -> None:
    """Print the configuration of a run."""
    sizes = [layer.n_in for layer in model.layers if isinstance(layer, Dense)]
    sizes.append(
        next(la.n_out for la in reversed(model.layers) if isinstance(la, Dense))
    )
    acts = [repr(la) for la in model.layers if not isinstance(la, Dense)]
    batch = "full batch" if exp.batch_size is None else f"batch {exp.batch_size}"
    print(f"data      {data.description}", file=out)
    print(
        f"network   {' → '.join(map(str, sizes))}  ({', '.join(acts)}; "
        f"{exp.init} init, seed {exp.seed})",
        file=out,
    )
    loss = LOSSES[exp.loss].__name__
    print(
        f"training  {loss}, {exp.optimizer} lr {exp.lr:g}"
        + (f" (× {exp.lr_decay:g} per epoch)" if exp.lr_decay != 1 else "")
        + f", {count(exp.epochs, 'epoch')}, {batch}"
        + (
            f", gradients clipped to norm {exp.clip_norm:g}"
            if exp.clip_norm is not None
            else ""
        )
        + (
            f", {exp.validation:.0%} of training data for validation"
            if exp.validation
            else ""
        ),
        file=out,
    )


def check_combination(exp: demos.Experiment, classes: int, n_out: int) -> None:
    """Refuse an output activation that cannot fit the loss or the targets.

    Such runs train without complaint and report nonsense (a "loss 0.0000" at chance
    accuracy), so they are stopped before training, naming the flag to change.

    Raises:
        UsageError: --loss ce without a softmax output, --loss bce without a sigmoid
            output, softmax on a single output, or a bounded output (sigmoid,
            tanh, or relu on standardized targets) on a regression.
    """
    if exp.architecture is not None:
        output = str(exp.architecture[-1].get("activation", "identity"))
        flag = "the last layer's activation in --arch"
    else:
        output, flag = exp.output, "--output"
    output = output.lower().replace("-", "_")
    output = {"linear": "identity", "none": "identity", "leakyrelu": "leaky_relu"}.get(
        output, output
    )
    if output == "softmax" and n_out == 1:
        fix = (
            "--output identity"
            if not classes
            else "--output sigmoid with --loss bce, or --loss ce (one output per class)"
        )
        raise UsageError(
            f"{flag} softmax on one output is always 1, so nothing can be learnt; "
            f"use {fix}."
        )
    if exp.loss == "ce" and output != "softmax":
        raise UsageError(
            f"--loss ce needs class probabilities that sum to 1: use {flag} softmax, "
            f"not {output}"
            + (" (or --loss bce with --output sigmoid)." if classes == 2 else ".")
        )
    if exp.loss == "bce" and output != "sigmoid":
        raise UsageError(
            f"--loss bce needs outputs in (0, 1): use {flag} sigmoid, not {output}."
        )
    bounded = {"sigmoid": "(0, 1)", "tanh": "(−1, 1)"}
    if exp.standardize:
        bounded["relu"] = "[0, ∞) but standardized targets are negative too"
    if not classes and output in bounded:
        raise UsageError(
            f"{flag} {output} gives values in {bounded[output]}, which cannot reach "
            f"the {exp.data} targets: use {flag} identity for a regression."
        )


def run_experiment(
    exp: demos.Experiment,
    *,
    out: TextIO = sys.stdout,
    verbose: int = 1,
    data_dir: str | None = None,
    frames: int = 0,
    checkpoint: str | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    comm: Any = None,
    data: Data | None = None,
) -> Run:
    """Load the data, build the model, train it and measure it; print as it goes.

    ``data``, when given, is trained on instead of ``load_data(exp)`` (a CSV file).

    With ``frames`` > 0 and a classifier of 2-D points, a ``plots.LearningRecorder``
    records about that many pictures of the decision boundary during training (for
    the learning animation); it is returned in ``Run.recorder``.

    ``checkpoint``, ``checkpoint_every`` and ``resume`` go to ``fit``: the training
    state is saved to that file, and with ``resume`` the run goes on from it (ending
    bit-identical to a run never interrupted). A KeyboardInterrupt from ``fit`` comes
    back with a hint on how to resume. ``comm`` (an mpi4py communicator) trains
    data-parallel over its processes.
    """
    data = load_data(exp, data_dir) if data is None else data
    n_out, to_targets = targets_for(exp, data)
    check_combination(exp, data.classes, n_out)
    model = build_model(exp, data.X_train.shape[1], n_out)
    loss = LOSSES[exp.loss]()
    optimizer = make_optimizer(exp)
    describe(exp, data, model, out)
    X_fit, y_fit, held = _split_validation(exp, data)
    validation = None if held is None else (held[0], to_targets(held[1]))
    callbacks, timed = training_callbacks(exp, data, X_fit, loss, to_targets, frames)
    if resume and checkpoint is not None:
        _resume_learning_rate(exp, checkpoint, model, optimizer, out)
    out.flush()
    start = time.perf_counter()
    try:
        history = model.fit(
            X_fit,
            to_targets(y_fit),
            loss=loss,
            optimizer=optimizer,
            epochs=exp.epochs,
            batch_size=exp.batch_size,
            seed=exp.seed,
            validation_data=validation,
            callbacks=callbacks,
            verbose=verbose,
            clip_norm=exp.clip_norm,
            threads=None if comm is not None else exp.threads,  # MPI: one per process
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            resume=resume,
            comm=comm,
        )
    except KeyboardInterrupt as exc:
        if checkpoint is None or not str(exc) or not Path(checkpoint).exists():
            raise
        again = "the same command" + ("" if resume else " plus --resume")
        raise KeyboardInterrupt(f"{exc}; resume with {again}") from None
    seconds = time.perf_counter() - start
    recorder = None if timed is None else timed.inner
    run = Run(exp, model, data, history, seconds, recorder=recorder)
    run.drawing = 0.0 if timed is None else timed.seconds
    _measure(run, loss, to_targets, (X_fit, y_fit), held)
    return run


def _split_validation(
    exp: demos.Experiment, data: Data
) -> tuple[Array, Array, tuple[Array, Array] | None]:
    """The rows to train on, and the --validation rows held out of them (or None)."""
    if not exp.validation:
        return data.X_train, data.y_train, None
    X_fit, X_val, y_fit, y_val = datasets.train_test_split(
        data.X_train, data.y_train, test_size=exp.validation, seed=exp.seed
    )
    return X_fit, y_fit, (X_val, y_val)


def _measure(
    run: Run,
    loss: Loss,
    to_targets: Callable[[Array], Array],
    trained: tuple[Array, Array],
    held: tuple[Array, Array] | None,
) -> None:
    """Fill in the train, validation and test numbers of a finished run."""
    model, data = run.model, run.data
    # the train line measures the rows trained on: without the validation part
    run.train = metrics(model, *trained, data, loss, to_targets(trained[1]))
    if held is not None:
        run.validation = metrics(model, *held, data, loss, to_targets(held[1]))
    run.test = metrics(
        model, data.X_test, data.y_test, data, loss, to_targets(data.y_test)
    )


def _resume_learning_rate(
    exp: demos.Experiment,
    checkpoint: str,
    model: Sequential,
    optimizer: Optimizer,
    out: TextIO,
) -> None:
    """Decay the learning rate as far as the run in ``checkpoint`` had, and say so.

    ``fit`` restores the weights, the optimizer's state and the random state, but the
    learning rate belongs to a LearningRateSchedule, a callback that starts afresh:
    multiplying by the factor once per finished epoch, as the interrupted run did,
    gives the same floating-point lr and so a bit-identical result.
    """
    if not Path(checkpoint).exists():
        print(f"resume    {checkpoint} does not exist yet: starting afresh", file=out)
        return
    state = load_checkpoint(checkpoint, model, optimizer)  # checked before training
    for _ in range(state.epoch - 1):
        optimizer.lr *= exp.lr_decay
    print(f"resume    from {checkpoint}, after step {state.step}", file=out)


def format_result(result: dict[str, float]) -> str:
    """One line of a result: loss, and accuracy in % or R²."""
    parts = [f"loss {result['loss']:.4f}"]
    if "accuracy" in result:
        parts.append(f"accuracy {100 * result['accuracy']:.2f} %")
    if "r2" in result:
        parts.append(f"R² {result['r2']:.5f}")
    return "  ".join(parts)


def report(run: Run, out: TextIO) -> None:
    """Print the final numbers of a run."""
    steps = len(run.history.step_loss)
    print(f"train     {format_result(run.train)}", file=out)
    if run.validation:
        print(f"valid     {format_result(run.validation)}", file=out)
    print(f"test      {format_result(run.test)}", file=out)
    drawing = f"; {run.drawing:.1f} s recording the animation" if run.drawing else ""
    print(
        f"time      {run.seconds - run.drawing:.1f} s training "
        f"({count(run.history.epochs_run, 'epoch')}, {count(steps, 'step')}){drawing}",
        file=out,
    )


def save_run(run: Run, path: str) -> None:
    """Save the model with what ``evaluate`` and ``predict`` need to reuse it."""
    meta: dict[str, Any] = {
        "experiment": asdict(run.experiment),
        "classes": run.data.classes,
        "test": run.test,
    }
    for key, scale in (("x_scale", run.data.x_scale), ("y_scale", run.data.y_scale)):
        if scale is not None:
            meta[key] = {"mean": scale.mean.tolist(), "std": scale.std.tolist()}
    io.save(run.model, path, metadata=meta)


def experiment_from_args(
    base: demos.Experiment, args: argparse.Namespace
) -> demos.Experiment:
    """``base`` with every training option given on the command line applied."""
    arch = read_architecture(args.arch) if args.arch else None
    hidden = None if args.layers is None else parse_widths(args.layers)
    return base.replace(
        n_samples=args.n_samples,
        noise=args.noise,
        hidden=hidden,
        activation=args.activation,
        output=args.output,
        loss=args.loss,
        optimizer=args.optimizer,
        lr=args.lr,
        lr_decay=args.lr_decay,
        epochs=args.epochs,
        batch_size=args.batch_size,
        init=args.init,
        alpha=args.alpha,
        test_size=args.test_size,
        validation=args.validation,
        seed=args.seed,
        standardize=args.standardize,
        clip_norm=args.clip_norm,
        threads=args.threads,
        architecture=arch,
    )
