"""``glassnet demo rnn``: a tanh RNN against an LSTM on the adding problem."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from glassnet.cli.errors import UsageError
from glassnet.memory import LENGTHS, memory

__all__ = ["cmd_rnn"]

# the options this demo reads; any other option given is refused, not ignored
_OWN = {"n_samples", "epochs", "seed", "lr", "batch_size", "plots", "dpi"}
_IGNORED = {"command", "name", "debug"}
_DEFAULTS = {"dpi": 100, "frames": 40}


def cmd_rnn(args: argparse.Namespace, out: TextIO) -> int:
    """Train an RNN and an LSTM for each sequence length; print the table."""
    given = sorted(
        "--" + key.replace("_", "-")
        for key, value in vars(args).items()
        if key not in _OWN | _IGNORED and value not in (None, False, _DEFAULTS.get(key))
    )
    if given:
        raise UsageError(
            f"demo rnn takes --n-samples, --epochs, --lr, --batch-size, --seed and "
            f"--plots; got {', '.join(given)}. Its RNN and LSTM share the other "
            "settings so that only the cell differs."
        )
    if args.plots and Path(args.plots).is_file():
        raise UsageError(f"--plots {args.plots} is a file; give a folder for figures.")
    n_train, epochs = args.n_samples or 4000, args.epochs or 10
    lr, batch_size = args.lr or 0.01, args.batch_size or 50
    seed = 0 if args.seed is None else args.seed
    print(
        "demo rnn — the adding problem: the sum of two marked numbers of a sequence, "
        "one in its first half;\n"
        f"a tanh RNN and an LSTM (hidden 32, then Dense → 1), {n_train} training "
        f"sequences, Adam lr {lr:g}, batch {batch_size}, {epochs} epochs, seed {seed}",
        file=out,
        flush=True,
    )
    runs = memory(
        lengths=LENGTHS, n_train=n_train, epochs=epochs, lr=lr,
        batch_size=batch_size, seed=seed, out=out,
    )  # fmt: skip
    longest = max(LENGTHS)
    verdict = {r.cell: r.learnt for r in runs if r.length == longest}
    print(
        f"at T = {longest}: the RNN {'learnt' if verdict['rnn'] else 'did not learn'} "
        f"the task, the LSTM {'learnt' if verdict['lstm'] else 'did not learn'} it "
        "(learnt: R² > 0.5)",
        file=out,
    )
    if args.plots:
        from glassnet.datasets import make_adding
        from glassnet.plots import save
        from glassnet.plots.recurrent import hidden_states, memory_curves

        X, y = make_adding(1, longest, seed=seed)
        models = {
            f"{r.cell.upper()} (predicts {r.model.predict(X)[0, 0]:.2f})": r.model
            for r in runs
            if r.length == longest
        }
        title = f"Hidden state over time, T = {longest}, true sum {y[0]:.2f}"
        folder = Path(args.plots)
        figures = {
            "hidden_states.png": hidden_states(models, X[0], title=title),
            "memory_curves.png": memory_curves(runs),
        }
        for name, fig in figures.items():
            path = save(fig, folder / name, dpi=args.dpi)
            print(f"wrote     {path}", file=out)
    return 0
