"""Figures of a convolutional network: its first kernels, one image's feature maps."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU
from glassnet.model import Sequential
from glassnet.plots.conv import conv_kernels, feature_maps, write_conv_figures

PNG = b"\x89PNG\r\n\x1a\n"


def small_cnn() -> Sequential:
    return Sequential(
        [
            Conv2D(1, 6, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),
            Conv2D(6, 4, 3, rng=1), ReLU(), AvgPool2D(2),
            Flatten(), Dense(4 * 2 * 2, 3, rng=2),
        ],
        input_shape=(1, 12, 12),
    )  # fmt: skip


def test_kernel_grid_has_one_panel_per_output_channel_showing_its_weights():
    model = small_cnn()
    fig = conv_kernels(model, columns=4)
    panels = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert len(panels) == 6  # c_out of the first Conv2D
    W = model.layers[0].params["W"]
    for k, ax in enumerate(panels):
        assert ax.get_title() == str(k)
        np.testing.assert_allclose(ax.images[0].get_array(), W[k, 0], rtol=1e-6)
    # one symmetric colour scale for all
    limit = float(np.abs(W).max())
    assert panels[0].images[0].get_clim() == pytest.approx((-limit, limit))


def test_kernel_grid_of_a_deeper_layer_says_which_input_channel_it_shows():
    fig = conv_kernels(Conv2D(3, 5, 3, rng=0))
    assert "input channel 0" in fig.get_suptitle()
    assert len([ax for ax in fig.axes if ax.get_title()]) == 5


def test_feature_maps_have_a_row_per_image_stage_until_flatten():
    model = small_cnn()
    image = np.random.default_rng(0).uniform(size=(12, 12)).astype(np.float32)
    fig = feature_maps(model, image, channels=5)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels[0] == "input\n(1, 12, 12)"
    shapes = [label.split("\n")[1] for label in labels]
    assert shapes == [
        "(1, 12, 12)", "(6, 12, 12)", "(6, 12, 12)", "(6, 6, 6)",
        "(4, 4, 4)", "(4, 4, 4)", "(4, 2, 2)",
    ]  # fmt: skip
    # 1 + 5 + 5 + 5 + 4 + 4 + 4 panels (at most 5 channels a row)
    assert len(fig.axes) == 28
    # the first conv row shows that layer's output for this image
    conv_out = model.layers[0].forward(image[None, None])[0]
    row = [ax for ax in fig.axes if ax.images][1:6]
    for c, ax in enumerate(row):
        np.testing.assert_allclose(ax.images[0].get_array(), conv_out[c], rtol=1e-5)


def test_conv_figures_refuse_a_network_without_convolutions():
    mlp = Sequential([Dense(4, 2)])
    with pytest.raises(ValueError, match="has none"):
        conv_kernels(mlp)
    with pytest.raises(ValueError, match="has none"):
        feature_maps(mlp, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"one image \(C, H, W\)"):
        feature_maps(small_cnn(), np.zeros((2, 1, 12, 12)))


def test_write_conv_figures_writes_two_pngs(tmp_path):
    paths = write_conv_figures(small_cnn(), np.ones((12, 12)), tmp_path / "f", dpi=30)
    assert [p.name for p in paths] == ["kernels.png", "feature_maps.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG


def test_demo_cnn_plots_writes_the_kernels_and_feature_maps(mnist_dir, tmp_path):
    import io as text_io

    from glassnet import demos

    out = text_io.StringIO()
    result = demos.cnn(
        out, epochs=1, subset=64, data_dir=str(mnist_dir), verbose=0,
        plots=str(tmp_path), dpi=30,
    )  # fmt: skip
    assert [p.name for p in result["figures"]] == ["kernels.png", "feature_maps.png"]
    for p in result["figures"]:
        assert p.read_bytes()[:8] == PNG
        assert f"wrote     {p}" in out.getvalue()
