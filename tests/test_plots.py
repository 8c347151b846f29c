"""Figures: the right axes and artists, pictures that show what the model computes,
animations with the expected frames, and an expression reader that refuses code."""

from __future__ import annotations

import builtins
import itertools

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image

import glassnet as gn
from fresh_python import run_fresh
from glassnet import plots
from glassnet.plots._common import write_animation


def circles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric rings (inner class 1, outer class 0), as in seed A."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    inner = np.arange(n) % 2
    r = np.where(inner == 1, 0.5, 1.0)
    X = np.column_stack([r * np.cos(t), r * np.sin(t)]) + rng.normal(0, 0.05, (n, 2))
    return X.astype(np.float32), inner.astype(np.int64)


@pytest.fixture(scope="module")
def data():
    return circles(200, seed=0)


@pytest.fixture(scope="module")
def trained(data):
    X, y = data
    model = gn.Sequential(
        [
            gn.Dense(2, 16, rng=1),
            gn.ReLU(),
            gn.Dense(16, 16, rng=2),
            gn.ReLU(),
            gn.Dense(16, 1, rng=3),
            gn.Sigmoid(),
        ]
    )
    rec = plots.LearningRecorder(X, every=10, resolution=30)
    history = model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.Adam(0.02),
        epochs=60,
        callbacks=[rec],
        verbose=0,
    )
    return model, history, rec


def labelled_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


# ---- data ----------------------------------------------------------------------
def test_scatter_data_draws_one_collection_per_class_in_fixed_colours(data):
    X, y = data
    fig = plots.scatter_data(X, y)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(cols) == 2
    assert sum(len(c.get_offsets()) for c in cols) == len(X)
    for k, col in enumerate(cols):
        np.testing.assert_allclose(
            col.get_facecolor()[0][:3], to_rgb(plots.class_color(k))
        )
    assert ax.get_legend() is not None


def test_scatter_data_refuses_non_planar_points():
    with pytest.raises(ValueError, match=r"\(m, 2\)"):
        plots.scatter_data(np.zeros((4, 3)), np.zeros(4))


def test_scatter_target_colours_points_by_value_with_a_labelled_colour_bar():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]])
    t = X[:, 0] * X[:, 1]
    fig = plots.scatter_target(X, t, axis_labels=("a", "b"), target="area a·b")
    ax, bar = fig.axes
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), X)  # in the units given
    np.testing.assert_allclose(points.get_array(), t)  # colour is the value itself
    assert bar.get_ylabel() == "area a·b"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert ax.get_legend() is None  # no classes to name
    with pytest.raises(ValueError, match="one target per point"):
        plots.scatter_target(X, t[:2])


def test_digit_grid_shows_n_images_with_labels():
    rng = np.random.default_rng(0)
    images = rng.random((30, 784))
    labels = rng.integers(0, 10, 30)
    fig = plots.digit_grid(images, labels, n=12)
    assert len(fig.axes) == 12
    assert [ax.get_title() for ax in fig.axes] == [str(k) for k in labels[:12]]


def test_misclassified_digits_shows_only_the_wrong_ones():
    rng = np.random.default_rng(0)
    images = rng.random((20, 28, 28))
    true = np.arange(20) % 10
    pred = true.copy()
    pred[[3, 7, 11]] = (pred[[3, 7, 11]] + 1) % 10
    fig = plots.misclassified_digits(images, true, pred)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [f"pred {pred[i]} / true {true[i]}" for i in (3, 7, 11)]
    assert len(plots.misclassified_digits(images, true, true).axes) == 1


# ---- decision boundary -----------------------------------------------------------
def test_decision_grid_classes_are_model_predict_on_the_grid(trained, data):
    model, _, _ = trained
    X, _ = data
    grid = plots.decision_grid(model, X, resolution=40)
    assert grid.classes.shape == (40, 40)
    pts = grid.points()
    expected = (model.predict(pts)[:, 0] >= 0.5).astype(int).reshape(40, 40)
    np.testing.assert_array_equal(grid.classes, expected)
    # row i is y = ys[i], column j is x = xs[j]
    assert pts[41, 0] == grid.xs[1]
    assert pts[41, 1] == grid.ys[1]
    assert set(np.unique(grid.classes)) == {0, 1}  # the trained model sees both


def image_of(ax):
    (image,) = ax.get_images()
    return np.asarray(image.get_array(), dtype=np.float64)


