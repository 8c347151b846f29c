"""Fuzzing io.load: hostile bytes give ValueError/TypeError, within a memory cap.

Random bytes and random mutations of valid model files (bit flips, truncations,
insertions, edits of the JSON header and of the architecture inside it) are thrown at
``io.load`` and ``io.read_metadata``. The only outcomes allowed are a ValueError or
TypeError, or a model whose weights are finite and whose layers fit together.

The property runs in a subprocess whose address space is capped (RLIMIT_AS) at what
the interpreter already uses plus 512 MiB: a header that makes the reader allocate
what it declares, rather than what the file holds, dies there with MemoryError and
fails the test. Run by hand: ``python tests/test_fuzz_files.py 2000 random``.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CAP = 512 * 2**20


def valid_files() -> list[bytes]:
    """A few valid model files: float32 and float64, with and without biases."""
    import glassnet as gn
    from glassnet import io

    models = [
        gn.Sequential([gn.Dense(3, 4, rng=0), gn.ReLU(), gn.Dense(4, 2, rng=1)]),
        gn.Sequential(
            [gn.Dense(2, 3, rng=2, bias=False), gn.LeakyReLU(0.1), gn.Softmax()]
        ).astype(np.float64),
        gn.Sequential([gn.Dense(1, 1, rng=3), gn.Sigmoid()]),
    ]
    folder = Path(tempfile.mkdtemp())
    blobs = []
    for i, model in enumerate(models):
        path = folder / f"{i}.safetensors"
        io.save(model, path, metadata={"i": i, "scale": [1.0, 2.5]})
        blobs.append(path.read_bytes())
    return blobs


def split(blob: bytes) -> tuple[dict[str, Any], bytes]:
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def join(header: dict[str, Any], body: bytes, pad: bool) -> bytes:
    raw = json.dumps(header).encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + body


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.integers(-3, 10**10)
    | st.sampled_from([10**9, 2**31, 2**32 + 3, 2**62, 2**63, 2**64])
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["Dense", "ReLU", "F32", "BF16", "F16", "float64", "1", "0"])
    | st.sampled_from(["[" * 100_000, '{"a":' * 50_000, "NaN", "[1e999]", "false"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every node of a JSON value (the root included)."""
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += leaves(v, (*path, i))
    return found


def replace_at(value: Any, path: tuple, new: Any, delete: bool) -> Any:
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return value


@st.composite
def header_edits(draw: Any, blobs: list[bytes]) -> bytes:
    """A valid file with one node of its header, or of its architecture, replaced."""
    header, body = split(draw(st.sampled_from(blobs)))
    meta = header["__metadata__"]
    in_architecture = draw(st.booleans())
    target = json.loads(meta["architecture"]) if in_architecture else header
    path = draw(st.sampled_from(leaves(target)))
    delete = bool(path) and draw(st.booleans())
    target = replace_at(target, path, draw(json_values), delete)
    if in_architecture:
        meta["architecture"] = json.dumps(target)
        target = header
    if not isinstance(target, dict):
        return json.dumps(target).encode()
    return join(target, body, pad=draw(st.booleans()))


@st.composite
def byte_mutations(draw: Any, blobs: list[bytes]) -> bytes:
    """A valid file after a few bit flips, byte overwrites, insertions, truncations."""
    data = bytearray(draw(st.sampled_from(blobs)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return bytes(data)


def canonical(blob: bytes) -> tuple[Any, ...]:
    """What a model file means: its tensors' bytes and its decoded metadata."""
    header, body = split(blob)
    meta = dict(header.pop("__metadata__"))
    for key in ("architecture", "metadata"):
        meta[key] = json.dumps(json.loads(meta[key]), sort_keys=True)
    return json.dumps(header, sort_keys=True), body, meta


def check_one(blob: bytes, folder: Path) -> None:
    """The property: load refuses with ValueError/TypeError, or accepted exactly.

    A file that loads must mean exactly what saving the loaded model writes: same
    tensor names, dtypes, shapes and bytes, same architecture and metadata, with the
    same JSON types. A loader that casts ("3" → 3, 2.7 → 2, "false" → True), ignores
    an unknown key or defaults a missing one fails this.
    """
    from glassnet import io

    path = folder / "fuzz.safetensors"
    path.write_bytes(blob)
    try:
        model = io.load(path)
    except (ValueError, TypeError):
        model = None
    if model is not None:
        for _, W, _ in model.parameters():
            assert np.isfinite(W).all()
        again = folder / "again.safetensors"
        io.save(model, again, metadata=io.read_metadata(path))
        assert canonical(blob) == canonical(again.read_bytes())
    with contextlib.suppress(ValueError, TypeError):
        io.read_metadata(path)


def run(examples: int, derandomize: bool) -> None:
    """Run the three fuzzers with ``examples`` each; raise on the first failure."""
    blobs = valid_files()
    folder = Path(tempfile.mkdtemp())
    options = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    strategies = {
        "random bytes": st.binary(max_size=600),
        "byte mutations": byte_mutations(blobs),
        "header edits": header_edits(blobs),
    }
    for name, strategy in strategies.items():
        print(f"fuzzing io.load with {examples} {name}", flush=True)
        options(given(strategy)(lambda blob: check_one(blob, folder)))()


def cap_memory(extra: int) -> None:
    """Cap the address space at what this process maps now plus ``extra`` bytes."""
    import resource

    with open("/proc/self/status", encoding="ascii") as f:
        vm = next(
            int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize")
        )
    resource.setrlimit(resource.RLIMIT_AS, (vm + extra, vm + extra))


def run_capped(examples: int, derandomize: bool) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
        ),
        # One BLAS thread: each extra thread reserves address space of its own.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    mode = "fixed" if derandomize else "random"
    return subprocess.run(
        [sys.executable, __file__, str(examples), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


needs_rlimit = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's"
)


@needs_rlimit
def test_fuzzed_model_files_give_only_value_or_type_errors_within_a_memory_cap():
    result = run_capped(150, derandomize=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert result.stdout.count("fuzzing io.load") == 3


@pytest.mark.slow
@needs_rlimit
def test_fuzzed_model_files_many_random_examples():
    result = run_capped(3000, derandomize=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]


@needs_rlimit
def test_the_memory_cap_catches_a_reader_that_allocates_what_a_header_declares():
    # The meta-test: a loader that trusts a declared size must fail under the cap.
    code = (
        "import sys; sys.argv = ['x']\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import test_fuzz_files as t, numpy as np\n"
        f"t.cap_memory({CAP})\n"
        "np.zeros((10**5, 10**5))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "OPENBLAS_NUM_THREADS": "1",
        },
    )
    assert result.returncode != 0
    assert "MemoryError" in result.stderr


if __name__ == "__main__":
    cap_memory(CAP)
    run(int(sys.argv[1]), derandomize=sys.argv[2] == "fixed")
