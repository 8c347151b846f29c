"""The ``demo cnn`` experiment (issue 12): a LeNet-like convolutional net on MNIST.

``cnn_model`` builds the network; ``cnn`` loads the images, trains it with Adam,
prints the test accuracy after each epoch and at the end, and draws its kernels and
feature maps when asked. ``glassnet.demos`` re-exports both.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from numpy.typing import NDArray

from glassnet.callbacks import Callback, LearningRateSchedule
from glassnet.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
from glassnet.losses import CrossEntropy, Loss
from glassnet.model import Sequential
from glassnet.optimizers import Adam

__all__ = ["cnn", "cnn_model"]

Array = NDArray[Any]
Images = tuple[tuple[Array, Array], tuple[Array, Array]]


def cnn_model(seed: int = 0) -> Sequential:
    """The ``demo cnn`` network: two 5×5 convolutions, max-pooling, a Dense head.

    conv 1→16 5×5 pad 2, ReLU, max-pool 2 → (16, 14, 14); conv 16→32 5×5 pad 2,
    ReLU, max-pool 2 → (32, 7, 7); Flatten → 1568; Dense 1568→128, ReLU, Dropout
    0.25; Dense 128→10, softmax. He initialisation, float32.

    >>> cnn_model().shapes[-1], cnn_model().shapes[7]   # the output, after Flatten
    ((10,), (1568,))
    """
    return Sequential(
        [
            Conv2D(1, 16, 5, padding=2, rng=seed),
            ReLU(),
            MaxPool2D(2),
            Conv2D(16, 32, 5, padding=2, rng=seed + 1),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(32 * 7 * 7, 128, rng=seed + 2),
            ReLU(),
            Dropout(0.25, rng=seed + 3),
            Dense(128, 10, rng=seed + 4),
            Softmax(),
        ],
        input_shape=(1, 28, 28),
    )


def _mnist_images(data_dir: str | None, subset: int | None) -> Images:
    """(X_train, y_train), (X_test, y_test): the first ``subset`` of each MNIST set.

    The images are (m, 1, 28, 28) views of the loaded pixels (no copy).
    """
    from glassnet.datasets import load_mnist  # the data sets load on first use

    (X_train, y_train), (X_test, y_test) = load_mnist(data_dir, flatten=False)
    X_train = X_train[:subset].reshape(-1, 1, 28, 28)
    X_test = X_test[:subset].reshape(-1, 1, 28, 28)
    return (X_train, y_train[:subset]), (X_test, y_test[:subset])


class _TestAccuracy(Callback):
    """After each epoch: the test accuracy, on its own line."""

    def __init__(self, X_test: Array, y_test: Array, loss: Loss, out: TextIO) -> None:
        self.X_test, self.y_test, self.loss, self.out = X_test, y_test, loss, out

    def on_epoch_end(self, epoch: int, model: Sequential, logs: Any) -> None:
        test = model.evaluate(self.X_test, self.y_test, loss=self.loss, batch_size=500)
        print(
            f"epoch {epoch}: test accuracy {100 * test['accuracy']:.2f} %",
            file=self.out,
            flush=True,
        )


def cnn(
    out: TextIO,
    *,
    epochs: int = 4,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    data_dir: str | None = None,
    verbose: int = 1,
    subset: int | None = None,
    plots: str | None = None,
    dpi: float = 100,
) -> dict[str, Any]:
    """Train ``cnn_model`` on MNIST with Adam (lr × 0.6 after each epoch) and report.

    The images are used as (m, 1, 28, 28) views of the loaded pixels (no copy).
    Prints the network, the test accuracy after each epoch and at the end, and the
    training time. The test set is evaluated 500 images at a time: a CNN's
    activations for a batch of thousands take gigabytes.

    Args:
        out: where the report goes.
        epochs: passes over the training images.
        batch_size: images per step.
        lr: Adam's initial learning rate.
        seed: seed of the initial weights, the dropout masks and the order.
        data_dir: the folder with the MNIST files (default ``mnist_dir()``).
        verbose: fit's progress bar (1) or nothing (0).
        subset: train and test on the first ``subset`` images of each set only (a
            quick look, or a test); None uses them all.
        plots: a folder for the figures of the trained network (its first kernels,
            the first test digit's feature maps); None draws none.
        dpi: the figures' resolution.

    Returns:
        {"model", "test_accuracy", "test_loss", "seconds", "history"}, and
        "figures" (the paths written) with ``plots``.
    """
    (X_train, y_train), (X_test, y_test) = _mnist_images(data_dir, subset)
    model = cnn_model(seed)
    loss = CrossEntropy()
    print(
        f"demo cnn — a LeNet-like network on MNIST: {X_train.shape[0]} training and "
        f"{X_test.shape[0]} test images, Adam lr {lr:g} × 0.6 per epoch, batch "
        f"{batch_size}, {epochs} epochs, seed {seed}",
        file=out,
    )
    print(model.summary(), file=out)
    start = time.perf_counter()
    history = model.fit(
        X_train,
        y_train,
        loss=loss,
        optimizer=Adam(lr),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        callbacks=[
            LearningRateSchedule.exponential(0.6),
            _TestAccuracy(X_test, y_test, loss, out),
        ],
        verbose=verbose,
        threads="auto",  # as the MLP demos: one BLAS thread while a core is busy
    )
    seconds = time.perf_counter() - start
    test = model.evaluate(X_test, y_test, loss=loss, batch_size=500)
    print(
        f"test accuracy {100 * test['accuracy']:.2f} %  (loss {test['loss']:.4f})   "
        f"time {seconds:.1f} s for {epochs} epochs (test accuracy after each "
        "epoch included)",
        file=out,
    )
    result: dict[str, Any] = {
        "model": model,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "seconds": seconds,
        "history": history,
    }
    if plots is not None:  # matplotlib only when figures are asked for
        from glassnet.plots.conv import write_conv_figures

        result["figures"] = write_conv_figures(model, X_test[0], plots, dpi=dpi)
        for path in result["figures"]:
            print(f"wrote     {path}", file=out)
    return result