def depth_of(rgb, classes):
    """s that best fits RGB = 1 − (1 − colour of the class)·s, and that fit's RGB."""
    base = 1 - np.array([to_rgb(plots.class_color(k)) for k in range(10)])[classes]
    s = ((1 - rgb) * base).sum(axis=-1) / (base**2).sum(axis=-1)
    return s, 1 - base * s[..., None]


def test_decision_boundary_image_shows_exactly_the_grid(trained, data):
    model, _, _ = trained
    X, y = data
    fig = plots.decision_boundary(model, X, y, resolution=30)
    (ax,) = fig.axes
    grid = plots.decision_grid(model, X, resolution=30)
    rgb = image_of(ax)
    np.testing.assert_allclose(rgb, plots.region_colors(grid))
    # every pixel is its predicted class's colour, lightened: one s for all channels
    _, fitted = depth_of(rgb, grid.classes)
    np.testing.assert_allclose(rgb, fitted, atol=1e-9)
    assert "accuracy" in ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()


def test_region_shade_deepens_with_the_models_confidence(trained, data):
    model, _, _ = trained
    X, _ = data
    grid = plots.decision_grid(model, X, resolution=40)
    s, _ = depth_of(plots.region_colors(grid), grid.classes)
    confidence = np.abs(2 * grid.score - 1)
    for k in (0, 1):  # colour varies inside each class's region, not flat
        inside = grid.classes == k
        assert s[inside].max() - s[inside].min() > 0.2
    order = np.argsort(confidence.ravel())
    assert np.all(np.diff(s.ravel()[order]) >= -1e-12)  # surer is deeper
    assert s.min() < 0.1  # near white at the boundary


def test_boundary_title_names_the_set_its_accuracy_is_on(trained, data):
    model, _, _ = trained
    X, y = data
    acc = np.mean((model.predict(X)[:, 0] >= 0.5) == y)
    fig = plots.decision_boundary(model, X, y, points="test", resolution=20)
    assert f"test accuracy {100 * acc:.2f} %" in fig.axes[0].get_title()
    fig = plots.decision_boundary(model, X, y, resolution=20)
    assert "training accuracy" in fig.axes[0].get_title()


def contour_vertices(ax):
    from matplotlib.contour import ContourSet

    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert sets
    return np.concatenate([p.vertices for c in sets for p in c.get_paths()])


def test_binary_boundary_is_the_smooth_line_where_the_output_is_one_half(trained, data):
    model, _, _ = trained
    X, y = data
    fig = plots.decision_boundary(model, X, y, resolution=60)
    V = contour_vertices(fig.axes[0])
    assert len(V) > 20
    p = model.predict(V)[:, 0]
    # on the interpolated line itself, not on the cell edges of a class grid
    assert np.abs(p - 0.5).max() < 0.05


def test_multiclass_boundary_lies_where_the_two_largest_outputs_are_equal():
    rng = np.random.default_rng(0)
    model = gn.Sequential([gn.Dense(2, 8, rng=3), gn.Tanh(), gn.Dense(8, 3, rng=4),
                           gn.Softmax()])  # fmt: skip
    X = rng.uniform(-2, 2, (50, 2))
    fig = plots.decision_boundary(model, X, rng.integers(0, 3, 50), resolution=80)
    V = contour_vertices(fig.axes[0])
    assert len(V) > 20
    top2 = np.sort(model.predict(V), axis=1)[:, -2:]
    spread = np.ptp(model.predict(X), axis=0).max()
    margin = top2[:, 1] - top2[:, 0]
    # a contour of class ids would sit on cell edges: margins of order slope × cell
    # (here about 0.01); the margin's own zero line is off only where three meet
    assert np.median(margin) < 1e-3
    assert margin.max() < 0.05 * spread
    # the segments run in every direction, not only along the grid's rows and columns
    d = np.diff(V, axis=0)
    assert np.mean((np.abs(d[:, 0]) > 1e-9) & (np.abs(d[:, 1]) > 1e-9)) > 0.5


def test_multiclass_grid_uses_the_argmax():
    model = gn.Sequential([gn.Dense(2, 3, rng=5), gn.Softmax()])
    X = np.array([[-2.0, -2.0], [2.0, 2.0]])
    grid = plots.decision_grid(model, X, resolution=12)
    np.testing.assert_array_equal(
        grid.classes.ravel(), model.predict(grid.points()).argmax(axis=1)
    )
    fig = plots.decision_boundary(model, X, [0, 2], resolution=12)
    assert len(fig.axes) == 1


