"""The contenders, each able to train one epoch at a time on the same batches.

Every contender is built from a ``Spec`` (architecture, loss, optimizer, batch size)
and the *same initial weights*, drawn by glassnet. ``epoch(seed)`` trains one pass
over the data in the order ``numpy.random.default_rng(seed).permutation(m)`` — the
order glassnet's ``fit(..., seed=seed)`` uses for its first epoch — so all contenders
do the same arithmetic on the same batches (scikit-learn excepted: it draws its own
initial weights and order, and runs only plain SGD).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import glassnet as gn


@dataclass(frozen=True)
class Spec:
    """One benchmark model."""

    name: str
    sizes: tuple[int, ...]  # layer widths, input first
    hidden: str  # "sigmoid", "relu" or "tanh"
    batch_size: int
    lr: float
    optimizer: str = "sgd"  # "sgd", "momentum" or "adam"
    seed: int = 0

    @property
    def classes(self) -> int:
        """Number of classes (the output width, 2 for one sigmoid output)."""
        return max(self.sizes[-1], 2)

    @property
    def title(self) -> str:
        """E.g. "784-50-10 sigmoid, SGD, batch 100"."""
        arch = "-".join(map(str, self.sizes))
        return f"{arch} {self.hidden}, {self.optimizer}, batch {self.batch_size}"


def glassnet_model(spec: Spec) -> gn.Sequential:
    """The glassnet Sequential for ``spec`` (softmax or sigmoid output)."""
    act = {"sigmoid": gn.Sigmoid, "relu": gn.ReLU, "tanh": gn.Tanh}[spec.hidden]
    layers: list[gn.Layer] = []
    pairs = list(itertools.pairwise(spec.sizes))
    for i, (n_in, n_out) in enumerate(pairs):
        init = "xavier" if spec.hidden in ("sigmoid", "tanh") else "he"
        layers.append(gn.Dense(n_in, n_out, init=init, rng=spec.seed + i))
        if i < len(pairs) - 1:
            layers.append(act())
    layers.append(gn.Softmax() if spec.sizes[-1] > 1 else gn.Sigmoid())
    return gn.Sequential(layers)


def glassnet_optimizer(spec: Spec) -> Any:
    """The glassnet optimizer for ``spec``."""
    if spec.optimizer == "momentum":
        return gn.Momentum(spec.lr, beta=0.9)
    if spec.optimizer == "adam":
        return gn.Adam(spec.lr)
    return gn.SGD(spec.lr)


def order(m: int, seed: int) -> np.ndarray:
    """The sample order of glassnet's first epoch with ``seed``."""
    return np.random.default_rng(seed).permutation(m)


class GlassnetContender:
    """glassnet's own ``fit``, one epoch per call, silent."""

    name = "glassnet"

    def __init__(
        self, spec: Spec, X: np.ndarray, y: np.ndarray, threads: Any = None
    ) -> None:
        self.spec, self.X, self.y, self.threads = spec, X, y, threads
        self.model = glassnet_model(spec)
        self.optimizer = glassnet_optimizer(spec)
        self.loss = gn.CrossEntropy() if spec.sizes[-1] > 1 else gn.BinaryCrossEntropy()

    def epoch(self, seed: int) -> None:
        self.model.fit(
            self.X,
            self.y,
            loss=self.loss,
            optimizer=self.optimizer,
            epochs=1,
            batch_size=self.spec.batch_size,
            seed=seed,
            verbose=0,
            threads=self.threads,
        )

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.model.evaluate(X, y, loss=self.loss)["accuracy"])


class TorchContender:
    """PyTorch CPU eager: the same layers, weights, batches and optimizer.

    A plain loop over preloaded tensors: index_select of the batch, forward, loss on
    the logits (the fused softmax/sigmoid + cross-entropy), backward, optimizer step.
    """

    name = "pytorch"

    def __init__(self, spec: Spec, X: np.ndarray, y: np.ndarray, threads: int) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(threads)
        self.spec = spec
        reference = glassnet_model(spec)  # same seeds: the same initial weights
        act = {
            "sigmoid": torch.nn.Sigmoid,
            "relu": torch.nn.ReLU,
            "tanh": torch.nn.Tanh,
        }[spec.hidden]
        modules: list[Any] = []
        dense = [layer for layer in reference.layers if isinstance(layer, gn.Dense)]
        for i, layer in enumerate(dense):
            lin = torch.nn.Linear(layer.n_in, layer.n_out)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.W))
                lin.bias.copy_(torch.from_numpy(layer.b))
            modules.append(lin)
            if i < len(dense) - 1:
                modules.append(act())
        self.model = torch.nn.Sequential(*modules)
        self.binary = spec.sizes[-1] == 1
        self.loss = (
            torch.nn.BCEWithLogitsLoss() if self.binary else torch.nn.CrossEntropyLoss()
        )
        params = self.model.parameters()
        if spec.optimizer == "momentum":
            self.opt = torch.optim.SGD(params, lr=spec.lr, momentum=0.9)
        elif spec.optimizer == "adam":
            self.opt = torch.optim.Adam(params, lr=spec.lr)
        else:
            self.opt = torch.optim.SGD(params, lr=spec.lr)
        self.X = torch.from_numpy(X)
        target = y.astype(np.float32).reshape(-1, 1) if self.binary else y
        self.y = torch.from_numpy(np.ascontiguousarray(target))

    def epoch(self, seed: int) -> None:
        torch = self.torch
        idx = torch.from_numpy(order(self.X.shape[0], seed))
        bs = self.spec.batch_size
        for start in range(0, idx.shape[0], bs):
            batch = idx[start : start + bs]
            Xb = self.X.index_select(0, batch)
            yb = self.y.index_select(0, batch)
            self.opt.zero_grad(set_to_none=False)
            self.loss(self.model(Xb), yb).backward()
            self.opt.step()

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(X)).numpy()
        pred = (out[:, 0] > 0) if self.binary else out.argmax(axis=1)
        return float(np.mean(pred == y))


