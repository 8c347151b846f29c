"""gn.save and gn.load at the top level are glassnet.io's, and round-trip a model."""

from __future__ import annotations

import numpy as np

import glassnet as gn


def test_top_level_save_and_load_are_the_io_functions() -> None:
    assert gn.save is gn.io.save
    assert gn.load is gn.io.load
    assert {"save", "load"} <= set(gn.__all__)


def test_top_level_round_trip_keeps_predictions(tmp_path) -> None:
    model = gn.Sequential(
        [gn.Dense(3, 5, rng=0), gn.LeakyReLU(0.1), gn.Dense(5, 2, rng=1), gn.Softmax()]
    )
    path = tmp_path / "model.safetensors"
    gn.save(model, path)
    X = np.random.default_rng(0).normal(size=(10, 3))
    np.testing.assert_array_equal(gn.load(path).predict(X), model.predict(X))