def test_decision_grid_needs_two_inputs():
    model = gn.Sequential([gn.Dense(3, 1)])
    with pytest.raises(ValueError, match="2 inputs"):
        plots.predict_grid(model, np.arange(3.0), np.arange(3.0))


# ---- learning animation --------------------------------------------------------
def test_recorder_is_dense_early_and_at_most_every_steps_apart_later(trained):
    _, history, rec = trained
    steps = np.array([f.step for f in rec.frames])
    n = len(history.step_loss)
    assert steps[0] == 0
    assert steps[-1] == n  # the final weights are always a frame
    assert list(steps[:11]) == list(range(11))  # every step while it moves fastest
    gaps = np.diff(steps)
    assert gaps.max() <= rec.every
    assert np.all(np.diff(gaps[:-1]) >= 0)  # the gap only grows (the last is cut)
    np.testing.assert_allclose(rec.step_loss, history.step_loss)
    assert rec.frames[0].grid.classes.shape == (30, 30)
    assert not np.array_equal(rec.frames[0].grid.classes, rec.frames[-1].grid.classes)


def test_recorder_continues_counting_over_a_second_fit(data):
    X, y = data
    model = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    rec = plots.LearningRecorder(X, every=2, resolution=5)
    for _ in range(2):
        model.fit(
            X,
            y,
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.SGD(0.1),
            epochs=4,
            batch_size=None,
            callbacks=[rec],
            verbose=0,
        )
    assert [f.step for f in rec.frames] == [0, 1, 2, 3, 4, 4, 5, 6, 7, 8]
    assert [f.epoch for f in rec.frames] == [0, 1, 2, 3, 4, 4, 5, 6, 7, 8]
    assert len(rec.step_loss) == 8


def test_frames_are_chosen_by_how_much_the_picture_changes(trained):
    _, _, rec = trained
    chosen = plots.spaced_by_change(rec, 8)
    assert len(chosen) == 8
    assert chosen[0] == 0
    assert chosen[-1] == len(rec.frames) - 1
    assert np.all(np.diff(chosen) > 0)
    steps = np.array([rec.frames[i].step for i in chosen])
    # this run learns the circles early: most frames fall in the first quarter
    assert np.sum(steps <= steps[-1] / 4) >= 4
    even = np.linspace(0, steps[-1], 8)
    assert np.sum(even <= steps[-1] / 4) <= 2  # what even spacing would have shown


def test_spaced_by_change_gives_exactly_n_increasing_frames_for_any_n(data):
    from glassnet.plots.boundary import DecisionGrid, Frame

    X, _ = data
    rec = plots.LearningRecorder(X, resolution=4)
    rng = np.random.default_rng(1)
    xs = np.arange(4.0)
    for step in range(30):  # all the change in the first five frames, then none
        score = min(step, 5) / 5 + 1e-3 * rng.random((4, 4))
        grid = DecisionGrid(xs, xs, (score > 0.5).astype(np.int8), score, 1)
        rec.frames.append(Frame(step * 10, step, grid, np.zeros((len(X), 1))))
    for n in range(1, 35):
        chosen = plots.spaced_by_change(rec, n)
        assert len(chosen) == min(n, 30)
        assert chosen[-1] == 29
        assert np.all(np.diff(chosen) > 0)
    assert np.sum(plots.spaced_by_change(rec, 10) <= 5) >= 5  # where it changed
    with pytest.raises(ValueError, match="at least one frame"):
        plots.spaced_by_change(rec, 0)


def gif_frames(path):
    with Image.open(path) as im:
        frames, durations = [], []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB"), dtype=np.int16))
            durations.append(im.info["duration"])
    return frames, durations


