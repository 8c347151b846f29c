"""Seed E: regression of a rectangle's area s = a·b from its length a and width b.

Inputs and targets are standardized with statistics of the training set only; the
network is 2 → 32 → 32 → 1 with ReLU and no output activation, trained on the seeds'
squared error L = Σ (ŷ − y)² / (2m). Predictions are mapped back to square units.

Run: python examples/seed_e_area.py
"""

from __future__ import annotations

import numpy as np

import glassnet as gn


def main() -> None:
    X, s = gn.datasets.make_area(n_samples=2000, seed=0)
    X_train, X_test, s_train, s_test = gn.datasets.train_test_split(X, s, seed=0)
    x_scale = gn.datasets.Standardizer.fit(X_train)
    s_scale = gn.datasets.Standardizer.fit(s_train.reshape(-1, 1))

    model = gn.Sequential(
        [
            gn.Dense(2, 32, rng=0),
            gn.ReLU(),
            gn.Dense(32, 32, rng=1),
            gn.ReLU(),
            gn.Dense(32, 1, rng=2),
            gn.Identity(),
        ]
    )
    model.fit(
        x_scale.transform(X_train),
        s_scale.transform(s_train.reshape(-1, 1)),
        loss=gn.MSE(),
        optimizer=gn.Adam(0.005),
        epochs=100,
        batch_size=64,
        seed=0,
        verbose=0,
    )

    s_hat = s_scale.inverse(model.predict(x_scale.transform(X_test))).ravel()
    r2 = 1 - np.sum((s_test - s_hat) ** 2) / np.sum((s_test - s_test.mean()) ** 2)
    for (a, b), true, pred in list(zip(X_test, s_test, s_hat, strict=True))[:5]:
        print(f"a = {a:5.2f}  b = {b:5.2f}   a·b = {true:6.2f}   predicted {pred:6.2f}")
    print(f"R² on held-out rectangles: {r2:.5f}")


if __name__ == "__main__":
    main()
