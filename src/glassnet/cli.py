"""The ``glassnet`` command: demos of the seeds, train, evaluate, predict, gradcheck.

Every command parses its arguments with argparse, runs, and prints plain text. Bad
input of any kind (arguments, data set names, files) ends with one line on stderr and
exit status 2; ``--debug`` shows the traceback instead. ``main(argv)`` returns the
exit status, so tests call it in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from glassnet import __version__, datasets, demos, init, io
from glassnet.gradcheck import GradientCheckError, check_gradients, format_report
from glassnet.layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from glassnet.losses import MSE, BinaryCrossEntropy, CrossEntropy, Loss
from glassnet.model import Sequential
from glassnet.optimizers import SGD, Adam, Momentum, Optimizer, RMSProp
from glassnet.training import Callback, DivergenceError, History

__all__ = ["Run", "main", "run_experiment"]

Array = NDArray[Any]
DATASETS = ("circles", "moons", "spirals", "xor", "area", "mnist")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "identity")
LOSSES = {"bce": BinaryCrossEntropy, "ce": CrossEntropy, "mse": MSE}
OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}
INITS = ("he", "xavier", "normal", "uniform", "zeros")


class UsageError(ValueError):
    """Bad input from the command line; reported as one line, exit status 2."""


# ---- building blocks ----------------------------------------------------------------
def make_activation(name: str, alpha: float = 0.01) -> Layer:
    """The activation layer called ``name`` (see ACTIVATIONS; "linear"/"none" too)."""
    key = name.lower().replace("-", "_")
    table: dict[str, type[Layer]] = {
        "relu": ReLU,
        "sigmoid": Sigmoid,
        "tanh": Tanh,
        "softmax": Softmax,
        "identity": Identity,
        "linear": Identity,
        "none": Identity,
    }
    if key in ("leaky_relu", "leakyrelu"):
        return LeakyReLU(alpha)
    if key not in table:
        raise UsageError(
            f"unknown activation {name!r}; expected one of: {', '.join(ACTIVATIONS)}."
        )
    return table[key]()


def build_model(exp: demos.Experiment, n_in: int, n_out: int) -> Sequential:
    """The MLP of ``exp`` for data with n_in features and n_out outputs.

    Dense layers are drawn in order from one Generator seeded with ``exp.seed``.
    """
    rng = np.random.default_rng(exp.seed)
    weights = init.get(exp.init) if exp.init in INITS else None
    if weights is None:
        raise UsageError(
            f"unknown --init {exp.init!r}; expected one of: {', '.join(INITS)}."
        )
    if exp.architecture is not None:
        specs = exp.architecture
    else:
        sizes = exp.sizes(n_in, n_out)
        specs = [
            {
                "input_dim": a,
                "output_dim": b,
                "activation": exp.activation if i < len(sizes) - 2 else exp.output,
            }
            for i, (a, b) in enumerate(itertools.pairwise(sizes))
        ]
    sizes = exp.sizes(n_in, n_out)
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise UsageError(
            f"the architecture maps {sizes[0]} inputs to {sizes[-1]} outputs, but the "
            f"{exp.data} data need {n_in} inputs and {n_out} outputs with loss "
            f"{exp.loss}."
        )
    layers: list[Layer] = []
    for spec in specs:
        layers.append(
            Dense(
                int(spec["input_dim"]), int(spec["output_dim"]), init=weights, rng=rng
            )
        )
        alpha = float(spec.get("alpha", exp.alpha))
        layers.append(make_activation(str(spec.get("activation", "identity")), alpha))
    return Sequential(layers)


def read_architecture(path: str) -> list[dict[str, Any]]:
    """A seed-A style layer list from a JSON or TOML file, checked layer by layer.

    JSON: a list ``[{"input_dim": 2, "output_dim": 25, "activation": "relu"}, ...]``
    (or ``{"layers": [...]}``). TOML: ``[[layers]]`` tables with the same keys.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such architecture file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path}: cannot read the architecture file ({exc})."
        ) from None
    try:
        if p.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                raise UsageError(
                    f"{path}: TOML needs Python ≥ 3.11 (tomllib); use a .json file."
                ) from None
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise UsageError(f"{path}: not valid {p.suffix[1:] or 'JSON'}: {exc}") from None
    if isinstance(data, dict):
        data = data.get("layers")
    if not isinstance(data, list) or not data:
        raise UsageError(
            f"{path}: expected a non-empty list of layers, each "
            '{"input_dim": …, "output_dim": …, "activation": …}.'
        )
    for i, spec in enumerate(data):
        ok = isinstance(spec, dict) and all(
            isinstance(spec.get(k), int)
            and not isinstance(spec.get(k), bool)
            and spec[k] > 0
            for k in ("input_dim", "output_dim")
        )
        if not ok:
            raise UsageError(
                f"{path}: layer {i} must have positive integers input_dim and "
                f"output_dim; got {spec!r}."
            )
        make_activation(str(spec.get("activation", "identity")))
        if i and spec["input_dim"] != data[i - 1]["output_dim"]:
            raise UsageError(
                f"{path}: layer {i} has input_dim {spec['input_dim']} but layer "
                f"{i - 1} outputs {data[i - 1]['output_dim']}."
            )
    return data


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