def test_learning_gif_has_the_frames_asked_each_moving_and_holds_the_last(
    trained, data, tmp_path
):
    _, _, rec = trained
    X, y = data
    path = plots.animate_learning(
        rec, X, y, tmp_path / "learn.gif", dpi=30, size=2.0, max_frames=6, fps=5
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["learn.gif"]  # atomic
    frames, durations = gif_frames(path)
    assert len(frames) == 6
    assert frames[0].std() > 10  # not a blank image
    left = [f[:, : f.shape[1] // 2] for f in frames]  # the boundary panel
    still = [np.abs(a - b).mean() < 0.5 for a, b in itertools.pairwise(left)]
    assert sum(still) <= 1  # the boundary moves from frame to frame
    assert durations[:-1] == [200] * 5
    assert durations[-1] >= 2000  # the end state stays on screen
    assert path.stat().st_size < 1_000_000


def test_learning_gif_writes_all_recorded_frames_when_fewer_than_asked(
    trained, data, tmp_path
):
    _, _, rec = trained
    X, y = data
    path = plots.animate_learning(
        rec, X, y, tmp_path / "a.gif", dpi=20, size=1.5, max_frames=10_000
    )
    with Image.open(path) as im:
        assert im.n_frames == len(rec.frames)


def test_learning_animation_text_is_readable_at_the_default_size(trained, data):
    import inspect

    _, _, rec = trained
    X, y = data
    fig = plots.learning_figure(rec, X, y, frame=3)
    dpi = inspect.signature(plots.animate_learning).parameters["dpi"].default
    title = fig.axes[0].title
    assert title.get_fontsize() * dpi / 72 >= 12  # pixels per line of the title
    for ax in fig.axes:
        for label in ax.get_xticklabels():
            assert label.get_fontsize() * dpi / 72 >= 10


def test_learning_frame_title_has_training_loss_and_accuracy_not_the_batch_loss(
    trained, data
):
    _, history, rec = trained
    X, y = data
    i = len(rec.frames) - 1
    fig = plots.learning_figure(rec, X, y, frame=i)
    title = fig.axes[0].get_title()
    loss = gn.evaluate(rec_model(trained), X, y, loss=gn.BinaryCrossEntropy())
    assert f"loss {loss['loss']:.3g}" in title
    assert f"accuracy {100 * loss['accuracy']:.1f} %" in title
    assert f"epoch {rec.frames[i].epoch}" in title
    lines = fig.axes[1].get_lines()
    (curve,) = [ln for ln in lines if ln.get_label() == "training loss"]
    assert len(curve.get_xdata()) == i + 1
    assert len(curve.get_xdata()) < len(history.step_loss)  # per frame, not per batch


def rec_model(trained):
    return trained[0]


def test_animation_formats(tmp_path):
    fig = plots.scatter_data(np.zeros((2, 2)), [0, 1])
    with pytest.raises(ValueError, match=r"\.gif"):
        write_animation(fig, lambda i: None, 2, tmp_path / "x.avi")
    from matplotlib import animation

    if not animation.writers.is_available("ffmpeg"):
        with pytest.raises(ValueError, match="ffmpeg"):
            write_animation(fig, lambda i: None, 2, tmp_path / "x.mp4")


def test_recorder_must_have_frames(data):
    X, y = data
    with pytest.raises(ValueError, match="no frames"):
        plots.learning_figure(plots.LearningRecorder(X), X, y)


# ---- network pictures -------------------------------------------------------------
def test_architecture_columns_collapse_wide_layers():
    model = gn.Sequential(
        [gn.Dense(784, 300), gn.Tanh(), gn.Dense(300, 10), gn.Softmax()]
    )
    fig = plots.architecture(model, max_neurons=12)
    (ax,) = fig.axes
    columns = [c for c in ax.collections if isinstance(c, PathCollection)]
    weights = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [len(c.get_offsets()) for c in columns] == [10, 10, 10]
    assert len(weights) == 2
    assert sum(t.get_text() == "⋮" for t in ax.texts) == 2  # 784 and 300 collapsed
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "300 neurons" in labels
    assert "235,500 params" in labels
    assert "784 → 300 → 10" in ax.get_title()


def test_architecture_of_seed_a_network_shows_every_small_layer():
    model = gn.Sequential([gn.Dense(2, 5), gn.ReLU(), gn.Dense(5, 1), gn.Sigmoid()])
    (ax,) = plots.architecture(model).axes
    columns = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in columns] == [2, 5, 1]


def test_architecture_counts_the_weights_of_a_recurrent_layer():
    model = gn.Sequential(
        [gn.LSTM(3, 4, rng=0), gn.Dense(4, 1, rng=1)], input_shape=(5, 3)
    )
    (ax,) = plots.architecture(model).axes
    labels = " ".join(t.get_text() for t in ax.texts)
    lstm = 4 * 4 * 3 + 4 * 4 * 4 + 2 * 4 * 4  # W_ih, W_hh, b_ih, b_hh
    assert f"{lstm} params" in labels
    assert f"({lstm + 5} parameters)" in ax.get_title()
    assert sum(W.size for _, W, _ in model.parameters()) == lstm + 5


def test_architecture_of_a_standardized_model_numbers_layers_as_summary():
    X = np.random.default_rng(0).normal(size=(40, 3))
    model = gn.Sequential(
        [gn.Standardize.fit(X), gn.Dense(3, 4), gn.ReLU(), gn.Dense(4, 1)]
    )
    (ax,) = plots.architecture(model).axes
    columns = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in columns] == [3, 4, 1]
    assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == 2
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == [
        "input\n3 features\nStandardize",
        "layer 1\n4 neurons\nReLU\n16 params",  # summary: l = 1 is Dense(3 → 4)
        "output\n1 neuron\nlinear\n5 params",
    ]
    assert "3 → 4 → 1 (21 parameters)" in ax.get_title()
    boxes = [t.get_text() for t in boxes_of(plots.computation_order(model, m=8))]
    assert len(boxes) == 3 * 2 + 2
    assert "A[0] = (X − μ) / σ  (8, 3)" in boxes
    text = "\n".join(boxes)
    assert "forward, layer 1\nZ[1] = A[0] @ W[1].T + b[1]  (8, 4)" in text
    assert "dW[1] = dZ[1].T @ A[0]  (4, 3)" in text
    assert "layer 3" not in text


def seed_like_model():
    return gn.Sequential(
        [
            gn.Dense(2, 4),
            gn.ReLU(),
            gn.Dense(4, 3),
            gn.ReLU(),
            gn.Dense(3, 1),
            gn.Sigmoid(),
        ]
    )


def boxes_of(fig):
    (ax,) = fig.axes
    return [t for t in ax.texts if t.get_bbox_patch() is not None]


def test_computation_order_has_a_box_per_layer_direction_and_update():
    boxes = boxes_of(plots.computation_order(seed_like_model(), m=8))
    assert len(boxes) == 3 * 3 + 2  # input, 3 forward, loss, 3 backward, 3 update
    text = "\n".join(t.get_text() for t in boxes)
    assert "Z[2] = A[1] @ W[2].T + b[2]  (8, 3)" in text
    assert "dW[1] = dZ[1].T @ A[0]  (4, 2)" in text
    for l in (1, 2, 3):  # noqa: E741
        assert f"W[{l}] := W[{l}] − α·dW[{l}]" in text
        assert f"b[{l}] := b[{l}] − α·db[{l}]" in text


@pytest.mark.parametrize(
    ("loss", "formula"),
    [
        (None, "dZ[3] = (A[3] − Y) / m"),
        (gn.BinaryCrossEntropy(), "dZ[3] = (A[3] − Y) / m"),
        (gn.MSE(), "dZ[3] = dA[3] * A[3] * (1 − A[3])"),
    ],
)
def test_computation_order_gives_one_output_gradient_per_box(loss, formula):
    boxes = boxes_of(plots.computation_order(seed_like_model(), loss=loss))
    (last,) = [t.get_text() for t in boxes if t.get_text().startswith("backward, la")
               and "layer 3" in t.get_text()]  # fmt: skip
    dz = [line for line in last.splitlines() if line.startswith("dZ[3] =")]
    assert len(dz) == 1
    assert dz[0].startswith(formula)
    assert ("dA[3] = dL/dA[3]" in last) == isinstance(loss, gn.MSE)


def test_computation_order_fills_its_canvas():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plots.computation_order(seed_like_model())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays out the boxes
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    spans = sorted(
        (e.x0, e.x1, e.y0, e.y1)
        for e in (t.get_bbox_patch().get_window_extent(renderer) for t in boxes_of(fig))
    )
    assert min(s[0] for s in spans) < 0.05 * width  # no empty strip on the left
    assert max(s[1] for s in spans) > 0.95 * width  # nor on the right
    assert min(s[2] for s in spans) < 0.08 * height  # nor below
    covered, reach = 0.0, 0.0
    for x0, x1, _, _ in spans:  # union of the boxes' columns
        covered += max(0.0, x1 - max(x0, reach))
        reach = max(reach, x1)
    assert covered > 0.7 * width  # no third of the canvas left empty


# ---- curves ---------------------------------------------------------------------
def test_activation_figure_plots_glassnet_functions_and_derivatives():
    fig = plots.activation_functions(("sigmoid", "relu"))
    ax_g, ax_d = fig.axes
    assert len(labelled_lines(ax_g)) == len(labelled_lines(ax_d)) == 2
    z = labelled_lines(ax_g)[0].get_xdata()
    np.testing.assert_allclose(
        labelled_lines(ax_g)[0].get_ydata(), gn.activations.sigmoid(z)
    )
    np.testing.assert_allclose(
        labelled_lines(ax_d)[1].get_ydata(), gn.activations.relu_derivative(z)
    )
    assert len(labelled_lines(plots.activation_functions().axes[0])) == 4
    with pytest.raises(ValueError, match="swish"):
        plots.activation_functions(("swish",))


def test_training_curves_panels_follow_what_was_recorded(trained, data):
    _, history, _ = trained
    fig = plots.training_curves(history)
    assert [ax.get_title() for ax in fig.axes] == [
        "Loss per epoch",
        "Accuracy per epoch",
        "Loss per step",
    ]
    np.testing.assert_allclose(
        labelled_lines(fig.axes[0])[0].get_ydata(), history.history["loss"]
    )
    fig = plots.training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    (ax,) = fig.axes
    assert [ln.get_label() for ln in labelled_lines(ax)] == ["train", "validation"]
    with pytest.raises(ValueError, match="loss"):
        plots.training_curves({"accuracy": [0.5]})


def test_training_curves_epoch_ticks_are_integers():
    fig = plots.training_curves({"loss": [1.0, 0.6, 0.5], "accuracy": [0.5, 0.7, 0.8]})
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks
        assert all(float(t).is_integer() for t in ticks), ticks
    fig = plots.training_curves(gn.History({"loss": [1.0] * 300}, [1.0] * 3600, 300))
    for ax in fig.axes:  # four-digit step numbers need room: few ticks
        lo, hi = ax.get_xlim()
        assert len([t for t in ax.get_xticks() if lo <= t <= hi]) <= 7


def test_held_out_curve_records_the_test_loss_of_every_epoch(data):
    X, y = data
    X_test, y_test = circles(60, seed=9)
    model = gn.Sequential([gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1),
                           gn.Sigmoid()])  # fmt: skip
    curve = plots.HeldOutCurve(X_test, y_test, gn.BinaryCrossEntropy())
    history = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.Adam(0.05),
                        epochs=5, callbacks=[curve], verbose=0)  # fmt: skip
    assert len(history.history["test_loss"]) == 5
    assert len(history.history["test_accuracy"]) == 5
    final = gn.evaluate(model, X_test, y_test, loss=gn.BinaryCrossEntropy())
    assert history.history["test_loss"][-1] == pytest.approx(final["loss"])
    # the training set is not the test set: the curves differ
    assert history.history["test_loss"] != history.history["loss"]
    fig = plots.training_curves(history)
    labels = [ln.get_label() for ln in labelled_lines(fig.axes[0])]
    assert labels == ["train", "test"]
    test_line = labelled_lines(fig.axes[0])[1]
    np.testing.assert_allclose(test_line.get_ydata(), history.history["test_loss"])
    np.testing.assert_array_equal(test_line.get_xdata(), [1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="prefix"):
        plots.HeldOutCurve(X_test, y_test, gn.BinaryCrossEntropy(), name="a b")


# ---- gradient descent -------------------------------------------------------------
def test_seed_b_bowl_descends_in_one_step():
    np.testing.assert_array_equal(plots.descent_path("bowl"), [[-5, -5], [0, 0]])


@pytest.mark.parametrize("name", sorted(plots.FUNCTIONS))
def test_builtin_gradients_match_central_differences(name):
    fn = plots.FUNCTIONS[name]
    p = np.array([0.3, -0.7])
    numeric = gn.numerical_gradient(fn, p)
    np.testing.assert_allclose(fn.grad(*p), numeric, rtol=1e-6, atol=1e-8)


def test_two_minima_descent_can_stop_in_the_local_one():
    fn = plots.FUNCTIONS["two_minima"]
    end = plots.descent_path(fn)[-1]
    assert end[0] > 0  # the local minimum near x = +1; the global one is near −1
    assert fn(end) > fn(plots.descent_path(fn, x0=(-0.5, 1.0))[-1])


def test_descent_figure_draws_the_path_on_contours_and_surface():
    path = plots.descent_path("elongated")
    fig = plots.descent_figure("elongated", path, resolution=40)
    assert len(fig.axes) == 3  # contours, colour bar, 3-D surface
    assert fig.axes[2].name == "3d"
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "descent path"]
    np.testing.assert_allclose(line.get_xdata(), path[:, 0])
    fig = plots.descent_figure("sin(x) + y**2", surface=False, resolution=30)
    assert len(fig.axes) == 2


