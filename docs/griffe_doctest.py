"""A Griffe extension for the API pages: docstring examples shown as Python code.

glassnet's docstrings carry doctests (``>>>`` lines and their output) in their body,
which Markdown would read as nested quotes and links. This wraps each run of doctest
lines in a ``pycon`` code fence, at its own indentation, before mkdocstrings renders
it.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with every doctest block (``>>>`` to the next blank line) fenced."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _fence(obj: griffe.Object) -> None:
    if obj.docstring is not None and ">>>" in obj.docstring.value:
        obj.docstring.value = fence_doctests(obj.docstring.value)


class DoctestFences(griffe.Extension):
    """Fence the doctests of every object once its tree is built."""

    def on_object(self, *, obj: griffe.Object, loader: Any, **kwargs: Any) -> None:
        """Rewrite this object's docstring, if it has doctests."""
        _fence(obj)

    def on_package(self, *, pkg: griffe.Module, loader: Any, **kwargs: Any) -> None:
        """The same for the top-level package, which on_object does not see."""
        _fence(pkg)
