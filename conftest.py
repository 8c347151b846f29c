"""Doctest collection of modules whose optional extra is not installed is skipped."""

from __future__ import annotations

import importlib.util

# module of the package → the import its optional extra provides
_EXTRAS = {
    "src/glassnet/sklearn.py": "sklearn",
    "src/glassnet/onnx.py": "onnx",
}

collect_ignore = [
    path for path, module in _EXTRAS.items() if importlib.util.find_spec(module) is None
]
