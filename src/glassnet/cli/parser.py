"""The argparse parser of the ``glassnet`` command: its commands, help and examples.

``build_parser`` makes the top level, then one ``_add_*_parser`` builder per command
adds its parser (export and playground come with their ``cmd_*`` modules). Every parse
error raises UsageError (one line, exit status 2, from ``main``); the
option types and shared option groups are in ``options``.
"""

from __future__ import annotations

import argparse
from typing import Any

from glassnet import __version__, demos
from glassnet.cli.cmd_export import add_export_parser
from glassnet.cli.cmd_playground import add_playground_parser
from glassnet.cli.data import DATASETS
from glassnet.cli.errors import UsageError
from glassnet.cli.network import ACTIVATIONS, INITS, LOSSES
from glassnet.cli.options import (
    MAX_BATCH,
    MAX_DPI,
    MAX_FRAMES,
    MAX_STEPS,
    add_data_source_options,
    add_network_options,
    add_training_options,
    finite_float,
    float_up_to,
    int_up_to,
    point,
    positive_float,
    positive_int,
)

__all__ = ["PLOT_KINDS", "build_parser"]

PLOT_KINDS = ("activations", "descent", "data", "architecture", "boundary", "confusion")


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors raise UsageError (one line, exit 2) from main."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``glassnet`` command."""
    parser = _Parser(
        prog="glassnet",
        description="glassnet: a neural-network engine on NumPy where every formula of "
        "learning is visible. Run the seeds' experiments, train, evaluate and check "
        "gradients.",
        epilog="examples:\n  glassnet demo circles\n"
        "  glassnet train --data moons --layers 16,16 --epochs 50 "
        "--save m.safetensors\n"
        "  glassnet evaluate m.safetensors\n"
        "  glassnet train --data my.csv --target label --save m.safetensors\n"
        "  glassnet export m.safetensors --onnx m.onnx\n"
        "  glassnet gradcheck --layers 4,4 --activation tanh --loss bce\n"
        "  glassnet demo circles --plots figures/\n"
        "  glassnet plot descent --function rosenbrock\n"
        "  glassnet explain --layers 25,50,50,25 --batch-size 64\n"
        "errors print one line and exit with status 2 (--debug shows the traceback);\n"
        "Ctrl-C stops training after the current step (status 130), saving any "
        "--checkpoint.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"glassnet {__version__}"
    )
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks on errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # one builder per command, in the order ``glassnet --help`` lists them
    _add_demo_parser(sub)
    _add_train_parser(sub)
    _add_evaluate_parser(sub)
    _add_predict_parser(sub)
    _add_gradcheck_parser(sub)
    _add_plot_parser(sub)
    _add_explain_parser(sub)
    add_export_parser(sub)
    add_playground_parser(sub)
    return parser


def _add_demo_parser(sub: Any) -> None:
    """``demo NAME``: a seed experiment with its reference settings."""
    names = [*demos.EXPERIMENTS, "chain", "descent", "overfitting", "cnn", "rnn"]
    p = sub.add_parser(
        "demo",
        help="run one of the seeds' experiments with its reference settings",
        description="Run a seed experiment: print its configuration, train with a "
        "progress bar, and report train and test loss, accuracy (or R²) and time. "
        "chain (seed D) and descent (seed B) print their numbers step by step. Any "
        "training option overrides the reference setting.",
        epilog="examples:\n  glassnet demo circles\n"
        "  glassnet demo spirals --epochs 100\n"
        "  glassnet demo mnist --preset best\n  glassnet demo chain\n"
        "  glassnet demo cnn          # a LeNet-like CNN on MNIST, ≥ 99 %\n"
        "  glassnet demo rnn          # RNN against LSTM on the adding problem",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", choices=names, help=", ".join(names))
    p.add_argument(
        "--preset",
        choices=tuple(demos.MNIST_PRESETS),
        help="mnist only: twolayer (seed C, default) or best (≥ 98 %%)",
    )
    add_training_options(p)


def _add_train_parser(sub: Any) -> None:
    """``train --data``: an MLP on a named data set or a CSV file."""
    p = sub.add_parser(
        "train",
        help="train an MLP on a data set",
        description="Train an MLP on a data set; options not given take the data set's "
        "reference settings (those of `glassnet demo NAME`).",
        epilog="example:\n  glassnet train --data circles --layers 25,50,50,25 "
        "--activation relu --output sigmoid \\\n"
        "    --loss bce --optimizer adam --lr 0.01 "
        "--epochs 200 --batch-size 64 --seed 0 \\\n    --save model.safetensors\n"
        "  glassnet train --data circles --arch net.json   # seed-A style layer list\n"
        "  glassnet train --data iris.csv --target species --save iris.safetensors\n"
        "    (your own data: a CSV file with a header; text labels are classes, a\n"
        "    numeric target a regression; the saved model standardizes its inputs)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data",
        required=True,
        metavar="NAME|FILE",
        help=f"data set: {', '.join(DATASETS)}, or a CSV file (with --target)",
    )
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="CSV only: the column to predict, by header name or index from 0",
    )
    p.add_argument(
        "--features",
        metavar="COLUMN,COLUMN,…",
        help="CSV only: the input columns (default: every column but the target)",
    )
    p.add_argument(
        "--categorical",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="CSV only: the target holds class labels (default: when any target "
        "cell is not a number; --categorical for numeric labels such as 0/1, "
        "--no-categorical for a regression)",
    )
    add_training_options(p)