def test_descent_map_has_equal_axes_and_marks_the_known_minimum():
    fig = plots.descent_figure("rosenbrock", surface=False, resolution=30)
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0  # one unit of x is one unit of y: circles look round
    (mark,) = [ln for ln in ax.get_lines() if ln.get_label() == "minimum"]
    np.testing.assert_array_equal(mark.get_xydata(), [[1.0, 1.0]])
    assert plots.function_2d("rosenbrock")(np.array([1.0, 1.0])) == 0.0


@pytest.mark.parametrize("name", sorted(plots.FUNCTIONS))
def test_every_builtin_minimum_is_a_stationary_point_of_lowest_value_first(name):
    fn = plots.FUNCTIONS[name]
    assert fn.minima
    for x, y in fn.minima:
        np.testing.assert_allclose(fn.grad(x, y), (0.0, 0.0), atol=1e-9)
        for dx, dy in ((1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)):
            assert fn(np.array([x + dx, y + dy])) > fn(np.array([x, y]))
    values = [fn(np.array(p)) for p in fn.minima]
    assert values == sorted(values)


def test_descent_colour_bar_has_few_plain_tick_labels():
    fig = plots.descent_figure("rosenbrock", surface=False, resolution=30)
    bar = fig.axes[1]
    labels = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 6
    assert len(set(labels)) == len(labels)
    assert not any("e+" in t or "e-" in t for t in labels), labels


