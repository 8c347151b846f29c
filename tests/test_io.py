"""Model files: safetensors round trips, clear failures, atomic writes, torch names."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import glassnet as gn
from glassnet import io


def small_model(dtype=np.float32) -> gn.Sequential:
    model = gn.Sequential(
        [
            gn.Dense(3, 5, rng=0),
            gn.LeakyReLU(0.2),
            gn.Dense(5, 4, rng=1, bias=False),
            gn.Tanh(),
            gn.Dense(4, 2, rng=2),
            gn.Softmax(),
        ]
    )
    for layer in model.layers:
        if isinstance(layer, gn.Dense) and layer.b is not None:
            layer.b[...] = np.arange(layer.n_out)
    return model.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_restores_layers_weights_and_predictions(tmp_path, dtype):
    model = small_model(dtype)
    path = tmp_path / "m.safetensors"
    io.save(model, path)
    back = io.load(path)
    assert repr(back) == repr(model)
    assert back.dtype == np.dtype(dtype)
    assert back.layers[1].alpha == 0.2
    assert back.layers[2].b is None
    for (n1, W1, _), (n2, W2, _) in zip(
        model.parameters(), back.parameters(), strict=True
    ):
        assert n1 == n2
        np.testing.assert_array_equal(W1, W2)
    X = np.random.default_rng(0).normal(size=(7, 3))
    np.testing.assert_array_equal(model.predict(X), back.predict(X))


def test_metadata_round_trips_and_defaults_to_none(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(small_model(), path, metadata={"data": "circles", "scale": [1.5, 2.0]})
    assert io.read_metadata(path) == {"data": "circles", "scale": [1.5, 2.0]}
    io.save(small_model(), path)
    assert io.read_metadata(path) is None


def test_tensor_names_follow_pytorch_sequential(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(small_model(), path)
    tensors = load_file(str(path))
    assert sorted(tensors) == ["0.bias", "0.weight", "2.weight", "4.bias", "4.weight"]
    assert tensors["0.weight"].shape == (5, 3)  # (n_out, n_in) as nn.Linear.weight


def test_file_loads_into_torch_sequential(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as torch_load_file

    model = gn.Sequential(
        [gn.Dense(3, 4, rng=0), gn.ReLU(), gn.Dense(4, 2, rng=1), gn.Sigmoid()]
    )
    path = tmp_path / "m.safetensors"
    io.save(model, path)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 4),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 2),
        torch.nn.Sigmoid(),
    )
    net.load_state_dict(torch_load_file(str(path)))
    X = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    io.save(small_model(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    assert io.load(path) is not None


def test_save_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        io.save(small_model(), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_save_rejects_metadata_that_is_not_json(tmp_path):
    with pytest.raises(TypeError, match="JSON"):
        io.save(small_model(), tmp_path / "m.safetensors", metadata={"x": object()})


def test_save_reports_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.save(small_model(), tmp_path / "nope" / "m.safetensors")


def rewrite_header(path, change):
    """Apply ``change`` to the file's JSON header and write it back."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    change(header)
    # Pad the new header to a multiple of 8 bytes, as safetensors expects.
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n :])


def test_load_refuses_a_newer_format_version(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(small_model(), path)
    rewrite_header(path, lambda h: h["__metadata__"].update(format_version="99"))
    with pytest.raises(ValueError, match="version 99"):
        io.load(path)


def test_load_names_a_tensor_of_the_wrong_shape(tmp_path):
    path = tmp_path / "m.safetensors"
    model = small_model()
    io.save(model, path)
    tensors = load_file(str(path))
    tensors["2.weight"] = np.zeros((4, 6), np.float32)
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        meta = json.loads(fh.read(n))["__metadata__"]
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ValueError, match=r"'2.weight' has shape \(4, 6\)"):
        io.load(path)


def test_load_names_a_missing_or_extra_tensor(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(small_model(), path)
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        meta = json.loads(fh.read(n))["__metadata__"]
    tensors = load_file(str(path))
    save_file({k: v for k, v in tensors.items() if k != "4.bias"}, str(path), meta)
    with pytest.raises(ValueError, match=r"'4\.bias' is missing"):
        io.load(path)
    save_file({**tensors, "9.weight": np.zeros(1, np.float32)}, str(path), meta)
    with pytest.raises(ValueError, match=r"9\.weight"):
        io.load(path)


def test_load_rejects_unknown_layers(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(small_model(), path)

    def add_layer(header):
        arch = json.loads(header["__metadata__"]["architecture"])
        arch.append({"type": "Conv9D"})
        header["__metadata__"]["architecture"] = json.dumps(arch)

    rewrite_header(path, add_layer)
    with pytest.raises(ValueError, match="Conv9D"):
        io.load(path)


def test_load_rejects_files_that_are_not_glassnet_models(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(foreign))
    with pytest.raises(ValueError, match="without a glassnet architecture"):
        io.load(foreign)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(ValueError, match="not a safetensors file"):
        io.load(junk)
    tiny = tmp_path / "tiny.safetensors"
    tiny.write_bytes(b"abc")
    with pytest.raises(ValueError, match="3 bytes"):
        io.load(tiny)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        io.load(tmp_path / "absent.safetensors")


def test_load_rejects_truncated_tensor_data(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(small_model(), path)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(ValueError, match="corrupt"):
        io.load(path)


def test_save_rejects_layers_without_a_file_format(tmp_path):
    class Custom(gn.Layer):
        def forward(self, X):
            return X

    with pytest.raises(TypeError, match="cannot store layer 1"):
        io.save(gn.Sequential([gn.Dense(2, 2), Custom()]), tmp_path / "m.safetensors")


def test_no_pickle_in_the_module():
    source = Path(io.__file__).read_text(encoding="utf-8")
    assert "pickle" not in source.replace("No pickle", "").replace("no pickle", "")
