"""DilatedClock: a sleep really waits 1/speed of its length and moves the clock by all of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from retail_sync.sandbox.clock import DilatedClock
from retail_sync_tests.clocks import FakeClock


def _dilated(real: FakeClock, speed: float = 20.0) -> DilatedClock:
    return DilatedClock(speed, real_clock=real.monotonic, real_sleep=real.sleep)


def test_a_sleep_moves_the_clock_by_its_length_and_waits_a_fraction() -> None:
    real = FakeClock(datetime(2026, 11, 1, tzinfo=UTC))
    clock = _dilated(real)
    start = clock.monotonic()
    clock.sleep(10.0)
    assert real.slept == [0.5]
    assert clock.monotonic() - start == pytest.approx(10.0)
    real.sleep(2.0)  # real time flows underneath
    assert clock.monotonic() - start == pytest.approx(12.0)


def test_nothing_is_waited_for_a_non_positive_sleep() -> None:
    real = FakeClock(datetime(2026, 11, 1, tzinfo=UTC))
    clock = _dilated(real)
    start = clock.monotonic()
    clock.sleep(0)
    clock.sleep(-1)
    assert real.slept == [] and clock.monotonic() == start


def test_a_speed_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DilatedClock(0.5)
