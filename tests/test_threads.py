"""threads="auto" picks the thread count that makes steps faster now; N fixes it."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import glassnet as gn
from glassnet.threads import AdaptiveThreads, FixedThreads, thread_callbacks


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


def test_a_round_stops_timing_two_threads_once_they_have_lost():
    # one core busy: two threads take 4 s a step of the fake clock, one thread 1 s.
    # One thread's window is 5 s; two threads pass that in their second timed step
    blas = FakeBlas(2, {1: 1.0, 2: 4.0})
    auto = AdaptiveThreads(window=5, hold=1e9, controller=blas, clock=blas.clock)
    on_two = 0
    auto.on_train_begin(None)
    for step in range(1, 41):
        on_two += blas.num_threads == 2
        blas.step()
        auto.on_step_end(step, None, {})
    assert auto.chosen == [1]
    assert on_two == 3  # one not counted after the switch, two timed (the full
    # window, as before, ran 6 steps there: 12 s more of the slow count)


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


def test_a_fit_soon_after_another_keeps_its_choice_without_measuring_again():
    # one-epoch fits in a loop (a notebook, the benchmarks): one round in all, not one
    # per fit, while the fits come within `hold` seconds of the round
    blas = FakeBlas(2, {1: 1.0, 2: 4.0})
    auto = AdaptiveThreads(window=5, hold=100.0, controller=blas, clock=blas.clock)
    drive(auto, blas, 20)
    assert auto.chosen == [1]
    blas.log.clear()
    for _ in range(3):
        drive(auto, blas, 10)  # 10 one-thread steps: 10 s of the fake clock each
    assert auto.chosen == [1]
    assert blas.log == [1, 2] * 3  # held one thread, put the machine's count back


def test_a_round_cut_short_by_the_end_of_a_fit_goes_on_in_the_next():
    blas = FakeBlas(2, {1: 1.0, 2: 4.0})
    auto = AdaptiveThreads(window=5, hold=1000.0, controller=blas, clock=blas.clock)
    for _ in range(
        8
    ):  # each fit counts 2 of its 3 steps (not the first after a switch)
        drive(auto, blas, 3)  # shorter than a window: no fit alone ends the round
    assert auto.chosen == [1]


def test_a_fit_after_the_hold_or_with_another_thread_count_measures_again():
    blas = FakeBlas(2, {1: 1.0, 2: 0.6})
    auto = AdaptiveThreads(window=5, hold=10.0, controller=blas, clock=blas.clock)
    drive(auto, blas, 20)
    assert auto.chosen == [2]
    blas.now += 60.0  # a minute later, another program has taken a core
    blas.cost = {1: 1.0, 2: 4.0}
    drive(auto, blas, 20)
    assert auto.chosen == [2, 1]
    blas.num_threads = 4  # the user gave BLAS more threads: those are the candidates
    blas.cost[4] = 0.3
    drive(auto, blas, 20)
    assert auto.chosen == [2, 1, 4]


def test_fit_keeps_one_adaptive_callback_per_model_and_lets_it_go_with_the_model():
    a = gn.Sequential([gn.Dense(2, 1, rng=0)])
    b = gn.Sequential([gn.Dense(2, 1, rng=0)])
    (first,) = thread_callbacks("auto", a)
    assert thread_callbacks("auto", a) == [first]
    assert thread_callbacks("auto", b) != [first]
    X = np.ones((8, 2))
    a.fit(X, X[:, :1], loss=gn.MSE(), optimizer=gn.SGD(0.1), epochs=1, verbose=0,
          threads="auto")  # fmt: skip
    model_gone = weakref.ref(a)
    del a
    gc.collect()
    assert model_gone() is None  # the callback kept neither the model nor its data


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
