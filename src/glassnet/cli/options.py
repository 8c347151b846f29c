"""Option types and the groups of options that several commands share.

Each type checks its value (positive, finite, a fraction, a point) as argparse reads
it, so a bad value ends in one line naming the option before any command runs.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from glassnet.cli.data import DATASETS
from glassnet.cli.network import ACTIVATIONS, INITS, LOSSES, OPTIMIZERS
from glassnet.datasets.toy import MAX_SAMPLES

__all__ = [
    "MAX_BATCH",
    "MAX_DPI",
    "MAX_FRAMES",
    "MAX_STEPS",
    "add_data_source_options",
    "add_network_options",
    "add_training_options",
    "finite_float",
    "float_up_to",
    "fraction",
    "int_up_to",
    "point",
    "positive_float",
    "positive_int",
]


# Upper bounds of the options that size an allocation (pixels, frames, points, steps):
# far above any useful value, low enough that a typo cannot exhaust the memory.
MAX_DPI = 1000
MAX_FRAMES = 1000
MAX_STEPS = 100_000
MAX_BATCH = 10_000


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short when long (a 400-digit number)."""
    return repr(text) if len(text) <= 24 else repr(text[:20] + "…")


def positive_int(text: str) -> int:
    """An integer ≥ 1 (--epochs, --batch-size, --n-samples, ...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer; got {_shown(text)}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 1; got {_shown(text)}")
    return value


def int_up_to(limit: int) -> Callable[[str], int]:
    """The type of an integer option from 1 to ``limit`` (--frames, --steps, ...).

    >>> int_up_to(10)("7")
    7
    """

    def parse(text: str) -> int:
        value = positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(
                f"expected an integer from 1 to {limit}; got {_shown(text)}"
            )
        return value

    return parse


def float_up_to(limit: float) -> Callable[[str], float]:
    """The type of a number option in (0, ``limit``] (--dpi).

    >>> float_up_to(1000)("150")
    150.0
    """

    def parse(text: str) -> float:
        value = positive_float(text)
        if value > limit:
            raise argparse.ArgumentTypeError(
                f"expected a number in (0, {limit:g}]; got {value:g}"
            )
        return value

    return parse


def _number(text: str) -> float:
    """``text`` as a float, or the argparse error every number option gives."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number; got {_shown(text)}"
        ) from None


def fraction(text: str) -> float:
    """A number strictly between 0 and 1 (--test-size, --validation)."""
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1); got {value}")
    return value


def thread_count(text: str) -> int | str:
    """--threads: "auto" or an integer ≥ 1."""
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 1024:
        raise argparse.ArgumentTypeError(
            f"expected auto or a number of threads from 1 to 1024; got {text!r}"
        )
    return n


def positive_float(text: str) -> float:
    """A finite number > 0 (--lr, --clip-norm, --dpi, ...)."""
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {value}")
    return value


def finite_float(text: str) -> float:
    """Any finite number (--alpha, --noise)."""
    value = _number(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {value}")
    return value


def point(text: str) -> tuple[float, float]:
    """A point "x,y" of two finite numbers (--start)."""
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a point x,y such as -5,-5; got {_shown(text)}"
        ) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise argparse.ArgumentTypeError(f"expected finite numbers; got {_shown(text)}")
    return x, y


def add_data_source_options(g: Any, noise: bool = False) -> None:
    """The data a saved model is measured on: by default those it was trained with."""
    g.add_argument("--data", metavar="NAME", help=f"data set: {', '.join(DATASETS)}")
    g.add_argument("--n-samples", type=int_up_to(MAX_SAMPLES), metavar="N")
    if noise:
        g.add_argument("--noise", type=finite_float)
    g.add_argument("--seed", type=int, help="seed of the generated data and split")
    g.add_argument("--test-size", type=fraction, metavar="F")
    g.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST files")


def add_training_options(p: argparse.ArgumentParser) -> None:
    """The options of demo and train: data, network, training, checkpoints, output."""
    # --help lists the groups in the order they are added
    _add_data_group(p)
    _add_network_group(p)
    _add_training_group(p)
    _add_checkpoint_group(p)
    _add_output_group(p)
    _add_figure_group(p)


