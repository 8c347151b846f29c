"""Weight initializers: shapes, statistics, seeding, errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import init


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize(
    "name", ["he", "xavier", "glorot", "zeros", "normal", "uniform"]
)
def test_every_named_initializer_gives_the_shape_asked(name):
    W = init.get(name)((3, 5), rng())
    assert W.shape == (3, 5)
    assert W.dtype == np.float64


def test_he_has_variance_two_over_n_in():
    W = init.he((400, 200), rng(1))
    assert W.std() == pytest.approx(np.sqrt(2 / 200), rel=0.02)
    assert abs(W.mean()) < 0.01


def test_xavier_is_uniform_within_its_bound():
    W = init.xavier((300, 100), rng(2))
    r = np.sqrt(6 / 400)
    assert np.abs(W).max() <= r
    assert W.std() == pytest.approx(r / np.sqrt(3), rel=0.02)  # U(−r, r): r/√3


def test_normal_and_uniform_parameters():
    W = init.normal(0.01)((200, 200), rng(3))
    assert W.std() == pytest.approx(0.01, rel=0.02)
    U = init.uniform(-0.5, 0.5)((200, 200), rng(4))
    assert U.min() >= -0.5
    assert U.max() < 0.5
    assert U.mean() == pytest.approx(0.0, abs=0.01)
    np.testing.assert_array_equal(init.zeros((2, 2), rng()), np.zeros((2, 2)))


def test_same_generator_seed_same_weights():
    np.testing.assert_array_equal(init.he((4, 4), rng(9)), init.he((4, 4), rng(9)))
    assert not np.array_equal(init.he((4, 4), rng(9)), init.he((4, 4), rng(10)))


def test_initializers_do_not_touch_the_global_random_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - reading it, not using it
    init.he((5, 5), rng())
    init.normal()((5, 5), rng())
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_bad_arguments_are_rejected_with_the_value():
    with pytest.raises(ValueError, match="std"):
        init.normal(-1.0)
    with pytest.raises(ValueError, match="low ≤ high"):
        init.uniform(1.0, -1.0)
    with pytest.raises(ValueError, match="unknown initializer"):
        init.get("kaiming")