def test_descent_end_point_lies_inside_the_drawing_even_when_it_diverges():
    path = plots.descent_path("bowl", (-5.0, -5.0), 1.05, 5)  # |x| grows past 6
    assert np.abs(path[-1]).max() > 6
    fig = plots.descent_figure("bowl", path, surface=False, resolution=30)
    ax = fig.axes[0]
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    for x, y in path:
        assert x_lo < x < x_hi
        assert y_lo < y < y_hi
    margin = 0.02 * (x_hi - x_lo)
    x, y = path[-1]
    assert min(x - x_lo, x_hi - x, y - y_lo, y_hi - y) > margin  # the marker fits


def test_soft_clip_rounds_off_the_top_without_a_kink():
    z = np.linspace(0.0, 20.0, 2001)
    soft = plots.soft_clip(z, 10.0, 1.0)
    assert soft.max() <= 10.0
    np.testing.assert_allclose(soft[z < 2], z[z < 2], atol=1e-3)  # untouched below
    assert soft[-1] == pytest.approx(10.0, abs=1e-4)
    slope = np.diff(soft) / np.diff(z)
    hard_slope = np.diff(np.minimum(z, 10.0)) / np.diff(z)
    # a hard clip's slope jumps from 1 to 0 in one grid step: the saw-teeth
    assert np.abs(np.diff(hard_slope)).max() > 0.9
    assert np.abs(np.diff(slope)).max() < 0.01
    assert np.all(np.diff(slope) <= 1e-12)  # it bends one way only