def load_data(exp: demos.Experiment, data_dir: str | None = None) -> Data:
    """Generate or read ``exp.data``, split it, and scale it as ``exp`` says."""
    name = exp.data
    if name not in DATASETS:
        raise UsageError(
            f"unknown data set {name!r}; expected one of: {', '.join(DATASETS)}."
        )
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
    X, y = maker(**kwargs)
    classes = 0 if name == "area" else int(y.max()) + 1
    X_tr, X_te, y_tr, y_te = datasets.train_test_split(
        X, y, test_size=exp.test_size, seed=seed, stratify=classes > 0
    )
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    desc = (
        f"make_{name}({args}); {exp.test_size:.0%} held out → {len(X_tr)} train, "
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


def make_optimizer(exp: demos.Experiment) -> Optimizer:
    """The optimizer of ``exp`` with its learning rate."""
    if exp.optimizer not in OPTIMIZERS:
        raise UsageError(
            f"unknown optimizer {exp.optimizer!r}; expected one of: "
            f"{', '.join(OPTIMIZERS)}."
        )
    return OPTIMIZERS[exp.optimizer](lr=exp.lr)  # type: ignore[no-any-return]


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
) -> Run:
    """Load the data, build the model, train it and measure it; print as it goes.

    With ``frames`` > 0 and a classifier of 2-D points, a ``plots.LearningRecorder``
    records about that many pictures of the decision boundary during training (for
    the learning animation); it is returned in ``Run.recorder``.
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
    out.flush()
    start = time.perf_counter()
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
    )
    seconds = time.perf_counter() - start
    run = Run(exp, model, data, history, seconds, recorder=recorder)
    run.train = metrics(
        model, data.X_train, data.y_train, data, loss, to_targets(data.y_train)
    )
    run.test = metrics(
        model, data.X_test, data.y_test, data, loss, to_targets(data.y_test)
    )
    return run


def _format(result: dict[str, float]) -> str:
    parts = [f"loss {result['loss']:.4f}"]
    if "accuracy" in result:
        parts.append(f"accuracy {100 * result['accuracy']:.2f} %")
    if "r2" in result:
        parts.append(f"R² {result['r2']:.5f}")
    return "  ".join(parts)


def report(run: Run, out: TextIO) -> None:
    """Print the final numbers of a run."""
    steps = len(run.history.step_loss)
    print(f"train     {_format(run.train)}", file=out)
    print(f"test      {_format(run.test)}", file=out)
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


def _scales(meta: dict[str, Any]) -> tuple[Any, Any]:
    def get(key: str) -> datasets.Standardizer | None:
        s = meta.get(key)
        return None if s is None else datasets.Standardizer(s["mean"], s["std"])

    return get("x_scale"), get("y_scale")


# ---- figures (--plots DIR) ----------------------------------------------------------
ANIMATION_DPI = 72  # animations at most this resolution: a demo's GIF stays ~1 MB


def _area_bands(y: Array) -> NDArray[np.int64]:
    """Quartile (0–3) of each regression target: colours for a scatter of the area."""
    edges = np.quantile(np.asarray(y, dtype=np.float64), [0.25, 0.5, 0.75])
    return np.searchsorted(edges, np.asarray(y, dtype=np.float64)).astype(np.int64)


def _animations(write: Any, directory: Path, name: str, written: list[Path]) -> None:
    """``write(path)`` for name.gif, and for name.mp4 too when ffmpeg is installed."""
    written.append(write(directory / f"{name}.gif"))
    if shutil.which("ffmpeg"):
        written.append(write(directory / f"{name}.mp4"))


def write_figures(
    run: Run, directory: str | Path, *, dpi: float = 100, frames: int = 40
) -> list[Path]:
    """Every figure that fits a finished run, written into ``directory``.

    ``plots.write_training_figures`` (architecture, computation order, loss and
    accuracy curves, data, decision boundary, confusion matrix, misclassified
    digits), then: the learning animation (learning.gif, from ``run.recorder``), the
    layer histograms on 256 training samples (layers.png), sample digits for MNIST
    (digits.png), and for a regression the data coloured by quartile of the target
    (data.png) and predicted against true values in the targets' units.

    Returns:
        The paths written.
    """
    from glassnet import plots

    out, data, model = Path(directory), run.data, run.model
    two_d = data.X_train.shape[1] == 2
    classifier = data.classes > 0
    written = plots.write_training_figures(
        out,
        model,
        history=run.history,
        X=data.X_train if two_d and classifier else None,
        y=data.y_train if two_d and classifier else None,
        X_test=data.X_test if classifier else None,
        y_test=data.y_test if classifier else None,
        dpi=dpi,
    )

    def put(fig: Any, name: str) -> None:
        written.append(plots.save(fig, out / name, dpi=dpi))

    if run.recorder is not None and run.recorder.frames:
        rec, X, y = run.recorder, data.X_train, data.y_train
        anim_dpi = min(dpi, ANIMATION_DPI)
        _animations(
            lambda path: plots.animate_learning(
                rec, X, y, path, dpi=anim_dpi, max_frames=frames
            ),
            out,
            "learning",
            written,
        )
    if not classifier:
        if two_d:
            put(
                plots.scatter_data(
                    data.X_train,
                    _area_bands(data.y_train),
                    title=f"{run.experiment.data}: target by quartile",
                ),
                "data.png",
            )
        p = model.predict(data.X_test)[:, 0].astype(np.float64)
        t = np.asarray(data.y_test, dtype=np.float64)
        if data.y_scale is not None:
            p, t = data.y_scale.inverse(p), data.y_scale.inverse(t)
        put(plots.predicted_vs_true(t, p), "predicted_vs_true.png")
    if data.X_train.shape[1] == 784:
        put(
            plots.digit_grid(data.X_train[:25], data.y_train[:25], title="MNIST"),
            "digits.png",
        )
    _, to_targets = targets_for(run.experiment, data)
    batch = slice(0, 256)
    put(
        plots.layer_histograms(
            model,
            data.X_train[batch],
            to_targets(data.y_train[batch]),
            LOSSES[run.experiment.loss](),
        ),
        "layers.png",
    )
    return written


def write_chain_figures(
    result: dict[str, Any], directory: str | Path, *, dpi: float = 100
) -> list[Path]:
    """Seed D's figures: the loss of every update and per epoch, and the network."""
    from glassnet import plots

    out = Path(directory)
    step_loss = [float(v) for v in result["step_loss"]]
    per_epoch = np.asarray(step_loss).reshape(-1, 2).mean(axis=1)  # two samples
    history = History({"loss": per_epoch.tolist()}, step_loss, len(per_epoch))
    model = demos.chain_model([result["w1"], result["w2"], result["w3"]])
    figures = {
        "history.png": plots.training_curves(history, title="Seed D: the chain"),
        "architecture.png": plots.architecture(model),
        "computation.png": plots.computation_order(model, m=1),
    }
    return [plots.save(fig, out / name, dpi=dpi) for name, fig in figures.items()]


