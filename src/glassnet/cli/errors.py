"""The command's error type (bad input, reported in one line) and plural nouns."""

from __future__ import annotations

__all__ = ["UsageError", "count"]


class UsageError(ValueError):
    """Bad input from the command line; reported as one line, exit status 2."""


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless n is 1: "1 output", "3 outputs".

    >>> count(1, "feature"), count(784, "feature")
    ('1 feature', '784 features')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
