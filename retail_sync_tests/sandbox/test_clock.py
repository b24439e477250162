"""DilatedClock: a sleep really waits 1/speed of its length and moves the clock by all of it."""

from __future__ import annotations

import pytest

from retail_sync.sandbox.clock import DilatedClock


class _RealTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_sleep_moves_the_clock_by_its_length_and_waits_a_fraction() -> None:
    real = _RealTime()
    clock = DilatedClock(20, real_clock=real.clock, real_sleep=real.sleep)
    start = clock.monotonic()
    clock.sleep(10.0)
    assert real.slept == [0.5]
    assert clock.monotonic() - start == pytest.approx(10.0)
    real.now += 2.0  # real time flows underneath
    assert clock.monotonic() - start == pytest.approx(12.0)


def test_nothing_is_waited_for_a_non_positive_sleep() -> None:
    real = _RealTime()
    clock = DilatedClock(real_clock=real.clock, real_sleep=real.sleep)
    clock.sleep(0)
    clock.sleep(-1)
    assert real.slept == [] and clock.monotonic() == 100.0


def test_a_speed_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DilatedClock(0.5)