def write_descent_figures(
    directory: str | Path, *, dpi: float = 100, frames: int = 40
) -> list[Path]:
    """Seed B's figures: the descent path for each learning rate of the demo.

    On the contour map and the surface (descent_lr*.png) and as an animation
    (descent_lr*.gif).
    """
    from glassnet import plots

    out, written = Path(directory), []
    for lr, steps in demos.DESCENT_RUNS:
        path = plots.descent_path("bowl", (-5.0, -5.0), lr, steps)
        name = f"descent_lr{lr:g}"
        fig = plots.descent_figure("bowl", path, resolution=100)
        written.append(plots.save(fig, out / f"{name}.png", dpi=dpi))
        _animations(
            lambda target, path=path: plots.animate_descent(
                "bowl",
                path,
                target,
                dpi=min(dpi, ANIMATION_DPI),
                max_frames=frames,
            ),
            out,
            name,
            written,
        )
    return written


def _print_written(paths: Sequence[Path], directory: str, out: TextIO) -> None:
    print(f"figures   {len(paths)} files in {directory}:", file=out)
    for path in paths:
        print(f"          {path}  ({path.stat().st_size / 1024:.0f} KB)", file=out)


# ---- commands -----------------------------------------------------------------------
def _experiment_from_args(base: demos.Experiment, args: argparse.Namespace) -> Any:
    arch = read_architecture(args.arch) if getattr(args, "arch", None) else None
    hidden = None
    if args.layers is not None:
        try:
            hidden = [int(s) for s in args.layers.split(",") if s.strip()]
        except ValueError:
            raise UsageError(
                f"--layers expects hidden widths like 25,50,50,25; got {args.layers!r}."
            ) from None
        if any(h < 1 for h in hidden):
            raise UsageError(f"--layers widths must be ≥ 1; got {args.layers!r}.")
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
        architecture=arch,
    )


def _train_like(exp: demos.Experiment, args: argparse.Namespace, out: TextIO) -> Run:
    try:
        run = run_experiment(
            exp,
            out=out,
            verbose=0 if args.quiet else 1,
            data_dir=args.data_dir,
            frames=args.frames if args.plots else 0,
        )
    except DivergenceError as exc:
        raise UsageError(str(exc)) from None
    report(run, out)
    if args.save:
        save_run(run, args.save)
        print(f"saved     {args.save}", file=out)
    if args.plots:
        paths = write_figures(run, args.plots, dpi=args.dpi, frames=args.frames)
        _print_written(paths, args.plots, out)
    return run


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet demo NAME."""
    if args.name == "chain":
        result = demos.chain(out)
        if args.plots:
            paths = write_chain_figures(result, args.plots, dpi=args.dpi)
            _print_written(paths, args.plots, out)
        return 0
    if args.name == "descent":
        demos.descent(out)
        if args.plots:
            paths = write_descent_figures(args.plots, dpi=args.dpi, frames=args.frames)
            _print_written(paths, args.plots, out)
        return 0
    if args.name == "mnist":
        base = demos.MNIST_PRESETS[args.preset or "twolayer"]
    elif args.preset:
        raise UsageError("--preset applies to the mnist demo only.")
    else:
        base = demos.EXPERIMENTS[args.name]
    exp = _experiment_from_args(base, args)
    print(f"demo {args.name} — {exp.title}", file=out)
    _train_like(exp, args, out)
    return 0


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet train --data NAME ..."""
    if args.data not in DATASETS:
        raise UsageError(
            f"unknown data set {args.data!r}; expected one of: {', '.join(DATASETS)}."
        )
    exp = _experiment_from_args(demos.EXPERIMENTS[args.data], args)
    _train_like(exp, args, out)
    return 0


