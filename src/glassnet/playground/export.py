"""Exports of a run: the model as safetensors bytes, and a script that replays it.

The script is plain glassnet: it rebuilds the points from the data seed (or holds
the uploaded ones), the network from the seed, then runs the same training loop as
the playground, replaying the logged changes (learning rate, optimizer,
regularisation, batch size, edited weights, clicked points, one-sample steps) at the
steps where they happened. It prints the final train and test loss, which equal the
page's: same seeds, same arithmetic, same order.
"""

from __future__ import annotations

import itertools
import pprint
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from glassnet.io import save
from glassnet.playground.engine import dense_layers

if TYPE_CHECKING:
    from glassnet.playground.session import Session

__all__ = ["model_bytes", "script_text"]

_LAYER = {
    "relu": "gn.ReLU()",
    "tanh": "gn.Tanh()",
    "sigmoid": "gn.Sigmoid()",
    "linear": "gn.Identity()",
}
_OUTPUT = {
    "binary": ("gn.Sigmoid()", "gn.BinaryCrossEntropy()"),
    "multiclass": ("gn.Softmax()", "gn.CrossEntropy()"),
    "regression": ("gn.Identity()", "gn.MSE()"),
}


def model_bytes(session: Session) -> bytes:
    """The session's model as a glassnet safetensors file (its config as metadata)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        save(
            session.model,
            path,
            metadata={"playground": session.config, "step": session.step},
        )
        return path.read_bytes()


def _literal(value: object) -> str:
    return pprint.pformat(value, width=84, sort_dicts=False, compact=True)


def script_text(session: Session) -> str:
    """A Python script that rebuilds and retrains the session's run with glassnet."""
    c = session.start_config
    widths = [len(c["features"]), *c["layers"]]
    n_out = dense_layers(session.model)[-1].n_out
    out_layer, loss = _OUTPUT[session.task]
    lines = [
        f'    gn.Dense({a}, {b}, init="xavier", rng=rng), {_LAYER[c["activation"]]},'
        for a, b in itertools.pairwise(widths)
    ]
    last = f'    gn.Dense({widths[-1]}, {n_out}, init="xavier", rng=rng), {out_layer},'
    lines.append(last)
    if c["dataset"] == "custom" and session.custom is not None:
        X, y = session.custom
        data = (
            f"X = np.array({_literal(X.tolist())}, np.float32)\n"
            f"y = np.array({_literal(y.tolist())}, np.{y.dtype.name})"
        )
    else:
        data = (
            'X, y = make_dataset(CONFIG["dataset"], CONFIG["n_samples"], '
            'CONFIG["noise"],\n                    CONFIG["data_seed"], '
            'CONFIG["classes"])'
        )
    targets = (
        "y" if session.task == "multiclass" else "y.astype(np.float32).reshape(-1, 1)"
    )
    return _TEMPLATE.format(
        dataset=c["dataset"],
        steps=session.step,
        config=_literal(c),
        events=_literal(session.events),
        added=_literal(session.initial_added),
        data=data,
        targets=targets,
        layers="\n".join(lines),
        loss=loss,
        added_dtype=session.y_train.dtype.name,
    )


