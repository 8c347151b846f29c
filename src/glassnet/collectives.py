"""The MPI collectives of a data-parallel fit: what the processes send each other.

``Waiter`` runs each collective non-blocking and gives up after a timeout, so that a
process that vanished ends the job instead of hanging it. Two callbacks use it:
``AllReduceGradients`` sums the weighted local gradients into the whole batch's dθ
(one ``Allreduce`` a step) and ``ShareStart`` broadcasts process 0's starting state,
then checks that θ ended bit-identical. ``glassnet.distributed.fit`` wires them in.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet.callbacks import Callback
from glassnet.run import History

if TYPE_CHECKING:
    from glassnet.model import Sequential

__all__ = ["AllReduceGradients", "DistributedError", "ShareStart", "Waiter"]

Array = NDArray[Any]


class DistributedError(RuntimeError):
    """The processes of a data-parallel fit disagree, or one stopped answering.

    Attributes:
        agreed: every process raises it at the same point (no need to abort).

    Example (``GLASSNET_MPI_TIMEOUT=3 mpiexec -n 2 python3 train.py``, process 1
    stops answering after step 3): process 0 raises it, and ``fit`` ends the job
    with one line on stderr (wrapped here)::

        glassnet: process 0 of 2 failed: DistributedError: no answer from the other
        processes for 3 s in the all-reduce of dθ at step 4: one of them stopped or
        hangs; stopping all 2 processes.
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


class Waiter:
    """Collectives that give up after ``timeout`` seconds instead of hanging.

    Each operation is started non-blocking (``Iallreduce``, ``Ibcast``) and polled
    until done or until the deadline, when a DistributedError says which operation
    at which step waited in vain. ``timeout=None`` waits forever.

    Example (``mpiexec -n 2 python3 job.py``; every process runs it)::

        from glassnet.distributed import Waiter, world
        comm = world()
        waiter = Waiter(comm, timeout=10.0)
        waiter.total([comm.Get_rank() + 1.0])   # array([3.]) on both: 1 + 2
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
    ``glassnet.distributed.explain_step`` writes this sum out, with numbers, without
    MPI.

    Example (``mpiexec -n 2 python3 train.py``; ``fit`` with ``comm`` adds it)::

        from mpi4py import MPI
        model.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=1,
                  batch_size=5, comm=MPI.COMM_WORLD)
        # a batch of B = 5 rows: process 0 takes rows [0, 3), process 1 rows [3, 5);
        # both step with dθ = (3/5)·g_0 + (2/5)·g_1, the whole batch's gradient
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
        _, correct = run.measured
        np.multiply(model.dtheta, w, out=buf[:n])
        buf[n], buf[n + 1] = logs["loss"] * w, correct
        buf[n + 2] = 0 if self.pending is None else self.pending
        self.waiter.where = f"at step {step}"
        self.waiter.sum(buf, "all-reduce of dθ")
        model.dtheta[...] = buf[:n]
        logs["loss"] = float(buf[n])
        run.measured = (B, float(buf[n + 1]))
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

    Example (``mpiexec -n 2 python3 train.py``; ``fit`` with ``comm`` adds it)::

        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        seed = comm.Get_rank()                  # other weights on each process...
        model = gn.Sequential([gn.Dense(2, 1, rng=seed)])
        model.fit(X, Y, loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=2,
                  batch_size=5, comm=comm)
        # ...but both start from process 0's weights, and end with the same θ
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