def _load_model(path: str) -> tuple[Sequential, dict[str, Any]]:
    model = io.load(path)
    meta = io.read_metadata(path)
    return model, meta if isinstance(meta, dict) else {}


def _model_and_data(
    args: argparse.Namespace,
) -> tuple[Sequential, demos.Experiment, Data]:
    """The model file ``args.model`` and the data it is measured on, scaled as saved.

    By default the data set, seed and split it was trained with (from its metadata);
    ``args.data``, ``args.seed``, ``args.n_samples`` and ``args.test_size`` override.
    """
    model, meta = _load_model(args.model)
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
    if name not in DATASETS:
        raise UsageError(
            f"unknown data set {name!r}; expected one of: {', '.join(DATASETS)}."
        )
    if base is None or base.data != name:
        base = demos.EXPERIMENTS[name].replace(standardize=False)
    exp = base.replace(
        seed=args.seed, n_samples=args.n_samples, test_size=args.test_size
    )
    exp = exp.replace(standardize=False)
    data = load_data(exp, args.data_dir)
    x_scale, y_scale = _scales(meta) if base.data == name else (None, None)
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
    n_out, _ = targets_for(exp, data)
    n_in = model.n_in
    last = next(la for la in reversed(model.layers) if isinstance(la, Dense))
    if n_in != data.X_test.shape[1] or last.n_out != n_out:
        raise UsageError(
            f"{args.model} maps {n_in} inputs to {last.n_out} outputs; the {name} data "
            f"with loss {exp.loss} need {data.X_test.shape[1]} inputs and {n_out} "
            "outputs."
        )
    return model, exp, data


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet evaluate MODEL --data NAME."""
    model, exp, data = _model_and_data(args)
    _, to_targets = targets_for(exp, data)
    loss = LOSSES[exp.loss]()
    print(f"model     {args.model}: {model!r}", file=out)
    print(f"data      {data.description}", file=out)
    for part, X, y in (
        ("train", data.X_train, data.y_train),
        ("test", data.X_test, data.y_test),
    ):
        result = metrics(model, X, y, data, loss, to_targets(y))
        print(f"{part.ljust(9)} {_format(result)}", file=out)
    return 0


def read_inputs(path: str) -> Array:
    """A 2-D float array from a .npy (never pickled objects) or .csv/.txt file."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{path}: no such input file.")
    if p.suffix.lower() == ".npy":
        try:
            X = np.load(p, allow_pickle=False)
        except ValueError as exc:
            raise UsageError(f"{path}: not a numeric .npy array ({exc}).") from None
    else:
        try:
            X = np.loadtxt(p, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError as exc:
            raise UsageError(
                f"{path}: expected comma-separated numbers, one sample per line "
                f"(no header); {str(exc).rstrip('.')}."
            ) from None
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "biuf":
        raise UsageError(f"{path}: expected numbers; got dtype {X.dtype}.")
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[0] == 0:
        raise UsageError(
            f"{path}: expected a table (m, n_in) with m ≥ 1; got {X.shape}."
        )
    if not np.all(np.isfinite(X)):
        raise UsageError(f"{path}: contains NaN or infinite values.")
    return X


def cmd_predict(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet predict MODEL --input FILE."""
    model, meta = _load_model(args.model)
    X = read_inputs(args.input)
    if X.shape[1] != model.n_in:
        raise UsageError(
            f"{args.input} has {X.shape[1]} columns; {args.model} expects {model.n_in} "
            "input features."
        )
    x_scale, y_scale = _scales(meta)
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
    if args.output:
        if args.output.endswith(".npy"):
            np.save(args.output, result, allow_pickle=False)
        else:
            np.savetxt(args.output, result, fmt=fmt, delimiter=",")
        print(f"wrote {len(result)} predictions to {args.output}", file=out)
    else:
        np.savetxt(out, result, fmt=fmt, delimiter=",")
    return 0


def cmd_gradcheck(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet gradcheck: backprop against central differences on a random batch."""
    exp = demos.Experiment(
        "random",
        activation=args.activation,
        output=args.output,
        loss=args.loss,
        init=args.init,
        alpha=args.alpha,
        seed=args.seed,
    )
    if args.loss not in LOSSES:
        raise UsageError(
            f"unknown loss {args.loss!r}; expected one of: {', '.join(LOSSES)}."
        )
    hidden = _experiment_from_args(exp, _gradcheck_namespace(args)).hidden
    n_out = args.n_out or (3 if args.loss == "ce" else 1)
    exp = exp.replace(hidden=hidden)
    model = build_model(exp, args.n_in, n_out).astype(np.float64)
    rng = np.random.default_rng(args.seed)
    # Random biases keep every ReLU input away from its kink at 0, where the central
    # difference straddles two slopes (a zero bias after an all-zero row sits on it).
    for layer in model.layers:
        if isinstance(layer, Dense) and layer.b is not None:
            layer.b[...] = rng.uniform(-0.5, 0.5, size=layer.b.shape)
    X = rng.normal(size=(args.batch, args.n_in))
    if args.loss == "ce":
        Y: Array = rng.integers(0, n_out, size=args.batch)
    elif args.loss == "bce":
        Y = rng.integers(0, 2, size=(args.batch, n_out)).astype(np.float64)
    else:
        Y = rng.normal(size=(args.batch, n_out))
    loss = LOSSES[args.loss]()
    print(f"model     {model!r}, float64", file=out)
    print(
        f"batch     {args.batch} random samples (seed {args.seed}); "
        f"loss {type(loss).__name__}; central differences, ε = {args.eps:g}",
        file=out,
    )
    try:
        errors = check_gradients(model, loss, X, Y, eps=args.eps, tol=args.tol)
    except GradientCheckError as exc:
        print(str(exc), file=out)
        return 1
    print(format_report(errors, args.tol), file=out)
    print(
        f"all {len(errors)} parameters agree (largest error "
        f"{max(errors.values()):.1e}).",
        file=out,
    )
    return 0


def _gradcheck_namespace(args: argparse.Namespace) -> argparse.Namespace:
    blank = {
        k: None
        for k in (
            "n_samples",
            "noise",
            "activation",
            "output",
            "loss",
            "optimizer",
            "lr",
            "lr_decay",
            "epochs",
            "batch_size",
            "init",
            "alpha",
            "test_size",
            "validation",
            "seed",
            "standardize",
            "arch",
        )
    }
    return argparse.Namespace(**{**blank, "layers": args.layers})


# ---- plot and explain ---------------------------------------------------------------
PLOT_KINDS = ("activations", "descent", "data", "architecture", "boundary", "confusion")
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


def _hidden_widths(text: str) -> list[int]:
    """Hidden widths from "25,50,50,25" (through the checks of --layers)."""
    blank = _gradcheck_namespace(argparse.Namespace(layers=text))
    hidden: list[int] = _experiment_from_args(demos.Experiment("x"), blank).hidden
    return hidden


def _model_from_args(args: argparse.Namespace) -> Sequential:
    """A model file (``args.model``) or an MLP from --layers/--activation/--output."""
    if args.model:
        if args.layers:
            raise UsageError("give either a model file or --layers, not both.")
        return _load_model(args.model)[0]
    exp = demos.Experiment(
        "explain",
        hidden=_hidden_widths(args.layers or "25,50,50,25"),
        activation=args.activation,
        output=args.output,
        init="he",
        alpha=args.alpha,
    )
    return build_model(exp, args.n_in, args.n_out)


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a point x,y such as -5,-5; got {text!r}"
        ) from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise argparse.ArgumentTypeError(f"expected finite numbers; got {text!r}")
    return x, y


def cmd_plot(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet plot KIND: one figure (or animation) into --out."""
    from glassnet import plots

    kind = args.kind
    written: Path
    if kind == "descent":
        fn = plots.function_2d(args.function)
        animate = args.animate or (
            args.out is not None and Path(args.out).suffix.lower() in ANIMATION_SUFFIXES
        )
        stem = f"descent_{fn.name}" if fn.name in plots.FUNCTIONS else "descent"
        path = _out_path(args.out, stem + (".gif" if animate else ".png"), animate)
        with np.errstate(all="ignore"):  # divergence is reported just below
            trail = plots.descent_path(fn, args.start, args.lr, args.steps)
        if not np.all(np.isfinite(trail)):
            raise FloatingPointError(
                f"gradient descent on {fn.formula} diverged (lr "
                f"{args.lr or fn.lr:g}): the path left the finite numbers; try a "
                "smaller --lr."
            )
        if animate:
            written = plots.animate_descent(
                fn, trail, path, dpi=min(args.dpi, 100), max_frames=args.frames
            )
        else:
            written = plots.save(plots.descent_figure(fn, trail), path, dpi=args.dpi)
        f_end = fn(trail[-1])
        print(
            f"descent   f = {fn.formula}: {len(trail) - 1} steps from "
            f"({trail[0, 0]:g}, {trail[0, 1]:g}) to ({trail[-1, 0]:.4g}, "
            f"{trail[-1, 1]:.4g}), f = {f_end:.4g}",
            file=out,
        )
    elif kind == "activations":
        names = [n.strip() for n in args.names.split(",") if n.strip()]
        path = _out_path(args.out, "activations.png", False)
        written = plots.save(plots.activation_functions(names), path, dpi=args.dpi)
    elif kind == "data":
        if args.data is None:
            raise UsageError(f"plot data needs --data NAME ({', '.join(DATASETS)}).")
        if args.data not in DATASETS:
            raise UsageError(
                f"unknown data set {args.data!r}; expected one of: "
                f"{', '.join(DATASETS)}."
            )
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
            if not data.classes:
                y = _area_bands(y)
            title = args.data if data.classes else f"{args.data}: a·b by quartile"
            fig = plots.scatter_data(X, y, title=title)
        written = plots.save(fig, path, dpi=args.dpi)
    elif kind == "architecture":
        path = _out_path(args.out, "architecture.png", False)
        fig = plots.architecture(_model_from_args(args))
        written = plots.save(fig, path, dpi=args.dpi)
    else:  # boundary, confusion: a saved model on its data
        if not args.model:
            raise UsageError(f"plot {kind} needs --model MODEL.safetensors.")
        model, exp, data = _model_and_data(args)
        if not data.classes:
            raise UsageError(
                f"plot {kind} needs a classifier; {args.model} is a regression on "
                f"{exp.data}."
            )
        path = _out_path(args.out, f"{kind}.png", False)
        if kind == "boundary":
            fig = plots.decision_boundary(
                model, data.X_test, data.y_test, title="Test set"
            )
        else:
            Y_hat = model.predict(data.X_test)
            pred = (
                Y_hat.argmax(axis=1) if Y_hat.shape[1] > 1 else (Y_hat[:, 0] >= 0.5)
            ).astype(np.int64)
            fig = plots.confusion_figure(data.y_test, pred, title="Test set")
        written = plots.save(fig, path, dpi=args.dpi)
    print(f"wrote     {written}  ({written.stat().st_size / 1024:.0f} KB)", file=out)
    return 0


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet explain: a model's dimension table and equations."""
    model = _model_from_args(args)
    print(model.explain(args.batch_size, latex=args.latex), file=out)
    return 0


# ---- the parser ---------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors raise UsageError (one line, exit 2) from main."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 1; got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1); got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {value}")
    return value


def _add_training_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument(
        "--n-samples",
        type=_positive_int,
        metavar="N",
        help="number of samples to generate (mnist: training images used)",
    )
    g.add_argument("--noise", type=float, help="noise of the generated data")
    g.add_argument(
        "--test-size",
        type=_fraction,
        metavar="F",
        help="fraction held out for testing (default 0.2)",
    )
    g.add_argument(
        "--validation",
        type=_fraction,
        metavar="F",
        help="fraction of the training data used for validation each epoch",
    )
    g.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="standardize inputs (and regression targets)",
    )
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the MNIST files (default $GLASSNET_DATA/mnist, "
        "then ~/.cache/glassnet/mnist)",
    )
    g = p.add_argument_group("network")
    g.add_argument(
        "--layers", metavar="W,W,…", help="hidden layer widths, e.g. 25,50,50,25"
    )
    g.add_argument(
        "--arch",
        metavar="FILE",
        help="architecture file (.json or .toml): a list of "
        '{"input_dim", "output_dim", "activation"} (replaces --layers, '
        "--activation, --output)",
    )
    g.add_argument("--activation", choices=ACTIVATIONS, help="hidden activation")
    g.add_argument("--output", choices=ACTIVATIONS, help="output activation")
    g.add_argument("--alpha", type=float, help="LeakyReLU slope (default 0.01)")
    g.add_argument("--init", choices=INITS, help="weight initializer")
    g = p.add_argument_group("training")
    g.add_argument("--loss", choices=tuple(LOSSES), help="loss function")
    g.add_argument("--optimizer", choices=tuple(OPTIMIZERS), help="optimizer")
    g.add_argument("--lr", type=_positive_float, help="learning rate")
    g.add_argument(
        "--lr-decay",
        type=_positive_float,
        metavar="F",
        help="multiply the learning rate by F after every epoch",
    )
    g.add_argument("--epochs", type=_positive_int, help="passes over the data")
    g.add_argument(
        "--batch-size", type=_positive_int, metavar="B", help="samples per step"
    )
    g.add_argument("--seed", type=int, help="seed for data, weights and shuffling")
    g = p.add_argument_group("output")
    g.add_argument(
        "--save", metavar="FILE", help="save the trained model (.safetensors)"
    )
    g.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (the report is still printed)",
    )
    g = p.add_argument_group("figures")
    g.add_argument(
        "--plots",
        metavar="DIR",
        help="record the learning and write every figure that fits into DIR: data, "
        "architecture, learning.gif (2-D classifiers), decision boundary, curves, "
        "computation order, confusion matrix or predicted vs true, layer histograms",
    )
    g.add_argument(
        "--dpi",
        type=_positive_float,
        default=100,
        help="resolution of the figures (default 100; animations at most 72)",
    )
    g.add_argument(
        "--frames",
        type=_positive_int,
        default=40,
        help="the most frames of an animation (default 40)",
    )


