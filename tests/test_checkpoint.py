"""The checkpoint file: read back whatever its size, checked in full before any change.

What ``glassnet.checkpoint`` promises: every checkpoint it writes loads back; a
checkpoint that was altered, damaged or made for another run is refused with a
ValueError naming the file and the field, and a refused load changes neither the
model nor the optimizer; a save costs the same at step 10 000 as at step 10.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load, save

import glassnet as gn
from glassnet import checkpoint as ck
from glassnet.checkpoint import Checkpoint, load_checkpoint, run_settings


# ---- a small run, interrupted in the middle of a shuffled epoch --------------------
def data(seed: int = 0, m: int = 96):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 3)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def net(seed: int = 0) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(3, 8, rng=seed),
            gn.Tanh(),
            gn.Dense(8, 2, rng=seed + 1),
            gn.Softmax(),
        ]
    )


class StopAt(gn.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step, model, logs):
        if step == self.step:
            raise RuntimeError("simulated crash")


def train(model, optimizer, path, **kw):
    X, y = data()
    return model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        epochs=kw.pop("epochs", 4),
        batch_size=10,
        seed=3,
        verbose=0,
        checkpoint=path,
        **kw,
    )


@pytest.fixture
def mid_epoch(tmp_path) -> Path:
    """A checkpoint at step 21 = epoch 3, batch 1 of 10, with Adam's m and v."""
    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(net(), gn.Adam(0.01), path, checkpoint_every=7, callbacks=[StopAt(23)])
    return path


def trained():
    """A model and optimizer with state of their own, to see any change in them."""
    model, optimizer = net(seed=7), gn.Adam(0.01)
    X, y = data(seed=5)
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        epochs=1,
        batch_size=32,
        verbose=0,
    )
    return model, optimizer


def snapshot(model, optimizer):
    weights = [W.copy() for _, W, _ in model.parameters()]
    state = {
        n: {s: v.copy() for s, v in slots.items()}
        for n, slots in optimizer.state_views().items()
    }
    return weights, state, optimizer.t, optimizer.lr


def assert_unchanged(before, model, optimizer):
    weights, state, t, lr = before
    for W0, (_, W, _) in zip(weights, model.parameters(), strict=True):
        assert np.array_equal(W0, W)
    assert optimizer.state_views().keys() == state.keys()
    for name, slots in state.items():
        assert optimizer.state_views()[name].keys() == slots.keys()
        for slot, value in slots.items():
            assert np.array_equal(optimizer.state_views()[name][slot], value)
    assert (optimizer.t, optimizer.lr) == (t, lr)


def rewrite(path: Path, tensors=None, info=None) -> None:
    """Change a checkpoint's tensors and/or its JSON header, as a tamperer would."""
    raw = path.read_bytes()
    arrays = load(raw)
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    meta = json.loads(header["__metadata__"]["glassnet"])
    if tensors is not None:
        tensors(arrays)
    if info is not None:
        info(meta)
    path.write_bytes(save(arrays, metadata={"glassnet": json.dumps(meta)}))


# ---- 1. every header length reads back --------------------------------------------
def test_checkpoints_of_every_header_length_mod_256_load_back(tmp_path):
    """The low byte of the header length once read as a pickle's 0x80 opcode.

    safetensors pads its header to a multiple of 8, so the lengths it writes take
    the 32 residues 0, 8, …, 248 mod 256; a 1-character longer setting moves the
    header by one byte, and 256 lengths cover them all.
    """
    model, optimizer = trained()
    X, y = data()
    base = run_settings(
        model,
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        batch_size=96,
        shuffle=False,
        seed=0,
        clip_norm=None,
    )
    state = ck.FitState(
        epoch=2,
        batch=0,
        step=1,
        rng_state=np.random.default_rng(0).bit_generator.state,
        loss_sum=0.0,
        correct=0.0,
        classify=True,
        history={"loss": [0.5]},
        step_loss=[0.25],
        epoch_start=[W.copy() for _, W, _ in model.parameters()],
    )
    residues = set()
    for k in range(256):
        settings_k = {**base, "note": "x" * k}
        path = tmp_path / f"c{k}.ckpt"
        Checkpoint(path, settings_k).save(model, optimizer, state)
        raw = path.read_bytes()
        residues.add(int.from_bytes(raw[:8], "little") % 256)
        other, opt = net(seed=9), gn.Adam(0.01)
        loaded = Checkpoint(path, settings_k).load(other, opt)
        assert loaded.history == {"loss": [0.5]}
        assert loaded.step_loss == [0.25]
        for (_, A, _), (_, B, _) in zip(
            model.parameters(), other.parameters(), strict=True
        ):
            assert np.array_equal(A, B)
    assert residues == set(range(0, 256, 8))


