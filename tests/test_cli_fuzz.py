"""Fuzzing ``glassnet predict --input``: random bytes and mutations of valid files.

Whatever the file holds, the command ends with status 0 (it was a table of numbers
of the right width) or status 2 and one printable line on stderr, never a traceback,
a hang or an allocation beyond a small multiple of the file's size.
"""

from __future__ import annotations

import contextlib
import io as stdio
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from glassnet import cli  # noqa: E402

PLACE: dict[str, Path] = {}  # the module's folder and model (hypothesis reruns tests)


def _valid_npy() -> bytes:
    buffer = stdio.BytesIO()
    np.save(buffer, np.array([[0.5, -0.5], [1.0, 2.0], [3.0, -4.0]]))
    return buffer.getvalue()


VALID = {".csv": b"0.5,-0.5\n1,2\n3,-4\n", ".npy": _valid_npy()}


TRAIN = ["train", "--data", "xor", "--n-samples", "100", "--layers", "3"]
TRAIN += ["--epochs", "1", "--quiet", "--save"]


@pytest.fixture(scope="module", autouse=True)
def model(tmp_path_factory):
    PLACE["folder"] = tmp_path_factory.mktemp("fuzz")
    PLACE["model"] = PLACE["folder"] / "xor.safetensors"
    assert cli.main([*TRAIN, str(PLACE["model"])], out=stdio.StringIO()) == 0


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A valid .csv or .npy file with bytes flipped, inserted, deleted or cut."""
    suffix = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[suffix])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[at:]
    return suffix, bytes(data)


def check(suffix: str, data: bytes) -> None:
    path = PLACE["folder"] / f"input{suffix}"
    path.write_bytes(data)
    err, out = stdio.StringIO(), stdio.StringIO()
    tracemalloc.start()
    try:
        with contextlib.redirect_stderr(err):
            status = cli.main(
                ["predict", str(PLACE["model"]), "--input", str(path)], out=out
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    if status == 0:
        assert out.getvalue().strip()
        return
    assert status == 2, err.getvalue()
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, err.getvalue()
    assert lines[0].startswith("glassnet")
    assert all(c.isprintable() and c != "\ufffd" for c in lines[0]), lines[0]


FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


@FUZZ
@given(
    st.sampled_from([".csv", ".npy", ".txt", ".npz"]),
    st.binary(min_size=0, max_size=400),
)
def test_random_bytes_give_status_0_or_2_and_one_line(suffix, data):
    check(suffix, data)


@FUZZ
@given(mutated())
def test_mutated_valid_files_give_status_0_or_2_and_one_line(case):
    check(*case)
