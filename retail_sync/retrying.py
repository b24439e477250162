"""The one retry policy: full-jitter exponential backoff, the Retry-After header, the budgets.

Who retries what (docs/architecture.md, "Retry budget"): the HTTP clients retry a single request
that failed for a transient reason (throttling, 429, 5xx, a lost connection) within the bounds of
their `Backoff`; the Dagster step retry (`StepRetry`, built by `retail_sync.defs.failures`)
re-runs a step only when its failure was still transient after the client's attempts were spent;
a failure that is not transient is never retried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

# 2**1023 is the largest power of two a float holds; a ceiling that far out is the cap anyway.
_LARGEST_EXPONENT = 1023


class RandomSource(Protocol):
    """Where jitter comes from: a `random.Random` (seeded in tests)."""

    def random(self) -> float: ...


@dataclass(frozen=True)
class Backoff:
    """How often one request is sent and how long to wait between: full jitter, Retry-After a floor.

    The wait after failed attempt n (counting from 1) is uniform in [0, min(cap, base * 2**(n-1))],
    raised to the server's Retry-After, up to `max_retry_after_seconds`, when that asks for longer.
    Defaults: 6 attempts, waits from 0.5 s doubling to 30 s, a Retry-After honoured up to 5 min.
    """

    max_attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_retry_after_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        for name in ("base_seconds", "cap_seconds", "max_retry_after_seconds"):
            seconds = getattr(self, name)
            if not (math.isfinite(seconds) and seconds >= 0):
                raise ValueError(f"{name} must be a finite number of seconds >= 0, not {seconds}")

    def may_retry(self, attempt: int) -> bool:
        """Whether failed attempt `attempt` (counting from 1) may be followed by another."""
        return attempt < self.max_attempts

    def ceiling(self, attempt: int) -> float:
        """The longest wait of the backoff's own after failed attempt `attempt`."""
        exponent = min(max(attempt - 1, 0), _LARGEST_EXPONENT)
        return min(self.cap_seconds, self.base_seconds * 2**exponent)

    def delay(self, attempt: int, rng: RandomSource, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt `attempt`; `retry_after` is the server's ask."""
        jittered = rng.random() * self.ceiling(attempt)
        if retry_after is None:
            return jittered
        return max(jittered, min(retry_after, self.max_retry_after_seconds))

    def longest_wait_seconds(self, *, honouring_retry_after: bool = True) -> float:
        """The most one request can spend waiting between its attempts: every wait at its
        ceiling, or at the longest Retry-After honoured when the server asks for that."""
        floor = self.max_retry_after_seconds if honouring_retry_after else 0.0
        return sum(max(self.ceiling(n), floor) for n in range(1, self.max_attempts))


def parse_retry_after(
    value: str | None, *, maximum_seconds: float, now: datetime | None = None
) -> float | None:
    """The seconds a `Retry-After` header asks for, within [0, maximum_seconds]; None when it is
    absent or unreadable. Delta-seconds (a decimal fraction is accepted too) or an HTTP-date,
    counted from `now` (the wall clock by default); a date in the past means at once."""
    if value is None or not value.strip():
        return None
    seconds: float | None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value, now or datetime.now(UTC))
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(maximum_seconds, max(0.0, seconds))


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the date is in UTC, its origin unknown
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()


@dataclass(frozen=True)
class StepRetry:
    """The Dagster step retry in plain numbers: exponential backoff with full jitter, the wait
    before retry n uniform in [0, delay * (2**n - 1)] (how `dagster.RetryPolicy` computes it)."""

    max_retries: int
    delay_seconds: float

    def longest_wait_seconds(self) -> float:
        """The most a step waits between its runs, all retries together."""
        return sum(self.delay_seconds * (2**n - 1) for n in range(1, self.max_retries + 1))


# ---- the retry budget: every number below is stated in docs/architecture.md ----------------

# Shopify Admin GraphQL, one request that fails with a 429, a 5xx, a lost connection or a body
# that is not JSON: 9 attempts; Shopify's Retry-After is honoured up to a minute.
SHOPIFY_REQUEST = Backoff(
    max_attempts=9, base_seconds=0.5, cap_seconds=30.0, max_retry_after_seconds=60.0
)
# ... and one answered THROTTLED, counted apart: the pacing wait computed from the fresh
# throttleStatus does the real waiting, so the backoff's own share stays at most a second.
SHOPIFY_THROTTLED_REQUEST = Backoff(
    max_attempts=61, base_seconds=0.5, cap_seconds=1.0, max_retry_after_seconds=60.0
)
# NetSuite REST, one read that fails with a 429, a 5xx or a transport error (a write only on
# 429): 6 attempts (NETSUITE_MAX_ATTEMPTS); a maintenance Retry-After is honoured up to 5 min.
NETSUITE_REQUEST = Backoff(
    max_attempts=6, base_seconds=0.5, cap_seconds=30.0, max_retry_after_seconds=300.0
)
# A Shopify or ERP step whose failure is still transient after the client's attempts: 3 runs
# more, after waits of at most 5, 15 and 35 s, for an outage longer than one request's budget.
SHOPIFY_STEP = StepRetry(max_retries=3, delay_seconds=5.0)
ERP_STEP = StepRetry(max_retries=3, delay_seconds=5.0)
