r"""The messages a page may send over its WebSocket, and their validation.

Every message is one JSON object of at most ``MAX_MESSAGE`` characters with a
``type`` and exactly the fields of that type; ``parse`` returns it or raises
ProtocolError saying what was wrong. The server answers a ProtocolError with an
error frame ``{"type": "error", "message": ...}`` and goes on.

Page → server::

    {"type": "config", "config": {field: value, ...}}      change settings
    {"type": "play"} {"type": "pause"} {"type": "step"}     run, stop, one frame
    {"type": "reset"}                                       new run, same seed
    {"type": "regenerate"}                                  new points (data_seed+1)
    {"type": "parameter", "layer": L, "row": i, "col": j | null, "value": v}
    {"type": "point", "x1": .., "x2": .., "label": ..}      add a training point
    {"type": "upload", "csv": "x1,x2,label\n..."}          your own points
    {"type": "sample", "set": "train" | "test", "index": i} step one sample
    {"type": "gradcheck"}                                   check gradients now
    {"type": "export", "what": "model" | "script"}

Server → page: "data" (points, config, network shape), "frame" (losses, θ, dθ,
heatmaps), "sample", "gradcheck", "export", "error".

>>> parse('{"type": "step"}')
{'type': 'step'}
>>> parse('{"type": "sample", "set": "train"}')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
glassnet.playground.protocol.ProtocolError: a "sample" message needs the fields ...
"""

from __future__ import annotations

import json
import math
from typing import Any

from glassnet.playground.data import DOMAIN
from glassnet.playground.upload import MAX_UPLOAD_CHARS

__all__ = ["MAX_MESSAGE", "ProtocolError", "parse"]

MAX_MESSAGE = MAX_UPLOAD_CHARS + 4096  # an upload is the largest message


class ProtocolError(ValueError):
    """A message that is not JSON, too large, or not of a known shape."""


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _coordinate(v: Any) -> bool:
    return _num(v) and -DOMAIN <= v <= DOMAIN


# type → {field: (check, what it expects)}
FIELDS: dict[str, dict[str, tuple[Any, str]]] = {
    "config": {"config": (lambda v: isinstance(v, dict), "an object")},
    "play": {},
    "pause": {},
    "step": {},
    "reset": {},
    "regenerate": {},
    "gradcheck": {},
    "parameter": {
        "layer": (_int, "an integer"),
        "row": (_int, "an integer"),
        "col": (lambda v: v is None or _int(v), "an integer or null"),
        "value": (lambda v: _num(v) and abs(v) <= 1e4, "a number in [-1e4, 1e4]"),
    },
    "point": {
        "x1": (_coordinate, "a number in [-6, 6]"),
        "x2": (_coordinate, "a number in [-6, 6]"),
        "label": (_num, "a number"),
    },
    "upload": {"csv": (lambda v: isinstance(v, str), "a string")},
    "sample": {
        "set": (lambda v: v in ("train", "test"), '"train" or "test"'),
        "index": (_int, "an integer"),
    },
    "export": {"what": (lambda v: v in ("model", "script"), '"model" or "script"')},
}


def parse(text: str | bytes) -> dict[str, Any]:
    """The validated message of one WebSocket text frame.

    Raises:
        ProtocolError: the frame is binary, too large, not JSON, or its fields do
            not fit its type.
    """
    if not isinstance(text, str):
        raise ProtocolError("messages must be JSON text frames, not binary ones.")
    if len(text) > MAX_MESSAGE:
        raise ProtocolError(
            f"message of {len(text)} characters is too large; at most {MAX_MESSAGE}."
        )
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise ProtocolError(f"message is not JSON we can read: {text!r:.60}.") from None
    if not isinstance(msg, dict) or msg.get("type") not in FIELDS:
        raise ProtocolError(
            'message must be an object whose "type" is one of: '
            f"{', '.join(FIELDS)}; got {text!r:.60}."
        )
    kind = msg["type"]
    fields = FIELDS[kind]
    given = set(msg) - {"type"}
    if given != set(fields):
        raise ProtocolError(
            f'a "{kind}" message needs the fields {", ".join(sorted(fields)) or "none"}'
            f"; got {', '.join(sorted(given)) or 'none'}."
        )
    for name, (check, expects) in fields.items():
        if not check(msg[name]):
            raise ProtocolError(
                f'"{kind}" field {name} must be {expects}; got {msg[name]!r:.60}.'
            )
    return msg
