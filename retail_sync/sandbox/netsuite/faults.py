"""NetSuite simulator fault profiles: random 5xx/429, maintenance, locked period, lost responses."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FaultProfile:
    """What goes wrong, and how often. Combine named profiles with '+', e.g. "flaky+lost-responses".

    - `error_rate` / `throttle_rate`: share of requests answered 5xx / 429 before any work.
    - `maintenance_after` / `maintenance_for`: 503 for every request in that window, measured
      from the simulator's start on its clock.
    - `lock_period_on_start`: lock the posting period covering the world's first date.
    - `lost_response_rate`: share of journal writes committed whose response is never sent
      (the connection is closed); `max_lost_responses` caps how many (None = no cap).
    """

    error_rate: float = 0.0
    throttle_rate: float = 0.0
    maintenance_after: timedelta | None = None
    maintenance_for: timedelta = timedelta(0)
    lock_period_on_start: bool = False
    lost_response_rate: float = 0.0
    max_lost_responses: int | None = None


NAMED_PROFILES: dict[str, FaultProfile] = {
    "none": FaultProfile(),
    "flaky": FaultProfile(error_rate=0.1, throttle_rate=0.1),
    "maintenance": FaultProfile(
        maintenance_after=timedelta(seconds=0), maintenance_for=timedelta(seconds=30)
    ),
    "locked-period": FaultProfile(lock_period_on_start=True),
    "lost-responses": FaultProfile(lost_response_rate=0.3),
}


def parse_faults(spec: str | FaultProfile) -> FaultProfile:
    """ "flaky+locked-period" → one profile; each named part sets only its own fields."""
    if isinstance(spec, FaultProfile):
        return spec
    merged = FaultProfile()
    defaults = FaultProfile()
    for name in filter(None, (part.strip() for part in spec.split("+"))):
        if name not in NAMED_PROFILES:
            known = ", ".join(sorted(NAMED_PROFILES))
            raise ValueError(f"unknown NetSuite fault profile {name!r} (known: {known})")
        profile = NAMED_PROFILES[name]
        changes = {
            key: getattr(profile, key)
            for key in profile.__dataclass_fields__
            if getattr(profile, key) != getattr(defaults, key)
        }
        merged = replace(merged, **changes)
    return merged


@dataclass
class FaultInjector:
    """Seeded decisions, so a run with the same seed and request order fails the same way."""

    profile: FaultProfile
    seed: int
    started_at: datetime
    _rng: random.Random = field(init=False)
    _lost: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - reproducible faults, not security

    def maintenance_remaining(self, now: datetime) -> timedelta | None:
        after = self.profile.maintenance_after
        if after is None:
            return None
        start = self.started_at + after
        end = start + self.profile.maintenance_for
        return end - now if start <= now < end else None

    def random_failure(self) -> int | None:
        """An HTTP status to answer instead of doing the work, or None."""
        p = self.profile
        if p.error_rate <= 0 and p.throttle_rate <= 0:
            return None
        with self._lock:
            draw = self._rng.random()
            pick = self._rng.choice((500, 502, 503))
        if draw < p.error_rate:
            return pick
        if draw < p.error_rate + p.throttle_rate:
            return 429
        return None

    def lose_this_response(self) -> bool:
        p = self.profile
        if p.lost_response_rate <= 0:
            return False
        with self._lock:
            if p.max_lost_responses is not None and self._lost >= p.max_lost_responses:
                return False
            if self._rng.random() < p.lost_response_rate:
                self._lost += 1
                return True
        return False