def test_descent_animation_has_a_frame_per_step(tmp_path):
    path = plots.descent_path("bowl", lr=0.2, steps=5)
    out = plots.animate_descent("bowl", path, tmp_path / "d.gif", dpi=30)
    with Image.open(out) as im:
        assert im.n_frames == 6


# ---- the expression reader ------------------------------------------------------
def test_expressions_evaluate_like_numpy():
    f = plots.parse_expression("x**2 + 3*sin(y) - exp(-abs(x)) / 2 + pi*e")
    x, y = np.array([0.5, -1.0]), np.array([2.0, 0.1])
    np.testing.assert_allclose(
        f(x, y), x**2 + 3 * np.sin(y) - np.exp(-np.abs(x)) / 2 + np.pi * np.e
    )
    assert f(1.0, 2.0).shape == ()
    assert plots.parse_expression("2")(np.zeros(3), np.zeros(3)).shape == (3,)
    assert np.isinf(plots.parse_expression("9**9**9")(0.0, 0.0))  # no bigint, no hang


def test_expressions_never_reach_eval(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval was called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    assert float(plots.parse_expression("x*y")(2.0, 3.0)) == 6.0


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('echo hi')",
        "import os",
        "x.__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "np.sin(x)",
        "open('/etc/passwd')",
        "eval('1')",
        "__builtins__",
        "sin(x, y)",
        "sin(x=1)",
        "(lambda: 1)()",
        "x[0]",
        "'text'",
        "x if y else 1",
        "x < y",
        "[x, y]",
        "x ^ 2",
        "x % 2",
        "z + 1",
        "1j * x",
        "True + x",
        "f'{x}'",
        "x; y",
        "x" * 600,
    ],
)
def test_unsafe_or_unknown_expressions_are_refused(expr):
    with pytest.raises(ValueError, match="expression"):
        plots.parse_expression(expr)


