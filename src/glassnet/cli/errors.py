"""The command's one error type: bad input that main reports in one line."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(ValueError):
    """Bad input from the command line; reported as one line, exit status 2."""