# ---- 2 and 4. refused, changing nothing --------------------------------------------
def _history_crc(meta, value):
    meta["state"]["history_crc32"] = value


TAMPERED = {
    # case: (how, a piece of the expected message)
    "order repeats a sample": (
        lambda t: t["order"].__setitem__(0, t["order"][1]),
        "order is not a permutation",
    ),
    "order out of range": (
        lambda t: t["order"].__setitem__(0, 96),
        "order is not a permutation",
    ),
    "order negative": (lambda t: t["order"].__setitem__(0, -1), "not a permutation"),
    "order of another length": (
        lambda t: t.__setitem__("order", t["order"][:50].copy()),
        "order is int64",
    ),
    "order of floats": (
        lambda t: t.__setitem__("order", t["order"].astype(np.float64)),
        "order is",
    ),
    "order missing": (lambda t: t.pop("order"), "order is missing"),
    "slot of another shape": (
        lambda t: t.__setitem__("opt/0.W/m", np.zeros((8, 4), np.float32)),
        "opt/0.W/m",
    ),
    "unknown slot": (
        lambda t: t.__setitem__("opt/0.W/q", np.zeros((8, 3), np.float32)),
        "opt/0.W/q",
    ),
    "slot missing": (lambda t: t.pop("opt/2.b/v"), "opt/2.b/v"),
    "slot of a parameter the model lacks": (
        lambda t: t.__setitem__("opt/9.W/m", np.zeros((8, 3), np.float32)),
        "opt/9.W/m",
    ),
    "unknown tensor": (
        lambda t: t.__setitem__("extra", np.zeros(3, np.float32)),
        "unknown tensors",
    ),
    "epoch_start missing": (lambda t: t.pop("epoch_start/0.b"), "epoch_start/0.b"),
    "parameter of another dtype": (
        lambda t: t.__setitem__("param/0.W", t["param/0.W"].astype(np.float64)),
        "param/0.W is float64",
    ),
    "parameter of float16": (
        lambda t: t.__setitem__("param/2.b", t["param/2.b"].astype(np.float16)),
        "param/2.b is float16",
    ),
    "NaN weight": (lambda t: t["param/2.W"].__setitem__((0, 0), np.nan), "NaN"),
}
TAMPERED_INFO = {
    "epoch out of range": (
        lambda i: i["state"].__setitem__("epoch", 10**30),
        "state.epoch",
    ),
    "epoch zero": (lambda i: i["state"].__setitem__("epoch", 0), "state.epoch"),
    "epoch a string": (lambda i: i["state"].__setitem__("epoch", "3"), "state.epoch"),
    "epoch a float": (lambda i: i["state"].__setitem__("epoch", 3.0), "state.epoch"),
    "batch past the epoch": (
        lambda i: i["state"].__setitem__("batch", 11),
        "state.batch",
    ),
    "batch negative": (lambda i: i["state"].__setitem__("batch", -1), "state.batch"),
    "step out of line": (lambda i: i["state"].__setitem__("step", 22), "state.step"),
    "step a bool": (lambda i: i["state"].__setitem__("step", True), "state.step"),
    "loss_sum NaN": (
        lambda i: i["state"].__setitem__("loss_sum", float("nan")),
        "state.loss_sum",
    ),
    "correct too large": (
        lambda i: i["state"].__setitem__("correct", 1e9),
        "state.correct",
    ),
    "classify a string": (
        lambda i: i["state"].__setitem__("classify", "yes"),
        "state.classify",
    ),
    "missing state key": (lambda i: i["state"].pop("loss_sum"), "missing"),
    "unknown state key": (lambda i: i["state"].__setitem__("x", 1), "unknown"),
    "missing top-level key": (lambda i: i.pop("settings"), "missing"),
    "rng state garbage": (
        lambda i: i["state"]["rng_state"]["state"].__setitem__("state", "x"),
        "state.rng_state",
    ),
    "rng state of another generator": (
        lambda i: i["state"]["rng_state"].__setitem__("bit_generator", "MT19937"),
        "state.rng_state",
    ),
    "history count changed": (
        lambda i: i["state"].__setitem__("history_values", 5),
        "state.history_values",
    ),
    "history checksum changed": (
        lambda i: _history_crc(i, i["state"]["history_crc32"] ^ 1),
        "CRC-32",
    ),
    "history keys not a list": (
        lambda i: i["state"].__setitem__("history_keys", "loss"),
        "history_keys",
    ),
    "optimizer step count negative": (
        lambda i: i["optimizer"].__setitem__("t", -1),
        "optimizer.t",
    ),
    "optimizer missing": (lambda i: i.pop("optimizer"), "missing"),
    "settings entry of another type": (
        lambda i: i["settings"].__setitem__("seed", {"a": 1}),
        "settings['seed']",
    ),
    "batch size a string": (
        lambda i: i["settings"].__setitem__("batch_size", "10"),
        "batch_size",
    ),
    "version a string": (lambda i: i.__setitem__("version", "2"), "version '2'"),
    "version 1": (lambda i: i.__setitem__("version", 1), "format version 1"),
}