def test_function_2d_names_the_builtins_when_an_expression_is_bad():
    with pytest.raises(ValueError, match="rosenbrock"):
        plots.function_2d("os.system('x')")
    with pytest.raises(TypeError):
        plots.parse_expression(3)


# ---- evaluation ----------------------------------------------------------------
def test_confusion_matrix_counts_by_hand():
    C = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    fig = plots.confusion_figure([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    ax = fig.axes[0]
    assert len(ax.texts) == 9
    assert "66.67%" in ax.get_title()
    with pytest.raises(ValueError, match="one prediction per sample"):
        plots.confusion_matrix([0, 1], [0])


def test_predicted_vs_true_reports_r2():
    y = np.arange(10.0)
    fig = plots.predicted_vs_true(y, y)
    assert "R² = 1.0000" in fig.axes[0].get_title()
    fig = plots.predicted_vs_true(np.ones((4, 2)), np.zeros((4, 2)))
    assert len(fig.axes[0].collections) == 2


# ---- inside the network -------------------------------------------------------------
def test_layer_histograms_show_w_a_dw_per_layer_without_changing_weights(data):
    X, y = data
    model = gn.Sequential(
        [gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1), gn.Sigmoid()]
    )
    before = [W.copy() for _, W, _ in model.parameters()]
    stats = plots.layer_statistics(model, X[:32], y[:32], gn.BinaryCrossEntropy())
    assert [s["A"].shape for s in stats] == [(32, 8), (32, 1)]
    assert [s["dW"].shape for s in stats] == [(8, 2), (1, 8)]
    np.testing.assert_allclose(
        stats[0]["A"], np.tanh(X[:32] @ before[0].T + before[1]), rtol=1e-5
    )
    fig = plots.layer_histograms(model, X[:32], y[:32], gn.BinaryCrossEntropy(), step=3)
    assert len(fig.axes) == 6
    assert "std" in fig.axes[2].get_title()
    for (_, W, _), W0 in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(W, W0)


def test_layer_histograms_of_a_standardized_model_start_at_the_first_dense(data):
    X, y = data
    model = gn.Sequential(
        [gn.Standardize.fit(X), gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1)]
    )
    stats = plots.layer_statistics(model, X[:32], y[:32, None], gn.MSE())
    assert len(stats) == 2  # W[1], W[2] as in summary: the Standardize is the input
    np.testing.assert_array_equal(stats[0]["W"], model.layers[1].W)
    fig = plots.layer_histograms(model, X[:32], y[:32, None], gn.MSE())
    assert fig.axes[0].get_title().startswith("weights W[1] ")


# ---- files ----------------------------------------------------------------------
def test_save_is_atomic_and_needs_a_suffix(tmp_path):
    fig = plots.scatter_data(np.zeros((2, 2)), [0, 1])
    out = plots.save(fig, tmp_path / "sub" / "d.png", dpi=30)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["d.png"]
    with pytest.raises(ValueError, match="suffix"):
        plots.save(fig, tmp_path / "noext")


def test_write_training_figures_writes_what_the_inputs_allow(trained, data, tmp_path):
    model, history, rec = trained
    X, y = data
    small = plots.LearningRecorder(X, every=100, resolution=8)
    small.frames.extend(rec.frames[:2])
    small.step_loss.extend(rec.step_loss)
    paths = plots.write_training_figures(
        tmp_path,
        model,
        history=history,
        X=X,
        y=y,
        X_test=X[:50],
        y_test=y[:50],
        recorder=small,
        dpi=30,
    )
    assert [p.name for p in paths] == [
        "architecture.png",
        "computation.png",
        "history.png",
        "data.png",
        "decision_boundary.png",
        "learning.gif",
        "confusion.png",
    ]
    assert all(p.stat().st_size > 0 for p in paths)


def test_glassnet_never_imports_pyplot_and_loads_matplotlib_lazily():
    run_fresh(
        "import sys, glassnet as gn",
        "assert 'matplotlib' not in sys.modules",
        "gn.plots.activation_functions()",
        "assert 'matplotlib.pyplot' not in sys.modules",
    )