class SklearnContender:
    """scikit-learn's MLPClassifier, plain SGD (momentum 0, alpha 0), one pass per call.

    It draws its own initial weights and sample order; its accuracy shows that it
    did comparable work. Only plain SGD models are run.
    """

    name = "sklearn"

    def __init__(self, spec: Spec, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.neural_network import MLPClassifier

        self.spec, self.X, self.y = spec, X, y
        activation = {"sigmoid": "logistic", "relu": "relu", "tanh": "tanh"}
        self.model = MLPClassifier(
            hidden_layer_sizes=spec.sizes[1:-1],
            activation=activation[spec.hidden],
            solver="sgd",
            learning_rate_init=spec.lr,
            batch_size=spec.batch_size,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            shuffle=True,
            random_state=spec.seed,
        )
        self.classes = np.arange(spec.classes)

    def epoch(self, seed: int) -> None:
        self.model.partial_fit(self.X, self.y, classes=self.classes)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.model.predict(X) == y))


class MatmulLimit:
    """The matrix products of a training step alone, in NumPy: the floor for glassnet.

    Per step: Z = A @ W.T for every layer (forward), dW = dZ.T @ A for every layer and
    dA = dZ @ W for every layer but the first (backward), written into preallocated
    arrays. No activation, loss, bias, gather or update: nothing but BLAS.
    """

    name = "matmul limit"
    matmul: Callable[..., Any] = staticmethod(np.matmul)

    def __init__(self, spec: Spec, X: np.ndarray, y: np.ndarray) -> None:
        rng = np.random.default_rng(0)
        bs, sizes = spec.batch_size, spec.sizes
        self.steps = -(-X.shape[0] // bs)
        self.W = [
            rng.standard_normal((o, i), dtype=np.float32) * 0.01
            for i, o in itertools.pairwise(sizes)
        ]
        self.A = [np.ascontiguousarray(X[:bs])] + [
            np.ones((bs, o), np.float32) for o in sizes[1:]
        ]
        self.dW = [np.empty_like(W) for W in self.W]
        self.dA = [np.empty((bs, i), np.float32) for i in sizes[:-1]]

    def epoch(self, seed: int) -> None:
        L, matmul = len(self.W), self.matmul
        A, W, dW, dA = self.A, self.W, self.dW, self.dA
        for _ in range(self.steps):
            for i in range(L):
                matmul(A[i], W[i].T, out=A[i + 1])
            for i in range(L - 1, -1, -1):
                matmul(A[i + 1].T, A[i], out=dW[i])  # A[i+1] stands in for dZ
                if i:
                    matmul(A[i + 1], W[i], out=dA[i])

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float | None:
        return None


class TorchMatmulLimit(MatmulLimit):
    """The same products in PyTorch (its BLAS: MKL on x86), on the same arrays.

    PyTorch's step can be no faster than this, as glassnet's no faster than the NumPy
    limit: the two limits side by side tell how much of a ratio glassnet ÷ PyTorch
    is the two libraries' BLAS rather than the code around the products.
    """

    name = "pytorch matmul limit"

    def __init__(self, spec: Spec, X: np.ndarray, y: np.ndarray, threads: int) -> None:
        import torch

        super().__init__(spec, X, y)
        torch.set_num_threads(threads)
        self.matmul = torch.matmul
        # from_numpy shares the memory: the same numbers as the NumPy limit's
        self.A, self.W, self.dW, self.dA = (
            [torch.from_numpy(a) for a in arrays]
            for arrays in (self.A, self.W, self.dW, self.dA)
        )


def timed(fn: Callable[[], None]) -> float:
    """Wall time of fn() in seconds."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
