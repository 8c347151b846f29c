"""Atomic writes and the hostile-file guard of the safetensors reader."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pickle
import stat
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save

from glassnet._files import (
    atomic_write,
    atomic_write_bytes,
    check_writable,
    read_safetensors,
)


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


# ------------------------------------------------ the sniff and the header length


def unpadded_file(header_length: int) -> bytes:
    """A valid safetensors file whose JSON header is exactly ``header_length`` bytes."""
    W = np.arange(4, dtype=np.float32)
    entry = {"W": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    base = len(json.dumps({**entry, "__metadata__": {"pad": ""}}).encode())
    header = {**entry, "__metadata__": {"pad": "x" * (header_length - base)}}
    raw = json.dumps(header).encode()
    assert len(raw) == header_length
    return struct.pack("<Q", len(raw)) + raw + W.tobytes()


@pytest.mark.parametrize("residue", range(256))
def test_every_header_length_mod_256_reads_back(tmp_path: Path, residue: int) -> None:
    # Byte 0 of the file is the low byte of the header length: 0x80 (≡ 128 mod 256)
    # used to be taken for a pickle's first byte.
    path = tmp_path / "t.safetensors"
    data = unpadded_file(512 + residue)
    assert data[0] == residue
    path.write_bytes(data)
    tensors, metadata = read_safetensors(path, "model file")
    np.testing.assert_array_equal(tensors["W"], np.arange(4, dtype=np.float32))
    assert metadata == {"pad": "x" * (len(metadata["pad"]))}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_of_every_protocol_are_refused(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "p.safetensors"
    path.write_bytes(pickle.dumps({"W": [1.0, 2.0] * 50}, protocol=protocol))
    # Protocols ≥ 2 start with 0x80 and are named; 0 and 1 are plain junk to us.
    match = "pickle" if protocol >= 2 else "not a safetensors file"
    with pytest.raises(ValueError, match=match):
        read_safetensors(path, "model file")


def test_npy_and_torch_zip_files_are_named(tmp_path: Path) -> None:
    npy = tmp_path / "a.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ValueError, match=r"\.npy"):
        read_safetensors(npy, "model file")
    zipped = tmp_path / "a.pt"
    zipped.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ValueError, match="zip"):
        read_safetensors(zipped, "model file")


# ------------------------------------------------ hostile headers


def crafted(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


F32_4 = {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (struct.pack("<Q", 100_002) + b"[" * 100_000 + b"{}", "start with"),
        (struct.pack("<Q", 100_005) + b'{"a":' + b"[" * 100_000, "nested too deeply"),
        (struct.pack("<Q", 250_000) + b'{"a":' * 50_000, "nested too deeply"),
        (crafted({"m": {"__metadata__": 1}}), "not described"),
        (crafted({"__metadata__": {"a": {"b": ["c"] * 3}}}), "map names to strings"),
        (crafted({"W": {**F32_4, "dtype": "BF16"}}, bytes(16)), "'W' has dtype BF16"),
        (crafted({"W": {**F32_4, "dtype": "F8_E4M3"}}, bytes(16)), "F8_E4M3"),
        (crafted({"W": {**F32_4, "shape": [10**9, 10**9]}}, bytes(16)), "needs"),
        (crafted({"W": {**F32_4, "shape": ["4"]}}, bytes(16)), "shape"),
        (crafted({"W": {**F32_4, "shape": [True, 4]}}, bytes(16)), "shape"),
        (crafted({"W": {**F32_4, "data_offsets": [16, 0]}}, bytes(16)), "offsets"),
        (crafted({"W": {**F32_4, "extra": 1}}, bytes(16)), "exactly dtype"),
        (crafted({"W": F32_4}, bytes(12)), "declares 16 bytes"),
        (crafted({"W": F32_4}, bytes(20)), "declares 16 bytes"),  # trailing bytes
        (
            crafted({"W": F32_4, "V": {**F32_4, "data_offsets": [8, 24]}}, bytes(24)),
            "overlap",
        ),
        (
            b"\x28\0\0\0\0\0\0\0" + b'{"W": {}, "W": {}}'.ljust(0x28) + bytes(0),
            "duplicate key 'W'",
        ),
        (struct.pack("<Q", 4) + b"{\xff\xfe}", "UTF-8"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_hostile_headers_raise_value_error_naming_the_problem(
    tmp_path: Path, payload: bytes, message: str
) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message) as info:
        read_safetensors(path, "model file")
    assert "bad.safetensors" in str(info.value)


def test_dtypes_outside_the_allowed_ones_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    path.write_bytes(save({"W": np.zeros(3, np.float16)}))
    with pytest.raises(ValueError, match=r"'W' has dtype F16 \(float16\)"):
        read_safetensors(path, "model file", dtypes={"F32", "F64"})
    assert read_safetensors(path, "model file")[0]["W"].dtype == np.float16


def test_booleans_other_than_0_and_1_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    path.write_bytes(
        crafted(
            {"B": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07"
        )
    )
    with pytest.raises(ValueError, match="booleans"):
        read_safetensors(path, "model file")


def test_a_limit_on_tensor_bytes_is_enforced(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    path.write_bytes(save({"W": np.zeros(100, np.float64)}))
    with pytest.raises(ValueError, match="above the limit of 799"):
        read_safetensors(path, "model file", max_bytes=799)
    assert read_safetensors(path, "model file", max_bytes=800)[0]["W"].shape == (100,)


def test_check_runs_on_the_header_before_any_tensor_is_read(tmp_path: Path) -> None:
    # An 8 GiB (sparse) file whose header is consistent: the check refuses it from
    # the header alone, so reading allocates next to nothing.
    import tracemalloc

    path = tmp_path / "big.safetensors"
    n = 2**30
    header = crafted({"W": {"dtype": "F64", "shape": [n], "data_offsets": [0, 8 * n]}})
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(len(header) + 8 * n)
    seen = []

    def refuse(infos, metadata):
        seen.append(infos["W"].shape)
        raise ValueError("too big for this test")

    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="too big"):
            read_safetensors(path, "model file", check=refuse)
        with pytest.raises(ValueError, match="limit"):
            read_safetensors(path, "model file", max_bytes=2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == [(n,)]
    assert peak < 2**20


def test_a_large_junk_file_is_refused_without_being_read(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "junk.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 64) + b"x" * 64)
        f.truncate(8 * 2**30)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="does not start with"):
            read_safetensors(path, "model file")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


# ------------------------------------------------ not a regular file


@contextlib.contextmanager
def alarm(seconds: int):
    """Fail instead of hanging: a FIFO opened for reading waits for a writer."""
    import signal

    def hang(signum, frame):
        raise TimeoutError("the reader blocked on a special file")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def make_special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "m.safetensors"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "link to /dev/null":
        path.symlink_to("/dev/null")
    elif kind == "link to a folder":
        (tmp_path / "d").mkdir()
        path.symlink_to(tmp_path / "d")
    return path


SPECIAL = [
    "folder",
    "fifo",
    "link to /dev/zero",
    "link to /dev/null",
    "link to a folder",
]


@pytest.mark.parametrize("kind", SPECIAL)
def test_special_files_are_not_regular_files(tmp_path: Path, kind: str) -> None:
    path = make_special(tmp_path, kind)
    with alarm(5), pytest.raises(ValueError, match="not a regular file"):
        read_safetensors(path, "model file")


def test_a_dangling_link_is_no_such_file(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    path.symlink_to(tmp_path / "gone")
    with pytest.raises(FileNotFoundError, match="no such model file"):
        read_safetensors(path, "model file")


def test_a_link_to_a_model_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(save({"W": np.ones(2, np.float32)}))
    (tmp_path / "link").symlink_to("real")
    assert read_safetensors(tmp_path / "link", "model file")[0]["W"].tolist() == [1, 1]


# ------------------------------------------------ the atomic writer


def leftovers(folder: Path, *keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def fail_in_write(monkeypatch):
    def write(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    return write


def fail_in_fsync(monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    return lambda f: f.write(b"new content")


def fail_in_replace(monkeypatch):
    def replace(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", replace)
    return lambda f: f.write(b"new content")


def interrupt_in_write(monkeypatch):
    def write(f):
        f.write(b"half")
        raise KeyboardInterrupt

    return write


@pytest.mark.parametrize(
    "failure", [fail_in_write, fail_in_fsync, fail_in_replace, interrupt_in_write]
)
@pytest.mark.parametrize("existing", [True, False])
def test_any_failure_removes_the_temporary_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch, failure, existing: bool
) -> None:
    target = tmp_path / "f.bin"
    if existing:
        target.write_bytes(b"previous")
    write = failure(monkeypatch)
    with pytest.raises((OSError, KeyboardInterrupt)):
        atomic_write(target, write)
    monkeypatch.undo()
    assert leftovers(tmp_path) == (["f.bin"] if existing else [])
    if existing:
        assert target.read_bytes() == b"previous"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002, 0o027])
def test_a_new_file_gets_the_mode_an_ordinary_write_gives(
    tmp_path: Path, umask: int
) -> None:
    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "atomic", b"x")
        with open(tmp_path / "ordinary", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "atomic").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "ordinary").stat().st_mode)
    assert mode == 0o666 & ~umask


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o664, 0o600])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    target.chmod(mode)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.parametrize("target_exists", [True, False])
@pytest.mark.parametrize("relative", [True, False])
def test_a_write_through_a_symlink_writes_its_target(
    tmp_path: Path, target_exists: bool, relative: bool
) -> None:
    (tmp_path / "store").mkdir()
    real = tmp_path / "store" / "model.bin"
    if target_exists:
        real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(os.path.relpath(real, tmp_path) if relative else real)
    chain = tmp_path / "chain.bin"
    chain.symlink_to(link)
    atomic_write_bytes(chain, b"new")
    assert chain.is_symlink()
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
    assert leftovers(tmp_path / "store") == ["model.bin"]
    assert leftovers(tmp_path) == ["chain.bin", "link.bin", "store"]


def test_atomic_write_takes_a_writer_callback(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    A = np.arange(6.0).reshape(2, 3)
    atomic_write(path, lambda f: np.savetxt(f, A, delimiter=","))
    np.testing.assert_array_equal(np.loadtxt(path, delimiter=","), A)
    atomic_write(path, lambda f: np.save(f, A))
    np.testing.assert_array_equal(np.load(path, allow_pickle=False), A)


# ------------------------------------------------ check_writable


@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        (lambda d: d / "missing" / "m.st", FileNotFoundError, "does not exist"),
        (
            lambda d: (d / "file").touch() or d / "file" / "m.st",
            NotADirectoryError,
            "not a folder",
        ),
        (lambda d: (d / "sub").mkdir() or d / "sub", IsADirectoryError, "is a folder"),
        (lambda d: os.mkfifo(d / "p") or d / "p", ValueError, "not a regular file"),
        (
            lambda d: (d / "dn").symlink_to("/dev/null") or d / "dn",
            ValueError,
            "not a regular file",
        ),
        (
            lambda d: (d / "dl").symlink_to(d / "nowhere" / "x") or d / "dl",
            FileNotFoundError,
            "does not exist",
        ),
    ],
    ids=[
        "missing folder",
        "folder is a file",
        "a folder",
        "fifo",
        "/dev/null",
        "dangling link into a missing folder",
    ],
)
def test_check_writable_refuses_with_a_clear_message(
    tmp_path: Path, setup, error, message
) -> None:
    path = setup(tmp_path)
    with pytest.raises(error, match=message) as info:
        check_writable(path, "checkpoint")
    assert "cannot write checkpoint" in str(info.value)
    with pytest.raises(error, match=message):
        atomic_write_bytes(path, b"x")


def test_check_writable_refuses_an_unwritable_folder(tmp_path: Path, monkeypatch):
    real_access = os.access

    def access(path, mode, **kw):
        if Path(path) == tmp_path and mode & os.W_OK:
            return False
        return real_access(path, mode, **kw)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(PermissionError, match="no permission to create files"):
        check_writable(tmp_path / "m.safetensors", "model file")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes all")
def test_a_read_only_folder_really_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            check_writable(folder / "m.safetensors", "model file")
    finally:
        folder.chmod(0o755)


def test_check_writable_returns_the_path_that_will_be_written(tmp_path: Path):
    (tmp_path / "real").write_bytes(b"")
    (tmp_path / "link").symlink_to("real")
    assert check_writable(tmp_path / "link") == (tmp_path / "real").resolve()
    assert check_writable(tmp_path / "new") == tmp_path / "new"
