"""LivePlot: what it draws, that a blitted drawing equals a full one, its budget.

Covers glassnet.plots.live and the modules its figure is made of: _live_figure
(frames, background and foreground, PNG), _furniture (ticks, titles, keys) and
_label (texts drawn from pixels).
"""

from __future__ import annotations

import io
import math
import time

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform
from PIL import Image

import glassnet as gn
from glassnet.plots._label import Label
from glassnet.plots._live_figure import (
    boundary_segments,
    encode_png,
    loss_frame,
    power_of_ten,
)
from glassnet.plots.live import LivePlot


def circles_model() -> gn.Sequential:
    return gn.Sequential(
        [gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1), gn.Sigmoid()]
    )


def recording(live: LivePlot) -> list[int]:
    """Stand in for the notebook: count the shows (nothing is rendered)."""
    shown: list[int] = []
    live.show = lambda: shown.append(live.draws)  # type: ignore[method-assign]
    return shown


def fit(model, X, y, live, epochs=3, validation=None) -> gn.History:
    return model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.Adam(0.05),
        epochs=epochs,
        batch_size=16,
        seed=0,
        verbose=0,
        validation_data=validation,
        callbacks=[live],
    )


def full_redraw(figure: Figure) -> np.ndarray:
    """matplotlib's own drawing of every artist of the figure, as RGB pixels."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="rgba", dpi=figure.dpi)  # animated ones included
    width, height = (int(v) for v in figure.bbox.size)
    rgba = np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    return rgba.reshape(height, width, 4)[..., :3]


def contour_vertices(figure: Figure) -> np.ndarray:
    """Every vertex of the contour lines of the figure's first axes."""
    sets = [c for c in figure.axes[0].collections if isinstance(c, ContourSet)]
    return np.concatenate([s for c in sets for level in c.allsegs for s in level])


# ---- what it draws ----------------------------------------------------------------
def test_liveplot_redraws_every_n_steps_and_at_the_end() -> None:
    X, y = gn.datasets.make_circles(n_samples=64, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=3, X=X, y=y, resolution=12, max_overhead=math.inf)
    shown = recording(live)
    fit(circles_model(), X, y, live)  # 4 steps an epoch, 12 steps
    # steps 3, 6, 9, 12, end (nothing at the start: a drawing waits for its budget)
    assert live.draws == 5
    assert shown == [0, 1, 2, 3, 4]
    assert live.png().startswith(b"\x89PNG")
    assert len(live.step_losses) == 12
    assert live.epoch_steps == [4, 8, 12]


def test_liveplot_shows_the_models_current_decision_boundary() -> None:
    X, y = gn.datasets.make_circles(n_samples=64, noise=0.05, factor=0.5, seed=0)
    model = circles_model()
    xs, ys = gn.plots.grid_axes(X, 10)
    untrained = gn.plots.region_colors(gn.plots.predict_grid(model, xs, ys))
    live = LivePlot(every=100, X=X, y=y, resolution=10, max_overhead=math.inf)
    recording(live)
    fit(model, X, y, live, epochs=20)
    view = live.view
    # the regions: each grid point's predicted class colour, shaded by confidence, of
    # the model as it is now (not as it was when the figure was laid out)
    grid = gn.plots.predict_grid(model, live.xs, live.ys)
    shown = np.asarray(view.ax_boundary.images[0].get_array())
    np.testing.assert_allclose(shown, gn.plots.region_colors(grid))
    assert np.abs(shown - untrained).max() > 0.05
    # drawn exactly as decision_boundary draws the same model on the same grid: the
    # same regions and the same boundary line as its contour
    still = gn.plots.decision_boundary(model, X, y, resolution=10)
    np.testing.assert_allclose(np.asarray(still.axes[0].images[0].get_array()), shown)
    contour = contour_vertices(still)
    vertices = np.concatenate(view.boundary_line.get_segments())
    np.testing.assert_allclose(np.sort(vertices, axis=0), np.sort(contour, axis=0))
    # the black line is the boundary: every vertex lies in a grid cell whose corners
    # the model puts in both classes
    assert np.unique(grid.classes).size == 2
    assert len(vertices) > 10
    for x1, x2 in vertices:
        j = min(int(np.searchsorted(live.xs, x1, side="right")) - 1, len(live.xs) - 2)
        i = min(int(np.searchsorted(live.ys, x2, side="right")) - 1, len(live.ys) - 2)
        assert np.unique(grid.classes[i : i + 2, j : j + 2]).size == 2, (x1, x2)
    losses = view.line_epoch.get_ydata()
    assert len(losses) == 20
    assert losses[-1] < losses[0]
    accuracy = view.acc_train.get_ydata()
    assert accuracy[-1] > 0.9
    measured = np.mean((model.predict(X)[:, 0] >= 0.5) == y)
    assert view.title.get_text() == f"Decision boundary (accuracy {measured:.1%})"


