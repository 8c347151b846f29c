"""threads="auto" picks the thread count that makes steps faster now; N fixes it."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.threads import AdaptiveThreads, FixedThreads


class FakeBlas:
    """A BLAS whose steps take ``cost[n]`` seconds of a fake clock with n threads."""

    def __init__(self, threads: int, cost: dict[int, float]) -> None:
        self.num_threads, self.cost, self.now, self.log = threads, cost, 0.0, []
        self.lib_controllers = [self]

    def set_num_threads(self, n: int) -> None:
        self.num_threads = n
        self.log.append(n)

    def clock(self) -> float:
        return self.now

    def step(self) -> None:
        cost = self.cost[self.num_threads]
        self.now += cost() if callable(cost) else cost


def drive(callback, blas, steps):
    callback.on_train_begin(None)
    for step in range(1, steps + 1):
        blas.step()
        callback.on_step_end(step, None, {})
    callback.on_exit(None)


@pytest.mark.parametrize(
    ("cost", "best"),
    [({1: 1.0, 2: 0.6}, 2), ({1: 1.0, 2: 4.0}, 1)],
    ids=["idle: two threads win", "one core busy: one thread wins"],
)
def test_adaptive_threads_keep_the_faster_count(cost, best):
    blas = FakeBlas(2, cost)
    auto = AdaptiveThreads(window=5, hold=1e9, controller=blas, clock=blas.clock)
    drive(auto, blas, 40)
    assert auto.chosen == [best]
    assert blas.log[:2] == [1, 2]  # measured both, one thread first
    assert blas.num_threads == 2  # and put the machine's count back


def test_adaptive_threads_count_the_stalls_of_two_threads_on_a_busy_core():
    # two threads: most steps faster than one, every fifth a scheduler slice late;
    # a median would pick them, their total is about three times one thread's
    steps = iter(range(10**6))
    stalling = lambda: 4.5 if next(steps) % 5 == 4 else 0.35  # noqa: E731
    blas = FakeBlas(2, {1: 0.4, 2: stalling})
    auto = AdaptiveThreads(window=15, hold=1e9, controller=blas, clock=blas.clock)
    drive(auto, blas, 60)
    assert auto.chosen == [1]


def test_adaptive_threads_measure_again_when_the_load_changes():
    blas = FakeBlas(2, {1: 1.0, 2: 0.6})
    auto = AdaptiveThreads(window=5, hold=50.0, controller=blas, clock=blas.clock)
    auto.on_train_begin(None)
    for step in range(1, 200):
        if step == 60:
            blas.cost = {1: 1.0, 2: 4.0}  # another program takes a core
        blas.step()
        auto.on_step_end(step, None, {})
    assert auto.chosen[0] == 2
    assert auto.chosen[-1] == 1


class SpinningBlas(FakeBlas):
    """After two-thread steps the second thread spins for 0.1 s (OpenBLAS's habit):
    one-thread steps in that time share their core with it and take 2.5 × as long."""

    def __init__(self, threads: int, cost: dict[int, float]) -> None:
        super().__init__(threads, cost)
        self.spins_until = -1.0

    def step(self) -> None:
        if self.num_threads == 2:
            super().step()
            self.spins_until = self.now + 0.1
        else:
            slow = self.now < self.spins_until
            self.now += self.cost[1] * (2.5 if slow else 1)


def chosen_after_two_threads(settle: float) -> list[int]:
    """The counts chosen on a busy core (one thread 2 ms a step, two 4 ms), when the
    first round starts right after two-thread steps."""
    blas = SpinningBlas(2, {1: 0.002, 2: 0.004})
    for _ in range(10):
        blas.step()
    auto = AdaptiveThreads(
        window=15, hold=0.5, controller=blas, clock=blas.clock, settle=settle
    )
    drive(auto, blas, 2000)
    return auto.chosen


def test_adaptive_threads_wait_for_the_second_thread_to_stop_spinning():
    chosen = chosen_after_two_threads(settle=0.1)
    assert len(chosen) >= 3
    assert set(chosen) == {1}
    # counting one thread's steps at once (as before) it saw them as slow as two
    # threads' (5 against 4 ms), kept two, and the next round started the same way
    assert set(chosen_after_two_threads(settle=0.0)) == {2}


def test_fixed_threads_set_and_restore_the_count():
    blas = FakeBlas(2, {1: 1.0, 2: 1.0})
    drive(FixedThreads(1, controller=blas), blas, 3)
    assert blas.log == [1, 2]


def test_fit_takes_threads_and_refuses_nonsense():
    model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    X = np.ones((8, 2))
    for threads in (None, 1, "auto"):
        model.fit(X, X[:, :1], loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=1,
                  verbose=0, threads=threads)  # fmt: skip
    with pytest.raises(ValueError, match='threads must be None, "auto" or an integer'):
        model.fit(X, X[:, :1], loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=1,
                  verbose=0, threads=0)  # fmt: skip


def test_threads_with_an_mpi_communicator_is_refused_not_ignored():
    model = gn.Sequential([gn.Dense(2, 1, rng=0)])
    X = np.ones((8, 2))
    with pytest.raises(ValueError, match="threads does not apply with comm"):
        model.fit(X, X[:, :1], loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=1,
                  verbose=0, threads="auto", comm=object())  # fmt: skip
