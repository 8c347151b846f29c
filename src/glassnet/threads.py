"""BLAS threads that follow the machine's load: ``fit(..., threads="auto")``.

On an idle 2-core machine two BLAS threads make the large products of a step about
1.7× faster than one. With one core busy (another program, as on any laptop), the two
threads wait on each other and a step gets 3–4× slower than with one thread
(PERFORMANCE-NOTES.md). No fixed count is right for both, so ``AdaptiveThreads``
measures: it times a window of steps with each count, keeps the faster one for a
while, and measures again.

The thread count can change the last bits of a large float32 product (BLAS splits the
work differently), so a run with ``threads="auto"`` is bit-identical to another only
when both chose the same counts; pass ``threads=N`` (or leave the default, None, which
leaves BLAS as it is) when bits must repeat on a busy machine.

threadpoolctl (the well-kept library for this) finds the BLAS NumPy uses; without it
``"auto"`` does nothing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from glassnet.callbacks import Callback

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.run import Run

__all__ = ["AdaptiveThreads", "FixedThreads", "blas_controller", "thread_callbacks"]


def blas_controller() -> Any | None:
    """The threadpoolctl controller of NumPy's BLAS (None without threadpoolctl).

    >>> blas = blas_controller()  # this example needs threadpoolctl (else: None)
    >>> type(blas).__name__, blas.lib_controllers[0].user_api
    ('ThreadpoolController', 'blas')
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    blas = ThreadpoolController().select(user_api="blas")
    return blas if blas.lib_controllers else None


class FixedThreads(Callback):
    """Run the fit's products on ``n`` BLAS threads; put the count back afterwards.

    ``fit(..., threads=1)`` adds one; here its two hooks are called by hand. (This
    example needs threadpoolctl.)

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> hook = FixedThreads(1)
    >>> hook.on_train_begin(model)  # what fit calls before the first step
    >>> hook.controller.lib_controllers[0].num_threads
    1
    >>> hook.on_exit(model)  # and at the very end: the count it found is back
    >>> hook.controller.lib_controllers[0].num_threads == hook.previous
    True
    """

    def __init__(self, n: int, controller: Any | None = None) -> None:
        self.n = n
        self.controller = controller if controller is not None else blas_controller()
        self.previous = 0  # the count the fit found (0: not set yet)

    def on_train_begin(self, model: Sequential) -> None:
        """Set the count."""
        if self.controller is not None:
            lib = self.controller.lib_controllers[0]  # NumPy's BLAS, as AdaptiveThreads
            self.previous = lib.num_threads
            lib.set_num_threads(self.n)

    def on_exit(self, model: Sequential) -> None:
        """Restore the count the fit found."""
        if self.controller is not None and self.previous:
            self.controller.lib_controllers[0].set_num_threads(self.previous)


