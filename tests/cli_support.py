"""Helpers shared by the command-line tests: run main in-process, read its error."""

from __future__ import annotations

import io as stdio
import re

from glassnet import cli


def run(argv, capsys=None):
    """Run main(argv) in-process; return (status, stdout text)."""
    out = stdio.StringIO()
    status = cli.main([str(a) for a in argv], out=out)
    return status, out.getvalue()


def one_line_error(capsys, status, pattern, code=2):
    """Assert exit status ``code`` and exactly one stderr line matching ``pattern``."""
    err = capsys.readouterr().err
    assert status == code
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]
