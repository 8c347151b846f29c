"""Regenerate the figures in docs/figures/ (seed A's figures for the circles task).

Run from the repository root:  python scripts/make_figures.py [--out docs/figures]
Everything is seeded: the same machine gives the same pictures. The same figures for
any run come from the command line: ``glassnet demo circles --plots DIR``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import glassnet as gn
from glassnet import plots
from glassnet.datasets import make_circles

# small figures and the one of small monospace text at more dots per inch
DPI = {
    "circles.png": 90,
    "decision_boundary.png": 90,
    "activations.png": 90,
    "computation_order.png": 100,
}


def main() -> None:
    """Train the seed-A network on circles and write every figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/figures"))
    out = parser.parse_args().out
    X, y = make_circles(n_samples=1000, noise=0.08, factor=0.5, seed=0)
    X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    model = gn.Sequential(
        [
            gn.Dense(2, 25, rng=1), gn.ReLU(),
            gn.Dense(25, 50, rng=2), gn.ReLU(),
            gn.Dense(50, 50, rng=3), gn.ReLU(),
            gn.Dense(50, 25, rng=4), gn.ReLU(),
            gn.Dense(25, 1, rng=5), gn.Sigmoid(),
        ]
    )  # fmt: skip
    recorder = plots.LearningRecorder(X_train, every=8, resolution=90)
    test_curve = plots.HeldOutCurve(X_test, y_test, gn.BinaryCrossEntropy())
    history = model.fit(
        X_train, y_train, loss=gn.BinaryCrossEntropy(), optimizer=gn.Adam(0.002),
        epochs=40, batch_size=64, seed=0, callbacks=[recorder, test_curve],
        verbose=0,
    )  # fmt: skip
    acc = gn.evaluate(model, X_test, y_test, loss=gn.BinaryCrossEntropy())["accuracy"]
    print(f"test accuracy {acc:.4f}")
    figures = {
        "circles.png": plots.scatter_data(X_train, y_train, title="Circles"),
        "architecture.png": plots.architecture(model),
        "decision_boundary.png": plots.decision_boundary(
            model, X_test, y_test, points="test"
        ),
        "training_curves.png": plots.training_curves(history, title="Circles"),
        "activations.png": plots.activation_functions(),
        "descent_bowl.png": plots.descent_figure("bowl", resolution=100),
        "descent_rosenbrock.png": plots.descent_figure("rosenbrock", resolution=100),
        "descent_two_minima.png": plots.descent_figure("two_minima", resolution=100),
        "computation_order.png": plots.computation_order(
            model, loss=gn.BinaryCrossEntropy()
        ),
        "layer_histograms.png": plots.layer_histograms(
            model, X_train[:256], y_train[:256], gn.BinaryCrossEntropy()
        ),
    }
    for name, fig in figures.items():
        path = plots.save(fig, out / name, dpi=DPI.get(name, 72))
        print(f"{path}  {path.stat().st_size / 1024:.0f} KB")
    gif = plots.animate_learning(
        recorder, X_train, y_train, out / "learning.gif", max_frames=40
    )
    print(
        f"{gif}  {gif.stat().st_size / 1024:.0f} KB "
        f"(40 of {len(recorder.frames)} recorded frames)"
    )


if __name__ == "__main__":
    main()