def test_liveplot_boundary_of_several_classes_is_each_regions_edge() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    y = np.repeat(np.arange(3), 30)
    X = centres[y] + 0.6 * rng.standard_normal((90, 2))
    model = gn.Sequential(
        [gn.Dense(2, 16, rng=0), gn.Tanh(), gn.Dense(16, 3, rng=1), gn.Softmax()]
    )
    model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(0.05), epochs=30,
              batch_size=16, verbose=0, seed=0)  # fmt: skip
    grid = gn.plots.decision_grid(model, X, resolution=20)
    still = gn.plots.decision_boundary(model, X, y, resolution=20)
    contour = contour_vertices(still)
    ours = np.concatenate(boundary_segments(grid))
    np.testing.assert_allclose(np.sort(ours, axis=0), np.sort(contour, axis=0))
    one_class = gn.plots.DecisionGrid(
        grid.xs, grid.ys, 0 * grid.classes, grid.score, 3, grid.values
    )
    assert boundary_segments(one_class) == []  # no second class: no line


def test_liveplot_of_a_model_without_two_inputs_fails_before_training() -> None:
    X, y = gn.datasets.make_circles(n_samples=32, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=2, X=X, y=y)
    recording(live)
    model = gn.Sequential([gn.Dense(3, 1, rng=0), gn.Sigmoid()])
    with pytest.raises(ValueError, match="needs a model with 2 inputs"):
        fit(model, np.column_stack([X, X[:, :1]]), y, live)
    assert live.step_losses == []  # not a step was taken


def test_liveplot_without_points_draws_curves_only() -> None:
    X, y = gn.datasets.make_circles(n_samples=32, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=2)
    recording(live)
    fit(circles_model(), X, y, live)
    assert len(live.figure.axes) == 2
    assert live.png().startswith(b"\x89PNG")


def test_liveplot_can_be_reused_for_a_second_fit() -> None:
    X, y = gn.datasets.make_circles(n_samples=32, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=2, X=X, y=y, resolution=8, max_overhead=math.inf)
    recording(live)
    fit(circles_model(), X, y, live)
    fit(circles_model(), X, y, live, epochs=1)
    assert len(live.step_losses) == 2
    assert live.draws == 1 + 1  # step 2 and the end
    assert live.view.frame[0] == 2  # the step axis spans the second fit's 2 steps


def test_liveplot_shows_through_ipython_display() -> None:
    display = pytest.importorskip("IPython.display")
    X, y = gn.datasets.make_circles(n_samples=32, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=3, X=X, y=y, resolution=8, max_overhead=math.inf)
    live.png = lambda: b"\x89PNG fake"  # type: ignore[method-assign]
    calls: list[tuple[str, object]] = []

    class Handle:
        def update(self, obj: object) -> None:
            calls.append(("update", obj))

    def fake_display(obj: object, display_id: bool = False) -> Handle:
        calls.append(("display", obj))
        return Handle()

    real = display.display
    display.display = fake_display
    try:
        fit(circles_model(), X, y, live)
    finally:
        display.display = real
    assert [kind for kind, _ in calls] == ["display", "update", "update"]
    assert all(isinstance(obj, display.Image) for _, obj in calls)


# ---- frames, blitting, pixels ----------------------------------------------------
def test_liveplot_frames_span_the_whole_fit_and_whole_decades_of_loss() -> None:
    X, y = gn.datasets.make_circles(n_samples=64, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=2, X=X, y=y, resolution=8, max_overhead=math.inf)
    seen: list[tuple[tuple[float, float], tuple[float, float], float]] = []

    def show() -> None:
        ax = live.view.ax_loss
        seen.append((ax.get_xlim(), ax.get_ylim(), max(live.step_losses)))

    live.show = show  # type: ignore[method-assign]
    fit(circles_model(), X, y, live, epochs=5)  # 4 steps an epoch: 20 planned
    for (left, right), (bottom, top), highest in seen:
        assert left < 0
        assert right > 20
        assert right < 21
        assert math.log10(bottom) == round(math.log10(bottom))  # whole decades
        assert math.log10(top) == round(math.log10(top))
        assert bottom <= min(live.step_losses)
        assert highest <= top
    assert live.view.ax_loss.get_yscale() == "log"


