"""The JSON header of a checkpoint: what a save writes, and reading it untrusted.

The header (the safetensors metadata entry ``glassnet``) holds the format and
version, the optimizer's class and step count, the run's settings and the state of
the fit; ``glassnet.checkpoint`` describes the whole file format. A header is read
as a stranger's: every field is checked for its type and range before anything
uses it, and every failure names the file and the field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.fit_settings import steps_per_epoch

if TYPE_CHECKING:
    from glassnet.checkpoint import FitState

FORMAT = "glassnet-checkpoint"
VERSION = 2

# Bounds on what a checkpoint header may declare: far above any real run, they keep a
# tampered file from making the loader allocate or loop without end.
MAX_HEADER_JSON = 2**20
MAX_COUNT = 2**53  # steps, epochs, samples: exact in a float64
MAX_KEYS = 64  # history keys; settings entries get MAX_SETTINGS
MAX_LAYERS = 4096  # layers with their own generator (Dropout)
MAX_SETTINGS = 512
MAX_TEXT = 4096

STATE_KEYS = {
    "epoch", "batch", "step", "rng_state", "loss_sum", "correct", "classify",
    "history_keys", "history_values", "history_crc32", "finished",
}  # fmt: skip


def header_json(
    optimizer: Any,
    settings: dict[str, Any],
    state: FitState,
    history_keys: list[str],
    history_values: int,
    history_crc32: int,
) -> str:
    """The header of a checkpoint of ``state``, as the JSON text that is saved."""
    info = {
        "format": FORMAT,
        "version": VERSION,
        "optimizer": {
            "class": type(optimizer).__name__,
            "t": int(getattr(optimizer, "t", 0)),
        },
        "settings": settings,
        "state": {
            "epoch": state.epoch,
            "batch": state.batch,
            "step": state.step,
            "rng_state": state.rng_state,
            "layer_rng_states": state.layer_rng_states,
            "loss_sum": float(state.loss_sum),
            "correct": float(state.correct),
            "classify": bool(state.classify),
            "history_keys": history_keys,
            "history_values": history_values,
            "history_crc32": history_crc32,
            "finished": bool(state.finished),
        },
    }
    return json.dumps(info)


class Reader:
    """Typed access to the JSON header; every failure names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str, got: Any) -> ValueError:
        """The error for field ``where``: ``got`` where ``expected`` belongs."""
        shown = repr(got)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return ValueError(
            f"{self.path}: corrupt checkpoint: field {where} must be {expected}; got "
            f"{shown}. The file was altered or damaged; resume from an intact copy or "
            "train afresh."
        )

    def obj(
        self, value: Any, where: str, keys: set[str] | None = None
    ) -> dict[str, Any]:
        """``value`` as a JSON object, with exactly ``keys`` when they are given."""
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        if keys is not None and set(value) != keys:
            missing, extra = sorted(keys - set(value)), sorted(set(value) - keys)
            parts = ([f"missing {missing}"] if missing else []) + (
                [f"unknown {extra}"] if extra else []
            )
            raise self.fail(
                where, f"an object with keys {sorted(keys)}", ", ".join(parts)
            )
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        """``value`` as an integer in [low, high] (a JSON true is not 1)."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not low <= value <= high
        ):
            raise self.fail(where, f"an integer in [{low}, {high}]", value)
        return value

    def number(self, value: Any, where: str) -> float:
        """``value`` as a finite number."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, "a finite number", value)
        if not math.isfinite(value):
            raise self.fail(where, "a finite number", value)
        return float(value)

    def flag(self, value: Any, where: str) -> bool:
        """``value`` as true or false."""
        if not isinstance(value, bool):
            raise self.fail(where, "true or false", value)
        return value

    def text(self, value: Any, where: str) -> str:
        """``value`` as a string of bounded length."""
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise self.fail(where, f"a string of at most {MAX_TEXT} characters", value)
        return value


