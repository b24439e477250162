"""Shopify's cost-based leaky bucket, one per shop, on an injectable clock.

A request first takes its *requested* cost (refused with THROTTLED when the bucket holds less),
then the difference between requested and *actual* cost is given back. The bucket refills at the
plan's restore rate; `neighbour_drain` models another app spending part of that rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

RESTORE_RATES = {"STANDARD": 100.0, "ADVANCED": 200.0, "PLUS": 1000.0, "ENTERPRISE": 2000.0}
BUCKET_SECONDS = 20.0

Clock = Callable[[], float]


class LeakyBucket:
    """Points available to one shop."""

    def __init__(
        self,
        restore_rate: float,
        maximum: float,
        *,
        clock: Clock = time.monotonic,
        neighbour_drain: float = 0.0,
    ) -> None:
        self.restore_rate = restore_rate
        self.maximum = maximum
        self.clock = clock
        self.neighbour_drain = neighbour_drain
        self._available = maximum
        self._last = clock()
        self._lock = threading.Lock()

    @classmethod
    def for_plan(
        cls,
        plan: str,
        *,
        clock: Clock = time.monotonic,
        bucket_scale: float = 1.0,
        neighbour_drain: float = 0.0,
    ) -> LeakyBucket:
        """Restore rate from the plan; bucket = 20 seconds of restore, scaled by the profile."""
        rate = RESTORE_RATES.get(plan.upper(), RESTORE_RATES["STANDARD"])
        return cls(
            rate, rate * BUCKET_SECONDS * bucket_scale, clock=clock, neighbour_drain=neighbour_drain
        )

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        gained = elapsed * self.restore_rate * (1.0 - self.neighbour_drain)
        self._available = min(self.maximum, self._available + gained)

    def try_take(self, cost: float) -> bool:
        """Take `cost` points if the bucket holds them."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def give_back(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + max(0.0, points))

    @property
    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._available

    def status(self) -> dict[str, Any]:
        """`throttleStatus` as Shopify renders it."""
        return {
            "maximumAvailable": float(self.maximum),
            "currentlyAvailable": math.floor(self.available),
            "restoreRate": float(self.restore_rate),
        }