@pytest.mark.parametrize("case", list(TAMPERED) + list(TAMPERED_INFO))
def test_a_tampered_checkpoint_is_refused_naming_file_and_field_changing_nothing(
    mid_epoch, case
):
    if case in TAMPERED:
        how, message = TAMPERED[case]
        rewrite(mid_epoch, tensors=how)
    else:
        how, message = TAMPERED_INFO[case]
        rewrite(mid_epoch, info=how)
    model, optimizer = trained()
    before = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=str(mid_epoch)) as err:
        load_checkpoint(mid_epoch, model, optimizer)
    assert message in str(err.value)
    assert_unchanged(before, model, optimizer)


def _nest(path: Path, text: str) -> None:
    path.write_bytes(save({"x": np.zeros(1, np.float32)}, metadata={"glassnet": text}))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"format": "glassnet-checkpoint", "version": 2, "a": '
        + "[" * 50_000
        + "]" * 50_000
        + "}",
        '{"format": "glassnet-checkpoint", "version": 2, "x": 1' + "0" * 5000 + "}",
        "not json",
        "[]",
    ],
    ids=["nested array", "nested field", "a 5000-digit number", "not JSON", "a list"],
)
def test_a_nested_or_foreign_json_header_is_refused(tmp_path, text):
    path = tmp_path / "c.ckpt"
    _nest(path, text)
    model, optimizer = trained()
    before = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=str(path)):
        load_checkpoint(path, model, optimizer)
    assert_unchanged(before, model, optimizer)