def parse_header(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """The checkpoint's JSON header, checked for format, version and field types."""
    r = Reader(path)
    info = _format_and_version(path, metadata)
    r.obj(info, "(top level)", {"format", "version", "optimizer", "settings", "state"})
    opt = r.obj(info["optimizer"], "optimizer", {"class", "t"})
    r.text(opt["class"], "optimizer.class")
    r.integer(opt["t"], "optimizer.t", 0, MAX_COUNT)
    settings = _check_settings(r, info["settings"])
    _check_state(r, info["state"], settings)
    return info


def _format_and_version(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """The decoded header, once it says it is a glassnet checkpoint of this version."""
    raw = metadata.get("glassnet")
    if raw is None or len(raw) > MAX_HEADER_JSON:
        raise ValueError(f"{path} is a safetensors file but not a glassnet checkpoint.")
    try:
        info = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError, a 5000-digit number
        raise ValueError(
            f"{path}: corrupt checkpoint: its header is not valid JSON (or nested "
            "too deeply)."
        ) from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ValueError(f"{path} is a safetensors file but not a glassnet checkpoint.")
    if info.get("version") != VERSION or isinstance(info.get("version"), bool):
        raise ValueError(
            f"{path} is a checkpoint of format version {info.get('version')!r}; this "
            f"glassnet reads version {VERSION}. Train afresh (without resume)."
        )
    return info


def _check_settings(r: Reader, raw: Any) -> dict[str, Any]:
    """The settings: short texts, finite numbers, flags, nulls, lists of texts."""
    settings = r.obj(raw, "settings")
    if len(settings) > MAX_SETTINGS:
        raise r.fail("settings", f"at most {MAX_SETTINGS} entries", len(settings))
    for key, value in settings.items():
        r.text(key, "settings (a key)")
        if isinstance(value, list):
            if len(value) > MAX_SETTINGS:
                raise r.fail(f"settings[{key!r}]", "a short list", len(value))
            for i, item in enumerate(value):
                r.text(item, f"settings[{key!r}][{i}]")
        elif isinstance(value, float) and not math.isfinite(value):
            raise r.fail(f"settings[{key!r}]", "a finite number", value)
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            raise r.fail(f"settings[{key!r}]", "a number, a string or null", value)
        elif isinstance(value, str):
            r.text(value, f"settings[{key!r}]")
    for key in ("samples", "batch_size"):
        r.integer(settings.get(key), f"settings[{key!r}]", 1, MAX_COUNT)
    r.flag(settings.get("shuffle"), "settings['shuffle']")
    if settings["batch_size"] > settings["samples"]:
        raise r.fail(
            "settings['batch_size']",
            f"at most samples ({settings['samples']})",
            settings["batch_size"],
        )
    return settings


def _check_state(r: Reader, raw: Any, settings: dict[str, Any]) -> None:
    """The fit's state: progress, running sums, records and random states agree."""
    # layer_rng_states came with Dropout; a checkpoint written before has none
    layer_rngs = raw.get("layer_rng_states", {}) if isinstance(raw, dict) else {}
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k != "layer_rng_states"}
    state = r.obj(raw, "state", STATE_KEYS)
    m = settings["samples"]
    per_epoch = steps_per_epoch(m, settings["batch_size"])
    epoch = r.integer(state["epoch"], "state.epoch", 1, MAX_COUNT // per_epoch)
    batch = r.integer(state["batch"], "state.batch", 0, per_epoch)
    step = r.integer(state["step"], "state.step", 0, MAX_COUNT)
    if step != (epoch - 1) * per_epoch + batch:
        raise r.fail(
            "state.step",
            f"(epoch − 1) × {per_epoch} steps per epoch + batch = "
            f"{(epoch - 1) * per_epoch + batch}",
            step,
        )
    r.number(state["loss_sum"], "state.loss_sum")
    correct = r.number(state["correct"], "state.correct")
    if not 0 <= correct <= m:
        raise r.fail("state.correct", f"a count in [0, {m}]", correct)
    r.flag(state["classify"], "state.classify")
    r.flag(state["finished"], "state.finished")
    keys = _check_history_keys(r, state["history_keys"], epoch)
    expected = (epoch - 1) * (per_epoch + len(keys)) + batch
    r.integer(state["history_values"], "state.history_values", expected, expected)
    r.integer(state["history_crc32"], "state.history_crc32", 0, 2**32 - 1)
    check_pcg64_state(r, state["rng_state"], "state.rng_state")
    _check_layer_rng_states(r, layer_rngs)


def _check_history_keys(r: Reader, keys: Any, epoch: int) -> list[str]:
    """The per-epoch records' names: distinct, with 'loss' once an epoch is done."""
    if (
        not isinstance(keys, list)
        or len(keys) > MAX_KEYS
        or len(set(map(str, keys))) != len(keys)
    ):
        raise r.fail("state.history_keys", f"a list of at most {MAX_KEYS} names", keys)
    for i, key in enumerate(keys):
        r.text(key, f"state.history_keys[{i}]")
    if (epoch == 1 and keys) or (epoch > 1 and "loss" not in keys):
        raise r.fail(
            "state.history_keys",
            "names including 'loss' once an epoch is done, and none before",
            keys,
        )
    return keys


def _check_layer_rng_states(r: Reader, value: Any) -> None:
    """The layers' own generators, by the layer's position in ``model.layers``."""
    layer_rngs = r.obj(value, "state.layer_rng_states")
    if len(layer_rngs) > MAX_LAYERS:
        raise r.fail("state.layer_rng_states", f"at most {MAX_LAYERS} layers", "more")
    for key, state in layer_rngs.items():
        if not (key.isdecimal() and len(key) <= 6):
            raise r.fail("state.layer_rng_states", "layer positions as keys", key)
        check_pcg64_state(r, state, f"state.layer_rng_states[{key!r}]")


def check_pcg64_state(r: Reader, value: Any, where: str) -> None:
    """Refuse anything but the state of a PCG64 generator (NumPy's default)."""
    state = r.obj(value, where)
    if state.get("bit_generator") != "PCG64":
        raise r.fail(where, "the state of a PCG64 generator", state)
    try:  # the generator checks its own state; a throwaway one takes it
        np.random.default_rng().bit_generator.state = state
    except (ValueError, TypeError, KeyError, OverflowError):
        raise r.fail(where, "the state of a PCG64 generator", state) from None