class AdaptiveThreads(Callback):
    """Keep BLAS on whichever thread count makes steps faster now.

    Every ``hold`` seconds it times steps with each count in ``candidates`` (the
    machine's count and 1) and keeps the count whose steps took less time on
    average, until the next round. The mean, not the median: with one core busy, two
    threads run most steps as fast as one and stall on a few (a 4–5 ms scheduler
    slice), and those stalls are the cost (a median that ignored them chose two
    threads and an epoch 3 × as long).

    After a switch the first step is not counted (waking or parking a thread), and
    after a switch to fewer threads neither are the steps of the first ``settle``
    seconds: after two-thread products OpenBLAS's second thread spins for a while
    (about 50 ms measured) before it sleeps, so one thread timed at once shares its
    core with it. (Counting them, a round that followed two busy threads saw one
    thread as slow as two, kept two threads, and the next round saw the same: 2.5 s
    epochs instead of 1.0.) Then each count is timed for at least ``window`` steps
    and ``span`` seconds, enough scheduler slices for the stalls to show. One thread
    is timed first; the other count's timing ends early once its steps have taken as
    long as one thread's whole window (fewer steps, more time: it has lost), which
    on a busy core cuts the slow part of the round to one window's time. Switching
    costs a few µs; timing one step, one clock read. On an idle machine a round
    costs about 0.15 s on one thread (``docs/performance.md``).

    ``fit(threads="auto")`` keeps one of these per model, so a fit that follows
    another within ``hold`` seconds (one epoch per call, as in a notebook, the live
    plots or the benchmarks) goes on where the last one stopped: it keeps the count
    chosen, or finishes the round begun, instead of paying a new round per call.

    Attributes:
        chosen: the counts chosen so far, one per round (read by the benchmark).

    A fake BLAS and clock stand for a busy machine, where a step takes 1 ms on one
    thread and 3 ms on two; with short windows one round takes 6 steps (one not
    counted and three timed on one thread, one not counted and one on two threads,
    whose 3 ms are one thread's whole window: lost):

    >>> import numpy as np
    >>> import glassnet as gn
    >>> class BusyMachine:  # threadpoolctl's controller and a clock, faked
    ...     num_threads, now = 2, 0.0
    ...     lib_controllers = property(lambda self: [self])
    ...     def set_num_threads(self, n):
    ...         self.num_threads = n
    ...     def clock(self):
    ...         self.now += 0.001 if self.num_threads == 1 else 0.003
    ...         return self.now
    >>> busy = BusyMachine()
    >>> hook = AdaptiveThreads(window=3, span=0.0, settle=0.0, controller=busy,
    ...                        clock=busy.clock)
    >>> model = gn.Sequential([gn.Dense(1, 1, init=[[0.0]], bias=False)])
    >>> X = np.arange(8.0).reshape(8, 1)
    >>> _ = model.fit(X, 3 * X, loss=gn.MSE(), optimizer=gn.SGD(0.01), epochs=1,
    ...               batch_size=1, verbose=0, callbacks=[hook])
    >>> hook.chosen, busy.num_threads  # 1 thread chosen; the 2 put back at the end
    ([1], 2)
    """

    def __init__(
        self,
        window: int = 15,
        hold: float = 5.0,
        controller: Any | None = None,
        clock: Any = time.perf_counter,
        settle: float = 0.1,
        span: float = 0.05,
    ) -> None:
        self.window, self.hold, self.clock = window, hold, clock
        self.settle, self.span = settle, span
        self.controller = controller if controller is not None else blas_controller()
        self.chosen: list[int] = []
        self.previous = 0
        self.candidates: list[int] = []
        self.trying: int | None = 0  # index into candidates; None while holding
        self.round_began = self.hold_until = -float("inf")

    def set_run(self, run: Run) -> None:
        """Not kept: this callback outlives the fit, whose Run holds model and data."""

    def on_train_begin(self, model: Sequential) -> None:
        """Go on with the last fit's choice or round if it is recent, else measure."""
        if self.controller is None:
            return
        lib = self.controller.lib_controllers[0]
        self.previous = lib.num_threads
        candidates = sorted({self.previous, 1})
        now = self.clock()
        if candidates != self.candidates:  # first fit, or BLAS was changed since
            self.candidates = candidates
            self._start_round()
        elif self.trying is None and now < self.hold_until:
            self._set(self.chosen[-1])
        elif self.trying is not None and now < self.round_began + self.hold:
            self._set(self.candidates[self.trying])
        else:
            self._start_round()

    def _start_round(self) -> None:
        self.times: dict[int, list[float]] = {n: [] for n in self.candidates}
        self.trying = 0
        self.round_began = self.clock()
        self._set(self.candidates[0])

    def _set(self, n: int) -> None:
        assert self.controller is not None  # only called with a BLAS to control
        lib = self.controller.lib_controllers[0]
        fewer = n < lib.num_threads
        lib.set_num_threads(n)
        self.current = n
        self.last = self.clock()
        # not counted: the first step, and with fewer threads those of `settle` s
        self.settled = False
        self.count_from = self.last + (self.settle if fewer else 0.0)

    def on_step_end(self, step: int, model: Sequential, logs: dict[str, float]) -> None:
        """Time the step; move through the round, or start a new one when due."""
        if self.controller is None:
            return
        now = self.clock()
        elapsed, self.last = now - self.last, now
        if self.trying is None:
            if now >= self.hold_until:
                self._start_round()
            return
        if not self.settled:  # this step still ran in the switch's wake
            self.settled = now >= self.count_from
            return
        samples = self.times[self.current]
        samples.append(elapsed)
        timed = len(samples) >= self.window and sum(samples) >= self.span
        # a later count that has taken as long as the first count's whole window,
        # in fewer steps, has lost already: stop paying for its slow steps
        lost = self.trying > 0 and sum(samples) >= sum(self.times[self.candidates[0]])
        if not (timed or lost):
            return
        self.trying += 1
        if self.trying < len(self.candidates):
            self._set(self.candidates[self.trying])
            return
        mean = {n: sum(t) / len(t) for n, t in self.times.items()}
        best = min(self.candidates, key=mean.__getitem__)
        self._set(best)
        self.chosen.append(best)
        self.trying = None
        self.hold_until = self.clock() + self.hold

    def on_exit(self, model: Sequential) -> None:
        """Restore the count the fit found."""
        if self.controller is not None and self.previous:
            self.controller.lib_controllers[0].set_num_threads(self.previous)


# One AdaptiveThreads per model, so that its measurements outlive one fit call; weak
# keys, so that it goes with the model.
_adaptive: WeakKeyDictionary[Sequential, AdaptiveThreads] = WeakKeyDictionary()


def thread_callbacks(threads: int | str | None, model: Sequential) -> list[Callback]:
    """The callback that ``fit``'s ``threads`` asks for (None: leave BLAS as it is).

    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> thread_callbacks(None, model), type(thread_callbacks(2, model)[0]).__name__
    ([], 'FixedThreads')
    >>> auto = thread_callbacks("auto", model)[0]  # one per model, kept between fits
    >>> type(auto).__name__, auto is thread_callbacks("auto", model)[0]
    ('AdaptiveThreads', True)
    """
    if threads is None:
        return []
    if threads == "auto":
        if model not in _adaptive:
            _adaptive[model] = AdaptiveThreads()
        return [_adaptive[model]]
    if isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1:
        return [FixedThreads(threads)]
    raise ValueError(
        f'fit\'s threads must be None, "auto" or an integer ≥ 1; got {threads!r}.'
    )
