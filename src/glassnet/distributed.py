"""Data-parallel training over MPI: N processes, one all-reduce of dθ per step.

Started as ``mpiexec -n N python3 script.py`` (or ``mpiexec -n N glassnet train …
--distributed``), every process runs the same ``fit`` on the same data with the same
seed, so every process draws the same order of the samples and cuts the same
batches without talking. Then, at each step:

1. process k takes its part of the global batch of B rows: m_k rows (``Shard``);
2. forward, loss and backward on those rows: the local gradient g_k of the mean loss
   over them (it carries 1/m_k);
3. one ``comm.Allreduce`` of one buffer sums (m_k/B)·g_k over the processes, which is
   (1/B)·Σ over all B rows: exactly the gradient one process computes on the whole
   batch (to rounding); the batch loss and its correct count travel in the same
   buffer, after dθ;
4. every process takes the same optimizer step from the same dθ, so θ stays
   bit-identical everywhere.

Before the first step θ, the optimizer's state and the run's position (all of a
resumed checkpoint) are broadcast from process 0 (``ShareStart``); only process 0
shows progress and writes checkpoints. Validation is split like a batch and its
sums added (``Run.evaluate`` with a shard). A process that fails ends the whole job
with one message (``MPI_Abort``) instead of leaving the others waiting; a wait longer
than ``timeout`` seconds (a process that vanished) does the same.

The collectives and the two callbacks that run them are ``glassnet.collectives``
(re-exported here); this module starts the fit on every process, ends a job that
failed, and writes out one step without MPI (``explain_step``).

mpi4py is an optional extra (``pip install glassnet[mpi]``); this module imports it
only to name its operations, from the communicator it is given.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import training
from glassnet.callbacks import Callback
from glassnet.collectives import (
    AllReduceGradients,
    DistributedError,
    ShareStart,
    Waiter,
    _mpi,
)
from glassnet.losses import Loss
from glassnet.optimizers import SGD, Optimizer
from glassnet.run import DivergenceError, History, Run, Shard

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = [
    "DEFAULT_TIMEOUT",
    "AllReduceGradients",
    "DistributedError",
    "ShareStart",
    "Waiter",
    "abort",
    "explain_step",
    "fit",
    "world",
]

Array = NDArray[Any]

DEFAULT_TIMEOUT = 120.0
"""Seconds a process waits for the others (env ``GLASSNET_MPI_TIMEOUT`` overrides)."""


def world() -> Any:
    """``MPI.COMM_WORLD``: every process ``mpiexec`` started (imports mpi4py).

    Example (``mpiexec -n 2 python3 job.py``)::

        from glassnet.distributed import world
        comm = world()
        print(comm.Get_rank(), "of", comm.Get_size())   # "0 of 2" and "1 of 2"
    """
    return _mpi().COMM_WORLD


def _agreed(err: BaseException, reducer: AllReduceGradients | None) -> bool:
    """Whether every process raises this error at the same point (no abort needed).

    A divergence is seen in the summed loss and the shared θ, an interrupt is
    agreed through the all-reduce: all processes stop together.
    """
    if isinstance(err, DivergenceError):
        return True
    if isinstance(err, DistributedError):
        return err.agreed
    return (
        isinstance(err, KeyboardInterrupt) and reducer is not None and reducer.stopping
    )


def abort(comm: Any, err: BaseException) -> NoReturn:
    """Say what failed on this process, in one line, and end every process.

    ``MPI_Abort`` with status 2 for bad input (ValueError, TypeError, OSError), 130 for
    Ctrl-C, 1 otherwise. Any other process first waits a second: when all fail
    alike, process 0's line comes alone.

    Example (``mpiexec -n 2 python3 job.py`` without a data.npy; exit status 2)::

        from glassnet.distributed import abort, world
        comm = world()
        try:
            X = np.load("data.npy", allow_pickle=False)
        except BaseException as err:
            abort(comm, err)
        # stderr, one line: glassnet: process 0 of 2 failed: FileNotFoundError:
        # [Errno 2] No such file or directory: 'data.npy'; stopping all 2 processes.
    """
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:  # when all fail alike, process 0's line comes first and alone
        time.sleep(1.0)
    what = (str(err) or type(err).__name__).rstrip(".")
    line = " ".join(
        f"glassnet: process {rank} of {size} failed: {type(err).__name__}: {what}; "
        f"stopping all {size} processes.".split()
    )
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    time.sleep(0.25)  # the launcher forwards the line before it tears the job down
    code = 2 if isinstance(err, (ValueError, TypeError, OSError)) else 1
    comm.Abort(130 if isinstance(err, KeyboardInterrupt) else code)
    raise SystemExit(code)  # pragma: no cover - Abort does not return


def fit(  # noqa: D417 — the arguments not listed are fit's, documented there
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    comm: Any,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    clip_norm: float | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    timeout: float | None = None,
) -> History:
    """``glassnet.training.fit`` on every process of ``comm``, data-parallel.

    Call it (or ``model.fit(..., comm=comm)``) on every process with the same data
    and arguments. Each global batch of ``batch_size`` rows is split across the
    processes, and the result equals a one-process fit with the same batch size to
    rounding. Only process 0 shows progress (``verbose``) and writes ``checkpoint``;
    ``resume`` reads it on process 0 and broadcasts the state.

    Args:
        comm: an mpi4py communicator, e.g. ``MPI.COMM_WORLD``.
        timeout: seconds to wait for the other processes in one collective before
            ending the job (default ``GLASSNET_MPI_TIMEOUT`` or 120; None: forever).

    The other arguments are those of ``glassnet.training.fit``.

    Returns:
        The History, the same on every process.

    Raises:
        ValueError: a batch has fewer rows than there are processes.
        DivergenceError, KeyboardInterrupt: as fit, on every process at the same step.

    Any other error on one process prints one line naming the process and ends all
    of them (``MPI_Abort``), so that none waits for it forever.

    Example (``mpiexec -n 2 python3 train.py``)::

        from mpi4py import MPI
        history = model.fit(X, Y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1),
                            epochs=5, batch_size=128, seed=0, comm=MPI.COMM_WORLD)
    """
    if timeout is None:
        timeout = float(os.environ.get("GLASSNET_MPI_TIMEOUT", DEFAULT_TIMEOUT))
    waiter = Waiter(comm, timeout if timeout > 0 else None)
    rank, size = comm.Get_rank(), comm.Get_size()
    lead = rank == 0
    reducer: AllReduceGradients | None = None
    try:
        run = training.start(
            model, X, Y, loss, optimizer, epochs, batch_size, shuffle, seed
        )
        run.shard = Shard(rank, size, waiter.total)
        _check_batches(run, size)
        hooks = training.all_callbacks(
            run, callbacks, validation_data, verbose if lead else 0, clip_norm,
            checkpoint if lead else None, checkpoint_every if lead else None,
            resume and lead,
        )  # fmt: skip
        signals = [signal.SIGINT] + ([signal.SIGTERM] if checkpoint else [])
        reducer = AllReduceGradients(waiter, signals)
        hooks.insert(1, reducer)  # after Interrupts, before the guard and clipping
        hooks.append(ShareStart(waiter))  # after the checkpoint's resume
        return training.train(run, hooks)
    except BaseException as err:
        if _agreed(err, reducer):
            raise
        abort(comm, err)


def _check_batches(run: Run, size: int) -> None:
    """A ValueError unless every batch has at least one row per process."""
    last = run.m % run.batch_size or run.batch_size
    smallest = min(run.batch_size, last)
    if smallest < size:
        raise ValueError(
            f"distributed fit over {size} processes needs at least {size} rows in "
            f"every batch; with {run.m} samples and batch_size {run.batch_size} a "
            f"batch has {smallest}. Use a batch_size (and a number of samples) of at "
            f"least {size} rows per batch, or fewer processes."
        )


def explain_step(
    model: Sequential,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    loss: Loss,
    processes: int = 2,
    lr: float = 0.1,
) -> str:
    """One data-parallel SGD step on the batch (X, Y), written out; no MPI needed.

    The ``processes`` are played in turn in this process: each takes its shard of
    the batch and computes its local gradient g_k, the "all-reduce" adds
    (m_k/B)·g_k, and the result is compared with the gradient of one process on the
    whole batch. The model is left as it was (θ and dθ).

    >>> import numpy as np
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 2, rng=0), gn.Softmax()]).astype("float64")
    >>> X = np.random.default_rng(0).normal(size=(5, 2)); y = np.array([0, 1, 1, 0, 1])
    >>> text = explain_step(model, X, y, loss=gn.CrossEntropy())
    >>> print(text.splitlines()[0])
    one data-parallel step: a batch of B = 5 rows over N = 2 processes; θ has 6 numbers
    """
    run = training.start(model, X, Y, loss, SGD(lr), 1, None, False, 0)
    Xb, Yb, B = run.X, run.Y, run.m
    if not 1 <= processes <= B:
        raise ValueError(
            f"explain_step needs 1 ≤ processes ≤ the batch's {B} rows; got {processes}."
        )
    theta, dtheta = model.theta.copy(), model.dtheta.copy()
    last = model.vector.slots[-1]
    k_show = min(4, last.stop - last.start)

    def show(g: Array) -> str:
        part = g[last.start : last.start + k_show]
        return "[" + ", ".join(f"{v:+.5f}" for v in part) + "]"

    name = f"d{last.name}[:{k_show}]"
    lines = [
        f"one data-parallel step: a batch of B = {B} rows over N = {processes} "
        f"processes; θ has {theta.size} numbers",
        "",
        "1. shard: process k takes rows [lo, hi) of the batch, m_k = hi − lo",
        "2. local gradient on each process: g_k = ∂L_k/∂θ, L_k the mean loss over "
        "its m_k rows",
    ]
    total = np.zeros_like(theta)
    for k in range(processes):
        lo, hi = Shard(k, processes).rows(B)
        L_k, _ = model.loss_and_gradients(Xb[lo:hi], Yb[lo:hi], loss)
        w = (hi - lo) / B
        total += w * model.dtheta
        lines.append(
            f"   process {k}: rows [{lo}, {hi}), m_{k} = {hi - lo}, L_{k} = {L_k:.6f}, "
            f"weight m_{k}/B = {w:.4f}, {name} = {show(model.dtheta)}"
        )
    L, _ = model.loss_and_gradients(Xb, Yb, loss)
    whole = model.dtheta.copy()
    nbytes = theta.size * theta.itemsize
    lines += [
        f"3. sum (one Allreduce of {nbytes:,} bytes): dθ = Σ_k (m_k/B)·g_k, "
        f"{name} = {show(total)}",
        f"   one process on the whole batch: L = {L:.6f}, {name} = {show(whole)}; "
        f"max |dθ − g| = {np.abs(total - whole).max():.1e}",
        f"4. shared update on every process: θ ← θ − {lr:g}·dθ, the same numbers "
        f"everywhere; max |Δθ| = {lr * np.abs(total).max():.6f}",
    ]
    model.theta[...], model.dtheta[...] = theta, dtheta
    return "\n".join(lines)