def test_loss_frame_is_whole_decades_or_round_linear_ticks() -> None:
    assert loss_frame(0.03, 0.7) == ("log", 0.01, 1.0, (0.01, 0.1, 1.0))
    scale, bottom, top, ticks = loss_frame(2e-7, 0.9)  # 7 decades: every second
    assert (scale, bottom, top) == ("log", 1e-7, 1.0)
    assert ticks == pytest.approx((1e-6, 1e-4, 1e-2, 1.0))
    assert loss_frame(1.0, 1.0)[1:3] == (1.0, 10.0)  # at least one decade
    scale, bottom, top, ticks = loss_frame(-0.3, 2.2)  # not all positive: linear
    assert scale == "linear"
    assert bottom <= -0.3
    assert top >= 2.2
    assert ticks[0] == bottom
    assert ticks[-1] == top
    assert loss_frame(math.nan, math.nan)[0] == "log"  # nothing measured yet
    assert [power_of_ten(e) for e in (-12, 0, 3)] == ["10⁻¹²", "10⁰", "10³"]


def test_liveplot_blitted_drawing_equals_a_full_redraw() -> None:
    X, y = gn.datasets.make_circles(n_samples=80, noise=0.1, factor=0.4, seed=1)
    live = LivePlot(every=5, X=X, y=y, resolution=16, max_overhead=math.inf)
    live.show = live.png  # type: ignore[method-assign]
    view = live.view
    backgrounds: list[int] = []
    draw = view.canvas.draw
    view.canvas.draw = lambda: (backgrounds.append(live.draws), draw())[1]  # type: ignore[method-assign]
    fit(circles_model(), X, y, live, epochs=6, validation=(X[:20], y[:20]))
    # 30 steps: drawn after steps 5, 10, ..., 30 and at the end; the background
    # only for the first and when the loss frame changed
    assert live.draws == 7
    assert backgrounds[0] == 0
    assert len(backgrounds) < live.draws
    last_was_blitted = backgrounds[-1] != live.draws - 1
    assert last_was_blitted
    blitted = view.pixels().copy()
    full = full_redraw(live.figure)
    assert blitted.shape == full.shape == (288, 864, 3)
    difference = np.abs(blitted.astype(int) - full.astype(int))
    assert difference.max() <= 2, difference.max()
    # and the picture is not blank: the regions, the points and the curves are there
    assert len(np.unique(blitted.reshape(-1, 3), axis=0)) > 200


def test_liveplot_a_new_frame_redraws_the_background() -> None:
    X, y = gn.datasets.make_circles(n_samples=40, noise=0.05, factor=0.5, seed=0)
    view = LivePlot(X=X, y=y, resolution=8).view
    view.begin(100)
    assert view.update([0.5, 0.4], [], [])  # nothing drawn yet: a background
    view.render()
    assert not view.update([0.5, 0.4, 0.3], [], [])  # within 10⁻¹ … 10⁰: blit
    assert view.needs_background(3, 0.05, 0.5)  # a new decade
    assert view.update([0.5, 0.4, 0.3, 0.05], [], [])
    view.render()
    np.testing.assert_array_equal(view.pixels(), full_redraw(view.figure))


def test_encoded_png_decodes_to_the_canvas_pixels() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(rgb))).convert("RGB"))
    np.testing.assert_array_equal(decoded, rgb)


