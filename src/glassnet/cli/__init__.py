"""The ``glassnet`` command: demos of the seeds, train, evaluate, predict, gradcheck.

Every command parses its arguments with argparse, runs, and prints plain text. Bad
input of any kind (arguments, data set names, files) and a diverging run end with one
line on stderr and exit status 2; ``--debug`` shows the traceback instead. Ctrl-C
stops training after the current step with one line and status 130. ``main(argv)``
returns the exit status, so tests call it in-process.

The package, one job per module: ``parser`` (commands, help, examples) and
``options`` (option types, shared option groups); ``network`` (names → models),
``data`` (input files), ``data_sets`` (data sets by name, split and scaled) and
``model_data`` (a saved model with the data it is measured on); ``tables`` (your own
CSV files); ``experiments`` (one training run) and ``run_callbacks`` (the callbacks
its options ask for); ``model_file`` (what --save writes: the scaling inside the
model); ``figures`` (--plots); ``paths`` (files checked before use); ``errors``
(UsageError); and one ``cmd_*`` module per group of commands.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from glassnet.cli.cmd_export import cmd_export
from glassnet.cli.cmd_gradcheck import cmd_gradcheck
from glassnet.cli.cmd_model import cmd_evaluate, cmd_predict
from glassnet.cli.cmd_playground import cmd_playground
from glassnet.cli.cmd_plot import cmd_explain, cmd_plot
from glassnet.cli.cmd_train import cmd_demo, cmd_train
from glassnet.cli.experiments import Run, run_experiment
from glassnet.cli.parser import build_parser

__all__ = ["Run", "main", "run_experiment"]

COMMANDS: dict[str, Callable[[Any, TextIO], int]] = {
    "demo": cmd_demo,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "gradcheck": cmd_gradcheck,
    "plot": cmd_plot,
    "explain": cmd_explain,
    "export": cmd_export,
    "playground": cmd_playground,
}


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``glassnet`` command with ``argv``; return the exit status."""
    out = sys.stdout if out is None else out
    argv = list(sys.argv[1:] if argv is None else argv)
    # "--start -5,-5" would read as an option to argparse; "--start=-5,-5" does not
    for i in range(len(argv) - 1, 0, -1):
        if argv[i - 1] == "--start" and argv[i].startswith("-"):
            argv[i - 1 : i + 1] = [f"--start={argv[i]}"]
    # --debug belongs to no subcommand: accepted anywhere, as the user may add it last
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        with contextlib.redirect_stdout(out):  # --help and --version go to ``out``
            args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(out)
            return 2
        status = int(COMMANDS[args.command](args, out))
        out.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return int(exc.code or 0)
    except KeyboardInterrupt as exc:
        # fit's message says the step reached and where the checkpoint went
        detail = str(exc).removeprefix("training ") or "interrupted"
        print(f"glassnet: {detail}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`glassnet predict … | head`): stop quietly, as a
        # command killed by SIGPIPE would (status 128 + 13)
        if out is sys.stdout:
            _silence_stdout()
        return 141
    except (ValueError, TypeError, OSError, FloatingPointError) as exc:
        if debug:
            raise
        print(one_line(str(exc)), file=sys.stderr)
        return 2
    except (RecursionError, MemoryError) as exc:
        # the readers bound what they read; this is the net under a case they missed
        if debug:
            raise
        what = "nested too deeply" if isinstance(exc, RecursionError) else "too large"
        print(one_line(f"an input is {what} to be read ({exc})."), file=sys.stderr)
        return 2


def _printable(c: str) -> str:
    if c.isprintable() and c != "\ufffd":  # U+FFFD: a byte that was not UTF-8
        return c
    return f"\\x{ord(c):02x}" if ord(c) < 256 else "?"


def one_line(text: str) -> str:
    r"""``text`` as one printable line starting with "glassnet": a message for stderr.

    Control characters and bytes that are not printable text (from a binary file
    quoted in a message) become ``\xNN`` escapes, so the terminal shows no garbage.

    >>> one_line("bad\n  value \x00\x93")
    'glassnet: error: bad value \\x00\\x93'
    """
    message = " ".join(text.split())
    message = "".join(_printable(c) for c in message)
    if not message.startswith("glassnet"):
        message = f"glassnet: error: {message}"
    return message
