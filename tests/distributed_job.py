"""One process of the distributed tests' jobs: ``mpiexec -n N python3 this.py ...``.

Usage: distributed_job.py SCENARIO DTYPE OUT [EPOCHS]. Every process trains the
same small network with ``model.fit(..., comm=MPI.COMM_WORLD)`` and writes its θ
(``theta<rank>.npy``) and History (``history<rank>.json``) to OUT. Scenarios:
``train`` (plain), ``interrupt`` (process 0 gets SIGINT at step 5, with a
checkpoint), ``resume`` (go on from that checkpoint), ``raise`` (process 1 raises
at step 3), ``hang`` (process 1 stops answering at step 3), ``kill``
(process 1 is killed at step 3).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import glassnet as gn


def problem(dtype: str) -> tuple[gn.Sequential, np.ndarray, np.ndarray, tuple]:
    """A 3-class problem of 203 samples (batches of 32: the last has 11 rows)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(203, 5))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(np.int64) + (X[:, 2] > 1)
    Xv = rng.normal(size=(41, 5))
    yv = (Xv[:, 0] > 0).astype(np.int64)
    model = gn.Sequential(
        [gn.Dense(5, 16, rng=1), gn.Tanh(), gn.Dense(16, 3, rng=2), gn.Softmax()]
    ).astype(dtype)
    return model, X, y, (Xv, yv)


class At(gn.Callback):
    """Do ``action`` after optimizer step ``step`` on process ``rank``."""

    def __init__(self, rank: int, step: int, action) -> None:
        self.rank, self.step, self.action = rank, step, action
        self.me = -1  # this process's rank, set by main

    def on_step_end(self, step, model, logs) -> None:
        if step == self.step and self.me == self.rank:
            self.action()


def boom() -> None:
    raise ValueError("a deliberate failure in the test's callback")


def main() -> None:
    from mpi4py import MPI  # here: importing this file needs no MPI

    scenario, dtype, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    model, X, y, validation = problem(dtype)
    actions = {
        "interrupt": At(0, 5, lambda: os.kill(os.getpid(), signal.SIGINT)),
        "raise": At(1, 3, boom),
        "hang": At(1, 3, lambda: time.sleep(60)),
        "kill": At(1, 3, lambda: os.kill(os.getpid(), signal.SIGKILL)),
    }
    callbacks = [actions[scenario]] if scenario in actions else []
    for cb in callbacks:
        cb.me = rank
    checkpoint = out / "run.ckpt" if scenario in ("interrupt", "resume") else None
    try:
        history = model.fit(
            X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(0.01), epochs=epochs,
            batch_size=32, seed=3, validation_data=validation, verbose=0,
            callbacks=callbacks, checkpoint=checkpoint, resume=scenario == "resume",
            comm=comm,
        )  # fmt: skip
    except KeyboardInterrupt as exc:
        (out / f"interrupted{rank}.txt").write_text(str(exc))
        history = None
    np.save(out / f"theta{rank}.npy", model.theta)
    if history is not None:
        record = {"history": history.history, "step_loss": history.step_loss}
        (out / f"history{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
