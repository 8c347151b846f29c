"""Seed A: the 2-25-50-50-25-1 network separates two concentric circles.

Five dense layers (ReLU in the hidden ones, sigmoid at the output) trained with binary
cross-entropy. Before training, the gradients of backpropagation are checked against
central differences; after it, the test accuracy is printed (seed A: almost 100 %).

Run: python examples/seed_a_circles.py
"""

from __future__ import annotations

import itertools

import glassnet as gn


def main() -> None:
    X, y = gn.datasets.make_circles(n_samples=1000, noise=0.1, factor=0.3, seed=0)
    X_train, X_test, y_train, y_test = gn.datasets.train_test_split(X, y, seed=0)

    sizes = [2, 25, 50, 50, 25, 1]
    layers: list[gn.Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(gn.Dense(n_in, n_out, rng=i))
        layers.append(gn.ReLU() if i < len(sizes) - 2 else gn.Sigmoid())
    model = gn.Sequential(layers)
    print(model.summary())

    loss = gn.BinaryCrossEntropy()
    errors = gn.check_gradients(model, loss, X_train[:16], y_train[:16])
    print(f"largest gradient-check error before training: {max(errors.values()):.1e}")

    history = model.fit(
        X_train,
        y_train,
        loss=loss,
        optimizer=gn.Adam(0.01),
        epochs=50,
        batch_size=64,
        seed=0,
        verbose=0,
    )
    print(
        f"training loss: {history.history['loss'][0]:.4f} → "
        f"{history.history['loss'][-1]:.4f}"
    )
    result = model.evaluate(X_test, y_test, loss=loss)
    print(f"test accuracy: {100 * result['accuracy']:.2f} %")


if __name__ == "__main__":
    main()