REFUSALS = {
    "another optimizer class": lambda p: (net(), gn.SGD(0.1), None),
    "another model shape": lambda p: (
        gn.Sequential([gn.Dense(3, 5), gn.Tanh(), gn.Dense(5, 2), gn.Softmax()]),
        gn.Adam(0.01),
        None,
    ),
    "float64 model": lambda p: (net().astype(np.float64), gn.Adam(0.01), None),
    "history file missing": lambda p: (
        Path(f"{p}.history").unlink() or net(),
        gn.Adam(0.01),
        None,
    ),
    "history file damaged": lambda p: (
        Path(f"{p}.history").write_bytes(b"\0" * 4096) or net(),
        gn.Adam(0.01),
        None,
    ),
    "history file short": lambda p: (
        Path(f"{p}.history").write_bytes(b"\0" * 8) or net(),
        gn.Adam(0.01),
        None,
    ),
    "other data": lambda p: (net(), gn.Adam(0.01), data(seed=8)),
    "another learning rate": lambda p: (net(), gn.Adam(0.02), None),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_resume_leaves_model_and_optimizer_bit_identical(mid_epoch, case):
    """Checked in full first: no refusal comes after a weight or a slot was written."""
    _, opt_kind, other_data = REFUSALS[case](mid_epoch)
    model, _ = trained()
    if case in ("another model shape", "float64 model"):
        model = REFUSALS[case](mid_epoch)[0]
    optimizer = opt_kind
    # the optimizer holds state of its own (from a step on this model)
    X, y = data(seed=5)
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=optimizer,
        epochs=1,
        batch_size=96,
        verbose=0,
    )
    before = snapshot(model, optimizer)
    X, y = data() if other_data is None else other_data
    with pytest.raises(ValueError, match=str(mid_epoch)):
        model.fit(
            X,
            y,
            loss=gn.CrossEntropy(),
            optimizer=optimizer,
            epochs=4,
            batch_size=10,
            seed=3,
            verbose=0,
            checkpoint=mid_epoch,
            resume=True,
        )
    assert_unchanged(before, model, optimizer)
    assert Path(f"{mid_epoch}").exists()


# ---- 4. fuzz: random bytes and random mutations ------------------------------------
@pytest.fixture(scope="module")
def valid_checkpoint(tmp_path_factory) -> tuple[bytes, bytes]:
    path = tmp_path_factory.mktemp("fuzz") / "run.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(net(), gn.Adam(0.01), path, checkpoint_every=7, callbacks=[StopAt(23)])
    return path.read_bytes(), Path(f"{path}.history").read_bytes()


mutation = st.lists(
    st.tuples(st.integers(0, 2**31), st.integers(0, 255), st.sampled_from("sid")),
    min_size=1,
    max_size=4,
)


def _mutate(raw: bytes, edits) -> bytes:
    data = bytearray(raw)
    for where, byte, kind in edits:
        i = where % (len(data) + 1)
        if kind == "s" and i < len(data):
            data[i] = byte
        elif kind == "i":
            data[i:i] = bytes([byte])
        else:
            del data[i : i + 1 + byte % 16]
    return bytes(data)


def _load_or_refuse(tmp_path: Path, raw: bytes, history: bytes) -> None:
    path = tmp_path / "f.ckpt"
    path.write_bytes(raw)
    Path(f"{path}.history").write_bytes(history)
    model, optimizer = trained()
    before = snapshot(model, optimizer)
    try:
        load_checkpoint(path, model, optimizer)
    except (ValueError, TypeError):
        assert_unchanged(before, model, optimizer)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=mutation, target=st.sampled_from(["checkpoint", "history"]))
def test_fuzz_mutated_checkpoints_raise_only_value_or_type_errors(
    tmp_path, valid_checkpoint, edits, target
):
    raw, history = valid_checkpoint
    if target == "checkpoint":
        raw = _mutate(raw, edits)
    else:
        history = _mutate(history, edits)
    _load_or_refuse(tmp_path, raw, history)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.binary(max_size=512))
def test_fuzz_random_bytes_raise_only_value_or_type_errors(tmp_path, raw):
    _load_or_refuse(tmp_path, raw, b"")


