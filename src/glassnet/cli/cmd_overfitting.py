"""``glassnet demo overfitting``: seed C's lesson, plain against L2, dropout and L1."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from glassnet import datasets
from glassnet.cli.errors import UsageError
from glassnet.overfitting import overfitting

__all__ = ["cmd_overfitting"]

# the options this demo reads; any other training option is refused, not ignored
_OWN = {"name", "n_samples", "epochs", "seed", "data_dir", "plots", "dpi", "quiet"}
_DEFAULTS = {"dpi": 100, "frames": 40, "resume": False, "quiet": False}


def cmd_overfitting(args: argparse.Namespace, out: TextIO) -> int:
    """Train plain, with L2, dropout and L1 on a small MNIST subset; print the table."""
    given = sorted(
        key.replace("_", "-")
        for key, value in vars(args).items()
        if key not in _OWN
        and key in _TRAINING
        and value not in (None, _DEFAULTS.get(key))
    )
    if given:
        raise UsageError(
            f"demo overfitting takes --n-samples, --epochs, --seed, --data-dir and "
            f"--plots; got --{', --'.join(given)}. Its runs share one network "
            "and optimizer so that only the regularisation differs."
        )
    (X_tr, y_tr), (X_te, y_te) = datasets.load_mnist(args.data_dir)
    n_train = args.n_samples or 1000
    if n_train > X_tr.shape[0]:
        raise UsageError(
            f"--n-samples {n_train}: MNIST has {X_tr.shape[0]} training images."
        )
    print(
        "demo overfitting — seed C: a small training set learnt by heart, "
        "then with L2, dropout and L1",
        file=out,
    )
    runs = overfitting(
        X_tr, y_tr, X_te, y_te, n_train=n_train, epochs=args.epochs or 40,
        seed=0 if args.seed is None else args.seed, out=out,
    )  # fmt: skip
    plain = runs[0].gap
    print(
        f"gap       plain {plain:.3f}; "
        + ", ".join(f"{r.name} {r.gap:.3f} ({r.gap / plain:.0%})" for r in runs[1:])
        + " of plain's",
        file=out,
    )
    if args.plots:
        from glassnet.plots import save
        from glassnet.plots.overfitting import overfitting_curves

        path = Path(args.plots) / "overfitting.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        save(overfitting_curves(runs), path, dpi=args.dpi)
        print(f"wrote     {path}", file=out)
    return 0


_TRAINING = {
    "noise", "test_size", "validation", "standardize", "layers", "arch", "activation",
    "output", "alpha", "init", "loss", "optimizer", "lr", "lr_decay", "batch_size",
    "clip_norm", "checkpoint", "checkpoint_every", "resume", "save", "frames",
    "preset",
}  # fmt: skip
