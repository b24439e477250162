"""Dilated time for driving a simulator and its client faster than the wall clock.

Throttling, backoff and bulk polling are all waits. In a test that checks what happens rather
than how long it takes, the simulator's leaky bucket and the client can share a `DilatedClock`:
every `sleep(s)` really waits `s / speed` and moves the clock on by the whole `s`, so a read
that Shopify's restore rate spreads over a minute finishes in seconds while the bucket, the
client's pacing and its bulk-stall timer all see the minute pass. Real time keeps flowing
underneath, so work done between waits (a bulk job in the simulator's thread) still takes the
time it takes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class DilatedClock:
    """A monotonic clock whose sleeps pass `speed` times faster than real ones."""

    def __init__(
        self,
        speed: float = 20.0,
        *,
        real_clock: Callable[[], float] = time.monotonic,
        real_sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed < 1:
            raise ValueError(f"speed must be at least 1, not {speed}")
        self.speed = speed
        self._real_clock = real_clock
        self._real_sleep = real_sleep
        self._skipped = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._real_clock() + self._skipped

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        really = seconds / self.speed
        self._real_sleep(really)
        with self._lock:
            self._skipped += seconds - really
