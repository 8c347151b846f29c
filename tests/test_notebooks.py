"""The example notebooks run headlessly, are stored without outputs; LivePlot draws."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import data_root

import glassnet as gn
from glassnet.plots.live import LivePlot

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "examples" / "notebooks").glob("*.ipynb"))


def test_there_is_one_notebook_per_seed_experiment() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert [n[:6] for n in names] == [f"seed_{s}" for s in "abcde"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    book = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(book["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {i} has outputs"
            assert cell["execution_count"] is None, f"{path.name} cell {i} was run"
    assert "widgets" not in book["metadata"]


# Seed C trains on real MNIST: slow, like every real-MNIST test.
RUNS = [
    pytest.param(p, marks=pytest.mark.slow) if "mnist" in p.stem else p
    for p in NOTEBOOKS
]


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_notebook_runs_headlessly(path: Path, monkeypatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if "mnist" in path.stem and not (data_root() / "mnist").is_dir():
        pytest.skip(f"MNIST files not found in {data_root() / 'mnist'}")
    # the kernel is a child process: it imports this checkout's glassnet and data
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"), str(REPO)]))
    monkeypatch.setenv("GLASSNET_DATA", str(data_root()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": REPO}}
    )
    client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert errors == []
    images = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert images, f"{path.name} showed no figure"


# ---- LivePlot ----------------------------------------------------------------------
def circles_model() -> gn.Sequential:
    return gn.Sequential(
        [gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1), gn.Sigmoid()]
    )


def recording(live: LivePlot) -> list[int]:
    """Stand in for the notebook: count the shows (rendering a PNG is slow here)."""
    shown: list[int] = []
    live.show = lambda: shown.append(live.draws)  # type: ignore[method-assign]
    return shown


def fit(model, X, y, live, epochs=3) -> gn.History:
    return model.fit(
        X,
        y,
        loss=gn.BinaryCrossEntropy(),
        optimizer=gn.Adam(0.05),
        epochs=epochs,
        batch_size=16,
        seed=0,
        verbose=0,
        callbacks=[live],
    )


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
    # the regions: each grid point's predicted class colour, shaded by confidence, of
    # the model as it is now (not as it was when the figure was laid out)
    grid = gn.plots.predict_grid(model, live.xs, live.ys)
    shown = np.asarray(live.ax_boundary.images[0].get_array())
    np.testing.assert_allclose(shown, gn.plots.region_colors(grid))
    assert np.abs(shown - untrained).max() > 0.05
    # drawn exactly as decision_boundary draws the same model on the same grid
    still = gn.plots.decision_boundary(model, X, y, resolution=10)
    np.testing.assert_allclose(np.asarray(still.axes[0].images[0].get_array()), shown)
    # the black line is the boundary: every vertex lies in a grid cell whose corners
    # the model puts in both classes
    assert np.unique(grid.classes).size == 2
    vertices = np.concatenate(
        [seg for cs in live.boundary.contours for segs in cs.allsegs for seg in segs]
    )
    assert len(vertices) > 10
    for x1, x2 in vertices:
        j = min(int(np.searchsorted(live.xs, x1, side="right")) - 1, len(live.xs) - 2)
        i = min(int(np.searchsorted(live.ys, x2, side="right")) - 1, len(live.ys) - 2)
        assert np.unique(grid.classes[i : i + 2, j : j + 2]).size == 2, (x1, x2)
    losses = live.line_epoch.get_ydata()
    assert len(losses) == 20
    assert losses[-1] < losses[0]
    accuracy = live.acc_train.get_ydata()
    assert accuracy[-1] > 0.9


def test_liveplot_without_points_draws_curves_only() -> None:
    X, y = gn.datasets.make_circles(n_samples=32, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=2)
    recording(live)
    fit(circles_model(), X, y, live)
    assert len(live.figure.axes) == 2


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


def test_liveplot_can_be_reused_for_a_second_fit() -> None:
    X, y = gn.datasets.make_circles(n_samples=32, noise=0.05, factor=0.5, seed=0)
    live = LivePlot(every=2, X=X, y=y, resolution=8, max_overhead=math.inf)
    recording(live)
    fit(circles_model(), X, y, live)
    fit(circles_model(), X, y, live, epochs=1)
    assert len(live.step_losses) == 2
    assert live.draws == 1 + 1  # step 2 and the end


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
):
    """A fit of ``seconds`` of training, ``step`` s a step, drawings of ``cost`` s.

    Returns the LivePlot, the step after which each drawing came, and whether the
    budget (the drawings so far plus one in reserve ≤ 5 % of the training time)
    held after every step once a drawing had been timed.
    """
    clock = FakeClock() if clock is None else clock  # a new clock: nothing measured
    live = LivePlot(every=every, max_overhead=0.05, clock=clock)
    drawn_at: list[int] = []

    def show() -> None:  # a drawing of ``cost`` seconds
        drawn_at.append(len(live.step_losses))
        clock.now += cost

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
    live, drawn_at, held = simulate(seconds=400, cost=0.4, every=50)
    assert held
    assert live.draw_seconds <= 0.05 * 400
    # close to the budget's 0.05 · 400 s / 0.4 s = 50 drawings, the final included
    assert 40 <= live.draws <= 50
    assert drawn_at[-1] == 40_000  # the final state, at the end


def test_liveplot_a_fit_shorter_than_its_budget_gets_only_the_final_drawing() -> None:
    live, drawn_at, _ = simulate(seconds=15, cost=0.4, every=10)
    assert live.draws == 1
    assert drawn_at == [1500]


def test_liveplot_defers_a_due_redraw_until_it_fits_in_the_budget() -> None:
    # due after step 700 (7 s); the first drawing needs 2 × 0.5 s ≤ 5 % of the
    # training time, 20 s: it comes after step 2000, not at a multiple of 700
    _, drawn_at, _ = simulate(seconds=30, cost=0.4, every=700)
    assert drawn_at[0] == 2000
    assert drawn_at[-1] == 3000


def test_liveplot_a_first_drawing_dearer_than_its_guess_overruns_boundedly() -> None:
    # the first drawing costs 2 × FIRST_DRAW_GUESS: it may take the budget up to
    # 2 × 5 % while nothing else is drawn, and the later ones wait until it is paid
    live, _, _ = simulate(seconds=21, cost=1.0, every=100)
    assert live.draws == 2
    assert live.draw_seconds <= 0.10 * 21
    live, _, _ = simulate(seconds=200, cost=1.0, every=100)
    assert live.draw_seconds <= 0.05 * 200 + 1.0


def test_liveplot_a_new_liveplot_starts_from_the_cost_last_measured() -> None:
    clock = FakeClock()
    simulate(seconds=15, cost=0.2, every=10, clock=clock)  # only the final: 0.2 s
    # a second LivePlot of the same figure on the same clock expects 0.2 s, not the
    # 0.5 s guess: its first drawing waits for 2 × 0.2 s / 5 % = 8 s, not 20 s
    _, drawn_at, held = simulate(seconds=15, cost=0.2, every=10, clock=clock)
    assert drawn_at[0] == 800
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
