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

mpi4py is an optional extra (``pip install glassnet[mpi]``); this module imports it
only to name its operations, from the communicator it is given.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import training
from glassnet.callbacks import Callback
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


class DistributedError(RuntimeError):
    """The processes of a data-parallel fit disagree, or one stopped answering.

    Attributes:
        agreed: every process raises it at the same point (no need to abort).
    """

    def __init__(self, message: str, agreed: bool = False) -> None:
        super().__init__(message)
        self.agreed = agreed


def _mpi() -> Any:
    """The mpi4py MPI module, or an ImportError that says how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as err:  # pragma: no cover - the tests skip without it
        raise ImportError(
            "distributed training needs mpi4py and an MPI library: "
            "pip install 'glassnet[mpi]' (mpi4py and the mpich wheel)."
        ) from err
    return MPI


def world() -> Any:
    """``MPI.COMM_WORLD``: every process ``mpiexec`` started (imports mpi4py)."""
    return _mpi().COMM_WORLD


class Waiter:
    """Collectives that give up after ``timeout`` seconds instead of hanging.

    Each operation is started non-blocking (``Iallreduce``, ``Ibcast``) and polled
    until done or until the deadline, when a DistributedError says which operation
    at which step waited in vain. ``timeout=None`` waits forever.
    """

    def __init__(self, comm: Any, timeout: float | None) -> None:
        self.comm, self.timeout, self.MPI = comm, timeout, _mpi()
        self.where = "before the first step"

    def wait(self, request: Any, what: str) -> None:
        """Poll ``request`` until done; a DistributedError past the deadline."""
        if self.timeout is None:
            request.Wait()
            return
        start = time.monotonic()
        deadline = start + self.timeout
        while not request.Test():
            now = time.monotonic()
            if now - start > 0.01:  # a long wait: poll gently, leave the core to others
                time.sleep(0.0005)
            if now > deadline:
                raise DistributedError(
                    f"no answer from the other processes for {self.timeout:g} s in "
                    f"the {what} {self.where}: one of them stopped or hangs"
                )

    def sum(self, buffer: Array, what: str = "all-reduce") -> None:
        """Replace ``buffer`` by its sum over all processes, in place."""
        self.wait(
            self.comm.Iallreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM), what
        )

    def total(self, values: Array) -> Array:
        """A float64 vector of sums over the processes (``Shard.total``)."""
        out = np.array(values, dtype=np.float64)
        self.sum(out, "all-reduce of the validation sums")
        return out

    def broadcast(self, buffer: Array, what: str) -> None:
        """Make ``buffer`` process 0's on every process, in place."""
        self.wait(self.comm.Ibcast(buffer, root=0), f"broadcast of {what}")


class AllReduceGradients(Callback):
    """Sum the weighted local gradients over the processes: one Allreduce a step.

    The buffer is [(m_k/B)·dθ_k, (m_k/B)·L_k, correct_k, signal_k]: after the sum it
    holds the whole batch's dθ, its mean loss, its correct count and whether any
    process got Ctrl-C/SIGTERM, so that every process stops after the same step.
    It runs before the divergence guard and the clipping: both then see the batch's
    loss and dθ, and decide the same on every process.
    """

    def __init__(self, waiter: Waiter, signals: Iterable[int]) -> None:
        self.waiter = waiter
        self.signals = list(signals)
        self.pending: int | None = None  # a signal received since the last step
        self.stopping = False  # every process agreed to stop after this step
        self.buffer: Array = np.empty(0)
        self.previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.pending is not None or self.stopping:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.pending = signum

    def on_train_begin(self, model: Sequential) -> None:
        """Make the buffer; hold signals until the processes agree on them."""
        self.buffer = np.empty(model.theta.size + 3, dtype=model.dtype)
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:  # Interrupts puts the original ones back
                self.previous[sig] = signal.signal(sig, self._handler)

    def on_backward_end(
        self, step: int, model: Sequential, logs: dict[str, float]
    ) -> None:
        """dθ, the loss and the counts of the whole batch, on every process."""
        run, buf, n = self.run, self.buffer, model.theta.size
        assert run.shard is not None  # set by fit
        start = run.batch * run.batch_size
        B = min(start + run.batch_size, run.m) - start
        lo, hi = run.shard.rows(B)
        w = (hi - lo) / B
        L, _, correct = run.measured
        np.multiply(model.dtheta, w, out=buf[:n])
        buf[n], buf[n + 1] = L * w, correct
        buf[n + 2] = 0 if self.pending is None else self.pending
        self.waiter.where = f"at step {step}"
        self.waiter.sum(buf, "all-reduce of dθ")
        model.dtheta[...] = buf[:n]
        L = float(buf[n])
        logs["loss"] = L
        run.measured = (L, L * B, float(buf[n + 1]))
        if buf[n + 2] > 0:  # some process was interrupted: all stop after this step
            self.stopping = True
            run.interrupted = self.pending or signal.SIGINT
        self.pending = None

    def on_exit(self, model: Sequential) -> None:
        """Put back the handlers that are still this callback's."""
        for sig, handler in self.previous.items():
            if signal.getsignal(sig) == self._handler:
                signal.signal(sig, handler)
        self.previous = {}


