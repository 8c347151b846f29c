"""The adding problem's generator: shapes, markers, targets, seeds, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.datasets import make_adding


def test_adding_marks_one_step_in_each_half_and_sums_their_numbers():
    X, y = make_adding(n_samples=200, length=12, seed=3)
    assert X.shape == (200, 12, 2)
    assert X.dtype == np.float32
    assert y.dtype == np.float32
    marks = X[:, :, 1]
    assert set(np.unique(marks).tolist()) == {0.0, 1.0}
    assert (marks[:, :6].sum(axis=1) == 1).all()  # one in the first half
    assert (marks[:, 6:].sum(axis=1) == 1).all()  # one in the second
    expected = (X[:, :, 0] * marks).sum(axis=1)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    assert ((X[:, :, 0] >= 0) & (X[:, :, 0] < 1)).all()


def test_adding_is_reproducible_from_the_seed_and_varies_with_it():
    a = make_adding(50, 9, seed=1)
    b = make_adding(50, 9, seed=1)
    c = make_adding(50, 9, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_adding_baseline_loss_is_near_a_sixth_of_a_half():
    # predicting the mean sum 1 gives E[(s − 1)²] = Var(s) = 2 · 1/12
    _, y = make_adding(20000, 4, seed=0)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"length": 1}, ValueError, "length ≥ 2"),
        ({"length": 2.5}, TypeError, "length must be an integer"),
        ({"n_samples": 0}, ValueError, "n_samples"),
    ],
)
def test_adding_refuses_bad_sizes_with_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_adding(**{"n_samples": 3, "length": 5, **kwargs})