# ---- 5. a save costs the same at step 10 000 as at step 10 ------------------------
def test_a_save_writes_as_many_bytes_at_step_10000_as_at_step_10(tmp_path, monkeypatch):
    written: list[tuple[int, int, int]] = []  # (step, checkpoint bytes, history bytes)
    appended: list[int] = []
    real_write, real_append = ck.atomic_write_bytes, Checkpoint._append_history

    def write(path, data):
        header = int.from_bytes(data[:8], "little")
        written.append((header, len(data), appended.pop() if appended else 0))
        real_write(path, data)

    def append(self, new):
        appended.append(len(new))
        real_append(self, new)

    monkeypatch.setattr(ck, "atomic_write_bytes", write)
    monkeypatch.setattr(Checkpoint, "_append_history", append)
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # speed only: bytes are counted
    X, y = data(m=100)
    model = gn.Sequential([gn.Dense(3, 2, rng=0), gn.Softmax()])
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.Adam(0.01),
        epochs=100,
        batch_size=1,
        seed=0,
        verbose=0,
        checkpoint=tmp_path / "c.ckpt",
        checkpoint_every=10,
    )
    # 100 steps an epoch: 10 saves every 10 steps (the 10th at the epoch's end) and
    # the epoch-end save; 1100 saves, the first at step 10, the last at 10 000
    assert len(written) == 1100
    headers = [h for h, _, _ in written]
    sizes = [n + extra for _, n, extra in written]
    # the JSON header holds counters and the random state, never the records: it
    # varies by the digits of its numbers, and is no longer at the end than at first
    assert max(headers[-100:]) <= max(headers[:100]) + 24
    # like for like: step 10 against step 9910 (batch 10 of the first and last
    # epochs), the first epoch's end (step 100) against the last's (step 10 000)
    assert abs(sizes[1089] - sizes[0]) <= 32
    assert abs(sizes[-1] - sizes[10]) <= 32
    # each save appends only the values new since the last one: 10 step losses, or
    # the epoch's 2 values (loss, accuracy)
    assert {extra for _, _, extra in written} == {10 * 8, 2 * 8}
    assert (tmp_path / "c.ckpt.history").stat().st_size == 8 * (10_000 + 2 * 100)


def test_the_history_file_holds_every_step_loss_and_epoch_value(mid_epoch):
    state = load_checkpoint(mid_epoch, net(), gn.Adam(0.01))
    assert len(state.step_loss) == 21
    assert {k: len(v) for k, v in state.history.items()} == {"loss": 2, "accuracy": 2}
    raw = Path(f"{mid_epoch}.history").read_bytes()
    values = np.frombuffer(raw, "<f8")
    assert values.size == 2 * (10 + 2) + 1
    assert values[:10].tolist() == state.step_loss[:10]
    assert values[10:12].tolist() == [
        state.history["loss"][0],
        state.history["accuracy"][0],
    ]
    header = json.loads(load_header(mid_epoch))
    assert header["state"]["history_crc32"] == zlib.crc32(raw)


def load_header(path: Path) -> str:
    raw = path.read_bytes()
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    return header["__metadata__"]["glassnet"]


# ---- 3. the fingerprint ----------------------------------------------------------
def test_the_fingerprint_sees_one_changed_byte_and_ignores_memory_layout():
    X = np.random.default_rng(0).random((1000, 7), dtype=np.float32)
    a = ck.fingerprint(X)
    assert a == ck.fingerprint(np.asfortranarray(X))  # same values, other layout
    Y = X.copy()
    Y.view(np.uint8).reshape(-1)[12345] ^= 1
    assert ck.fingerprint(Y) != a
    assert ck.fingerprint(X[:999]) != a
    assert ck.fingerprint(X.astype(np.float64)) != a
    assert a.startswith("float32 1000×7 crc32 ")


# ---- 7. a checkpoint that cannot be written fails before the first step ------------
class CountSteps(gn.Callback):
    def __init__(self) -> None:
        self.steps = 0

    def on_step_end(self, step, model, logs):
        self.steps += 1


def _unwritable(tmp_path: Path) -> Path:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root writes anywhere: a read-only file system
        return Path("/sys/glassnet.ckpt")
    return folder / "c.ckpt"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (lambda t: t / "missing" / "c.ckpt", "does not exist"),
        (
            lambda t: (t / "file").write_text("x") and t / "file" / "c.ckpt",
            "not a folder",
        ),
        (lambda t: t, "is a folder"),
        (_unwritable, "not writable"),
    ],
    ids=["missing folder", "a file as folder", "a folder as file", "read-only"],
)
def test_a_checkpoint_that_cannot_be_written_fails_before_the_first_step(
    tmp_path, where, message
):
    path = where(tmp_path)
    counter = CountSteps()
    with pytest.raises(ValueError, match=message):
        train(net(), gn.SGD(0.1), path, callbacks=[counter])
    assert counter.steps == 0
