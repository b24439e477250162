"""The circuit breaker that stops hammering a down NetSuite (retry pacing: retail_sync.retrying)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from retail_sync.erp.port import ERPUnavailable


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
