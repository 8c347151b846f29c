"""all_finite: the fast screen by row sums never misses a NaN or inf, nor cries wolf."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet._validate import all_finite


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("order", ["C", "F", "strided"])
def test_every_nan_or_inf_is_found_with_its_index(dtype, bad, order):
    rng = np.random.default_rng(0)
    for row, col in [(0, 0), (57, 3), (199, 6)]:
        arr = rng.standard_normal((200, 7)).astype(dtype)
        arr[row, col] = bad
        if order == "F":
            arr = np.asfortranarray(arr)
        elif order == "strided":
            arr = np.repeat(arr, 2, axis=1)[:, ::2]
        with pytest.raises(ValueError, match=rf"first at index \({row}, {col}\)"):
            all_finite(arr, "X")


def test_a_nan_beside_an_opposite_infinity_and_large_values_is_found():
    big = np.finfo(np.float32).max
    arr = np.zeros((3, 4), dtype=np.float32)
    arr[1] = [big, big, -np.inf, np.nan]
    with pytest.raises(ValueError, match=r"first at index \(1, 2\)"):
        all_finite(arr, "X")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_values_whose_row_sum_overflows_pass(dtype):
    big = np.finfo(dtype).max
    arr = np.full((5, 3), big, dtype=dtype)
    arr[2] = -big
    all_finite(arr, "X")  # no error: every value is finite


@pytest.mark.parametrize(
    "arr",
    [
        np.array([1.0, np.nan]),
        np.array([[[1.0], [np.inf]]], dtype=np.float32),
        np.array([[1.0, np.nan]], dtype=np.float16),
    ],
)
def test_other_shapes_and_dtypes_are_checked_value_by_value(arr):
    with pytest.raises(ValueError, match="contains NaN or inf"):
        all_finite(arr, "X")


def test_integers_and_finite_tables_pass():
    all_finite(np.array([[1, 2], [3, 4]]), "X")
    all_finite(np.ones((0, 3), dtype=np.float32), "X")
    all_finite(np.random.default_rng(1).standard_normal((50, 9)), "X")