def test_label_draws_the_pixels_matplotlib_text_draws() -> None:
    def picture(make) -> np.ndarray:
        fig = Figure(figsize=(3, 2), dpi=80)
        canvas = FigureCanvasAgg(fig)
        for x, y, text, size, ha, va, rotation in [
            (120, 130, "Decision boundary (accuracy 97.3%)", 12, "center", "baseline", 0),  # noqa: E501
            (100, 80, "10⁻³ x₁ validation", 10, "right", "center_baseline", 0),
            (20, 60, "accuracy", 10, "center", "bottom", 90),
            (200, 40, "0.5", 7, "center", "top", 0),
        ]:  # fmt: skip
            fig.add_artist(make(x, y, text, size, ha, va, rotation))
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].astype(int)

    def text(x, y, s, size, ha, va, rotation) -> Text:
        return Text(x, y, s, fontsize=size, ha=ha, va=va, rotation=rotation,
                    rotation_mode="anchor", transform=IdentityTransform())  # fmt: skip

    def label(x, y, s, size, ha, va, rotation) -> Label:
        return Label(x, y, s, size=size, ha=ha, va=va, rotation=rotation,
                     transform=IdentityTransform())  # fmt: skip

    ours, theirs = picture(label), picture(text)
    assert (theirs < 128).sum() > 300  # there is text
    assert np.abs(ours - theirs).max() <= 2


# ---- the budget -------------------------------------------------------------------
def test_liveplot_skips_redraws_that_would_cost_more_than_its_budget() -> None:
    X, y = gn.datasets.make_circles(n_samples=64, noise=0.05, factor=0.5, seed=0)
    # a clock of its own: no cost measured by another test's LivePlot is reused
    live = LivePlot(every=1, X=X, y=y, resolution=10, max_overhead=0.1,
                    clock=lambda: time.perf_counter())  # fmt: skip
    # drawing is made to cost 20 ms; a step costs microseconds, so before the end
    # nothing fits in 10 % of the training time: only the final state is drawn
    live.show = lambda: time.sleep(0.02)  # type: ignore[method-assign]
    fit(circles_model(), X, y, live, epochs=5)
    assert live.draws == 1
    unlimited = LivePlot(every=1, X=X, y=y, resolution=10, max_overhead=math.inf)
    unlimited.show = lambda: None  # type: ignore[method-assign]
    fit(circles_model(), X, y, unlimited, epochs=5)
    assert unlimited.draws == 20 + 1


