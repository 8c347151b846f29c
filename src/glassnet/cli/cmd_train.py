"""``glassnet demo NAME`` and ``glassnet train --data NAME``: train, report, save."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, NoReturn, TextIO

from glassnet import demos, io
from glassnet.cli.data import Data, check_dataset
from glassnet.cli.errors import UsageError
from glassnet.cli.experiments import (
    Run,
    experiment_from_args,
    report,
    run_experiment,
)
from glassnet.cli.figures import (
    print_written,
    write_chain_figures,
    write_descent_figures,
    write_figures,
)
from glassnet.cli.model_file import save_trained
from glassnet.cli.paths import check_writable, regular_file
from glassnet.cli.tables import is_table, read_table, table_data, table_experiment
from glassnet.descent import DescentError
from glassnet.training import DivergenceError

__all__ = ["cmd_demo", "cmd_train"]


def _check_output_options(args: argparse.Namespace) -> None:
    """Every file the run will write can be written: checked before training.

    --save and --checkpoint need a writable folder that exists; --plots a folder
    that is writable or can be created (in the nearest existing, writable folder);
    --resume an existing checkpoint that is a regular file; --checkpoint-every and
    --resume need --checkpoint.
    """
    if args.save:
        check_writable(args.save, "--save")
    if args.plots:
        plots = Path(args.plots)
        if plots.exists() and not plots.is_dir():
            raise UsageError(f"--plots {plots} is a file; give a folder for figures.")
        # the figures create missing folders: the nearest existing one must be
        # a writable folder
        existing = next(p for p in (plots, *plots.absolute().parents) if p.exists())
        if not existing.is_dir():
            raise UsageError(f"--plots {plots}: {existing} is a file, not a folder.")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise UsageError(f"--plots {plots}: the folder {existing} is not writable.")
    if args.checkpoint is None:
        if args.resume:
            raise UsageError("--resume needs --checkpoint FILE to go on from.")
        if args.checkpoint_every is not None:
            raise UsageError("--checkpoint-every needs --checkpoint FILE.")
        return
    check_writable(args.checkpoint, "--checkpoint")
    if args.resume and os.path.lexists(args.checkpoint):
        regular_file(args.checkpoint, "checkpoint")
    if args.save and Path(args.save).resolve() == Path(args.checkpoint).resolve():
        raise UsageError(
            "--checkpoint and --save must be different files: the checkpoint is "
            "rewritten during training, the saved model only once it has finished."
        )


def _communicator(args: argparse.Namespace) -> Any:
    """MPI.COMM_WORLD for --distributed (None without it)."""
    if not getattr(args, "distributed", False):
        return None
    try:
        from glassnet.distributed import world
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    return world()


def _end_job(comm: Any, exc: BaseException) -> NoReturn:
    """Under --distributed, one line for an error and the end of every process.

    The others may be waiting for this one; ``MPI_Abort`` ends them.
    """
    from glassnet.distributed import abort

    abort(comm, exc)


def _train_like(
    exp: demos.Experiment,
    args: argparse.Namespace,
    out: TextIO,
    data: Data | None = None,
) -> Run:
    _check_output_options(args)
    comm = _communicator(args)
    lead = comm is None or comm.Get_rank() == 0
    if not lead:  # process 0 reports and saves; the others only train
        out = open(os.devnull, "w")  # noqa: SIM115 - closed with the process
    try:
        run = run_experiment(
            exp,
            out=out,
            verbose=0 if args.quiet else 1,
            data_dir=args.data_dir,
            frames=args.frames if args.plots else 0,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            comm=comm,
            data=data,
        )
    except DivergenceError as exc:
        # fit's first sentence says what and where; the advice is the command's own
        what = str(exc).split(". ")[0].rstrip(".")
        kept = f"; {args.save} was not written" if args.save else ""
        error = UsageError(
            f"{what}{kept}. Try a smaller learning rate than --lr {exp.lr:g}, or "
            "clip the gradients with --clip-norm (e.g. --clip-norm 1)."
        )
        if comm is None:
            raise error from None
        _end_job(comm, error)
    except (ValueError, TypeError, OSError) as exc:
        if comm is None:
            raise
        _end_job(comm, exc)
    except KeyboardInterrupt:
        if not lead:  # every process stopped after the same step: 0 says so
            raise SystemExit(130) from None
        raise
    report(run, out)
    if not lead:
        return run
    if args.save:
        save_trained(run, args.save)
        print(f"saved     {args.save}", file=out)
    if args.plots:
        paths = write_figures(run, args.plots, dpi=args.dpi, frames=args.frames)
        print_written(paths, args.plots, out)
    return run


# The options of demo/train that the narrated demos honour; any other given option is
# refused (dest → what the demo does with it).
NARRATED_OPTIONS = {
    "chain": ("epochs", "lr", "save", "quiet", "plots", "dpi", "frames"),
    "descent": ("lr", "quiet", "plots", "dpi", "frames"),
}


CHAIN_MAX_EPOCHS = 10_000


def _refuse_unused_options(args: argparse.Namespace) -> None:
    """A narrated demo (chain, descent) refuses every option it cannot honour."""
    honoured = NARRATED_OPTIONS[args.name]
    given = [
        key
        for key, value in vars(args).items()
        if key not in (*honoured, "command", "name", "debug")
        and value not in (None, False)
    ]
    if given:
        flags = ", ".join("--" + key.replace("_", "-") for key in given)
        usable = ", ".join(
            "--" + key.replace("_", "-") for key in honoured if key != "frames"
        )
        raise UsageError(
            f"demo {args.name} prints its own steps without fit: {flags} "
            f"{'does' if len(given) == 1 else 'do'} not apply to it (it takes "
            f"{usable}); the other options apply to the training demos."
        )


def _demo_chain(args: argparse.Namespace, out: TextIO) -> int:
    """Seed D's chain, with --epochs, --lr and --save honoured."""
    if args.epochs is not None and args.epochs > CHAIN_MAX_EPOCHS:
        raise UsageError(
            f"demo chain prints its epochs one by one: --epochs at most "
            f"{CHAIN_MAX_EPOCHS}; got {args.epochs}."
        )
    if args.save:
        check_writable(args.save, "--save")
    if args.plots:
        _check_output_options(args)
    kwargs = {"epochs": args.epochs, "lr": args.lr}
    result = demos.chain(out, **{k: v for k, v in kwargs.items() if v is not None})
    if args.save:
        model = demos.chain_model([result["w1"], result["w2"], result["w3"]])
        io.save(model, args.save, metadata={"demo": "chain"})
        print(f"saved     {args.save}", file=out)
    if args.plots:
        paths = write_chain_figures(result, args.plots, dpi=args.dpi)
        print_written(paths, args.plots, out)
    return 0


