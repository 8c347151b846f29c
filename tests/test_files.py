"""Atomic writes and the hostile-file guard of the safetensors reader."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save

from glassnet._files import atomic_write_bytes, read_safetensors


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"previous")

    def crash(fd: int) -> None:
        raise OSError("disk died during fsync")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk died"):
        atomic_write_bytes(target, b"half-written")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_write_into_a_missing_folder_says_which(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "nope" / "f.bin", b"x")


def test_read_round_trip_with_metadata(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    path.write_bytes(save({"W": W}, metadata={"k": "v"}))
    tensors, metadata = read_safetensors(path, "model file")
    np.testing.assert_array_equal(tensors["W"], W)
    assert metadata == {"k": "v"}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such model file"):
        read_safetensors(tmp_path / "none.safetensors", "model file")


def test_a_pickle_is_refused_without_being_loaded(tmp_path: Path) -> None:
    path = tmp_path / "evil.safetensors"

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ValueError, match="pickle"):
        read_safetensors(path, "model file")
    assert not (tmp_path / "pwned").exists()


def test_an_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match="npz"):
        read_safetensors(path, "model file")


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x01\x02",
        struct.pack("<Q", 2**40) + b"{}",  # absurd header size
        struct.pack("<Q", 4) + b"nope",  # header not JSON
        struct.pack("<Q", 2) + b"[]",  # header not an object
        struct.pack("<Q", 60)
        + json.dumps(
            {"W": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}
        )
        .encode()
        .ljust(60),  # tensor bytes missing
    ],
)
def test_malformed_files_raise_value_error(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=r"bad\.safetensors"):
        read_safetensors(path, "model file")


def test_truncated_file_raises_value_error(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    data = save({"W": np.ones((10, 10), dtype=np.float32)})
    path.write_bytes(data[: len(data) - 17])
    with pytest.raises(ValueError, match="corrupt model file"):
        read_safetensors(path, "model file")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_never_crash_deeper(tmp_path_factory, blob: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.safetensors"
    path.write_bytes(blob)
    with contextlib.suppress(ValueError):
        read_safetensors(path, "model file")


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 200), st.integers(0, 255))
def test_fuzz_flipped_bytes_of_a_real_file(
    tmp_path_factory, position: int, value: int
) -> None:
    data = bytearray(
        save({"W": np.ones((3, 4), dtype=np.float32)}, metadata={"a": "b"})
    )
    data[position % len(data)] = value
    path = tmp_path_factory.mktemp("flip") / "f.safetensors"
    path.write_bytes(bytes(data))
    try:
        tensors, _ = read_safetensors(path, "model file")
    except ValueError:
        return
    assert all(isinstance(t, np.ndarray) for t in tensors.values())