_TEMPLATE = '''\
"""Replay of a glassnet playground run: {dataset}, {steps} training steps.

Written by `glassnet playground`. Run it with `python3 THIS_FILE`: it rebuilds the
data and the network from their seeds, trains with the same loop as the page,
replays every change made while the run trained (EVENTS: [step, what, ...], each
applied before that step), and prints the final train and test loss.
Regularisation applies to the weights W only, not to the biases.
"""

import numpy as np

import glassnet as gn
from glassnet.playground.data import features, make_dataset

CONFIG = {config}
STEPS = {steps}
EVENTS = {events}
ADDED = {added}  # points clicked before the run started: x1, x2, label

# ---- data: the points, the train/test split, the input features ------------------
{data}
X_train, X_test, y_train, y_test = gn.datasets.train_test_split(
    X, y, test_size=1 - CONFIG["train_ratio"] / 100, seed=CONFIG["data_seed"]
)
if ADDED:
    X_train = np.concatenate([X_train, np.array([p[:2] for p in ADDED], np.float32)])
    labels = np.array([p[2] for p in ADDED], np.{added_dtype})
    y_train = np.concatenate([y_train, labels])


def targets(y):
    return {targets}


F_train, T_train = features(X_train, CONFIG["features"]), targets(y_train)
F_test, T_test = features(X_test, CONFIG["features"]), targets(y_test)

# ---- the network: Xavier weights, drawn layer after layer from one generator -----
rng = np.random.default_rng(CONFIG["seed"])
model = gn.Sequential([
{layers}
])
loss = {loss}
OPTIMIZERS = {{"sgd": gn.SGD, "momentum": gn.Momentum, "rmsprop": gn.RMSProp,
              "adam": gn.Adam}}
settings = dict(CONFIG)
optimizer = OPTIMIZERS[settings["optimizer"]](lr=settings["learning_rate"])


def penalty():
    """lambda * sum |W| (L1) or lambda/2 * sum W^2 (L2), over the weights W only."""
    kind, rate = settings["regularization"], settings["reg_rate"]
    if kind == "none" or rate == 0:
        return 0.0
    total = 0.0
    for name, W, _ in model.parameters():
        if name.endswith(".W"):
            W = W.astype(np.float64)
            if kind == "l1":
                total += float(np.abs(W).sum())
            else:
                total += 0.5 * float((W * W).sum())
    return rate * total


def train_step(x, t):
    """Forward, backward, the penalty's gradient on each dW, one optimizer step."""
    model.loss_and_gradients(x, t, loss)
    kind, rate = settings["regularization"], settings["reg_rate"]
    if kind != "none" and rate != 0:
        for name, W, dW in model.parameters():
            if name.endswith(".W"):
                dW += rate * (np.sign(W) if kind == "l1" else W)
    optimizer.step(model)


def replay(event):
    """Apply one logged change, as the page did."""
    global optimizer, X_train, y_train, F_train, T_train
    what = event[1]
    if what == "parameter":  # an edited weight W[row, col] or bias b[row]
        _, _, layer, row, col, value = event
        dense = [lay for lay in model.layers if isinstance(lay, gn.Dense)][layer - 1]
        if col is None:
            dense.b[row] = value
        else:
            dense.W[row, col] = value
    elif what == "point":  # a clicked training point
        _, _, x1, x2, label = event
        X_train = np.concatenate([X_train, np.array([[x1, x2]], np.float32)])
        y_train = np.concatenate([y_train, np.array([label], y_train.dtype)])
        F_train, T_train = features(X_train, CONFIG["features"]), targets(y_train)
    elif what == "sample":  # a step on one sample
        _, _, part, i = event
        F, T = (F_train, T_train) if part == "train" else (F_test, T_test)
        train_step(F[i : i + 1], T[i : i + 1])
    else:  # a setting changed while training
        settings[what] = event[2]
        if what == "optimizer":
            optimizer = OPTIMIZERS[event[2]](lr=settings["learning_rate"])
        elif what == "learning_rate":
            optimizer.lr = event[2]


# ---- training: mini-batches in a new random order each epoch ------------------------
order_rng = np.random.default_rng(CONFIG["seed"] + 1)
order = order_rng.permutation(len(y_train))
pos = 0
pending = list(EVENTS)
for step in range(STEPS + 1):
    while pending and pending[0][0] == step:
        replay(pending.pop(0))
    if step == STEPS:
        break
    idx = order[pos : pos + settings["batch_size"]]
    pos += settings["batch_size"]
    train_step(F_train[idx], T_train[idx])
    if pos >= len(order):  # the epoch is over: a new order of the points
        order = order_rng.permutation(len(y_train))
        pos = 0

reg = penalty()
train_loss = loss.forward(model.forward(F_train), T_train) + reg
test_loss = loss.forward(model.forward(F_test), T_test) + reg if len(F_test) else None
print(f"train loss {{train_loss!r}}")
print(f"test loss {{test_loss!r}}")
'''
