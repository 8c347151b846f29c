"""``glassnet demo NAME`` and ``glassnet train --data NAME``: train, report, save."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from glassnet import demos, io
from glassnet.cli.data import check_dataset
from glassnet.cli.errors import UsageError
from glassnet.cli.experiments import (
    Run,
    experiment_from_args,
    report,
    run_experiment,
    save_run,
)
from glassnet.cli.figures import (
    print_written,
    write_chain_figures,
    write_descent_figures,
    write_figures,
)
from glassnet.training import DivergenceError

__all__ = ["cmd_demo", "cmd_train"]


def _check_checkpoint_options(args: argparse.Namespace) -> None:
    """--checkpoint-every and --resume need --checkpoint, in a folder that exists."""
    if args.checkpoint is None:
        if args.resume:
            raise UsageError("--resume needs --checkpoint FILE to go on from.")
        if args.checkpoint_every is not None:
            raise UsageError("--checkpoint-every needs --checkpoint FILE.")
        return
    folder = Path(args.checkpoint).parent
    if not folder.is_dir():
        raise UsageError(
            f"--checkpoint {args.checkpoint}: folder {folder} does not exist."
        )
    if args.save and Path(args.save).resolve() == Path(args.checkpoint).resolve():
        raise UsageError(
            "--checkpoint and --save must be different files: the checkpoint is "
            "rewritten during training, the saved model only once it has finished."
        )


def _train_like(exp: demos.Experiment, args: argparse.Namespace, out: TextIO) -> Run:
    _check_checkpoint_options(args)
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
        )
    except DivergenceError as exc:
        # fit's first sentence says what and where; the advice is the command's own
        what = str(exc).split(". ")[0].rstrip(".")
        kept = f"; {args.save} was not written" if args.save else ""
        raise UsageError(
            f"{what}{kept}. Try a smaller learning rate than --lr {exp.lr:g}, or "
            "clip the gradients with --clip-norm (e.g. --clip-norm 1)."
        ) from None
    report(run, out)
    if args.save:
        save_run(run, args.save)
        print(f"saved     {args.save}", file=out)
    if args.plots:
        paths = write_figures(run, args.plots, dpi=args.dpi, frames=args.frames)
        print_written(paths, args.plots, out)
    return run


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet demo NAME."""
    if args.name in ("chain", "descent") and (
        args.checkpoint or args.resume or args.checkpoint_every or args.clip_norm
    ):
        raise UsageError(
            f"demo {args.name} prints its own steps without fit: --checkpoint, "
            "--checkpoint-every, --resume and --clip-norm apply to the training demos."
        )
    if args.name == "chain":
        result = demos.chain(out)
        if args.plots:
            paths = write_chain_figures(result, args.plots, dpi=args.dpi)
            print_written(paths, args.plots, out)
        return 0
    if args.name == "descent":
        demos.descent(out)
        if args.plots:
            paths = write_descent_figures(args.plots, dpi=args.dpi, frames=args.frames)
            print_written(paths, args.plots, out)
        return 0
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
_CNN_OPTIONS = {"epochs", "batch_size", "lr", "seed", "data_dir", "save", "quiet"}
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
            "--batch-size, --lr, --seed, --data-dir, --save and --quiet."
        )
    settings = {
        key: getattr(args, key)
        for key in ("epochs", "batch_size", "lr", "seed")
        if getattr(args, key) is not None
    }
    result = demos.cnn(
        out, data_dir=args.data_dir, verbose=0 if args.quiet else 1, **settings
    )
    if args.save:
        io.save(
            result["model"],
            args.save,
            metadata={"demo": "cnn", "test_accuracy": result["test_accuracy"]},
        )
        print(f"saved     {args.save}", file=out)
    return 0


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet train --data NAME ..."""
    exp = experiment_from_args(demos.EXPERIMENTS[check_dataset(args.data)], args)
    _train_like(exp, args, out)
    return 0