class ShareStart(Callback):
    """Start every process where process 0 starts; check at the end that θ agrees.

    Runs after every other ``on_train_begin`` — after process 0's checkpoint has
    resumed — and broadcasts from process 0: the run's position and records (a JSON
    header), θ, θ at the epoch's start, the optimizer's state vectors and the
    epoch's order. So the initial weights are process 0's, a resume needs the
    checkpoint on process 0's machine only, and even ``seed=None`` gives every
    process the same order of the samples.
    """

    def __init__(self, waiter: Waiter) -> None:
        self.waiter = waiter

    def _header(self) -> dict[str, Any]:
        run = self.run
        return {
            "m": run.m,
            "batch_size": run.batch_size,
            "epochs": run.epochs,
            "parameters": int(run.model.theta.size),
            "dtype": str(run.model.dtype),
            "epoch": run.epoch,
            "batch": run.batch,
            "step": run.step,
            "rng_state": run.rng.bit_generator.state,
            "loss_sum": run.loss_sum,
            "correct": run.correct,
            "history": run.history.history,
            "step_loss": run.history.step_loss,
            "epochs_run": run.history.epochs_run,
            "t": int(getattr(run.optimizer, "t", 0)),
            "lr": float(run.optimizer.lr),
            "order": run.order is not None,
        }

    def _broadcast_header(self) -> dict[str, Any]:
        mine = self._header()
        text = np.frombuffer(json.dumps(mine).encode(), dtype=np.uint8)
        size = np.array([text.size], dtype=np.int64)
        self.waiter.broadcast(size, "the run's state")
        data = (
            text.copy()
            if self.waiter.comm.Get_rank() == 0
            else np.empty(int(size[0]), dtype=np.uint8)
        )
        self.waiter.broadcast(data, "the run's state")
        lead: dict[str, Any] = json.loads(data.tobytes().decode())
        for key in ("m", "batch_size", "epochs", "parameters", "dtype"):
            if lead[key] != mine[key]:
                raise DistributedError(
                    f"process 0 trains with {key} {lead[key]!r}, this one with "
                    f"{mine[key]!r}: every process must run the same fit on the same "
                    "data (same command, same files)"
                )
        return lead

    def on_train_begin(self, model: Sequential) -> None:
        """Take process 0's state: position, records, θ, optimizer state, order."""
        run, optimizer = self.run, self.run.optimizer
        lead = self._broadcast_header()
        run.epoch, run.batch, run.step = lead["epoch"], lead["batch"], lead["step"]
        run.rng.bit_generator.state = lead["rng_state"]
        run.loss_sum, run.correct = lead["loss_sum"], lead["correct"]
        run.history = History(lead["history"], lead["step_loss"], lead["epochs_run"])
        optimizer.t, optimizer.lr = lead["t"], lead["lr"]  # a resumed schedule's lr
        self.waiter.broadcast(model.theta, "θ")  # the initial weights: process 0's
        if run.epoch_start is None:
            run.epoch_start = model.theta.copy()
        self.waiter.broadcast(run.epoch_start, "θ at the epoch's start")
        optimizer.bind(model)
        for slot in sorted(optimizer.state):
            self.waiter.broadcast(optimizer.state[slot], f"optimizer state {slot}")
        if lead["order"]:
            if run.order is None:
                run.order = np.empty(run.m, dtype=np.int64)
            self.waiter.broadcast(run.order, "the epoch's order")
        else:
            run.order = None

    def on_train_end(self, model: Sequential, history: History) -> None:
        """Raise DistributedError unless θ is bit-identical on every process."""
        crc = zlib.crc32(model.theta.view(np.uint8).data)
        both = np.array([crc, -crc], dtype=np.int64)
        self.waiter.where = "at the end of training"
        lowest = both.copy()
        MPI = self.waiter.MPI
        self.waiter.wait(
            self.waiter.comm.Iallreduce(MPI.IN_PLACE, lowest, op=MPI.MIN),
            "check of θ",
        )
        if lowest[0] != crc or -lowest[1] != crc:
            raise DistributedError(
                "the processes ended with different weights (CRC-32 of θ differs); "
                "the MPI library's all-reduce is not deterministic across processes",
                agreed=True,
            )


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
        The others: as ``glassnet.training.fit``.

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
