"""JSON read strictly: every way a text can fail to be one JSON value is a ValueError.

Model files and checkpoints carry JSON (a safetensors header, an architecture, the
caller's metadata) that may come from anyone; ``loads_json`` turns each failure into
one ``ValueError`` that says where the bad JSON was. The safetensors reader
(``glassnet._safetensors``) and the model-file checks (``glassnet.io``) both read
through it; ``glassnet._files`` re-exports it.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads_json"]


def loads_json(raw: bytes | str, where: str) -> Any:
    """``json.loads`` that refuses bad input with a ValueError starting with ``where``.

    Deep nesting (``[[[[...``, which makes ``json.loads`` raise RecursionError),
    duplicate keys (two readers could see two different files), invalid UTF-8 and
    invalid JSON all become ``ValueError``.

    >>> loads_json('{"a": [1, 2]}', "x")
    {'a': [1, 2]}
    >>> loads_json("[" * 100_000, "the header")
    Traceback (most recent call last):
    ...
    ValueError: the header is nested too deeply to be read.
    """

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # A name given twice would let two readers see two different files.
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    try:
        return json.loads(raw, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise ValueError(f"{where} is nested too deeply to be read.") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text.") from None
    except ValueError as exc:  # JSONDecodeError and duplicate keys
        raise ValueError(f"{where} is not valid JSON ({exc}).") from None