def _add_data_group(p: argparse.ArgumentParser) -> None:
    """The ``data`` group: how much is generated, held out and standardized."""
    g = p.add_argument_group("data")
    g.add_argument(
        "--n-samples",
        type=int_up_to(MAX_SAMPLES),
        metavar="N",
        help="number of samples to generate (mnist: training images used)",
    )
    g.add_argument("--noise", type=finite_float, help="noise of the generated data")
    g.add_argument(
        "--test-size",
        type=fraction,
        metavar="F",
        help="fraction held out for testing (default 0.2)",
    )
    g.add_argument(
        "--validation",
        type=fraction,
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


def _add_network_group(p: argparse.ArgumentParser) -> None:
    """The ``network`` group: the layers, their activations and initializer."""
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
    g.add_argument("--alpha", type=finite_float, help="LeakyReLU slope (default 0.01)")
    g.add_argument("--init", choices=INITS, help="weight initializer")


def _add_training_group(p: argparse.ArgumentParser) -> None:
    """The ``training`` group: loss, optimizer, schedule, batches, threads."""
    g = p.add_argument_group("training")
    g.add_argument("--loss", choices=tuple(LOSSES), help="loss function")
    g.add_argument("--optimizer", choices=tuple(OPTIMIZERS), help="optimizer")
    g.add_argument("--lr", type=positive_float, help="learning rate")
    g.add_argument(
        "--lr-decay",
        type=positive_float,
        metavar="F",
        help="multiply the learning rate by F after every epoch",
    )
    g.add_argument("--epochs", type=positive_int, help="passes over the data")
    g.add_argument(
        "--batch-size", type=positive_int, metavar="B", help="samples per step"
    )
    g.add_argument("--seed", type=int, help="seed for data, weights and shuffling")
    g.add_argument(
        "--clip-norm",
        type=positive_float,
        metavar="X",
        help="scale the gradients down whenever their global norm exceeds X",
    )
    g.add_argument(
        "--threads",
        type=thread_count,
        metavar="N|auto",
        help="BLAS threads for the products: a number, or auto (default: follow the "
        "machine's load, e.g. one thread while another program keeps a core busy)",
    )
    g.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of `mpiexec -n N glassnet train ...`: "
        "each batch is split across them, one all-reduce of the gradients per step; "
        "only process 0 prints and saves (needs glassnet[mpi])",
    )


def _add_checkpoint_group(p: argparse.ArgumentParser) -> None:
    """The ``checkpoints`` group: save the training state, and resume from it."""
    g = p.add_argument_group("checkpoints")
    g.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="save the whole training state to FILE after every epoch and on Ctrl-C "
        "(safetensors, written atomically)",
    )
    g.add_argument(
        "--checkpoint-every",
        type=positive_int,
        metavar="N",
        help="also save the checkpoint every N steps",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="go on from --checkpoint FILE where the interrupted run stopped (the "
        "result is bit-identical to an uninterrupted run); starts afresh when FILE "
        "does not exist yet",
    )


def _add_output_group(p: argparse.ArgumentParser) -> None:
    """The ``output`` group: the saved model and the progress bar."""
    g = p.add_argument_group("output")
    g.add_argument(
        "--save", metavar="FILE", help="save the trained model (.safetensors)"
    )
    g.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (the report is still printed)",
    )


def _add_figure_group(p: argparse.ArgumentParser) -> None:
    """The ``figures`` group: --plots and the resolution of its figures."""
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
        type=float_up_to(MAX_DPI),
        default=100,
        help="resolution of the figures (default 100; animations at most 72)",
    )
    g.add_argument(
        "--frames",
        type=int_up_to(MAX_FRAMES),
        default=40,
        help="the most frames of an animation (default 40)",
    )


def add_network_options(
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
    g.add_argument("--alpha", type=finite_float, default=0.01, help="LeakyReLU slope")
    g.add_argument("--n-in", type=positive_int, default=2, help="inputs (default 2)")
    g.add_argument("--n-out", type=positive_int, default=1, help="outputs (default 1)")
