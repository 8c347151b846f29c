"""The heatmaps of a frame: one pass over the main grid serves every map."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from glassnet.playground.data import features
from glassnet.playground.engine import build_model
from glassnet.playground.frames import (
    MAIN_SIZE,
    NEURON_PIXELS,
    NEURON_SIZE,
    _subgrid,
    grid,
    grid_inputs,
    heatmaps,
)


def _maps(text: str, n: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(n, -1)


def test_the_neuron_grid_is_every_fifth_centre_of_the_main_grid():
    np.testing.assert_array_equal(grid(MAIN_SIZE)[NEURON_PIXELS], grid(NEURON_SIZE))


def test_a_grid_whose_cells_have_no_middle_cell_is_refused():
    with pytest.raises(ValueError, match="odd"):
        _subgrid(100, 25)  # 4 cells per side: no centre in common


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_neuron_maps_are_the_activations_on_the_neuron_grid(activation):
    names = ["x1", "x2", "sinx1"]
    model, _ = build_model(activation, [5, 3], n_in=3, n_out=1, task="binary", seed=1)
    got = _maps(heatmaps(model, names, "binary")["neurons"], 8)
    # the maps a separate pass over the 20 × 20 grid gives, layer by layer
    A = features(grid(NEURON_SIZE), names)
    want = []
    for layer in model.layers[:-2]:
        A = layer.forward(A)
        if not hasattr(layer, "W"):
            if activation == "sigmoid":
                want.append(2 * A.T - 1)
            elif activation == "tanh":
                want.append(A.T)
            else:
                want.append((A / np.maximum(np.abs(A).max(axis=0), 1.0)).T)
    want = np.rint((np.clip(np.concatenate(want), -1, 1) + 1) * 127.5)
    assert np.abs(got.astype(int) - want).max() <= 1  # float32 rounding only


def test_main_map_is_the_output_on_the_main_grid():
    model, _ = build_model("tanh", [4], n_in=2, n_out=1, task="binary", seed=0)
    got = _maps(heatmaps(model, ["x1", "x2"], "binary")["heatmap"], 1)[0]
    y = model.forward(grid(MAIN_SIZE))[:, 0]
    assert np.abs(got.astype(int) - np.rint(2 * y * 127.5)).max() <= 1


def test_grid_inputs_are_computed_once_and_cannot_be_changed():
    X, inputs = grid_inputs(("x1", "x2sq"))
    assert grid_inputs(("x1", "x2sq"))[0] is X
    assert not X.flags.writeable
    maps = _maps(inputs, 2)
    assert maps.max() == 255  # each input scaled by its largest |value|
