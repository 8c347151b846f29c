"""One training run from the command line: build, train, measure, report, save.

``run_experiment`` turns a ``demos.Experiment`` into a trained model and its numbers
(a ``Run``), printing the configuration before and ``report`` the results after;
``save_run`` writes the model with what ``evaluate`` and ``predict`` need to reuse it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet import datasets, demos, io
from glassnet.checkpoint import load_checkpoint
from glassnet.cli.data import Data, load_data, targets_for
from glassnet.cli.network import (
    LOSSES,
    build_model,
    make_optimizer,
    parse_widths,
    read_architecture,
)
from glassnet.layers import Dense
from glassnet.losses import Loss
from glassnet.model import Sequential
from glassnet.optimizers import Optimizer
from glassnet.training import Callback, History

__all__ = [
    "LRDecay",
    "Run",
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


class LRDecay(Callback):
    """Multiply the optimizer's learning rate by ``factor`` after every epoch."""

    def __init__(self, optimizer: Optimizer, factor: float) -> None:
        self.optimizer, self.factor = optimizer, factor

    def on_epoch_end(
        self, epoch: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """Lr := lr · factor."""
        self.optimizer.lr *= self.factor


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
        + f", {exp.epochs} epochs, {batch}"
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
) -> Run:
    """Load the data, build the model, train it and measure it; print as it goes.

    With ``frames`` > 0 and a classifier of 2-D points, a ``plots.LearningRecorder``
    records about that many pictures of the decision boundary during training (for
    the learning animation); it is returned in ``Run.recorder``.

    ``checkpoint``, ``checkpoint_every`` and ``resume`` go to ``fit``: the training
    state is saved to that file, and with ``resume`` the run goes on from it (ending
    bit-identical to a run never interrupted). A KeyboardInterrupt from ``fit`` comes
    back with a hint on how to resume. ``comm`` (an mpi4py communicator) trains
    data-parallel over its processes.
    """
    data = load_data(exp, data_dir)
    n_out, to_targets = targets_for(exp, data)
    model = build_model(exp, data.X_train.shape[1], n_out)
    loss = LOSSES[exp.loss]()
    optimizer = make_optimizer(exp)
    describe(exp, data, model, out)
    X_fit, y_fit = data.X_train, data.y_train
    validation = None
    if exp.validation:
        X_fit, X_val, y_fit, y_val = datasets.train_test_split(
            X_fit, y_fit, test_size=exp.validation, seed=exp.seed
        )
        validation = (X_val, to_targets(y_val))
    callbacks: list[Callback] = []
    if exp.lr_decay != 1:
        callbacks.append(LRDecay(optimizer, exp.lr_decay))
    recorder = None
    if frames > 0 and data.classes and X_fit.shape[1] == 2:
        from glassnet import plots  # matplotlib only when figures are asked for

        per_epoch = -(-len(X_fit) // (exp.batch_size or len(X_fit)))
        every = max(1, -(-exp.epochs * per_epoch // frames))  # ceil: ≤ frames + 1
        recorder = plots.LearningRecorder(X_fit, every=every, resolution=100)
        callbacks.append(recorder)
    if frames > 0:  # figures asked for: a test curve beside the training curve
        from glassnet.plots import HeldOutCurve

        callbacks.append(HeldOutCurve(data.X_test, to_targets(data.y_test), loss))
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
    run = Run(exp, model, data, history, seconds, recorder=recorder)
    run.train = metrics(
        model, data.X_train, data.y_train, data, loss, to_targets(data.y_train)
    )
    run.test = metrics(
        model, data.X_test, data.y_test, data, loss, to_targets(data.y_test)
    )
    return run


def _resume_learning_rate(
    exp: demos.Experiment,
    checkpoint: str,
    model: Sequential,
    optimizer: Optimizer,
    out: TextIO,
) -> None:
    """Decay the learning rate as far as the run in ``checkpoint`` had, and say so.

    ``fit`` restores the weights, the optimizer's state and the random state, but the
    learning rate belongs to LRDecay, a callback that starts afresh: multiplying by
    the factor once per finished epoch, as the interrupted run did, gives the same
    floating-point lr and so a bit-identical result.
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
    print(f"test      {format_result(run.test)}", file=out)
    print(
        f"time      {run.seconds:.1f} s training ({run.history.epochs_run} epochs, "
        f"{steps} steps)",
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
        architecture=arch,
    )
