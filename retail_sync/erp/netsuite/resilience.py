"""The one place for retry pacing and the circuit breaker that stops hammering a down NetSuite."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from retail_sync.erp.port import ERPUnavailable


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server's Retry-After wins when it asks for longer."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        jittered = rng.uniform(0, ceiling)
        if retry_after is not None:
            return max(jittered, min(retry_after, self.max_retry_after))
        return jittered


@dataclass
class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; one probe after `reset_after`."""

    clock: Callable[[], float]
    failure_threshold: int = 5
    reset_after: float = 60.0
    _failures: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)
    _probing: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def before_call(self) -> None:
        with self._lock:
            if self._opened_at is None:
                return
            waited = self.clock() - self._opened_at
            if waited < self.reset_after or self._probing:
                raise ERPUnavailable(
                    f"NetSuite circuit open after {self._failures} consecutive failures; "
                    f"next probe in {max(0.0, self.reset_after - waited):.0f}s",
                    code="CIRCUIT_OPEN",
                )
            self._probing = True  # half-open: let exactly one request through

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.failure_threshold:
                self._opened_at = self.clock()
            self._probing = False