def _add_network_options(
    p: argparse.ArgumentParser, g: Any, positional: bool = False
) -> None:
    """A network from a model file or from --layers/--activation/--output."""
    if positional:
        p.add_argument(
            "model", nargs="?", help="a .safetensors file written by glassnet"
        )
    else:
        g.add_argument(
            "--model", metavar="FILE", help="a .safetensors file written by glassnet"
        )
    g.add_argument(
        "--layers", metavar="W,W,…", help="hidden widths (default 25,50,50,25)"
    )
    g.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    g.add_argument("--output", choices=ACTIVATIONS, default="sigmoid")
    g.add_argument("--alpha", type=float, default=0.01, help="LeakyReLU slope")
    g.add_argument("--n-in", type=_positive_int, default=2, help="inputs (default 2)")
    g.add_argument("--n-out", type=_positive_int, default=1, help="outputs (default 1)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``glassnet`` command."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="glassnet",
        description="glassnet: a neural-network engine on NumPy where every formula of "
        "learning is visible. Run the seeds' experiments, train, evaluate and check "
        "gradients.",
        epilog="examples:\n  glassnet demo circles\n"
        "  glassnet train --data moons --layers 16,16 --epochs 50 "
        "--save m.safetensors\n"
        "  glassnet evaluate m.safetensors\n"
        "  glassnet gradcheck --layers 4,4 --activation tanh --loss bce\n"
        "  glassnet demo circles --plots figures/\n"
        "  glassnet plot descent --function rosenbrock\n"
        "  glassnet explain --layers 25,50,50,25 --batch-size 64\n"
        "errors print one line and exit with status 2 (--debug shows the traceback).",
        formatter_class=fmt,
    )
    parser.add_argument(
        "--version", action="version", version=f"glassnet {__version__}"
    )
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks on errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    names = [*demos.EXPERIMENTS, "chain", "descent"]
    p = sub.add_parser(
        "demo",
        help="run one of the seeds' experiments with its reference settings",
        description="Run a seed experiment: print its configuration, train with a "
        "progress bar, and report train and test loss, accuracy (or R²) and time. "
        "chain (seed D) and descent (seed B) print their numbers step by step. Any "
        "training option overrides the reference setting.",
        epilog="examples:\n  glassnet demo circles\n"
        "  glassnet demo spirals --epochs 100\n"
        "  glassnet demo mnist --preset best\n  glassnet demo chain",
        formatter_class=fmt,
    )
    p.add_argument("name", choices=names, help=", ".join(names))
    p.add_argument(
        "--preset",
        choices=tuple(demos.MNIST_PRESETS),
        help="mnist only: twolayer (seed C, default) or best (≥ 98 %%)",
    )
    _add_training_options(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "train",
        help="train an MLP on a data set",
        description="Train an MLP on a data set; options not given take the data set's "
        "reference settings (those of `glassnet demo NAME`).",
        epilog="example:\n  glassnet train --data circles --layers 25,50,50,25 "
        "--activation relu --output sigmoid \\\n"
        "    --loss bce --optimizer adam --lr 0.01 "
        "--epochs 200 --batch-size 64 --seed 0 \\\n    --save model.safetensors\n"
        "  glassnet train --data circles --arch net.json   # seed-A style layer list",
        formatter_class=fmt,
    )
    p.add_argument(
        "--data", required=True, metavar="NAME", help=f"data set: {', '.join(DATASETS)}"
    )
    _add_training_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="measure a saved model on a data set",
        description="Load a model saved with --save and report its loss and accuracy "
        "(or R²) on the training and test parts of a data set. By default the data "
        "set, seed and split it was trained with.",
        epilog="example:\n"
        "  glassnet evaluate model.safetensors --data circles --seed 1",
        formatter_class=fmt,
    )
    p.add_argument("model", help="a .safetensors file written by glassnet")
    p.add_argument("--data", metavar="NAME", help=f"data set: {', '.join(DATASETS)}")
    p.add_argument("--seed", type=int, help="seed of the generated data and split")
    p.add_argument("--n-samples", type=_positive_int, metavar="N")
    p.add_argument("--test-size", type=_fraction, metavar="F")
    p.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST files")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "predict",
        help="predict with a saved model",
        description="Predict one line per input row: the class for a classifier "
        "(--proba for its probabilities), the value for a regression model (in the "
        "targets' units).",
        epilog="example:\n  glassnet predict model.safetensors --input points.csv\n"
        "  (points.csv: comma-separated numbers, one sample per line, no header;\n"
        "   or a .npy array of shape (m, n_in))",
        formatter_class=fmt,
    )
    p.add_argument("model", help="a .safetensors file written by glassnet")
    p.add_argument("--input", required=True, metavar="FILE", help=".csv or .npy")
    p.add_argument("--output", metavar="FILE", help="write to .csv or .npy, not stdout")
    p.add_argument("--proba", action="store_true", help="print the model's outputs")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "gradcheck",
        help="check backpropagation against central differences",
        description="Build an MLP in float64, run it on a small random batch and print "
        "every parameter's relative error ‖bp − num‖ / (‖bp‖ + ‖num‖) between "
        "backpropagation and central differences. Exit status 1 when one fails.",
        epilog="example:\n  glassnet gradcheck --layers 5,4 --activation tanh "
        "--output softmax --loss ce",
        formatter_class=fmt,
    )
    p.add_argument(
        "--layers", default="5,4", metavar="W,W,…", help="hidden widths (default 5,4)"
    )
    p.add_argument("--activation", choices=ACTIVATIONS, default="tanh")
    p.add_argument(
        "--output",
        choices=ACTIVATIONS,
        default=None,
        help="output activation (default: sigmoid for bce, softmax for ce, "
        "identity for mse)",
    )
    p.add_argument("--loss", choices=tuple(LOSSES), default="mse")
    p.add_argument("--alpha", type=float, default=0.01, help="LeakyReLU slope")
    p.add_argument("--init", choices=INITS, default="xavier")
    p.add_argument("--n-in", type=_positive_int, default=3, help="input features")
    p.add_argument("--n-out", type=_positive_int, help="outputs (default 3 for ce)")
    p.add_argument("--batch", type=_positive_int, default=8, help="samples")
    p.add_argument("--eps", type=_positive_float, default=1e-4, help="step h")
    p.add_argument("--tol", type=_positive_float, default=1e-6, help="tolerance")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_gradcheck)

    p = sub.add_parser(
        "plot",
        help="draw one figure: activations, descent, data, architecture, "
        "boundary, confusion",
        description="Draw one figure into --out (format from the suffix: .png, .svg, "
        ".pdf; .gif or .mp4 for an animation). activations: g(z) and g'(z); descent: "
        "gradient descent on f(x, y) over its contour map and surface; data: a data "
        "set; architecture: a network (--layers or --model); boundary and confusion: "
        "a saved classifier on its test data.",
        epilog="examples:\n  glassnet plot activations --names sigmoid,relu\n"
        "  glassnet plot descent --function rosenbrock --out rosenbrock.png\n"
        '  glassnet plot descent --function "x**2 + 3*y**2" --start 2,1 --lr 0.1 '
        "--animate\n"
        "  glassnet plot data --data spirals\n"
        "  glassnet plot architecture --layers 25,50,50,25 --activation relu "
        "--output sigmoid\n"
        "  glassnet plot boundary --model model.safetensors --out boundary.svg",
        formatter_class=fmt,
    )
    p.add_argument("kind", choices=PLOT_KINDS, help=", ".join(PLOT_KINDS))
    p.add_argument(
        "--out", metavar="FILE", help="file to write (default: KIND.png, or .gif)"
    )
    p.add_argument(
        "--dpi", type=_positive_float, default=100, help="resolution (default 100)"
    )
    g = p.add_argument_group("activations")
    g.add_argument(
        "--names",
        default="sigmoid,tanh,relu,leaky_relu",
        metavar="G,G,…",
        help="functions to draw (default sigmoid,tanh,relu,leaky_relu)",
    )
    g = p.add_argument_group("descent")
    g.add_argument(
        "--function",
        default="bowl",
        metavar="F",
        help="bowl (x²+y², seed B), elongated, rosenbrock, two_minima, or an "
        'expression in x and y such as "x**2 + 3*y**2" (default bowl)',
    )
    g.add_argument(
        "--start", type=_point, metavar="X,Y", help="starting point (e.g. -5,-5)"
    )
    g.add_argument("--lr", type=_positive_float, help="learning rate α")
    g.add_argument(
        "--steps", type=_positive_int, help="number of steps (stops at a zero ∇f)"
    )
    g.add_argument("--animate", action="store_true", help="write the descent as a .gif")
    g.add_argument(
        "--frames",
        type=_positive_int,
        default=80,
        help="the most frames of the animation (default 80)",
    )
    g = p.add_argument_group("data, boundary, confusion")
    g.add_argument("--data", metavar="NAME", help=f"data set: {', '.join(DATASETS)}")
    g.add_argument("--n-samples", type=_positive_int, metavar="N")
    g.add_argument("--noise", type=float)
    g.add_argument("--seed", type=int, help="seed of the generated data and split")
    g.add_argument("--test-size", type=_fraction, metavar="F")
    g.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST files")
    g = p.add_argument_group("architecture, boundary, confusion")
    _add_network_options(p, g)
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser(
        "explain",
        help="print a network's dimension table and equations",
        description="Print the dimensions of W[l], b[l], Z[l], A[l], dW[l], db[l] for "
        "every layer l, and the forward and backward equations in the order they run, "
        "for a network given by --layers (default seed A's 25,50,50,25 on 2 inputs) "
        "or by a saved model file.",
        epilog="examples:\n  glassnet explain --layers 25,50,50,25 --activation relu "
        "--output sigmoid --batch-size 64\n"
        "  glassnet explain model.safetensors --latex",
        formatter_class=fmt,
    )
    _add_network_options(p, p, positional=True)
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="M",
        help="number of samples m in the shapes (default: the letter m)",
    )
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    p.set_defaults(func=cmd_explain)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``glassnet`` command with ``argv``; return the exit status."""
    out = sys.stdout if out is None else out
    argv = list(sys.argv[1:] if argv is None else argv)
    # "--start -5,-5" would read as an option to argparse; "--start=-5,-5" does not
    for i in range(len(argv) - 1, 0, -1):
        if argv[i - 1] == "--start" and argv[i].startswith("-"):
            argv[i - 1 : i + 1] = [f"--start={argv[i]}"]
    debug = "--debug" in argv
    try:
        with contextlib.redirect_stdout(out):  # --help and --version go to ``out``
            args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(out)
            return 2
        if args.command == "gradcheck" and args.output is None:
            args.output = {"bce": "sigmoid", "ce": "softmax"}.get(args.loss, "identity")
        return int(args.func(args, out))
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, FloatingPointError) as exc:
        if debug:
            raise
        message = " ".join(str(exc).split())
        if not message.startswith("glassnet"):
            message = f"glassnet: error: {message}"
        print(message, file=sys.stderr)
        return 2