def _demo_descent(args: argparse.Namespace, out: TextIO) -> int:
    """Seed B's descents; --lr replaces the demo's three learning rates by one."""
    if args.lr is not None and args.plots:
        raise UsageError(
            "demo descent --plots draws the demo's own three learning rates; drop "
            f"--lr, or draw this one with `glassnet plot descent --lr {args.lr:g} "
            "--out descent.png`."
        )
    if args.plots:
        _check_output_options(args)
    runs = demos.DESCENT_RUNS if args.lr is None else ((args.lr, demos.DESCENT_STEPS),)
    try:
        demos.descent(out, runs=runs)
    except DescentError:
        raise UsageError(
            f"demo descent --lr {args.lr:g}: the descent left the finite numbers, as "
            f"each step multiplies the distance to (0, 0) by 1 − 2·lr = "
            f"{1 - 2 * args.lr:+g}; a --lr between 0 and 1 converges."
        ) from None
    if args.plots:
        paths = write_descent_figures(args.plots, dpi=args.dpi, frames=args.frames)
        print_written(paths, args.plots, out)
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet demo NAME."""
    if args.name == "overfitting":
        from glassnet.cli.cmd_overfitting import cmd_overfitting

        return cmd_overfitting(args, out)
    if args.name == "rnn":
        from glassnet.cli.cmd_rnn import cmd_rnn

        return cmd_rnn(args, out)
    if args.name in NARRATED_OPTIONS:
        _refuse_unused_options(args)
        return (
            _demo_chain(args, out) if args.name == "chain" else _demo_descent(args, out)
        )
    if args.name == "cnn":
        return _demo_cnn(args, out)
    if args.name == "mnist":
        base = demos.MNIST_PRESETS[args.preset or "twolayer"]
    elif args.preset:
        raise UsageError("--preset applies to the mnist demo only.")
    else:
        base = demos.EXPERIMENTS[args.name]
    exp = experiment_from_args(base, args)
    print(f"demo {args.name} — {exp.title}", file=out)
    _train_like(exp, args, out)
    return 0


# the options ``demo cnn`` takes; the others configure the MLP demos
_CNN_OPTIONS = {
    "epochs", "batch_size", "lr", "seed", "data_dir", "save", "quiet", "plots"
}  # fmt: skip
_NOT_OPTIONS = {"debug", "command", "name", "dpi", "frames"}


def _demo_cnn(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet demo cnn: the LeNet-like network of ``demos.cnn`` on MNIST."""
    others = sorted(
        "--" + key.replace("_", "-")
        for key, value in vars(args).items()
        if key not in _CNN_OPTIONS | _NOT_OPTIONS and value not in (None, False)
    )
    if others:
        raise UsageError(
            f"demo cnn does not take {', '.join(others)}; it takes --epochs, "
            "--batch-size, --lr, --seed, --data-dir, --save, --quiet and --plots."
        )
    settings = {
        key: getattr(args, key)
        for key in ("epochs", "batch_size", "lr", "seed")
        if getattr(args, key) is not None
    }
    result = demos.cnn(
        out, data_dir=args.data_dir, verbose=0 if args.quiet else 1,
        plots=args.plots, dpi=args.dpi, **settings,
    )  # fmt: skip
    if args.save:
        io.save(
            result["model"],
            args.save,
            metadata={"demo": "cnn", "test_accuracy": result["test_accuracy"]},
        )
        print(f"saved     {args.save}", file=out)
    return 0


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet train --data NAME ... or --data FILE.csv --target COLUMN ..."""
    if not is_table(args.data):
        given = [
            f"--{key}"
            for key in ("target", "features", "categorical")
            if getattr(args, key) is not None
        ]
        if given:
            flag = given[0]
            raise UsageError(
                f"{flag} applies to a CSV file; {args.data} is a built-in data set "
                "with its own targets."
            )
        exp = experiment_from_args(demos.EXPERIMENTS[check_dataset(args.data)], args)
        _train_like(exp, args, out)
        return 0
    for flag in ("n_samples", "noise"):
        if getattr(args, flag) is not None:
            raise UsageError(
                f"--{flag.replace('_', '-')} applies to generated data; {args.data} is "
                "a CSV file (all its rows are used)."
            )
    table = read_table(args.data, args.target, args.categorical, args.features)
    exp = experiment_from_args(table_experiment(table, args.data), args)
    _train_like(exp, args, out, table_data(table, exp, args.data))
    return 0
