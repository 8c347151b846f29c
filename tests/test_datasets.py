"""Data: generators, split, one_hot, Standardizer, batches, and the IDX/MNIST reader."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from glassnet import datasets as ds

GENERATORS = [
    (ds.make_circles, {"factor": 0.3}),
    (ds.make_moons, {}),
    (ds.make_spirals, {}),
    (ds.make_xor, {}),
]


@pytest.mark.parametrize(("make", "kwargs"), GENERATORS)
def test_generators_return_float32_points_and_int64_labels(make, kwargs):
    X, y = make(n_samples=301, seed=0, **kwargs)
    assert X.shape == (301, 2)
    assert X.dtype == np.float32
    assert y.shape == (301,)
    assert y.dtype == np.int64
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize(("make", "kwargs"), GENERATORS)
def test_generators_are_reproducible_from_the_seed(make, kwargs):
    a = make(n_samples=50, seed=3, **kwargs)
    b = make(n_samples=50, seed=np.random.default_rng(3), **kwargs)
    c = make(n_samples=50, seed=4, **kwargs)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_circles_without_noise_lie_on_their_rings():
    X, y = ds.make_circles(n_samples=101, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-6)
    assert (y == 0).sum() == 50  # outer ring gets ⌊m/2⌋
    assert (y == 1).sum() == 51


def test_moons_without_noise_follow_their_half_circles():
    X, y = ds.make_moons(n_samples=40, noise=0.0, seed=0)
    up, lo = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(up[:, 0], up[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(1 - lo[:, 0], 0.5 - lo[:, 1]), 1.0, atol=1e-6)


def test_spirals_have_one_class_per_arm_in_equal_shares():
    X, y = ds.make_spirals(n_samples=300, n_arms=3, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-6


def test_xor_labels_without_noise_are_the_sign_disagreement():
    X, y = ds.make_xor(n_samples=200, noise=0.0, seed=1)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))


def test_area_targets_are_length_times_width():
    X, y = ds.make_area(n_samples=100, low=1.0, high=10.0, seed=0)
    assert y.dtype == np.float32
    assert X.min() >= 1.0
    assert X.max() < 10.0
    np.testing.assert_allclose(y, X[:, 0] * X[:, 1], rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ds.make_circles(n_samples=1), "2 ≤ n_samples"),
        (lambda: ds.make_circles(factor=1.5), "factor"),
        (lambda: ds.make_moons(noise=-1.0), "noise ≥ 0"),
        (lambda: ds.make_spirals(n_arms=1), "n_arms ≥ 2"),
        (lambda: ds.make_area(low=5.0, high=1.0), "low < high"),
    ],
)
def test_generators_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_generators_reject_a_non_integer_sample_count():
    with pytest.raises(TypeError, match="integer"):
        ds.make_xor(n_samples=10.5)


# ---- split, one_hot, Standardizer, batches -------------------------------------------
def test_train_test_split_partitions_the_rows():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    X_tr, X_te, y_tr, y_te = ds.train_test_split(X, y, test_size=0.2, seed=0)
    assert len(X_te) == 10
    assert len(X_tr) == 40
    np.testing.assert_array_equal(X_tr[:, 0] // 2, y_tr)  # rows stay with targets
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(50))


def test_train_test_split_rounds_the_test_share_up_and_accepts_counts():
    X, y = np.zeros((10, 1)), np.zeros(10)
    assert len(ds.train_test_split(X, y, test_size=0.25, seed=0)[1]) == 3
    assert len(ds.train_test_split(X, y, test_size=4, seed=0)[1]) == 4


def test_stratified_split_keeps_each_class_share():
    y = np.array([0] * 80 + [1] * 20)
    X = np.zeros((100, 2))
    _, _, y_tr, y_te = ds.train_test_split(X, y, test_size=0.25, seed=1, stratify=True)
    assert np.bincount(y_te).tolist() == [20, 5]
    assert np.bincount(y_tr).tolist() == [60, 15]


@pytest.mark.parametrize("test_size", [0.0, 1.0, 0, 10, "0.2"])
def test_train_test_split_rejects_sizes_that_leave_a_part_empty(test_size):
    with pytest.raises((ValueError, TypeError), match=r"test_size|test set"):
        ds.train_test_split(np.zeros((10, 1)), np.zeros(10), test_size=test_size)


def test_train_test_split_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="one target per row"):
        ds.train_test_split(np.zeros((10, 1)), np.zeros(9))


def test_one_hot_places_a_single_one_per_row():
    T = ds.one_hot(np.array([1, 0, 3]), 4)
    assert T.dtype == np.float32
    np.testing.assert_array_equal(T.argmax(axis=1), [1, 0, 3])
    np.testing.assert_array_equal(T.sum(axis=1), 1.0)


def test_one_hot_rejects_out_of_range_and_non_integer_labels():
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        ds.one_hot([0, 2], 2)
    with pytest.raises(ValueError, match="integer"):
        ds.one_hot([0.5, 1.0], 2)


def test_standardizer_fits_on_train_and_applies_the_same_numbers_to_test():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(500, 2)).astype(np.float32)
    X_test = rng.normal(3.0, 2.0, size=(50, 2)).astype(np.float32)
    s = ds.Standardizer.fit(X_train)
    Z = s.transform(X_train)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        s.transform(X_test), (X_test - s.mean) / s.std, rtol=1e-6
    )
    np.testing.assert_allclose(s.inverse(s.transform(X_test)), X_test, rtol=1e-5)


def test_standardizer_keeps_a_constant_column_finite():
    s = ds.Standardizer.fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    np.testing.assert_array_equal(s.std, [1.0, 1.0])
    assert np.all(np.isfinite(s.transform([[2.0, 5.0]])))


def test_batches_cover_every_row_once_in_order_or_shuffled():
    X, Y = np.arange(10), np.arange(10) * 10
    plain = list(ds.batches(X, Y, 4))
    assert [len(xb) for xb, _ in plain] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in plain]), X)
    mixed = list(ds.batches(X, Y, 3, shuffle=True, rng=0))
    xs = np.concatenate([xb for xb, _ in mixed])
    assert sorted(xs.tolist()) == list(range(10))
    assert xs.tolist() != list(range(10))
    for xb, yb in mixed:
        np.testing.assert_array_equal(yb, xb * 10)


def test_batches_reject_bad_sizes():
    with pytest.raises(ValueError, match="≥ 1"):
        next(ds.batches(np.zeros(3), np.zeros(3), 0))
    with pytest.raises(ValueError, match="same number of rows"):
        next(ds.batches(np.zeros(3), np.zeros(4), 2))


# ---- IDX files and load_mnist ----------------------------------------
def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.tobytes()


def write_mnist(folder: Path, n_train: int = 6, n_test: int = 4, gz: bool = True):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


def test_parse_idx_reads_shape_and_big_endian_numbers():
    a = np.array([[1, -2], [300, 4]], dtype=">i4")
    np.testing.assert_array_equal(ds.parse_idx(idx_bytes(a, 0x0C)), a)


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_small_files_it_wrote(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    (X_tr, y_tr), (X_te, y_te) = ds.load_mnist(tmp_path)
    assert X_tr.shape == (6, 784)
    assert X_tr.dtype == np.float32
    assert y_tr.dtype == np.int64
    assert X_te.shape == (4, 784)
    np.testing.assert_allclose(
        X_tr, arrays["train-images-idx3-ubyte"].reshape(6, -1) / 255.0, rtol=1e-6
    )
    np.testing.assert_array_equal(y_te, arrays["t10k-labels-idx1-ubyte"])
    assert X_tr.min() >= 0.0
    assert X_tr.max() <= 1.0


def test_load_mnist_keeps_images_square_without_flatten(tmp_path):
    write_mnist(tmp_path)
    (X_tr, _), _ = ds.load_mnist(tmp_path, flatten=False)
    assert X_tr.shape == (6, 28, 28)


def test_load_mnist_looks_in_glassnet_data(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist")
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    assert ds.mnist_dir() == tmp_path / "mnist"
    (X_tr, _), _ = ds.load_mnist()
    assert len(X_tr) == 6


def test_mnist_dir_defaults_to_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ds.mnist_dir() == tmp_path / "glassnet" / "mnist"


def test_load_mnist_names_the_missing_files_and_where_to_put_them(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as info:
        ds.load_mnist(tmp_path)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte" in message
    assert str(tmp_path) in message
    assert "train-labels" not in message.split(".")[0]


def corrupt(tmp_path: Path, name: str, data: bytes) -> Path:
    write_mnist(tmp_path, gz=False)
    (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "truncated or empty"),
        (bytes([0, 0, 8, 3]) + b"\x00\x00", "truncated IDX header"),
        (bytes([8, 3, 0, 0]) + bytes(12), "magic number"),
        (idx_bytes(np.zeros((6, 28, 28), np.uint8))[:-1], "truncated"),
        (idx_bytes(np.zeros((6, 28, 28), np.uint8)) + b"x", "trailing bytes"),
        (idx_bytes(np.zeros((6, 27, 28), np.uint8)), r"\(n, 28, 28\)"),
        (idx_bytes(np.zeros(6, np.uint8)), r"\(n, 28, 28\)"),
    ],
)
def test_load_mnist_rejects_a_corrupt_image_file_by_name(tmp_path, data, message):
    folder = corrupt(tmp_path, "train-images-idx3-ubyte", data)
    with pytest.raises(ValueError, match=message) as info:
        ds.load_mnist(folder)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_load_mnist_rejects_labels_that_do_not_match_the_images(tmp_path):
    folder = corrupt(
        tmp_path, "t10k-labels-idx1-ubyte", idx_bytes(np.zeros(3, np.uint8))
    )
    with pytest.raises(ValueError, match="expected 4 labels"):
        ds.load_mnist(folder)
    folder = corrupt(
        tmp_path, "t10k-labels-idx1-ubyte", idx_bytes(np.full(4, 12, np.uint8))
    )
    with pytest.raises(ValueError, match="digits"):
        ds.load_mnist(folder)


def test_load_mnist_rejects_a_truncated_gzip_file(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz"):
        ds.load_mnist(tmp_path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="gzip"):
        ds.load_mnist(tmp_path)


def test_read_idx_reports_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.gz"):
        ds.read_idx(tmp_path / "nope.gz")


def test_real_mnist_has_the_standard_sizes(mnist_dir):
    (X_tr, y_tr), (X_te, _y_te) = ds.load_mnist(mnist_dir)
    assert X_tr.shape == (60000, 784)
    assert X_te.shape == (10000, 784)
    assert np.bincount(y_tr).tolist()[:3] == [5923, 6742, 5958]
    assert X_tr.dtype == np.float32
    assert float(X_tr.max()) == 1.0
