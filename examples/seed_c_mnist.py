"""Seed C: the TwoLayerNet on MNIST with mini-batch SGD.

784 → 50 (sigmoid) → 10 (softmax), weights from N(0, 0.01²), biases zero, cross-entropy,
learning rate 0.1, batch size 100, 10 000 iterations (about 17 epochs of 600 batches).
Seed C reports that loss falls and train and test accuracy rise together (≈ 94-95 %).

Run: python examples/seed_c_mnist.py [MNIST_DIR]
(MNIST_DIR holds the four IDX files; default $GLASSNET_DATA/mnist.)
"""

from __future__ import annotations

import sys

import glassnet as gn


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else None
    (X_train, y_train), (X_test, y_test) = gn.datasets.load_mnist(path)
    init = gn.init.normal(0.01)
    model = gn.Sequential(
        [
            gn.Dense(784, 50, init=init, rng=0),
            gn.Sigmoid(),
            gn.Dense(50, 10, init=init, rng=1),
            gn.Softmax(),
        ]
    )
    loss = gn.CrossEntropy()
    iterations, batch_size = 10_000, 100
    epochs = -(-iterations * batch_size // len(X_train))  # whole epochs covering 10 000
    history = model.fit(
        X_train,
        y_train,
        loss=loss,
        optimizer=gn.SGD(0.1),
        epochs=epochs,
        batch_size=batch_size,
        seed=0,
        validation_data=(X_test, y_test),
        verbose=1,
    )
    for epoch, (acc, val) in enumerate(
        zip(history.history["accuracy"], history.history["val_accuracy"], strict=True),
        1,
    ):
        print(f"epoch {epoch:2d}: train accuracy {acc:.4f}   test accuracy {val:.4f}")


if __name__ == "__main__":
    main()
