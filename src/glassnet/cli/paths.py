"""The files a command is given: checked before anything is read or trained.

A FIFO, a folder or a device (``/dev/zero``) given as an input would hang or fill the
memory when read; a folder that is missing or not writable would lose a run that took
an hour to train. Both are refused here, before the work starts, in one line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from glassnet.cli.errors import UsageError

__all__ = ["check_writable", "regular_file"]


def regular_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` when it names a regular file (links followed); else a UsageError.

    ``what`` names the file in the message ("model file", "input file", ...).

    >>> regular_file("/dev/null", "input file")
    Traceback (most recent call last):
    ...
    glassnet.cli.errors.UsageError: /dev/null is not a regular file (a character device); give the input file itself.
    """  # noqa: E501 — the doctest's message is one line
    p = Path(path)
    try:
        mode = p.stat().st_mode  # stat never opens, so a FIFO cannot block here
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {what}.") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what} ({exc.strerror}).") from None
    if not stat.S_ISREG(mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(mode)
            else "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a character device"
            if stat.S_ISCHR(mode)
            else "a block device"
            if stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a file"
        )
        raise UsageError(
            f"{path} is not a regular file ({kind}); give the {what} itself."
        )
    return p


def check_writable(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` when ``option`` (e.g. "--save") can write it; else a UsageError.

    The folder must exist and be writable, and ``path`` must not be a folder: checked
    before training, so a long run is never lost at the end for want of a folder.

    >>> check_writable("/no/such/folder/m.safetensors", "--save")
    Traceback (most recent call last):
    ...
    glassnet.cli.errors.UsageError: --save /no/such/folder/m.safetensors: folder /no/such/folder does not exist; create it first or choose another path.
    """  # noqa: E501 — the doctest's message is one line
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UsageError(
            f"{option} {path}: folder {folder} {what}; create it first or choose "
            "another path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"{option} {path}: folder {folder} is not writable; choose another path."
        )
    if p.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name in it.")
    return p