class FakeClock:
    """A clock that moves only when told: training steps and drawings advance it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def simulate(
    seconds: float,
    cost: float,
    every: int,
    step: float = 0.01,
    clock: FakeClock | None = None,
    blit: float | None = None,
):
    """A fit of ``seconds`` of training, ``step`` s a step, drawings of ``cost`` s.

    With ``blit``, only the first drawing redraws the background (``cost``); the
    others are blitted and cost ``blit``. Returns the LivePlot, the step after
    which each drawing came, and whether the budget (the drawings so far plus a
    full one in reserve ≤ 5 % of the training time) held after every step once a
    drawing had been timed.
    """
    clock = FakeClock() if clock is None else clock  # a new clock: nothing measured
    live = LivePlot(every=every, max_overhead=0.05, clock=clock)
    drawn_at: list[int] = []
    if blit is not None:  # a background once, then blits
        live.view.update = lambda *a: not drawn_at  # type: ignore[method-assign]
        live.view.needs_background = lambda *a: not drawn_at  # type: ignore[method-assign]

    def show() -> None:  # a drawing of ``cost`` (or ``blit``) seconds
        clock.now += cost if blit is None or not drawn_at else blit
        drawn_at.append(len(live.step_losses))

    live.show = show  # type: ignore[method-assign]
    model = circles_model()
    live.on_train_begin(model)
    held = True
    steps = round(seconds / step)
    for k in range(1, steps + 1):
        clock.now += step
        live.on_step_end(k, model, {"loss": 1.0})
        if live.draws and live.draw_seconds + cost > 0.05 * k * step + 1e-9:
            held = False
    live.on_train_end(model, None)  # type: ignore[arg-type]
    return live, drawn_at, held


def test_liveplot_drawing_stays_within_5_percent_of_a_long_fit() -> None:
    live, drawn_at, held = simulate(seconds=400, cost=0.2, every=50)
    assert held
    assert live.draw_seconds <= 0.05 * 400
    # close to the budget's 0.05 · 400 s / 0.2 s = 100 drawings, the final included
    assert 90 <= live.draws <= 100
    assert drawn_at[-1] == 40_000  # the final state, at the end


def test_liveplot_blitted_drawings_are_budgeted_at_their_own_cost() -> None:
    # a background costs 0.2 s once, a blit 0.05 s: the budget's 20 s pays for
    # about (20 − 0.2 − 0.2 in reserve) / 0.05 ≈ 390 drawings, not 100
    live, drawn_at, held = simulate(seconds=400, cost=0.2, every=50, blit=0.05)
    assert held
    assert live.draw_seconds <= 0.05 * 400
    assert 300 <= live.draws <= 400
    assert drawn_at[-1] == 40_000


def test_liveplot_a_fit_shorter_than_its_budget_gets_only_the_final_drawing() -> None:
    # before anything is timed a drawing is taken to cost FIRST_DRAW_GUESS: the
    # first one waits for 2 × 0.25 s / 5 % = 10 s of training
    assert LivePlot.FIRST_DRAW_GUESS == 0.25
    live, drawn_at, _ = simulate(seconds=9, cost=0.2, every=10)
    assert live.draws == 1
    assert drawn_at == [900]


def test_liveplot_defers_a_due_redraw_until_it_fits_in_the_budget() -> None:
    # due after step 700 (7 s); the first drawing needs 2 × 0.25 s ≤ 5 % of the
    # training time, 10 s: it comes after step 1000, not at a multiple of 700
    _, drawn_at, _ = simulate(seconds=30, cost=0.4, every=700)
    assert drawn_at[0] == 1000
    assert drawn_at[-1] == 3000


def test_liveplot_a_first_drawing_dearer_than_its_guess_overruns_boundedly() -> None:
    # the first drawing costs 2 × FIRST_DRAW_GUESS: it may take the budget up to
    # 2 × 5 % while nothing else is drawn, and the later ones wait until it is paid
    dear = 2 * LivePlot.FIRST_DRAW_GUESS
    live, _, _ = simulate(seconds=10.5, cost=dear, every=100)
    assert live.draws == 2
    assert live.draw_seconds <= 0.10 * 10.5
    live, _, _ = simulate(seconds=200, cost=dear, every=100)
    assert live.draw_seconds <= 0.05 * 200 + dear


class BuildingClock(FakeClock):
    """A fake clock on which building the LivePlot's figure takes ``build`` s."""

    def __init__(self, build: float) -> None:
        super().__init__()
        self.ticks = [self.now, self.now + build]  # LivePlot's two looks in __init__

    def __call__(self) -> float:
        if self.ticks:
            self.now = self.ticks.pop(0)
        return self.now


def test_liveplot_counts_building_its_figure_in_the_first_fits_budget() -> None:
    clock = BuildingClock(build=0.5)
    live, drawn_at, _ = simulate(seconds=30, cost=0.2, every=10, clock=clock)
    assert live.build_seconds == 0.5
    # the first drawing waits until 0.5 s + 2 × 0.25 s ≤ 5 % of the training time:
    # 20 s, not the 10 s of a figure built for free
    assert drawn_at[0] == 2000
    assert live.build_seconds + live.draw_seconds <= 0.05 * 30


def test_liveplot_a_new_liveplot_starts_from_the_cost_last_measured() -> None:
    clock = FakeClock()
    simulate(seconds=9, cost=0.1, every=10, clock=clock)  # only the final: 0.1 s
    # a second LivePlot of the same figure on the same clock expects 0.1 s, not the
    # 0.25 s guess: its first drawing waits for 2 × 0.1 s / 5 % = 4 s, not 10 s
    _, drawn_at, held = simulate(seconds=9, cost=0.1, every=10, clock=clock)
    assert drawn_at[0] == 400
    assert held


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": 0}, "every must be an integer ≥ 1"),
        ({"max_overhead": 0}, "max_overhead must be a number > 0"),
        ({"resolution": 1}, "resolution must be ≥ 2"),
        ({"X": np.zeros((3, 2)), "y": [0, 1]}, "3 points X but 2 labels"),
    ],
)
def test_liveplot_bad_arguments_are_named(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        LivePlot(**kwargs)


def test_liveplot_predicts_on_one_blas_thread_and_gives_the_count_back() -> None:
    from glassnet.plots.live import _blas, _one_blas_thread

    controller = _blas()
    if controller is None:
        pytest.skip("no BLAS that threadpoolctl can control")
    lib = controller.lib_controllers[0]
    before = lib.num_threads
    with _one_blas_thread():
        assert lib.num_threads == 1
    assert lib.num_threads == before