def _add_evaluate_parser(sub: Any) -> None:
    """``evaluate MODEL``: a saved model's numbers on a data set."""
    p = sub.add_parser(
        "evaluate",
        help="measure a saved model on a data set",
        description="Load a model saved with --save and report its loss and accuracy "
        "(or R²) on the training and test parts of a data set. By default the data "
        "set, seed and split it was trained with.",
        epilog="example:\n"
        "  glassnet evaluate model.safetensors --data circles --seed 1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a .safetensors file written by glassnet")
    add_data_source_options(p)


def _add_predict_parser(sub: Any) -> None:
    """``predict MODEL --input``: one prediction per input row."""
    p = sub.add_parser(
        "predict",
        help="predict with a saved model",
        description="Predict one line per input row: the class for a classifier "
        "(--proba for its probabilities; the file's labels for a model trained on a "
        "CSV file), the value for a regression model (in the targets' units).",
        epilog="example:\n  glassnet predict model.safetensors --input points.csv\n"
        "  (points.csv: comma-separated numbers, one sample per line, no header;\n"
        "   or a .npy array of shape (m, n_in); for a model trained on a CSV file,\n"
        "   a CSV file with a header, read by the feature columns' names)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a .safetensors file written by glassnet")
    p.add_argument("--input", required=True, metavar="FILE", help=".csv or .npy")
    p.add_argument("--output", metavar="FILE", help="write to .csv or .npy, not stdout")
    p.add_argument("--proba", action="store_true", help="print the model's outputs")


def _add_gradcheck_parser(sub: Any) -> None:
    """``gradcheck``: backpropagation against central differences."""
    p = sub.add_parser(
        "gradcheck",
        help="check backpropagation against central differences",
        description="Build an MLP in float64, run it on a small random batch and print "
        "every parameter's relative error ‖bp − num‖ / (‖bp‖ + ‖num‖) between "
        "backpropagation and central differences. Exit status 1 when one fails.",
        epilog="example:\n  glassnet gradcheck --layers 5,4 --activation tanh "
        "--output softmax --loss ce",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    p.add_argument("--alpha", type=finite_float, default=0.01, help="LeakyReLU slope")
    p.add_argument("--init", choices=INITS, default="xavier")
    p.add_argument("--n-in", type=positive_int, default=3, help="input features")
    p.add_argument("--n-out", type=positive_int, help="outputs (default 3 for ce)")
    p.add_argument(
        "--batch-size",
        type=int_up_to(MAX_BATCH),
        default=8,
        metavar="M",
        help="samples in the random batch (default 8)",
    )
    # the old spelling, kept working but not shown: every other command says
    # --batch-size
    p.add_argument(
        "--batch", type=int_up_to(MAX_BATCH), dest="batch_size", help=argparse.SUPPRESS
    )
    p.add_argument("--eps", type=positive_float, default=1e-4, help="step h")
    p.add_argument("--tol", type=positive_float, default=1e-6, help="tolerance")
    p.add_argument("--seed", type=int, default=0)


def _add_plot_parser(sub: Any) -> None:
    """``plot KIND``: one figure, with an option group per kind."""
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=PLOT_KINDS, help=", ".join(PLOT_KINDS))
    p.add_argument(
        "--out", metavar="FILE", help="file to write (default: KIND.png, or .gif)"
    )
    p.add_argument(
        "--dpi", type=float_up_to(MAX_DPI), default=100, help="resolution (default 100)"
    )
    g = p.add_argument_group("activations")
    g.add_argument(
        "--names",
        default="sigmoid,tanh,relu,leaky_relu",
        metavar="G,G,…",
        help="functions to draw (default sigmoid,tanh,relu,leaky_relu)",
    )
    _add_descent_options(p)
    g = p.add_argument_group("data, boundary, confusion")
    add_data_source_options(g, noise=True)
    g = p.add_argument_group("architecture, boundary, confusion")
    add_network_options(p, g)


def _add_descent_options(p: argparse.ArgumentParser) -> None:
    """The ``descent`` group of ``plot``: f(x, y), the start, α, the steps."""
    g = p.add_argument_group("descent")
    g.add_argument(
        "--function",
        default="bowl",
        metavar="F",
        help="bowl (x²+y², seed B), elongated, rosenbrock, two_minima, or an "
        'expression in x and y such as "x**2 + 3*y**2" (default bowl)',
    )
    g.add_argument(
        "--start", type=point, metavar="X,Y", help="starting point (e.g. -5,-5)"
    )
    g.add_argument("--lr", type=positive_float, help="learning rate α")
    g.add_argument(
        "--steps",
        type=int_up_to(MAX_STEPS),
        help="number of steps (stops at a zero ∇f)",
    )
    g.add_argument("--animate", action="store_true", help="write the descent as a .gif")
    g.add_argument(
        "--frames",
        type=int_up_to(MAX_FRAMES),
        default=80,
        help="the most frames of the animation (default 80)",
    )


def _add_explain_parser(sub: Any) -> None:
    """``explain``: a network's dimension table and equations."""
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_network_options(p, p, positional=True)
    p.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="M",
        help="number of samples m in the shapes (default: the letter m)",
    )
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
