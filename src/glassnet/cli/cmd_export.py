"""``glassnet export MODEL --onnx out.onnx``: a saved model as an ONNX file.

The ONNX graph is the model itself, its Standardize and Unstandardize included
(``glassnet.onnx``), so an ONNX runtime given the data's raw rows returns what
``glassnet predict`` and ``gn.load(MODEL).predict`` return. The file is written
atomically; the ``onnx`` package is the optional extra ``glassnet[onnx]``.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import numpy as np

from glassnet import io
from glassnet.cli.errors import UsageError
from glassnet.cli.network import load_model
from glassnet.cli.paths import check_writable

__all__ = ["add_export_parser", "cmd_export"]


def add_export_parser(sub: Any) -> None:
    """The ``export`` command's parser."""
    p = sub.add_parser(
        "export",
        help="write a saved model as an ONNX file",
        description="Write a model saved with --save as an ONNX graph (opset 17) that "
        'any ONNX runtime runs: input "X" (batch, n_in), output "Y". A model that '
        "standardizes its inputs exports that too. Needs pip install "
        '"glassnet[onnx]".',
        epilog="example:\n  glassnet export model.safetensors --onnx model.onnx\n"
        '  python -c "import onnxruntime as ort; s = ort.InferenceSession('
        "'model.onnx'); ...\"",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a .safetensors file written by glassnet")
    p.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx to write")
    p.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float32",
        help="of the weights, input and output (default float32)",
    )


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet export MODEL --onnx FILE."""
    check_writable(args.onnx, "--onnx")
    model, _ = load_model(args.model)
    try:
        io.export_onnx(model, args.onnx, dtype=np.dtype(args.dtype))
    except ImportError as exc:  # the onnx extra is missing: io says how to add it
        raise UsageError(
            str(exc).replace("gn.io.export_onnx", "glassnet export")
        ) from None
    except TypeError as exc:  # a layer ONNX export does not know
        raise UsageError(f"{args.model}: {exc}") from None
    print(f"wrote     {args.onnx}  ({model!r})", file=out)
    return 0
