"""One playground run: its data, its model, its training position, and its frames.

A Session is plain, single-threaded state; the server gives each browser tab one,
driven by that tab's worker thread only. Everything random comes from the config's
two seeds (``data_seed`` for the points, ``seed`` for the weights and the batch
order), so the same config and the same actions replay the same run bit for bit.
Every change that alters a run while it trains (a live setting, an edited weight, an
added point, a one-sample step) is logged in ``events`` with the step it came
before; the exported script replays the log.

>>> s = Session()
>>> s.advance(5)
>>> s.step, s.frame()["type"]
(5, 'frame')
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.datasets import train_test_split
from glassnet.gradcheck import GradientCheckError, check_gradients
from glassnet.playground import config as cfg
from glassnet.playground.data import REGRESSION, features, make_dataset
from glassnet.playground.engine import (
    build_model,
    dense_layers,
    make_optimizer,
    penalize,
    penalty,
)
from glassnet.playground.frames import heatmaps, pack, task_of
from glassnet.playground.trace import trace_sample
from glassnet.playground.upload import parse_points

__all__ = ["MAX_STEPS_PER_FRAME", "Session"]

Array = NDArray[Any]
MAX_STEPS_PER_FRAME = 100  # a frame is one epoch, or this many steps when fewer
GRADCHECK_BATCH = 8  # samples of the current batch that the gradient check uses
GRADCHECK_MAX_PARAMETERS = 3000  # beyond, each check takes too long to run live


class Session:
    """A run of the playground: data, model, optimizer and the position in training.

    Args:
        config: a config dict (see ``glassnet.playground.config``); the defaults when
            None.
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = cfg.merge(cfg.DEFAULTS, config or {})
        self.custom: tuple[Array, Array] | None = None  # uploaded points
        self.new_data()

    # ---- data and run -------------------------------------------------------------
    def new_data(self) -> None:
        """Make the points of the config (or the uploaded ones), then a new run."""
        c = self.config
        if c["dataset"] == "custom":
            if self.custom is None:
                raise ValueError(
                    "the custom data set needs points: upload a CSV of x1,x2,label "
                    "first."
                )
            X, y = self.custom
        else:
            X, y = make_dataset(
                c["dataset"], c["n_samples"], c["noise"], c["data_seed"], c["classes"]
            )
        self.task = task_of(c["dataset"], y)
        self.n_classes = 1 if self.task == "regression" else int(y.max()) + 1
        test = 1.0 - c["train_ratio"] / 100
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test, seed=c["data_seed"]
        )
        self.base_train = (X_tr, y_tr)
        self.points_test, self.y_test = X_te, y_te
        self.added: list[tuple[float, float, float]] = []  # clicked points
        self.new_run()

    def new_run(self) -> None:
        """New weights and optimizer from the seed, step 0; the data stays.

        Points clicked in earlier runs now belong to the training data from the start.
        """
        c = self.config
        X_tr, y_tr = self.base_train
        self.initial_added = list(self.added)
        if self.added:
            extra = np.array(self.added, np.float64)
            X_tr = np.concatenate([X_tr, extra[:, :2].astype(np.float32)])
            y_tr = np.concatenate([y_tr, extra[:, 2].astype(y_tr.dtype)])
        self.points_train, self.y_train = X_tr, y_tr
        self._encode_data()
        n_out = self.n_classes if self.task == "multiclass" else 1
        self.model, self.loss = build_model(
            c["activation"],
            c["layers"],
            n_in=len(c["features"]),
            n_out=n_out,
            task=self.task,
            seed=c["seed"],
        )
        self.optimizer = make_optimizer(c["optimizer"], c["learning_rate"])
        self.order_rng = np.random.default_rng(c["seed"] + 1)
        self._new_order()
        self.pos = 0
        self.epoch = 0
        self.step = 0
        self.events: list[list[Any]] = []
        self.start_config = dict(self.config)
        self.last_batch = self.order[: c["batch_size"]]
        self.gradcheck_result: dict[str, Any] | None = None

    def _encode_data(self) -> None:
        """The network inputs and loss targets of the train and test points."""
        names = self.config["features"]
        self.X_train = features(self.points_train, names)
        self.X_test = features(self.points_test, names)
        self.Y_train = self._targets(self.y_train)
        self.Y_test = self._targets(self.y_test)
        self._ordered: tuple[Array, Array] | None = None  # made again when needed

    def _new_order(self) -> None:
        """Draw the epoch's order of the training points."""
        self.order = self.order_rng.permutation(len(self.y_train))
        self._ordered = None

    def _batches(self) -> tuple[Array, Array]:
        """X and Y of the training points in the epoch's order.

        Each batch is then a slice (a view) instead of a gather of its rows: one
        gather per epoch instead of one per step.
        """
        if self._ordered is None:
            self._ordered = (self.X_train[self.order], self.Y_train[self.order])
        return self._ordered

    def _targets(self, y: Array) -> Array:
        return y if self.task == "multiclass" else y.astype(np.float32).reshape(-1, 1)

    # ---- changes --------------------------------------------------------------------
    def apply(self, changes: Any) -> str:
        """Apply config changes; return what they renewed: "live", "run" or "data".

        Live fields change the running training and are logged; a change of the
        network or the seed starts a new run; a change of the data makes new points.
        """
        new = cfg.merge(self.config, changes)
        changed = {k for k in new if new[k] != self.config[k]}
        if not changed:
            return "live"
        data_fields = {
            "dataset",
            "classes",
            "noise",
            "train_ratio",
            "n_samples",
            "data_seed",
        }
        old, self.config = self.config, new
        try:
            if changed & data_fields:
                self.new_data()
                return "data"
            if changed - set(cfg.LIVE):
                self.new_run()
                return "run"
        except ValueError:
            self.config = old
            raise
        for key in sorted(changed):
            self.events.append([self.step, key, new[key]])
            if key == "optimizer":
                self.optimizer = make_optimizer(new["optimizer"], new["learning_rate"])
            elif key == "learning_rate":
                self.optimizer.lr = new["learning_rate"]
        return "live"

    def set_parameter(
        self, layer: int, row: int, col: int | None, value: float
    ) -> None:
        """Set W[row, col] (or b[row] when col is None) of Dense layer ``layer``.

        ``layer`` counts Dense layers from 1, as the page's columns of links do.
        """
        dense = dense_layers(self.model)
        if not 1 <= layer <= len(dense):
            raise ValueError(f"layer must be 1 to {len(dense)}; got {layer}.")
        W, b = dense[layer - 1].W, dense[layer - 1].b
        if not 0 <= row < W.shape[0] or (col is not None and not 0 <= col < W.shape[1]):
            raise ValueError(
                f"layer {layer} has W of shape {W.shape}; got row {row}, column {col}."
            )
        if col is None:
            if b is None:
                raise ValueError(f"layer {layer} has no bias.")
            b[row] = value
        else:
            W[row, col] = value
        self.events.append([self.step, "parameter", layer, row, col, value])

    def add_point(self, x1: float, x2: float, label: float) -> None:
        """Add a training point (x1, x2) of class or target ``label``, live."""
        if self.task == "regression":
            if not -1 <= label <= 1:
                raise ValueError(
                    f"a regression target must be in [-1, 1]; got {label}."
                )
        elif label not in range(self.n_classes):
            raise ValueError(
                f"label must be a class from 0 to {self.n_classes - 1}; got {label}."
            )
        if len(self.y_train) + len(self.y_test) >= cfg.MAX_POINTS:
            raise ValueError(f"the data has the most points allowed, {cfg.MAX_POINTS}.")
        self.added.append((x1, x2, label))
        self.events.append([self.step, "point", x1, x2, label])
        point = np.array([[x1, x2]], np.float32)
        self.points_train = np.concatenate([self.points_train, point])
        self.y_train = np.concatenate(
            [self.y_train, np.array([label], self.y_train.dtype)]
        )
        self._encode_data()

    def upload(self, text: str) -> None:
        """Use the points of a CSV text (x1,x2,label) as the custom data set."""
        points = parse_points(text)
        old = self.config, self.custom
        self.custom = points
        self.config = cfg.merge(self.config, {"dataset": "custom"})
        try:
            self.new_data()
        except ValueError:
            self.config, self.custom = old
            raise

    # ---- training -------------------------------------------------------------------
    def advance(self, steps: int) -> None:
        """Take ``steps`` training steps (mini-batches), continuing the epoch.

        An epoch ends when its order of the training points is used up; the next
        order is drawn then, over the points there are at that moment.
        """
        c = self.config
        for _ in range(steps):
            B = c["batch_size"]
            batch = slice(self.pos, self.pos + B)
            X, Y = self._batches()
            self.last_batch = self.order[batch]
            self.pos += B
            self.model.loss_and_gradients(X[batch], Y[batch], self.loss)
            penalize(self.model, c["regularization"], c["reg_rate"])
            self.optimizer.step(self.model)
            self.step += 1
            if self.pos >= len(self.order):
                self.epoch += 1
                self._new_order()
                self.pos = 0

    def frame_steps(self) -> int:
        """The steps of one frame: to the end of the epoch, at most a hundred."""
        left = -(-(len(self.order) - self.pos) // self.config["batch_size"])
        return min(left, MAX_STEPS_PER_FRAME)

    def step_sample(self, which: str, index: int) -> dict[str, Any]:
        """Show Z, A, dZ, dW of every layer for one point, then step on it alone."""
        if which not in ("train", "test"):
            raise ValueError(f"set must be 'train' or 'test'; got {which!r:.40}.")
        train = which == "train"
        X, Y = (self.X_train, self.Y_train) if train else (self.X_test, self.Y_test)
        if not 0 <= index < len(X):
            raise ValueError(
                f"index must be 0 to {len(X) - 1} for {which}; got {index}."
            )
        x, t = X[index : index + 1], Y[index : index + 1]
        shown = trace_sample(self.model, self.loss, x, t)
        shown.update(type="sample", set=which, index=index, step=self.step)
        points = self.points_train if which == "train" else self.points_test
        shown["point"] = points[index].tolist()
        self.events.append([self.step, "sample", which, index])
        self._sample_step(x, t)
        return shown

    def _sample_step(self, x: Array, t: Array) -> None:
        c = self.config
        self.model.loss_and_gradients(x, t, self.loss)
        penalize(self.model, c["regularization"], c["reg_rate"])
        self.optimizer.step(self.model)

    def gradcheck(self) -> dict[str, Any] | None:
        """Backprop against central differences (float64) on part of the current batch.

        Returns None when the model has too many parameters to check live.
        """
        n = sum(W.size for _, W, _ in self.model.parameters())
        if n > GRADCHECK_MAX_PARAMETERS:
            return None
        idx = self.last_batch[:GRADCHECK_BATCH]
        try:
            errors = check_gradients(
                copy.deepcopy(self.model),
                self.loss,
                self.X_train[idx],
                self.Y_train[idx],
                eps=1e-5,
                tol=float("inf"),
            )
            worst = max(errors.values())
        except GradientCheckError:  # a NaN error: the model diverged
            worst = float("nan")
        self.gradcheck_result = {
            "max_error": _finite(worst),
            "step": self.step,
            "samples": len(idx),
            "parameters": n,
        }
        return self.gradcheck_result

    # ---- what the page shows ---------------------------------------------------------
    def losses(self) -> dict[str, Any]:
        """Train and test loss (penalty included), accuracy and confusion matrix."""
        c = self.config
        reg = penalty(self.model, c["regularization"], c["reg_rate"])
        out: dict[str, Any] = {}
        parts = (
            ("train", self.X_train, self.Y_train, self.y_train),
            ("test", self.X_test, self.Y_test, self.y_test),
        )
        for part, X, Y, y in parts:
            if len(X) == 0:
                out[f"{part}_loss"] = out[f"{part}_accuracy"] = None
                continue
            Y_hat = self.model.forward(X)
            out[f"{part}_loss"] = _finite(self.loss.forward(Y_hat, Y) + reg)
            if self.task == "regression":
                out[f"{part}_accuracy"] = None
                continue
            pred = Y_hat[:, 0] > 0.5 if self.task == "binary" else Y_hat.argmax(1)
            out[f"{part}_accuracy"] = float(np.mean(pred == y))
            if part == "test":
                k = max(self.n_classes, 2)
                cm = np.zeros((k, k), np.int64)
                np.add.at(cm, (y.astype(np.int64), pred.astype(np.int64)), 1)
                out["confusion"] = cm.tolist()
        return out

    def frame(self) -> dict[str, Any]:
        """Everything the page redraws after some steps (see ``frames.pack``)."""
        out: dict[str, Any] = {"type": "frame", "epoch": self.epoch, "step": self.step}
        out.update(self.losses())
        out.update(pack(self.model))
        out.update(heatmaps(self.model, self.config["features"], self.task))
        return out

    def describe(self) -> dict[str, Any]:
        """The "data" message: config, network shape and every point."""
        dense = dense_layers(self.model)
        return {
            "type": "data",
            "config": self.config,
            "task": self.task,
            "classes": self.n_classes,
            "sizes": [dense[0].n_in] + [d.n_out for d in dense],
            "train": _points(self.points_train, self.y_train),
            "test": _points(self.points_test, self.y_test),
            "regression": self.config["dataset"] in REGRESSION,
        }


def _points(X: Array, y: Array) -> list[list[float]]:
    """[[x1, x2, label], …] with 3 decimals: enough for a 400-pixel canvas."""
    return np.column_stack([X, y]).astype(np.float64).round(3).tolist()


def _finite(x: float) -> float | None:
    """x, or None (JSON null) for inf and NaN, which JSON cannot carry."""
    return float(x) if np.isfinite(x) else None
