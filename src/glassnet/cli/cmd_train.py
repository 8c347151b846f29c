"""``glassnet demo NAME`` and ``glassnet train --data NAME``: train, report, save."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, NoReturn, TextIO

from glassnet import demos
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


def _train_like(exp: demos.Experiment, args: argparse.Namespace, out: TextIO) -> Run:
    _check_checkpoint_options(args)
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


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet train --data NAME ..."""
    exp = experiment_from_args(demos.EXPERIMENTS[check_dataset(args.data)], args)
    _train_like(exp, args, out)
    return 0
